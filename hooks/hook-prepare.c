/* prepare begin: make every mdev the domain asks for exist, all or nothing. */
#include "hook.h"
#include "host.h"
#include "host-lock.h"
#include "ledger.h"
#include "mdev.h"
#include "placement.h"
#include "vgpu-error.h"
#include "vgpu-log.h"

#include <errno.h>

typedef struct {
    const VgpuConfig *cfg;
    const VgpuDomain *dom;
    Ledger *ledger;
    GPtrArray *created;      /* char* uuids this call created, for rollback */
} Prepare;

static int
check_hostdevs(const VgpuDomain *dom, GError **error)
{
    g_autoptr(GString) missing = g_string_new(NULL);
    guint count = 0;

    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *req = dom->requests->pdata[i];
        g_autofree char *elem = NULL;

        if (xml_domain_request_has_hostdev(dom, req))
            continue;
        elem = xml_hostdev_element(req->uuid);
        g_string_append_printf(missing, "%s%s", count++ ? " " : "", elem);
    }
    if (count == 0)
        return 0;
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "domain '%s' asks for %u vGPU(s) with no matching <hostdev> in its definition; "
                "add to <devices>: %s (or run: vgpuctl sync %s)",
                dom->name, count, missing->str, dom->name);
    return -1;
}


static int
ledger_record(Prepare *p, const char *uuid, const char *parent, const char *type,
              LedgerState state, GError **error)
{
    ledger_set(p->ledger, uuid, parent, type, state);
    return ledger_save(p->cfg->state_dir, p->ledger, error);
}

/* Try the candidates in order, at most create_attempts of them: the
 * driver can refuse what available_instances promised. */
static int
create_on_candidates(Prepare *p, const Host *host, const VgpuRequest *req,
                     GPtrArray *cands, GPtrArray *refusals, GError **error)
{
    guint tried = 0;

    for (guint i = 0; i < cands->len && tried < p->cfg->create_attempts; i++, tried++) {
        const PlacementCandidate *c = cands->pdata[i];
        g_autoptr(GError) err = NULL;

        if (ledger_record(p, req->uuid, c->parent->addr, c->type->id, LEDGER_INTENT, error) < 0)
            return -1;
        HOOK_TEST_POINT("prepare-intent");
        if (sysfs_mdev_create(p->cfg->sysfs_root, c->parent->addr, c->type->id, req->uuid, &err) == 0) {
            HOOK_TEST_POINT("prepare-created");
            if (ledger_record(p, req->uuid, c->parent->addr, c->type->id, LEDGER_CREATED, error) < 0)
                return -1;
            g_ptr_array_add(p->created, g_strdup(req->uuid));
            vgpu_log(LOG_INFO, "domain '%s': created %s (%s, %s) on %s",
                     p->dom->name, req->uuid, c->type->name, c->type->id, c->parent->addr);
            return 0;
        }
        vgpu_log(LOG_WARNING, "domain '%s': %s", p->dom->name, err->message);
        ledger_drop(p->ledger, req->uuid);
        if (ledger_save(p->cfg->state_dir, p->ledger, error) < 0)
            return -1;
        if (err->domain == VGPU_SYSFS_ERROR && err->code == EEXIST) {
            /* Someone outside our lock created this UUID meanwhile: it is
             * theirs, not ours, and we will not make a second one. */
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "domain '%s': vGPU device %u: mdev %s was created by someone else "
                        "while vgpu-hook was placing it", p->dom->name, req->index, req->uuid);
            return -1;
        }
        g_ptr_array_add(refusals, g_strdup_printf("creating it on %s failed: %s",
                                                  c->parent->addr, g_strerror(err->code)));
    }

    g_autofree char *why = alloc_placement_explain(host, req, refusals);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY,
                "domain '%s': vGPU device %u: %s", p->dom->name, req->index, why);
    return -1;
}

static int
prepare_one(Prepare *p, const Host *host, const VgpuRequest *req, GError **error)
{
    const HostMdev *m = host_find_mdev(host, req->uuid);
    PlacementRules rules = {
        .policy = req->placement != VGPU_PLACEMENT_DEFAULT ? req->placement : p->cfg->placement,
        .allow = p->cfg->allow,
        .deny = p->cfg->deny,
    };
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) cands = NULL;

    if (m) {
        if (!host_mdev_fits(host, m, req)) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "domain '%s': vGPU device %u: mdev %s already exists as type %s on %s, "
                        "which is not %s", p->dom->name, req->index, req->uuid, m->type,
                        m->parent, vgpu_request_label(req));
            return -1;
        }
        /* Reused as is; it stays in the ledger only if an earlier prepare
         * of this domain created it. */
        vgpu_log(LOG_INFO, "domain '%s': using existing mdev %s (%s on %s)%s",
                 p->dom->name, req->uuid, m->type, m->parent,
                 ledger_find(p->ledger, req->uuid) ? ", created by vgpu-hook" : ", not ours");
        return 0;
    }

    cands = alloc_placement_choose(host, req, &rules, refusals);
    return create_on_candidates(p, host, req, cands, refusals, error);
}

static void
rollback(Prepare *p)
{
    for (guint i = 0; i < p->created->len; i++) {
        const char *uuid = p->created->pdata[i];
        g_autoptr(GError) err = NULL;

        if (sysfs_mdev_remove(p->cfg->sysfs_root, uuid, p->cfg->remove_retries,
                              p->cfg->remove_retry_delay_ms, p->cfg->remove_timeout_ms, &err) < 0) {
            /* Left in the ledger: the release libvirt runs next retries it. */
            vgpu_log(LOG_ERR, "domain '%s': rollback: %s", p->dom->name, err->message);
            continue;
        }
        vgpu_log(LOG_INFO, "domain '%s': rolled back %s", p->dom->name, uuid);
        ledger_drop(p->ledger, uuid);
    }
    g_autoptr(GError) err = NULL;
    if (ledger_save(p->cfg->state_dir, p->ledger, &err) < 0)
        vgpu_log(LOG_ERR, "domain '%s': rollback: %s", p->dom->name, err->message);
}

static int
prepare_locked(Prepare *p, GError **error)
{
    g_autoptr(Host) host = NULL;

    if (!(p->ledger = ledger_load(p->cfg->state_dir, p->dom->uuid, p->dom->name, error)))
        return -1;
    for (guint i = 0; i < p->dom->requests->len; i++) {
        /* Rescan before each request: the previous create changed what
         * the driver offers (siblings, shared pools). */
        g_clear_pointer(&host, host_free);
        if (!(host = host_scan(p->cfg->sysfs_root, p->dom->requests, error)))
            return -1;
        if (prepare_one(p, host, p->dom->requests->pdata[i], error) < 0)
            return -1;
    }
    HOOK_TEST_POINT("prepare-done");
    return 0;
}

int
hook_prepare(const VgpuConfig *cfg, const VgpuDomain *dom, GError **error)
{
    g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func(g_free);
    Prepare p = { .cfg = cfg, .dom = dom, .created = created };
    int lock, rc;

    if (!dom->uuid) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s' has no <uuid> in its XML", dom->name);
        return -1;
    }
    if (check_hostdevs(dom, error) < 0)
        return -1;
    if ((lock = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms, error)) < 0)
        return -1;
    HOOK_TEST_POINT("prepare-locked");

    if ((rc = prepare_locked(&p, error)) < 0 && p.ledger)
        rollback(&p);
    g_clear_pointer(&p.ledger, ledger_free);
    host_lock_release(lock);
    return rc;
}
