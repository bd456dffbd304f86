/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What this hook created, per domain, so release removes exactly that.
 * One GKeyFile per domain UUID in the state directory, replaced atomically
 * (temp file, fsync, rename). Every change happens under the
 * host lock. Device states: "intent" is written before the sysfs create,
 * "created" after it is verified; release treats both as ours (a crash
 * between intent and create leaves at most a device with our UUID).
 * "removing" marks a device vgpuctl gc is removing without the lock: ours
 * still, but a prepare must not reuse it. */
#pragma once

#include <glib.h>

typedef enum { LEDGER_INTENT, LEDGER_CREATED, LEDGER_REMOVING } LedgerState;

typedef struct {
    char *uuid;
    char *parent;
    char *type;
    LedgerState state;
    char *kind;             /* the DeviceKind's name; NULL: mdev (older ledgers) */
} LedgerDevice;

typedef struct {
    char *domain_uuid;
    char *domain_name;
    GPtrArray *devices;     /* LedgerDevice* */
} Ledger;

void ledger_free(Ledger *ledger);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Ledger, ledger_free)

/* An empty ledger when none is stored. */
Ledger *ledger_load(const char *state_dir, const char *domain_uuid,
                    const char *domain_name, GError **error);
/* Store; a ledger with no devices is deleted instead. */
int ledger_save(const char *state_dir, const Ledger *ledger, GError **error);

LedgerDevice *ledger_find(const Ledger *ledger, const char *uuid);
void ledger_set(Ledger *ledger, const char *uuid, const char *parent,
                const char *type, LedgerState state);
void ledger_drop(Ledger *ledger, const char *uuid);
/* Record which kind of device @uuid is (NULL: mdev). */
void ledger_set_kind(Ledger *ledger, const char *uuid, const char *kind);

/* Clones: the ledger in @ledgers, other than @domain_uuid's, that records
 * @dev (two definitions naming the same explicit mdev UUID), or NULL. */
const Ledger *ledger_other_owner(GPtrArray *ledgers, const char *domain_uuid, const char *dev);
/* The sentence the hook and vgpuctl check both give for it. */
char *ledger_clone_refusal(const Ledger *owner, const char *dev);

/* A short critical section of its own: under the host lock, reload the
 * domain's ledger and drop @dev from it, so the remove before it, which
 * may block, holds nobody up. With @only_if_removing, an entry a prepare
 * took back meanwhile (no longer LEDGER_REMOVING) is kept. */
int ledger_commit_drop(const char *state_dir, guint lock_timeout_ms, const char *domain_uuid,
                       const char *dev, gboolean only_if_removing, GError **error);
/* Likewise: a LEDGER_REMOVING entry whose remove failed is ours as before. */
int ledger_commit_unmark(const char *state_dir, guint lock_timeout_ms, const char *domain_uuid,
                         const char *dev, GError **error);

/* A ledger ledger_load_all could not use: damaged, unreadable or not
 * trusted (state-dir.h). */
typedef struct {
    char *path;
    char *reason;       /* one line, naming the path */
} LedgerDamaged;

void ledger_damaged_free(gpointer p);

/* Every stored ledger (for vgpuctl status/gc/check and release by name).
 * One that cannot be used is skipped, logged with its path, and added to
 * @damaged (LedgerDamaged*, may be NULL), so one bad file stops nothing
 * else. Fails only when the state directory itself cannot be used. */
GPtrArray *ledger_load_all(const char *state_dir, GPtrArray *damaged, GError **error);
/* The ledger among @ledgers (Ledger*, may be NULL) that holds device
 * @uuid, and that device in *dev (when given); NULL when none does. */
const Ledger *ledger_list_find_owner(const GPtrArray *ledgers, const char *uuid,
                                     const LedgerDevice **dev);
/* The ledger among @ledgers holding a device of kind @kind on @parent (a
 * whole VF: one device per parent), and that device in *dev; NULL when none. */
const Ledger *ledger_list_find_parent(const GPtrArray *ledgers, const char *kind,
                                      const char *parent, const LedgerDevice **dev);
