/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl gc: remove the mdevs that vgpu-hook's ledgers own for domains
 * that are not running (leaks after a crash or a lost release), and forget
 * ledger entries whose device is gone. Devices no ledger owns are never
 * touched, nor devices of a domain libvirt says is running, or does not
 * answer about in time.
 *
 * Never holds the host lock across a remove, which can block for
 * remove_timeout_ms, as release does not: per domain, under the lock, it
 * asks libvirt whether the domain runs (a bounded wait: a domain whose
 * start is in its prepare hook waits for our lock inside libvirt and cannot
 * answer; it is then skipped, since it is starting) and, if not, marks its
 * devices "removing" in the ledger, so that a start meanwhile refuses to
 * reuse them. The removes run without the lock, and each result is
 * committed under it afterwards, device by device. */
#include "cli.h"
#include "host-lock.h"
#include "json-out.h"
#include "ledger.h"
#include "device-kind.h"
#include "table.h"
#include "vgpu-error.h"
#include "virt-conn.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* How long libvirt may take to say whether one domain runs. */
#define GC_QUERY_TIMEOUT_MS 3000

static const char *const gc_columns[] = { "DEVICE", "TYPE", "PARENT", "DOMAIN", "STATE", "ACTION",
                                          NULL };
static const char *const *const gc_tables[] = { gc_columns, NULL };

typedef enum {
    GC_REMOVE,          /* ours, domain not running: remove */
    GC_FORGET,          /* in the ledger, gone from sysfs: forget */
    GC_FOREIGN,         /* same UUID, another device now: forget, leave the device */
    GC_FAILED,          /* remove failed: kept in the ledger */
} GcAction;

typedef struct {
    char *uuid;
    char *parent;
    char *type;
    char *domain;
    char *domain_uuid;
    const char *state;
    GcAction action;
    char *error;
} GcItem;

static void
gc_item_free(gpointer p)
{
    GcItem *it = p;

    g_free(it->uuid);
    g_free(it->parent);
    g_free(it->type);
    g_free(it->domain);
    g_free(it->domain_uuid);
    g_free(it->error);
    g_free(it);
}

static const char *
action_name(GcAction a, gboolean dry_run)
{
    switch (a) {
    case GC_REMOVE:  return dry_run ? "would remove" : "removed";
    case GC_FORGET:  return dry_run ? "would forget (gone)" : "forgot (gone)";
    case GC_FOREIGN: return dry_run ? "would forget (now another device)"
                                    : "forgot (now another device)";
    case GC_FAILED:  break;
    }
    return "remove failed";
}

/* One device of a ledger whose domain does not run. Returns FALSE when
 * it stays in the ledger. Runs without the host lock. */
static gboolean
gc_device(const VgpuConfig *cfg, const LedgerDevice *d, GcItem *it, gboolean dry_run)
{
    const DeviceKind *kind = device_kind_of(d);
    g_autoptr(GError) err = NULL;
    DeviceStatus st = dry_run ? device_kind_check(kind, cfg->sysfs_root,
                                                  device_kind_device_id(kind, d->uuid,
                                                                        d->parent),
                                                  d->parent, d->type, NULL, NULL, &err)
                              : device_kind_take_back(cfg, d, &err);

    switch (st) {
    case DEVICE_STATUS_ERROR:
        it->action = GC_FAILED;
        it->error = g_strdup(err->message);
        return FALSE;
    case DEVICE_STATUS_GONE:
        it->action = GC_FORGET;
        break;
    case DEVICE_STATUS_REPLACED:
        it->action = GC_FOREIGN;
        break;
    case DEVICE_STATUS_OURS:
        it->action = GC_REMOVE;
        break;
    }
    return TRUE;
}

typedef struct {
    GPtrArray *items;       /* GcItem* */
    GPtrArray *skipped;     /* char*: domains left alone, and why */
    gboolean failed;
    gboolean dry_run;
    CliTable *table;        /* human output, a row printed per device done; NULL: JSON */
} GcResult;

/* A device's row as soon as it is done: a remove the driver blocks for
 * remove_timeout_ms must not hide the ones done before it. */
static void
gc_show(const GcResult *res, const GcItem *it)
{
    if (!res->table)
        return;
    cli_table_add(res->table, it->uuid, it->type, it->parent, it->domain, it->state,
                  action_name(it->action, res->dry_run));
    cli_table_print_last(res->table, stdout);
    if (it->error)
        cli_error("gc: %s: %s (kept in the ledger)", it->uuid, it->error);
}

/* Rows printed one by one line up: each column as wide as the ledgers
 * say it can get (a domain renamed since its start may still widen one). */
