/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl sync for whole-VF requests: point each at a VF that can serve
 * it here (cli/cmd-sync.c and cmd-attach.c call it for one domain). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include "domain-xml.h"
#include "vgpu-config.h"

/* For every whole-VF request of @vd (domain @dom, named @name; its
 * other requests are left alone) whose
 * hostdev is missing or names a VF that cannot serve it now, point it
 * at a free fitting VF, chosen as the hook would (placement, allow/deny,
 * holders: ledgers and running domains' PCI hostdevs), avoiding VFs other
 * stopped domains name while another is free: vf_keep_domain(), one
 * compare-before-write redefinition, printing one line per request
 * pointed. The UUIDs of whole-VF requests go into @vf_requests (borrowed
 * from @vd). *changed: the definition was written. Returns how many were
 * pointed, or -1 with @error (nothing written then). */
int sync_vf_domain(const VgpuConfig *cfg, virDomainPtr dom, const char *name,
                   const VgpuDomain *vd, GHashTable *vf_requests, gboolean *changed,
                   GError **error);
