/* vgpuctl sync for whole-VF requests: point each at a VF that can serve
 * it here (cmd-edit.c calls it for one domain). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include "domain-xml.h"
#include "vgpu-config.h"

/* For every whole-VF request of @vd (domain @dom, named @name) whose
 * hostdev is missing or names a VF that cannot serve it now, replace it
 * with a PCI hostdev for a free fitting VF, chosen as the hook would
 * (placement, allow/deny, holders), avoiding VFs other defined domains
 * name while another is free. The UUIDs of whole-VF requests go into
 * @vf_requests (borrowed from @vd). *changed: some definition call
 * succeeded. Returns how many were pointed, or -1 with @error. */
int sync_vf_domain(const VgpuConfig *cfg, virDomainPtr dom, const char *name,
                   const VgpuDomain *vd, GHashTable *vf_requests, gboolean *changed,
                   GError **error);