static void
gc_size_rows(CliTable *t, GPtrArray *ledgers, gboolean dry_run)
{
    const char *widest_action = action_name(GC_FOREIGN, dry_run);

    for (guint i = 0; i < ledgers->len; i++) {
        const Ledger *l = g_ptr_array_index(ledgers, i);

        for (guint k = 0; k < l->devices->len; k++) {
            const LedgerDevice *d = g_ptr_array_index(l->devices, k);

            cli_table_add_sizing(t, d->uuid, d->type, d->parent,
                                 l->domain_name ? l->domain_name : l->domain_uuid,
                                 cli_domain_state_name(CLI_DOMAIN_UNDEFINED), widest_action);
        }
    }
}

static GcItem *
gc_item_add(GcResult *res, const Ledger *l, const LedgerDevice *d, const char *shown,
            CliDomainState state)
{
    GcItem *it = g_new0(GcItem, 1);

    it->uuid = g_strdup(d->uuid);
    it->parent = g_strdup(d->parent);
    it->type = g_strdup(d->type);
    it->domain = g_strdup(shown);
    it->domain_uuid = g_strdup(l->domain_uuid);
    it->state = cli_domain_state_name(state);
    g_ptr_array_add(res->items, it);
    return it;
}

/* Is the domain running? With @mark, the answer is taken under the host
 * lock and, when it does not run, its devices are marked removing before
 * the lock goes. Returns the ledger as it stands then (NULL when it could
 * not be read; the reason is in @res). */
static Ledger *
gc_look(const VgpuConfig *cfg, virConnectPtr conn, const Ledger *seen, gboolean mark,
        CliDomainState *state, char **shown, GcResult *res)
{
    g_autoptr(Ledger) l = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *name = NULL;
    int lock = -1;

    if (mark && (lock = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms, &err)) < 0)
        goto fail;
    /* Reread: a release may have changed it since the list was made. */
    if (!(l = ledger_load(cfg->state_dir, seen->domain_uuid, NULL, &err)))
        goto fail;
    *state = cli_virt_domain_state(conn, l->domain_uuid, GC_QUERY_TIMEOUT_MS, &name);
    *shown = g_strdup(name ? name : l->domain_name ? l->domain_name : l->domain_uuid);
    if (mark && *state != CLI_DOMAIN_RUNNING && *state != CLI_DOMAIN_UNKNOWN &&
        l->devices->len) {
        for (guint i = 0; i < l->devices->len; i++)
            ((LedgerDevice *)l->devices->pdata[i])->state = LEDGER_REMOVING;
        if (ledger_save(cfg->state_dir, l, &err) < 0)
            goto fail;
    }
    host_lock_release(lock);
    return g_steal_pointer(&l);

 fail:
    host_lock_release(lock);
    g_ptr_array_add(res->skipped, g_strdup_printf("domain %s: %s; its vGPUs are left alone",
                                                  seen->domain_uuid, err->message));
    res->failed = TRUE;
    return NULL;
}

/* Committed after each device, like release: a crash forgets nothing; an
 * entry a start took back meanwhile is left. */
static void
gc_commit(const VgpuConfig *cfg, const Ledger *l, const LedgerDevice *d, GcItem *it,
          gboolean gone, GcResult *res)
{
    g_autoptr(GError) err = NULL;
    int rc;

    if (gone)
        rc = ledger_commit_drop(cfg->state_dir, cfg->lock_timeout_ms, l->domain_uuid, d->uuid,
                                TRUE, &err);
    else
        rc = ledger_commit_unmark(cfg->state_dir, cfg->lock_timeout_ms, l->domain_uuid, d->uuid,
                                  &err);
    if (!gone)
        res->failed = TRUE;
    if (rc < 0) {
        g_free(it->error);
        it->error = g_strdup_printf("updating the ledger: %s", err->message);
        it->action = GC_FAILED;
        res->failed = TRUE;
    }
}

static void
gc_ledger(const VgpuConfig *cfg, virConnectPtr conn, const Ledger *seen, gboolean dry_run,
          GcResult *res)
{
    CliDomainState state = CLI_DOMAIN_UNKNOWN;
    g_autofree char *shown = NULL;
    g_autoptr(Ledger) l = gc_look(cfg, conn, seen, !dry_run, &state, &shown, res);

    if (!l || state == CLI_DOMAIN_RUNNING)
        return;
    if (state == CLI_DOMAIN_UNKNOWN) {
        g_ptr_array_add(res->skipped, g_strdup_printf(
            "domain '%s': libvirt did not say within %d ms whether it runs (starting or "
            "stopping?); its %u vGPU(s) are left alone", shown, GC_QUERY_TIMEOUT_MS,
            l->devices->len));
        return;
    }
    /* As release: a domain that stopped moments ago may have a release
     * waiting for an NVIDIA driver to remove its devices itself; writing
     * remove first would break the GPU. */
    if (!dry_run) {
        guint left;

        device_kind_wait_self_removal(cfg->sysfs_root, l, cfg->release_wait_ms, &left);
    }
    for (guint i = 0; i < l->devices->len; i++) {
        const LedgerDevice *d = g_ptr_array_index(l->devices, i);
        GcItem *it = gc_item_add(res, l, d, shown, state);
        gboolean gone = gc_device(cfg, d, it, dry_run);

        if (!dry_run)
            gc_commit(cfg, l, d, it, gone, res);
        gc_show(res, it);
    }
}

