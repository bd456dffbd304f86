/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One device asked for by a domain: what a <vgpu:device> element says,
 * validated. Below both xml/ (which fills it) and allocator/ (which places
 * it), so neither depends on the other. */
#pragma once

#include <glib.h>
#include "vgpu-placement.h"

#define VGPU_XML_NS "urn:vgpu-hook:1"

/* <vgpu:device> elements one domain may carry: bounds the work and the
 * messages of one hook call, and what vgpuctl lets a domain grow to. */
#define VGPU_REQUEST_MAX 64

/* The user alias that ties a whole-VF request to its PCI hostdev. */
#define VGPU_HOSTDEV_ALIAS_PREFIX "ua-vgpu-"

typedef struct {
    guint index;          /* position among the domain's <vgpu:device>, from 0 */
    char *uuid;           /* canonical lowercase 8-4-4-4-12 */
    gboolean uuid_derived;/* not in the XML: derived from the domain UUID */
    char *profile;        /* "A40-2Q"; NULL when only type is given */
    char *type;           /* sysfs type id "nvidia-558"; NULL when only profile */
    char *parent;         /* normalized PCI address "0000:e8:00.4", a non-PCI
                             parent name such as "mtty", or NULL */
    VgpuPlacement placement;
    int numa;             /* NUMA node, -1 for any */
    /* A profile by need (framebuffer="8G" series="Q"), instead of profile
     * and type: the smallest profile of that series with at least that
     * framebuffer. 0 / '\0' when the request names its profile. */
    guint64 framebuffer_mb;
    char series;
    /* Placement's own: only profiles of exactly framebuffer_mb (it tries
     * the sizes that fit one by one, smallest first). */
    gboolean framebuffer_exact;
    char *label;          /* "a Q profile with at least 8G", for messages */
    char *gpu;            /* whole VF given as is: the GPU's model name or a
                             PCI id "1002:74a1"; NULL otherwise */
    char *vf;             /* whole VF: the address its <hostdev type='pci'> with
                             alias ua-vgpu-<uuid> names; NULL for an mdev */
    gboolean vf_managed;  /* that hostdev says managed='yes' */
} VgpuRequest;

void vgpu_request_free(VgpuRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgpuRequest, vgpu_request_free)

/* Make @req a request by need; sets its label. */
void vgpu_request_set_need(VgpuRequest *req, char series, guint64 framebuffer_mb);
gboolean vgpu_request_is_need(const VgpuRequest *req);
/* "8G", "1536M": a size as messages and NVIDIA's names write it. */
char *vgpu_request_format_mb(guint64 mb);

/* The profile ("A40-2Q"), else the type id ("nvidia-558"), else the need
 * ("a Q profile with at least 8G"), else the GPU ("MI300X"): how messages
 * name it. */
const char *vgpu_request_label(const VgpuRequest *req);

/* The one sentence for requests with no <hostdev>, shared by the mdev and
 * the whole-VF advice so that the hook and vgpuctl say it alike:
 * "add to <devices>: ELEMENTS[EXTRA] (or run: vgpuctl sync DOMAIN)". */
char *vgpu_request_advice_add(const char *elements, const char *extra, const char *domain);
/* "domain 'D' asks for N [whole-VF ]vGPU(s) with no matching <hostdev> in
 * its definition; ADD" */
char *vgpu_request_advice_missing(const char *domain, guint n, gboolean whole_vf,
                                  const char *add);

/* Name-based (SHA-1) UUID from the domain UUID and the device index:
 * stable for the life of the domain, distinct per index. */
char *vgpu_request_uuid_derive(const char *domain_uuid, guint index);
