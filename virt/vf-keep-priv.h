/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by vf-keep.c (the decision, the write) and vf-keep-read.c (what
 * the pass reads: domains, the host). */
#pragma once

#include "vf-keep.h"
#include "domain-xml.h"
#include "host-scan.h"
#include "ledger.h"
#include "pci-name.h"
#include "placement.h"
#include "vf-choice.h"

/* A stopped persistent domain with vGPU metadata, as read. */
typedef struct {
    char *uuid;
    char *name;
    char *xml;               /* its definition: the write compares against it */
    VgpuDomain *vd;
    gboolean running;        /* vgpuctl sync of a running domain: its next start */
    GArray *nodes;           /* its NUMA nodes (numa-map.h); NULL: it does not say */
    PlacementRules rules;    /* the config's, with its nodes, as the hook weighs them */
    GHashTable *points;      /* request uuid -> XmlVfPoint*: the change to write */
    GPtrArray *moves;        /* VfKeepMove*: what changes and why, one per request */
} KeepDomain;

/* A request whose VF must be chosen (again). */
typedef struct {
    KeepDomain *kd;
    const VgpuRequest *req;
    char *why;               /* why its VF does not do */
    gboolean reserve;        /* vf_keep_domain: not one to change; a VF it would get is
                                kept from the others, nothing is written for it */
} Pending;

typedef struct {
    const VgpuConfig *cfg;
    const char *only;        /* vf_keep_domain: the one domain to change */
    GHashTable *only_reqs;   /* and of its requests these UUIDs (NULL: all) */
    Host *host;              /* running domains' VFs and the ones stopped domains keep */
    Host *host_run;          /* running domains' VFs only; read when needed */
    GPtrArray *ledgers;
    VfContext ctx;           /* the config's rules (no nodes: each domain adds its own) */
    GHashTable *held;        /* VF -> who holds it: "running domain 'a'" */
    GHashTable *claimed;     /* VF -> the stopped domain that keeps it */
    GHashTable *hand;        /* VF -> a stopped domain naming it in a hostdev not ours */
    GPtrArray *doms;         /* KeepDomain*, by UUID */
    GPtrArray *pending;      /* Pending* */
} KeepPass;

void vf_keep_domain_free(KeepDomain *kd);
VfKeepMove *vf_keep_move_new(const KeepDomain *kd, const VgpuRequest *req, const char *vf,
                             const char *why);
void vf_keep_move_free(VfKeepMove *m);

/* Every domain of @conn into @kp: running ones' PCI hostdevs into held,
 * stopped persistent ones with vGPU metadata into doms (by UUID, kp->only
 * first), hand-written PCI hostdevs of stopped ones into hand. */
int vf_keep_read_domains(KeepPass *kp, virConnectPtr conn, GError **error);
/* Does a whole VF serve @req of @vd here (one its hostdev names does,
 * else vf_choice_serves with @c's rules; an mdev hostdev it has stays
 * while an mdev fits)? */
gboolean vf_keep_serves(const VfChoice *c, const Host *host, const VgpuDomain *vd,
                        const VgpuRequest *req);
/* A device on VF @addr, so that no choice takes it. */
void vf_keep_note_used(Host *host, const char *addr);
/* What running domains hold (ledgers, live hostdevs), marked used on @host. */
void vf_keep_note_held(KeepPass *kp, Host *host);
/* The whole host with what running domains hold marked used. */
Host *vf_keep_scan(KeepPass *kp, GError **error);
/* A request vf_keep_domain is asked about (@only_reqs NULL: all). */
#define VF_KEEP_ASKED(only_reqs, uuid) (!(only_reqs) || g_hash_table_contains((only_reqs), (uuid)))
/* Does a whole VF serve any request of domain @only here? Cheap: the host
 * is read for its typed requests' types only. *failed with @error. */
gboolean vf_keep_only_wants_vf(virConnectPtr conn, const VgpuConfig *cfg, const char *only,
                               GHashTable *only_reqs, GError **error, gboolean *failed);
/* A host without whole VFs: @only's gpu= requests into res->stuck. */
void vf_keep_no_vfs(virConnectPtr conn, const char *only, GHashTable *only_reqs,
                    VfKeepResult *res);
