/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What Pacemaker places by (vgpuctl cluster publish, need): per node, how
 * many vGPUs of each profile the cluster's domains can have here, as node
 * utilization "vgpu-PROFILE", and which GPU models it has, as node
 * attributes "vgpu-model-MODEL" (the number of such GPUs); per resource,
 * "vgpu-PROFILE" = how many of that profile its domain asks.
 *
 * Pacemaker subtracts from a node's capacity what the resources it placed
 * there use, so the capacity is what is free now plus what domains it runs
 * hold: transient ones (VirtualDomain starts every domain with 'virsh
 * create'). What persistent domains hold is not the cluster's to place. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include "domain-xml.h"
#include "host.h"
#include "vgpu-config.h"

/* One attribute: "vgpu-A40-2Q" = 24. */
typedef struct {
    char *name;
    gint64 value;
    gboolean utilization;   /* node utilization; else a node attribute */
} ClusterAttr;

void cluster_attr_free(ClusterAttr *a);

/* The attribute name for a profile or model: "vgpu-" PREFIX NAME, with
 * what is not [A-Za-z0-9._-] made '_'. */
char *cluster_attr_name(const char *prefix, const char *name);

/* This node's attributes (ClusterAttr*, by name): utilization first. */
GPtrArray *cluster_capacity(virConnectPtr conn, const VgpuConfig *cfg, GError **error);

/* What the domain @vd asks (ClusterAttr*, utilization), its typed requests
 * named by profile as this @host lists the type; -1 with @error when a
 * request names a type this host does not offer, or asks by need (only a
 * host with the GPU can tell the profile). gpu= requests ask no profile:
 * into @unplaced (char*, their labels). */
GPtrArray *cluster_need(const Host *host, const VgpuDomain *vd, GPtrArray *unplaced,
                        GError **error);
