/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keeper's work on domains: one sync per queued domain, a full pass
 * over all of them, and one log line per change. */
#include "keeper.h"
#include "domain-sync.h"
#include "vf-keep.h"
#include "vgpu-log.h"
#include "virt-util.h"

#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
keeper_status_save(Keeper *k)
{
    g_autoptr(GError) error = NULL;

    /* --once is a script's tool, not the keeper: a running keeper's
     * status stays its own. */
    if (k->once)
        return;
    if (keeper_status_write(k->state_dir, &k->status, &error) < 0)
        vgpu_log(LOG_WARNING, "cannot write the status file: %s", error->message);
}

void
keeper_queue(Keeper *k, virDomainPtr dom, const char *why)
{
    char uuid[VIR_UUID_STRING_BUFLEN];

    if (virDomainGetUUIDString(dom, uuid) < 0)
        return;
    g_hash_table_replace(k->pending, g_strdup(uuid), g_strdup(why));
    virEventUpdateTimeout(k->work_timer, 0);
}

/* @redefinitions definitions written; @what the last change. */
static void
note_change(Keeper *k, guint redefinitions, const char *what)
{
    k->status.redefinitions += redefinitions;
    g_free(k->status.last_change);
    k->status.last_change = keeper_status_now();
    g_free(k->status.last_change_what);
    k->status.last_change_what = g_strdup(what);
}

/* Bring one domain in line; log and count what changed. */
static void
sync_one(Keeper *k, virDomainPtr dom, const char *why)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *what = NULL, *list = NULL;
    DomainSyncResult res = { 0 };
    char duuid[VIR_UUID_STRING_BUFLEN] = "";

    if (virDomainGetUUIDString(dom, duuid) < 0)
        duuid[0] = 0;
    if (domain_sync(dom, k->sysfs_root, k->dry_run, &res, &error) < 0) {
        domain_sync_result_clear(&res);
        if (virt_error_is_gone(error))   /* undefined meanwhile: nothing to keep */
            return;
        vgpu_log_event(LOG_ERR, &(VgpuLogEvent){ .code = "sync-failed", .domain_uuid = duuid },
                       "%s (%s)", error->message, why);
        k->failures++;
        return;
    }
    if (res.outcome == DOMAIN_SYNC_CHANGED || res.outcome == DOMAIN_SYNC_WOULD_CHANGE) {
        guint count = res.added->len;
        g_autofree char *retried = res.attempts > 1 ?
            g_strdup_printf("; read %u times: the definition changed meanwhile", res.attempts) :
            NULL;

        g_autoptr(GPtrArray) uuids = g_ptr_array_new();

        /* Each entry ends with its request's UUID ("A40-2Q vGPU <uuid>"). */
        for (guint i = 0; i < count; i++)
            g_ptr_array_add(uuids, strrchr(res.added->pdata[i], ' ') + 1);
        g_ptr_array_add(uuids, NULL);
        g_ptr_array_add(res.added, NULL);
        list = g_strjoinv(", ", (char **)res.added->pdata);
        what = g_strdup_printf("domain '%s': %s <hostdev> for %s", res.name,
                               res.outcome == DOMAIN_SYNC_CHANGED ? "added" : "would add", list);
        /* Why: the metadata asks for vGPUs the definition has no <hostdev>
         * for; and what made the keeper look. */
        vgpu_log_event(LOG_NOTICE, &(VgpuLogEvent){
                           .code = res.outcome == DOMAIN_SYNC_CHANGED ? "hostdev-added"
                                                                      : "hostdev-would-add",
                           .domain = res.name, .domain_uuid = duuid,
                           .uuids = (const char *const *)uuids->pdata },
                       "%s: its vGPU metadata had no <hostdev> for %s (%s)%s%s", what,
                 count > 1 ? "them" : "it", why,
                 res.running ? "; running: applies at its next start" : "", retried ? retried : "");
        if (k->once)   /* a script's tool: its output too */
            printf("%s\n", what);
        if (res.outcome == DOMAIN_SYNC_CHANGED) {
            note_change(k, 1, what);
            keeper_status_save(k);
        }
    }
    /* Whole-VF requests are not one domain's business: the VF one names
     * depends on every other domain (keeper_vf_pass, after the batch). */
    domain_sync_result_clear(&res);
}

/* Events that come together make one pass, which cannot tell which of
 * them made a change: its log lines name them all (the first few). */
#define KEEPER_VF_REASONS 3

void
keeper_queue_vf(Keeper *k, const char *why)
{
    if (!k->vf_due) {
        k->vf_due = g_strdup(why);
        k->vf_due_events = 1;
    } else if (++k->vf_due_events <= KEEPER_VF_REASONS) {
        char *more = g_strdup_printf("%s; %s", k->vf_due, why);

        g_free(k->vf_due);
        k->vf_due = more;
    }
    virEventUpdateTimeout(k->work_timer, 0);
}

