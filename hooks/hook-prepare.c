/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* prepare begin: make every device the domain asks for exist, all or
 * nothing: mdevs here, whole VFs in hook-prepare-vf.c. */
#include "hook-prepare.h"
#include "host-lock.h"
#include "host-scan.h"
#include "ledger.h"
#include "numa-map.h"
#include "placement.h"
#include "vgpu-cpuset.h"
#include "vgpu-error.h"
#include "vgpu-log.h"

#include <errno.h>

static void
made_free(gpointer data)
{
    Made *m = data;

    g_free(m->uuid);
    g_free(m->id);
    g_free(m);
}

static int
check_hostdevs(const VgpuDomain *dom, GError **error)
{
    guint count = 0;
    g_autofree char *advice = xml_domain_hostdev_advice(dom, NULL, &count);
    g_autofree char *msg = NULL;

    if (count == 0)
        return 0;
    msg = vgpu_request_advice_missing(dom->name, count, FALSE, advice);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s", msg);
    return -1;
}

int
prepare_record(Prepare *p, const DeviceKind *kind, const char *uuid, const char *parent,
               const char *type, LedgerState state, GError **error)
{
    ledger_set(p->ledger, uuid, parent, type, state);
    /* mdev stays unnamed, as in ledgers written before other kinds. */
    ledger_set_kind(p->ledger, uuid, kind->ledger_name);
    return ledger_save(p->cfg->state_dir, p->ledger, error);
}

void
prepare_made(Prepare *p, const DeviceKind *kind, const char *uuid, const char *id)
{
    Made *m = g_new0(Made, 1);

    m->uuid = g_strdup(uuid);
    m->id = g_strdup(id);
    m->kind = kind;
    g_ptr_array_add(p->made, m);
}

typedef enum { PLACE_OK, PLACE_FAILED, PLACE_STALE } PlaceResult;

/* Placed off the domain's NUMA nodes: worth a line, as it costs the VM
 * bandwidth, and the administrator can make it a refusal. It says what
 * kept each GPU there out: no room, or a rule such as the request's
 * parent. */
static void
log_remote(const Prepare *p, const Host *host, const VgpuRequest *req,
           const PlacementRules *rules, const PlacementCandidate *c)
{
    g_autofree char *nodes = NULL, *why = NULL;

    if (!placement_is_remote(c->parent, req, rules))
        return;
    nodes = vgpu_cpuset_format(rules->domain_nodes);
    why = placement_remote_reason(host, req, rules, c);
    vgpu_log(LOG_WARNING, "domain '%s': vGPU device %u: placed on %s, NUMA node %d, not on "
             "node(s) %s where the domain runs: %s (numa_fallback=false refuses instead)",
             p->dom->name, req->index, c->parent->addr, c->parent->numa_node, nodes, why);
}

/* Try the candidates in order. The host was scanned before the lock, so
 * each is checked afresh under it: VMs starting together all rank the same
 * parents first, and walking on past the ones taken meanwhile costs one
 * read each, far less than scanning the host again. At most
 * create_attempts creates are tried, because the driver can refuse what
 * available_instances promised. */
