/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changes to one ledger entry made after a remove that ran without the
 * host lock: each takes the lock only to reload, change and save. */
#include "host-lock.h"
#include "ledger.h"

static int
commit(const char *state_dir, guint lock_timeout_ms, const char *domain_uuid, const char *dev,
       gboolean drop, gboolean only_if_removing, GError **error)
{
    g_autoptr(Ledger) ledger = NULL;
    LedgerDevice *d;
    int lock, rc = -1;

    if ((lock = host_lock_acquire(state_dir, lock_timeout_ms, error)) < 0)
        return -1;
    if ((ledger = ledger_load(state_dir, domain_uuid, NULL, error))) {
        d = ledger_find(ledger, dev);
        if (d && (!only_if_removing || d->state == LEDGER_REMOVING)) {
            if (drop)
                ledger_drop(ledger, dev);
            else
                d->state = LEDGER_CREATED;
        }
        rc = ledger_save(state_dir, ledger, error);
    }
    host_lock_release(lock);
    return rc;
}

int
ledger_commit_drop(const char *state_dir, guint lock_timeout_ms, const char *domain_uuid,
                   const char *dev, gboolean only_if_removing, GError **error)
{
    return commit(state_dir, lock_timeout_ms, domain_uuid, dev, TRUE, only_if_removing, error);
}

int
ledger_commit_unmark(const char *state_dir, guint lock_timeout_ms, const char *domain_uuid,
                     const char *dev, GError **error)
{
    return commit(state_dir, lock_timeout_ms, domain_uuid, dev, FALSE, TRUE, error);
}
