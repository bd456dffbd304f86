/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a libvirt domain XML for vgpu-hook, and the <hostdev> rewrites
 * vgpuctl, the keeper and migrate begin make (hostdev-rewrite.c).
 * libxml2 with network access and entity expansion off, and a size limit,
 * because less trusted users write these documents. */
#pragma once

#include <glib.h>
#include "vgpu-request.h"

#define VGPU_XML_MAX_BYTES (4 * 1024 * 1024)

typedef struct {
    char *name;
    char *uuid;                /* canonical lowercase */
    GPtrArray *requests;       /* VgpuRequest*, in document order */
    GPtrArray *mdev_hostdevs;  /* char* canonical UUIDs of <hostdev type='mdev'> */
    /* char* "0000:e8:00.4": the source of every <hostdev type='pci'>, ours
     * and hand-written (those with an unreadable address left out): the
     * VFs a running domain holds, whoever wrote its hostdevs. */
    GPtrArray *pci_addrs;
    /* Where the domain runs, for NUMA locality (guint each; NULL when the
     * XML does not say): <numatune><memory nodeset>, and the CPUs of
     * <vcpu cpuset> and every <cputune><vcpupin cpuset>. */
    GArray *mem_nodes;
    GArray *cpus;
} VgpuDomain;

void xml_domain_free(VgpuDomain *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgpuDomain, xml_domain_free)

/* Parse and validate. NULL + @error (one line naming the field) on any
 * problem: malformed XML, over size, a root other than <domain>, and, in a
 * domain that asks for a vGPU (an element of namespace urn:vgpu-hook:1
 * under <metadata>), a DOCTYPE or entity reference, a bad name or UUID, an
 * unknown element of ours, bad or duplicate request UUIDs, unknown
 * placement, a type/profile/parent that could reach a path. A domain that
 * asks for nothing comes back with no requests and what of its name, UUID
 * and hostdevs reads well (name and uuid may then be NULL): the hook must
 * never stop a domain it has nothing to do for. */
VgpuDomain *xml_domain_parse(const char *buf, gsize len, GError **error);

/* The sources of every <hostdev type='pci'> of @buf (char*
 * "0000:e8:00.4"), whatever its vGPU metadata says: what a running domain
 * holds even when that metadata is one the parser refuses. */
GPtrArray *xml_domain_pci_addrs(const char *buf, gsize len, GError **error);

/* TRUE when @req's UUID has a <hostdev type='mdev'> in @dom. */
gboolean xml_domain_request_has_hostdev(const VgpuDomain *dom, const VgpuRequest *req);

/* What to do about the requests (only @only when not NULL) that have no
 * <hostdev>: "add to <devices>: <hostdev …/> … (or run: vgpuctl sync
 * NAME)". NULL when none lacks one; *count (when given) is how many do.
 * The hook and vgpuctl check give the same advice. */
char *xml_domain_hostdev_advice(const VgpuDomain *dom, const VgpuRequest *only, guint *count);

/* The exact element to add for @uuid, on one line. */
char *xml_hostdev_element(const char *uuid);
/* The PCI hostdev of a whole-VF request: VF @addr ("0000:e8:00.4") tied
 * to request @uuid by alias ua-vgpu-<uuid>, on one line. managed='no' for
 * NVIDIA vendor-specific VFs (their driver is their VFIO provider), 'yes'
 * for plain VFs (libvirt binds vfio-pci). */
char *xml_vf_hostdev_element(const char *uuid, const char *addr, gboolean managed);

/* A copy of @buf with the PCI hostdev of each request UUID in @moves
 * (uuid -> VF "0000:e8:00.5") pointed at that VF; nothing else changes
 * (the alias stays). For migrate begin and restore begin. */
char *xml_domain_repoint_vfs(const char *buf, gsize len, GHashTable *moves, GError **error);

/* Where one whole-VF request's hostdev should point. */
typedef struct {
    char *addr;                /* the VF, "0000:e8:00.5" */
    gboolean managed;          /* managed='yes' (plain VFs) or 'no' (NVIDIA) */
} XmlVfPoint;
void xml_vf_point_free(XmlVfPoint *point);

/* A copy of the definition @buf in which the request of each UUID in
 * @points (uuid -> XmlVfPoint*) has its PCI hostdev (alias ua-vgpu-<uuid>)
 * pointed at that VF: the address and managed= of the one it has, else a
 * new one laid out like its siblings, replacing an mdev hostdev for that
 * UUID (which could not serve it). Nothing else changes. */
char *xml_domain_point_vfs(const char *buf, gsize len, GHashTable *points, GError **error);

/* Return a copy of the definition @buf with a <hostdev type='mdev'> added
 * under <devices> for every request that lacks one (and, for requests
 * whose UUID was derived, nothing else changes: the derivation is stable).
 * *added is the number inserted. */
char *xml_domain_add_hostdevs(const char *buf, gsize len, guint *added, GError **error);
/* The same, but never for the requests whose UUID is in @whole_vf (may be
 * NULL): a whole VF serves them, chosen on the host by vgpuctl sync. */
char *xml_domain_add_hostdevs_except(const char *buf, gsize len, GHashTable *whole_vf,
                                     guint *added, GError **error);