static PlaceResult
create_on_candidates(Prepare *p, Host *host, const VgpuRequest *req, const PlacementRules *rules,
                     GPtrArray *cands, GPtrArray *refusals, GError **error)
{
    g_autoptr(GError) read_error = NULL;
    guint tried = 0;

    for (guint i = 0; i < cands->len && tried < p->cfg->create_attempts; i++) {
        const PlacementCandidate *c = cands->pdata[i];
        const DeviceKind *kind = c->parent->kind;
        g_autoptr(GError) err = NULL;
        int avail = kind->available(p->cfg->sysfs_root, c->parent->addr, c->type->id, &err);

        if (avail < 0 && !g_error_matches(err, VGPU_SYSFS_ERROR, ENOENT)) {
            /* Not "taken meanwhile" but a failure: kept, so that it, not
             * "no GPU can take", is what the user reads. */
            g_ptr_array_add(refusals, g_strdup(err->message));
            if (!read_error)
                read_error = g_steal_pointer(&err);
            continue;
        }
        if (avail < 1)
            continue;
        tried++;
        if (prepare_record(p, kind, req->uuid, c->parent->addr, c->type->id, LEDGER_INTENT,
                           error) < 0)
            return PLACE_FAILED;
        HOOK_TEST_POINT("prepare-intent");
        if (kind->make(p->cfg->sysfs_root, c->parent->addr, c->type->id, req->uuid,
                       p->cfg->create_timeout_ms, &err) == 0) {
            /* Ours from this moment: rollback must see it even if the
             * ledger commit below fails (a full state dir). */
            prepare_made(p, kind, req->uuid, req->uuid);
            HOOK_TEST_POINT("prepare-created");
            if (prepare_record(p, kind, req->uuid, c->parent->addr, c->type->id, LEDGER_CREATED,
                               error) < 0)
                return PLACE_FAILED;
            vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "created", .uuid = req->uuid,
                                                      .type = c->type->id,
                                                      .parent = c->parent->addr },
                           "domain '%s': created %s (%s, %s) on %s%s%s", p->dom->name, req->uuid, c->type->name, c->type->id, c->parent->addr,
                     req->label ? ", chosen for " : "", req->label ? req->label : "");
            /* On the host as placement saw it: before the note. */
            log_remote(p, host, req, rules, c);
            kind->note_made(host, req->uuid, c->parent->addr, c->type->id);
            return PLACE_OK;
        }
        vgpu_log_event(LOG_WARNING, &(VgpuLogEvent){ .code = "create-failed", .uuid = req->uuid,
                                                     .type = c->type->id,
                                                     .parent = c->parent->addr },
                       "domain '%s': %s", p->dom->name, err->message);
        /* The kernel may still be creating the device under this UUID
         * (no answer in time, or an answer but no device yet): another
         * parent would only get EEXIST, and the intent stays so that the
         * release libvirt runs next removes it if it appears. */
        if (err->domain == VGPU_SYSFS_ERROR && err->code == ETIMEDOUT) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_TIMEOUT,
                        "domain '%s': vGPU device %u: the driver did not answer a create on %s "
                        "within %u ms", p->dom->name, req->index, c->parent->addr,
                        p->cfg->create_timeout_ms);
            return PLACE_FAILED;
        }
        if (g_error_matches(err, VGPU_ERROR, VGPU_ERROR_PENDING)) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_PENDING,
                        "domain '%s': vGPU device %u: the driver accepted a create of %s on %s "
                        "but the device did not appear (kept in the ledger: the release that "
                        "follows removes it if it shows up late)", p->dom->name, req->index,
                        req->uuid, c->parent->addr);
            return PLACE_FAILED;
        }
        ledger_drop(p->ledger, req->uuid);
        if (ledger_save(p->cfg->state_dir, p->ledger, error) < 0)
            return PLACE_FAILED;
        if (err->domain == VGPU_SYSFS_ERROR && err->code == EEXIST) {
            /* Someone outside our lock created this UUID meanwhile: it is
             * theirs, not ours, and we will not make a second one. */
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "domain '%s': vGPU device %u: mdev %s was created by someone else "
                        "while vgpu-hook was placing it", p->dom->name, req->index, req->uuid);
            return PLACE_FAILED;
        }
        g_ptr_array_add(refusals, g_strdup_printf("creating it on %s failed: %s",
                                                  c->parent->addr, g_strerror(err->code)));
    }
    if (tried == 0 && read_error) {
        g_propagate_prefixed_error(error, g_steal_pointer(&read_error),
                                   "domain '%s': vGPU device %u: ", p->dom->name, req->index);
        return PLACE_FAILED;
    }
    /* Never refuse on the view scanned before the lock: a release may
     * have freed room since. */
    if (tried == 0 && !p->fresh)
        return PLACE_STALE;

    g_autofree char *why = placement_explain(host, req, refusals);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY,
                "domain '%s': vGPU device %u: %s", p->dom->name, req->index, why);
    return PLACE_FAILED;
}

/* A device with the request's UUID may exist now (looked up under the
 * lock): reuse it if its type fits. *reused says whether one was there. */
