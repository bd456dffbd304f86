/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A node-local copy of a domain XML file that every cluster node reads
 * (Pacemaker's VirtualDomain runs it transient with 'virsh create'): the
 * mdev <hostdev> its vGPU metadata lacks added, and each whole-VF request
 * pointed at a VF that can serve it on this node. The keeper cannot do
 * this for a transient domain; vgpuctl cluster config does it before the
 * start. The VFs are weighed as the keeper's pass weighs them (vf-keep*.c:
 * what running domains hold, what stopped ones name, vf_choice_find). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include "vgpu-config.h"

typedef struct {
    char *xml;          /* the copy to start */
    guint mdev_added;   /* mdev hostdevs added */
    GPtrArray *lines;   /* char*: one per whole-VF request pointed, "vGPU U (L) uses VF X" */
} NodeConfig;

void node_config_clear(NodeConfig *nc);

/* From the file contents @buf: -1 with @error (VGPU_ERROR_NO_CAPACITY when
 * a whole-VF request has no VF that can serve it on this node now) and
 * nothing in @nc. */
int node_config_build(virConnectPtr conn, const VgpuConfig *cfg, const char *buf, gsize len,
                      NodeConfig *nc, GError **error);
