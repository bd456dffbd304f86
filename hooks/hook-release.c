/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* release end: remove exactly what this domain's prepare created. */
#include "hook.h"
#include "host-lock.h"
#include "ledger.h"
#include "device-kind.h"
#include "vgpu-error.h"
#include "vgpu-log.h"

/* The domain's UUID from its XML, or, when the XML could not be read, from
 * the ledger that carries its name. NULL when there is nothing of ours, or
 * with @error set when that cannot be known: a damaged ledger might be
 * this domain's, and nothing in it can be proved ours. */
static char *
release_domain_uuid(const VgpuConfig *cfg, const char *name, const VgpuDomain *dom,
                    GError **error)
{
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) damaged = g_ptr_array_new_with_free_func(ledger_damaged_free);
    g_autoptr(GString) paths = g_string_new(NULL);

    if (dom && dom->uuid)
        return g_strdup(dom->uuid);
    if (!(all = ledger_load_all(cfg->state_dir, damaged, error)))
        return NULL;
    for (guint i = 0; i < all->len; i++) {
        const Ledger *l = all->pdata[i];

        if (g_strcmp0(l->domain_name, name) == 0)
            return g_strdup(l->domain_uuid);
    }
    if (damaged->len == 0)
        return NULL;
    for (guint i = 0; i < damaged->len; i++)
        g_string_append_printf(paths, "%s%s", i ? ", " : "",
                               ((LedgerDamaged *)damaged->pdata[i])->path);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE,
                "domain '%s': its XML gives no UUID and no readable ledger names it; "
                "%u damaged ledger(s) (%s) may be its own, so nothing is removed "
                "('vgpuctl status' lists them)", name, damaged->len, paths->str);
    return NULL;
}

/* Remove one ledger device if it is still the device we made. Returns -1
 * when it is still there and could not be removed. */
static int
release_device(const VgpuConfig *cfg, const char *name, const LedgerDevice *d, GError **error)
{
    const DeviceKind *kind = device_kind_of(d);
    const char *id = device_kind_device_id(kind, d->uuid, d->parent);
    g_autofree char *parent = NULL, *type = NULL;
    VgpuLogEvent ev = { .uuid = d->uuid, .type = d->type };

    *(kind->vf ? &ev.vf : &ev.parent) = d->parent;

    switch (device_kind_check(kind, cfg->sysfs_root, id, d->parent, d->type, &parent,
                              &type, error)) {
    case DEVICE_STATUS_ERROR:
        return -1;
    case DEVICE_STATUS_GONE:
        ev.code = "already-gone";
        vgpu_log_event(LOG_INFO, &ev, "domain '%s': %s already gone", name, d->uuid);
        return 0;
    case DEVICE_STATUS_REPLACED:
        ev.code = "replaced";
        vgpu_log_event(LOG_WARNING, &ev, "domain '%s': %s is now %s on %s, not the %s on %s "
                       "we made; leaving it", name, d->uuid, type, parent, d->type, d->parent);
        return 0;
    case DEVICE_STATUS_OURS:
        break;
    }
    HOOK_TEST_POINT("release-removing");
    if (kind->unmake(cfg->sysfs_root, id, cfg->remove_retries,
                     cfg->remove_retry_delay_ms, cfg->remove_timeout_ms, error) < 0)
        return -1;
    HOOK_TEST_POINT("release-removed");
    ev.code = "removed";
    vgpu_log_event(LOG_INFO, &ev, "domain '%s': removed %s (%s on %s)", name, d->uuid, d->type,
                   d->parent);
    return 0;
}

/* Our NVIDIA devices get up to release_wait_ms to vanish on their own
 * (device_kind_wait_self_removal); the loop after this finds them gone. */
static void
release_wait_driver(const VgpuConfig *cfg, const char *name, const Ledger *ledger)
{
    gint64 t0 = g_get_monotonic_time();
    guint left, n = device_kind_wait_self_removal(cfg->sysfs_root, ledger,
                                                  cfg->release_wait_ms, &left);

    if (n && left == 0)
        vgpu_log(LOG_INFO, "domain '%s': the NVIDIA driver removed its %u vGPU(s) itself "
                 "after %" G_GINT64_FORMAT " ms", name, n, (g_get_monotonic_time() - t0) / 1000);
    else if (n)
        vgpu_log(LOG_INFO, "domain '%s': %u NVIDIA vGPU(s) still present after waiting "
                 "release_wait_ms (%u ms) for the driver; removing them", name, left,
                 cfg->release_wait_ms);
}

int
hook_release(const VgpuConfig *cfg, const char *name, const char *reason, const VgpuDomain *dom,
             GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *uuid = release_domain_uuid(cfg, name, dom, &err);
    g_autoptr(Ledger) ledger = NULL;
    g_autoptr(GString) failed = g_string_new(NULL);
    GQuark failed_domain = 0;
    int failed_code = 0;

    if (!uuid) {
        if (!err)
            return 0;
        g_propagate_error(error, g_steal_pointer(&err));
        return -1;
    }
    /* Ledgers are replaced by rename, so a read without the lock sees a
     * whole one. The removes run without the host lock: a remove can
     * block for as long as the driver holds the device (remove_timeout_ms),
     * longer than other hooks wait for the lock. Only this domain's
     * release and vgpuctl gc touch these devices; either one finding a
     * device already gone counts it as removed. */
    if (!(ledger = ledger_load(cfg->state_dir, uuid, name, &err))) {
        /* Only the ledger proves a device ours: without it, nothing goes. */
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE,
                    "domain '%s': %s; removing none of its vGPUs, since nothing else proves "
                    "vgpu-hook made them (check them, then delete the file)", name,
                    err->message);
        return -1;
    }
    if (ledger->devices->len)
        vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "releasing", .domain_uuid = uuid },
                       "domain '%s': releasing %u vGPU(s); shutoff reason: %s%s", name,
                       ledger->devices->len, reason ? reason : "not given (libvirt < 10.5)",
                 /* The ledger decides, not the XML (hook-main.c). */
                 dom && dom->requests->len == 0
                     ? "; the live XML asks for none of them (its metadata was removed)" : "");
    release_wait_driver(cfg, name, ledger);
    for (guint i = 0; i < ledger->devices->len; i++) {
        const LedgerDevice *d = ledger->devices->pdata[i];
        g_autoptr(GError) derr = NULL;

        if (release_device(cfg, name, d, &derr) < 0) {
            g_string_append_printf(failed, "%s%s", failed->len ? "; " : "", derr->message);
            /* The error keeps the first failure's cause: a timeout, the
             * driver's errno, or an unreadable device. */
            if (!failed_domain) {
                failed_domain = derr->domain;
                failed_code = derr->code;
            }
            continue;
        }
        /* Committed after each device, so a crash mid-release forgets
         * nothing and repeats nothing. */
        if (ledger_commit_drop(cfg->state_dir, cfg->lock_timeout_ms, uuid, d->uuid, FALSE,
                               error) < 0)
            return -1;
    }

    if (failed->len) {
        g_set_error(error, failed_domain, failed_code,
                    "domain '%s': could not remove its vGPU(s): %s (kept in the ledger; "
                    "the next release or 'vgpuctl gc' retries)", name, failed->str);
        return -1;
    }
    return 0;
}