static int
reuse_existing(Prepare *p, const Host *host, const VgpuRequest *req, gboolean *reused,
               GError **error)
{
    g_autofree char *parent = NULL, *type = NULL;
    g_autoptr(GError) err = NULL;
    const DeviceKind *kind = NULL;
    *reused = FALSE;
    if (device_kind_lookup(p->cfg->sysfs_root, req->uuid, &kind, &parent, &type, &err) < 0) {
        if (g_error_matches(err, VGPU_ERROR, VGPU_ERROR_NOT_FOUND))
            return 0;
        g_propagate_error(error, g_steal_pointer(&err));
        return -1;
    }
    HostDevice m = { .uuid = req->uuid, .parent = parent, .type = type };
    if (!host_device_fits(host, &m, req)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s': vGPU device %u: mdev %s already exists as type %s on %s, "
                    "which is not %s", p->dom->name, req->index, req->uuid, type, parent,
                    vgpu_request_label(req));
        return -1;
    }
    /* Reused as is; it stays in the ledger only if an earlier prepare of
     * this domain created it. One killed between create and commit left
     * an intent for exactly this device: commit it now. */
    LedgerDevice *d = ledger_find(p->ledger, req->uuid);

    if (d && (g_strcmp0(d->parent, parent) || g_strcmp0(d->type, type))) {
        /* UUIDs are unique host-wide: our create never happened there. */
        ledger_drop(p->ledger, req->uuid);
        d = NULL;
        if (ledger_save(p->cfg->state_dir, p->ledger, error) < 0)
            return -1;
    } else if (d && d->state == LEDGER_INTENT &&
               prepare_record(p, kind, req->uuid, parent, type, LEDGER_CREATED,
                              error) < 0) {
        return -1;
    }
    vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "reused", .uuid = req->uuid, .type = type,
                                              .parent = parent },
                   "domain '%s': using existing mdev %s (%s on %s)%s", p->dom->name, req->uuid, type, parent, d ? ", created by vgpu-hook" : ", not ours");
    *reused = TRUE;
    return 0;
}

static PlaceResult
place_one(Prepare *p, Host *host, const VgpuRequest *req, GError **error)
{
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) cands = placement_choose(host, req, &p->ctx->rules, refusals);

    return create_on_candidates(p, host, req, &p->ctx->rules, cands, refusals, error);
}

/* The request's device is marked "removing" by vgpuctl gc. Checked
 * before sysfs: a device being removed may have left the bus already, and
 * neither reusing nor re-creating it is safe while a gc removes it. A mark
 * no running gc stands behind was left by one that died: the domain takes
 * its device back as its own, and the usual checks follow (still there and
 * fitting: reused; gone: made again; another device now: not ours). No
 * remove is written here: it would run under the host lock, and on NVIDIA
 * drivers that remove their own devices a remove written first can break
 * the GPU (release and gc wait for them; a start must not). */
static int
prepare_removing_mark(Prepare *p, const VgpuRequest *req, GError **error)
{
    LedgerDevice *mark = ledger_find(p->ledger, req->uuid);
    const char *what;
    int running;

    if (!mark || mark->state != LEDGER_REMOVING)
        return 0;
    what = device_kind_device_id(device_kind_of(mark), mark->uuid, mark->parent);
    if ((running = host_lock_gc_running(p->cfg->state_dir, error)) < 0) {
        g_prefix_error(error, "domain '%s': vGPU device %u: ", p->dom->name, req->index);
        return -1;
    }
    if (running) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s': vGPU device %u: %s %s is being removed by 'vgpuctl gc' "
                    "(the domain was not running when it looked); start the domain again "
                    "once that is done", p->dom->name, req->index, mark->kind ? mark->kind :
                    "mdev", what);
        return -1;
    }
    vgpu_log(LOG_INFO, "domain '%s': %s (%s on %s) was marked removing by a 'vgpuctl gc' that "
             "did not finish; taking it back", p->dom->name, req->uuid, mark->type,
             mark->parent);
    mark->state = LEDGER_CREATED;
    return ledger_save(p->cfg->state_dir, p->ledger, error);
}

/* Scan again, under the lock: the next choice and any refusal are exact. */
static int
prepare_rescan(Prepare *p, Host **host, GError **error)
{
    g_clear_pointer(host, host_free);
    if (!(*host = host_scan(p->cfg->sysfs_root, p->dom->requests, error)))
        return -1;
    p->fresh = TRUE;    /* so place_one cannot answer PLACE_STALE again */
    return 0;
}

static int
prepare_one(Prepare *p, Host **host, const VgpuRequest *req, GError **error)
{
    gboolean reused;
    PlaceResult r;

    if (prepare_removing_mark(p, req, error) < 0)
        return -1;
    if (req->vf)
        return prepare_vf(p, *host, req, error);
    if (reuse_existing(p, *host, req, &reused, error) < 0)
        return -1;
    if (reused)
        return 0;
    if ((r = place_one(p, *host, req, error)) == PLACE_STALE) {
        /* Nothing fitted in the view scanned before the lock: look again,
         * now under it, so the choice and any refusal are exact. */
        vgpu_log(LOG_INFO, "domain '%s': no fit in the view scanned before the lock; "
                 "rescanning under it", p->dom->name);
        if (prepare_rescan(p, host, error) < 0)
            return -1;
        r = place_one(p, *host, req, error);
    }
    return r == PLACE_OK ? 0 : -1;
}

