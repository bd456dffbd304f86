/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpu-keeper's whole-VF invariant: a whole-VF hostdev names a fixed PCI
 * address that no hook may change at a normal start, so the choice is made
 * while a domain is stopped and must be kept true as other domains start
 * and stop. After a pass:
 *
 *   - every stopped domain's whole-VF request has a PCI hostdev (alias
 *     ua-vgpu-<uuid>) naming a VF that could take it now: no running
 *     domain holds it (its ledger, or any <hostdev type='pci'> of its live
 *     XML, hand-written ones too), no type was set on it behind our back,
 *     its GPU can still take the request's size, and the rules allow it;
 *   - no two stopped domains name the same VF while a free one is left.
 *
 * It re-points only what breaks that, choosing as the hook and vgpuctl
 * sync do (vf_choice_find: pack/spread, allow/deny, parent, numa). Stopped
 * domains are taken in UUID order and a VF already named keeps its domain,
 * so a pass over a settled host changes nothing (no redefinition); the
 * requests left without a VF are given one the most constrained first
 * (the fewest VFs could take it), UUID order on a tie. Never
 * touched: running domains (their live XML nor their definition), domains
 * without vGPU metadata, hostdevs without our alias. Each change is one
 * compare-before-write redefinition of one domain; a definition that
 * changed since it was read starts the pass over (bounded); a libvirt
 * failure does not (it is said, and the domain left alone). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include "vgpu-config.h"

#define VF_KEEP_ATTEMPTS 5

/* One whole-VF request pointed at a VF, or that no VF can take now. */
typedef struct {
    char *domain;            /* its domain's name */
    char *uuid;              /* the request's */
    char *label;             /* "MI300X", "A40-2Q" */
    char *vf;                /* the VF it now names; NULL: none can take it */
    char *old;               /* the VF it named before; NULL: none */
    char *why;               /* why the old one did not do: "VF ... is held by ..." */
    char *unknown;           /* none: no VF here is what it names, not a lack of room
                                (vf_choice_gpu_unknown); NULL otherwise */
} VfKeepMove;

typedef struct {
    gboolean host_read;      /* the host was read (whole): @host_has_vfs says something */
    gboolean host_has_vfs;   /* the host offers whole VFs at all */
    guint redefinitions;     /* definitions written */
    guint attempts;          /* passes made (more than 1: a definition changed meanwhile) */
    GPtrArray *moves;        /* VfKeepMove*: written (or, dry run, that would be) */
    GPtrArray *stuck;        /* VfKeepMove* with no vf: requests no VF can take now */
    GPtrArray *whole_vf;     /* char*: vf_keep_domain's requests a whole VF serves */
    GPtrArray *failed;       /* char*: domains libvirt failed to re-point, in its words */
} VfKeepResult;

void vf_keep_result_clear(VfKeepResult *res);
/* "domain 'a': vGPU U (MI300X) now uses VF X, not Y: why" / "...: no VF
 * on this host can take it now (why); it stays on Y" / "...: unknown; it
 * stays on Y". */
char *vf_keep_move_describe(const VfKeepMove *m);

/* One pass over every domain of @conn, this host's sysfs and ledgers as
 * @cfg says. @dry_run: change nothing, list what would change. -1 with
 * @error, nothing re-pointed, when the host scan, the ledgers or any
 * domain cannot be read (a domain undefined meanwhile is no error): a
 * decision made without what a running domain holds could point a
 * stopped one at it. A domain libvirt fails to look up, read again or
 * define is left as it is and said in res->failed (libvirt's message);
 * the others are written, but none at a VF it still names (said in
 * res->failed too). A definition that changed since it was read
 * starts the pass over, VF_KEEP_ATTEMPTS times at most. */
int vf_keep_pass(virConnectPtr conn, const VgpuConfig *cfg, gboolean dry_run,
                 VfKeepResult *res, GError **error);

/* The same for the one domain @uuid (vgpuctl sync, attach), running or
 * not, and of its requests only those whose UUID is in @requests (char*;
 * NULL: all): the VF each names is kept when it can take it (before any
 * other stopped domain's claim), else another is chosen as above, never
 * one the pass would give first to a more constrained request waiting
 * elsewhere (so syncing one domain at a time ends where the pass does);
 * other domains and requests are never changed. All or nothing: when one of
 * them has no VF that can take it, -1 with @error naming it ("no free VF
 * on this host fits it", or why none here ever can) and nothing is
 * written. */
int vf_keep_domain(virConnectPtr conn, const VgpuConfig *cfg, const char *uuid,
                   GHashTable *requests, VfKeepResult *res, GError **error);

/* Test builds: virt_test_point() steps "vfkeep-host-read" (ledgers and
 * the host read, no domain yet), "vfkeep-domains-listed" (the domains
 * listed, none read yet), "vfkeep-before-compare" (the new
 * text built, the definition not read again), "vfkeep-before-define"
 * (compared, not written) and "vfkeep-after-define"; libvirt made to fail
 * (virt_test_fault_flag) at "vfkeep-read-live" (a running domain's live
 * XML) and "vfkeep-compare-read" (the definition read again to compare). */
