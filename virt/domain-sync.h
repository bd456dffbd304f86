/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bringing one domain's persistent definition in line with its vGPU
 * metadata: add the <hostdev> each request lacks. Shared by `vgpuctl sync`
 * and vgpu-keeper, so that both make exactly the same change.
 *
 * The write is read, modify, compare, define: the definition is read,
 * the hostdevs are added to that text, the definition is read again and
 * defined only when it is still byte for byte the one read; otherwise the
 * whole step starts over (a bounded number of times). One define, so the
 * change is all or nothing and raises one DEFINED event. Only the
 * persistent definition is written (never a running domain's live XML),
 * nothing is removed, and a definition already in order is never written:
 * the caller's event loop cannot spin on its own DEFINED events. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#define DOMAIN_SYNC_ATTEMPTS 5

typedef enum {
    DOMAIN_SYNC_NOT_OURS = 0,   /* no vGPU metadata: untouched */
    DOMAIN_SYNC_IN_ORDER,       /* every request has its <hostdev>: untouched */
    DOMAIN_SYNC_WOULD_CHANGE,   /* dry run: @added lists what a real run adds */
    DOMAIN_SYNC_CHANGED,        /* redefined with the @added hostdevs */
} DomainSyncOutcome;

typedef struct {
    DomainSyncOutcome outcome;
    char *name;                 /* the domain's name */
    guint requests;             /* vGPU requests in its metadata */
    GPtrArray *added;           /* char*: "A40-2Q vGPU <uuid>", one per hostdev */
    gboolean running;           /* the change applies at its next start */
    guint attempts;             /* reads compared (1 when nothing raced) */
} DomainSyncResult;

void domain_sync_result_clear(DomainSyncResult *res);

/* Sync the persistent domain @dom (its own connection). @sysfs_root: this
 * host's, scanned (only when a request lacks its hostdev) so that requests
 * a whole VF serves here get no mdev hostdev; NULL when libvirt is remote:
 * only gpu= ones are known then. @dry_run: read
 * only. -1 with @error (one line naming the domain) when libvirt fails,
 * the metadata is invalid, the domain is transient, or the definition
 * changed under us on every one of DOMAIN_SYNC_ATTEMPTS attempts. */
int domain_sync(virDomainPtr dom, const char *sysfs_root, gboolean dry_run, DomainSyncResult *res, GError **error);

/* Test builds (TESTHOOKS=1) stop the process with SIGKILL at the step
 * VGPU_TEST_STOP_AT names, with SIGSTOP at the one VGPU_TEST_PAUSE_AT
 * names: "sync-before-compare" (the new text built, the second read not
 * made), "sync-before-define" (compared, not written), "sync-after-define". */