static void
rollback(Prepare *p)
{
    for (guint i = 0; i < p->made->len; i++) {
        const Made *m = p->made->pdata[i];
        const char *uuid = m->uuid;
        g_autoptr(GError) err = NULL;

        if (m->kind->unmake(p->cfg->sysfs_root, m->id, p->cfg->remove_retries,
                            p->cfg->remove_retry_delay_ms, p->cfg->remove_timeout_ms, &err) < 0) {
            /* Left in the ledger: the release libvirt runs next retries it. */
            vgpu_log_event(LOG_ERR, &(VgpuLogEvent){ .code = "rollback-failed", .uuid = uuid },
                           "domain '%s': rollback: %s", p->dom->name, err->message);
            continue;
        }
        vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "rolled-back", .uuid = uuid },
                       "domain '%s': rolled back %s", p->dom->name, uuid);
        ledger_drop(p->ledger, uuid);
    }
    g_autoptr(GError) err = NULL;
    if (ledger_save(p->cfg->state_dir, p->ledger, &err) < 0)
        vgpu_log(LOG_ERR, "domain '%s': rollback: %s", p->dom->name, err->message);
}

/* A cloned definition names the same explicit mdev UUID as another domain:
 * reusing the device would share one vGPU between two VMs, and creating
 * it anew (the first one's went) would let either release remove the
 * other's. Refused while another ledger records it; under the lock, so a
 * prepare of the other domain cannot slip in between. */
static int
check_clones(Prepare *p, GError **error)
{
    GPtrArray *all = p->ledgers;

    for (guint i = 0; i < p->dom->requests->len; i++) {
        const VgpuRequest *req = p->dom->requests->pdata[i];
        const Ledger *owner = ledger_other_owner(all, p->dom->uuid, req->uuid);
        g_autofree char *why = NULL;

        if (!owner)
            continue;
        why = ledger_clone_refusal(owner, req->uuid);
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "domain '%s': vGPU device %u: %s",
                    p->dom->name, req->index, why);
        return -1;
    }
    return 0;
}

static int
prepare_locked(Prepare *p, Host **host, GError **error)
{
    if (!(p->ledger = ledger_load(p->cfg->state_dir, p->dom->uuid, p->dom->name, error)))
        return -1;
    if (!(p->ledgers = ledger_load_all(p->cfg->state_dir, NULL, error)) ||
        check_clones(p, error) < 0)
        return -1;
    p->ctx->vf.ledgers = p->ledgers;
    for (guint i = 0; i < p->dom->requests->len; i++) {
        if (prepare_one(p, host, p->dom->requests->pdata[i], error) < 0)
            return -1;
    }
    HOOK_TEST_POINT("prepare-done");
    return 0;
}

int
hook_prepare(const VgpuConfig *cfg, const VgpuDomain *dom, GError **error)
{
    g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func(made_free);
    g_autoptr(Host) host = NULL;
    g_autoptr(GArray) nodes = NULL;
    g_auto(VfContext) ctx = { 0 };
    Prepare p = { .cfg = cfg, .dom = dom, .made = made, .ctx = &ctx };
    int lock, rc;

    if (!dom->uuid) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s' has no <uuid> in its XML", dom->name);
        return -1;
    }
    /* The scan is most of a prepare's cost and needs no lock: what it saw
     * is checked afresh, candidate by candidate, under the lock. */
    if (!(host = host_scan(cfg->sysfs_root, dom->requests, error)))
        return -1;
    if (numa_domain_nodes(cfg->sysfs_root, dom->mem_nodes, dom->cpus, &nodes, error) < 0)
        return -1;
    p.nodes = nodes;
    vf_context_init(&ctx, cfg, nodes, NULL, dom->uuid);
    /* Whole-VF requests first: their advice names a VF, the mdev one a UUID. */
    if (prepare_vf_advice(&p, host, error) < 0 || check_hostdevs(dom, error) < 0)
        return -1;
    if ((lock = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms, error)) < 0)
        return -1;
    HOOK_TEST_POINT("prepare-locked");

    if ((rc = prepare_locked(&p, &host, error)) < 0 && p.ledger)
        rollback(&p);
    g_clear_pointer(&p.ledger, ledger_free);
    g_clear_pointer(&p.ledgers, g_ptr_array_unref);
    host_lock_release(lock);
    return rc;
}
