/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Choosing a parent for one request. Pure: no I/O, works on a Host. */
#pragma once

#include <glib.h>
#include "host.h"
#include "vgpu-config.h"
#include "vgpu-request.h"

typedef struct {
    VgpuPlacement policy;        /* PACK or SPREAD; a request's own placement wins */
    char **allow;                /* PCI addresses (PF = all its VFs); NULL = all; borrowed */
    char **deny;                 /* PCI addresses; NULL = none; borrowed */
    /* NUMA nodes the domain runs on (guint, numa-map.h); NULL when it is
     * not bound. A request without its own numa prefers GPUs there, over
     * pack and spread; with numa_fallback FALSE it gets only those. */
    const GArray *domain_nodes;
    gboolean numa_fallback;
    /* Rank whole VFs (parents a hostdev names) too: to decide which kind
     * serves a request (vf-choice.c), never to make a device. */
    gboolean whole_vfs;
} PlacementRules;

/* The rules the config sets, borrowing its lists: the hook and vgpuctl
 * check place with the same ones. */
PlacementRules placement_rules_from_config(const VgpuConfig *cfg);

typedef struct {
    const HostParent *parent;
    const HostType *type;
} PlacementCandidate;

/* Ordered candidates for @req, best first. Parents that were refused get
 * one human reason each per physical GPU, naming the constraint that
 * excluded it, appended to @refusals (char*), e.g. "all 24 A40-2Q
 * instances in use on 0000:e8:00.0", "GPU 0000:67:00.0 holds A40-4Q
 * vGPUs", "0000:e8:00.0 is denied by config"; the GPUs a request's parent
 * leaves out share one ("0000:67:00.0 is not the requested parent ...").
 * Returns an array of PlacementCandidate* (possibly empty), never NULL. */
GPtrArray *placement_choose(const Host *host, const VgpuRequest *req,
                            const PlacementRules *rules, GPtrArray *refusals);

/* TRUE when @parent is off the domain's nodes that @rules prefer for @req:
 * placed there, the hook says so in its log. */
gboolean placement_is_remote(const HostParent *parent, const VgpuRequest *req,
                             const PlacementRules *rules);
/* Why no GPU on the domain's nodes took @req when placement_choose ranked
 * @chosen (off them) first: what excluded each GPU there, in the words of
 * the refusals ("0000:67:00.0 is not the requested parent 0000:e8:00.0",
 * "GPU 0000:e8:00.0 holds A40-2Q vGPUs"), or "no GPU there offers ...".
 * Not "no room" when a rule was the cause. For the hook's log line and
 * vgpuctl check's note. */
char *placement_remote_reason(const Host *host, const VgpuRequest *req,
                              const PlacementRules *rules, const PlacementCandidate *chosen);
/* Why the rules refuse @parent for @req (the request's parent and numa,
 * the config's allow and deny), in the words placement_choose uses; NULL
 * when they do not. For a whole VF, which the domain's hostdev names. */
char *placement_parent_refusal(const HostParent *parent, const VgpuRequest *req,
                               const PlacementRules *rules);

/* One sentence why nothing fits, built from @refusals (or "no such profile
 * on this host" when no parent offers it). */
char *placement_explain(const Host *host, const VgpuRequest *req, GPtrArray *refusals);