void
keeper_vf_pass(Keeper *k, const char *why)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) stuck = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    VfKeepResult res = { 0 };
    int rc;

    g_clear_pointer(&k->vf_due, g_free);
    if (!k->conn)
        return;   /* the full pass after reconnecting does it */
    rc = vf_keep_pass(k->conn, k->cfg, k->dry_run, &res, &error);
    if (res.host_read)
        k->vf_host = res.host_has_vfs;
    /* Log what was written even when a later step failed. */
    for (guint i = 0; res.moves && i < res.moves->len; i++) {
        const VfKeepMove *m = g_ptr_array_index(res.moves, i);
        g_autofree char *what = vf_keep_move_describe(m);

        vgpu_log_event(LOG_NOTICE, &(VgpuLogEvent){
                           .code = k->dry_run ? "vf-would-repoint" : "vf-repointed",
                           .domain = m->domain, .uuid = m->uuid, .vf = m->vf },
                       "%s%s (%s)%s", k->dry_run ? "would re-point: " : "", what, why,
                 res.attempts > 1 ? "; the pass started over: a definition changed meanwhile"
                                  : "");
        if (k->once)
            printf("%s%s\n", k->dry_run ? "would re-point: " : "", what);
        if (!k->dry_run)
            note_change(k, 0, what);
    }
    k->status.redefinitions += res.redefinitions;
    if (rc < 0) {
        vgpu_log(LOG_ERR, "%s (%s)", error->message, why);
        k->failures++;
    }
    /* Left as they are this pass; the next event or check tries again. */
    for (guint i = 0; res.failed && i < res.failed->len; i++) {
        vgpu_log(LOG_ERR, "%s; left as it is (%s)", (char *)g_ptr_array_index(res.failed, i),
                 why);
        k->failures++;
    }
    /* A request no VF can take is said once, not at every event. */
    for (guint i = 0; res.stuck && i < res.stuck->len; i++) {
        const VfKeepMove *m = g_ptr_array_index(res.stuck, i);
        char *line = vf_keep_move_describe(m);

        if (!k->stuck || !g_hash_table_contains(k->stuck, line))
            vgpu_log_event(LOG_WARNING, &(VgpuLogEvent){ .code = "vf-stuck", .domain = m->domain,
                                                         .uuid = m->uuid, .vf = m->old },
                           "%s (%s)", line, why);
        g_hash_table_add(stuck, line);
    }
    g_clear_pointer(&k->stuck, g_hash_table_unref);
    k->stuck = g_steal_pointer(&stuck);
    if (res.redefinitions)
        keeper_status_save(k);
    vf_keep_result_clear(&res);
}

void
keeper_run_queue(Keeper *k)
{
    g_autoptr(GHashTable) batch = NULL;
    GHashTableIter it;
    gpointer uuid, why;

    virEventUpdateTimeout(k->work_timer, -1);
    if (!k->conn)
        return;   /* a reconnection's full pass covers what is pending */
    batch = g_steal_pointer(&k->pending);
    k->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_iter_init(&it, batch);
    while (g_hash_table_iter_next(&it, &uuid, &why)) {
        virDomainPtr dom = virDomainLookupByUUIDString(k->conn, uuid);

        if (!dom) {
            if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN)   /* undefined meanwhile: fine */
                vgpu_log(LOG_ERR, "looking up domain %s: %s", (const char *)uuid,
                         virGetLastErrorMessage());
            continue;
        }
        /* Transient domains have no definition to keep; domain_sync
         * says why libvirt could not tell. */
        if (virDomainIsPersistent(dom) != 0)
            sync_one(k, dom, why);
        virDomainFree(dom);
    }
    /* A host without whole VFs (as the last full read of it said) has
     * nothing for the pass to keep: events do not make it read it again. */
    if (k->vf_due) {
        g_autofree char *vf_why = k->vf_due_events > KEEPER_VF_REASONS
            ? g_strdup_printf("%s; and %u more", k->vf_due,
                              k->vf_due_events - KEEPER_VF_REASONS)
            : g_strdup(k->vf_due);

        g_clear_pointer(&k->vf_due, g_free);
        if (k->vf_host)
            keeper_vf_pass(k, vf_why);
    }
    keeper_publish(k);
}

int
keeper_full_pass(Keeper *k, const char *why)
{
    virDomainPtr *doms = NULL;
    int n;

    if ((n = virConnectListAllDomains(k->conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT)) < 0) {
        vgpu_log(LOG_ERR, "full pass (%s): listing domains: %s", why, virGetLastErrorMessage());
        k->failures++;
        return -1;
    }
    /* The pass sees every domain: what was queued before it is covered. */
    g_hash_table_remove_all(k->pending);
    for (int i = 0; i < n; i++) {
        sync_one(k, doms[i], why);
        virDomainFree(doms[i]);
    }
    free(doms);
    keeper_vf_pass(k, why);
    /* After a (re)connection: what started or stopped meanwhile. */
    k->publish_due = TRUE;
    keeper_publish(k);
    k->status.passes++;
    g_free(k->status.last_pass);
    k->status.last_pass = keeper_status_now();
    keeper_status_save(k);
    return 0;
}