/* After the rows (printed as they came): what was left alone. */
static void
print_human_end(const GcResult *res)
{
    if (res->items->len == 0)
        printf("Nothing to collect: every vGPU in the ledgers belongs to a running domain.\n");
    for (guint i = 0; i < res->skipped->len; i++)
        printf("Skipped %s.\n", (const char *)g_ptr_array_index(res->skipped, i));
}

static void
print_json(const GcResult *res, gboolean dry_run)
{
    g_autoptr(JsonOut) j = json_out_new();
    static const char *const keys[] = { "remove", "forget", "forget-foreign", "failed" };

    json_begin_object(j);
    json_member_bool(j, "dry_run", dry_run);
    json_key(j, "devices");
    json_begin_array(j);
    for (guint i = 0; i < res->items->len; i++) {
        const GcItem *it = g_ptr_array_index(res->items, i);

        json_begin_object(j);
        json_member_string(j, "uuid", it->uuid);
        json_member_string(j, "type", it->type);
        json_member_string(j, "parent", it->parent);
        json_member_string(j, "domain", it->domain);
        json_member_string(j, "domain_uuid", it->domain_uuid);
        json_member_string(j, "domain_state", it->state);
        json_member_string(j, "action", keys[it->action]);
        json_member_bool(j, "done", !dry_run && it->action != GC_FAILED);
        json_member_string(j, "error", it->error);
        json_end_object(j);
    }
    json_end_array(j);
    json_key(j, "skipped");
    json_begin_array(j);
    for (guint i = 0; i < res->skipped->len; i++)
        json_string(j, g_ptr_array_index(res->skipped, i));
    json_end_array(j);
    json_end_object(j);
    json_out_print(j);
}

int
cmd_gc(CliOptions *opts, int argc, char **argv)
{
    gboolean dry_run = FALSE;
    const GOptionEntry entries[] = {
        { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Only say what would be removed", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json, "Print JSON", NULL },
        { NULL },
    };
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GPtrArray) ledgers = NULL;
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(gc_item_free);
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) damaged = g_ptr_array_new_with_free_func(ledger_damaged_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(CliTable) table = cli_table_newv(gc_columns);
    GcResult res = { .items = items, .skipped = skipped };
    int gc_lock = -1;

    if (!cli_parse_table_options(opts, "gc", NULL,
                                 "Remove the vGPUs that vgpu-hook created for domains that are "
                                 "not running (leaks), and forget ledger entries whose device "
                                 "is gone. Never touches a device vgpu-hook did not create.",
                                 entries, gc_tables, &argc, &argv))
        return 1;
    res.dry_run = dry_run;
    res.table = opts->json ? NULL : table;
    if (argc > 1) {
        cli_error("gc: unexpected argument '%s'", argv[1]);
        return 1;
    }
    if (!(cfg = cli_config_load(opts, &error)))
        return cli_fail(NULL, error);
    if (!(conn = cli_virt_open(opts, &error))) {
        cli_error("gc: %s; refusing to remove anything without knowing which domains run",
                  error->message);
        return 1;
    }
    /* Held to the end (the kernel drops it if gc dies): a start finding
     * our "removing" marks without it knows they are stale. */
    if (!dry_run && (gc_lock = host_lock_gc_begin(cfg->state_dir, &error)) < 0) {
        cli_error("gc: %s%s", error->message, geteuid() == 0 ? ""
                  : " (gc removes devices and writes the ledgers: root's work)");
        return 1;
    }
    /* Ledgers are replaced by rename: a read without the lock sees whole
     * ones, and each is read again under the lock before it is acted on. */
    if (!(ledgers = ledger_load_all(cfg->state_dir, damaged, &error)))
        return cli_fail("gc", error);
    /* A damaged ledger proves nothing ours: its devices are left alone. */
    for (guint i = 0; i < damaged->len; i++)
        g_ptr_array_add(skipped, g_strdup_printf("%s; what it names is left alone",
                                                 ((LedgerDamaged *)damaged->pdata[i])->reason));
    gc_size_rows(table, ledgers, dry_run);
    for (guint i = 0; i < ledgers->len; i++)
        gc_ledger(cfg, conn, g_ptr_array_index(ledgers, i), dry_run, &res);

    host_lock_release(gc_lock);
    if (opts->json)
        print_json(&res, dry_run);
    else
        print_human_end(&res);
    return res.failed ? 1 : 0;
}
