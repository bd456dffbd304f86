/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl status: every physical GPU, its mdevs, who owns each and whether
 * that domain runs. The sysfs and ledger part needs no libvirt; libvirt
 * only adds domain states and the users of devices made by hand. */
#include "cli.h"
#include "domain-xml.h"
#include "device-kind.h"
#include "gpu-view.h"
#include "keeper-status.h"
#include "host-scan.h"
#include "json-out.h"
#include "ledger.h"
#include "table.h"
#include "virt-conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    LIBVIRT_SKIPPED,        /* --no-libvirt */
    LIBVIRT_UNREACHABLE,
    LIBVIRT_CONNECTED,
} LibvirtAccess;

/* What libvirt says about one domain. */
typedef struct {
    char *name;
    CliDomainState state;
} DomainInfo;

typedef struct {
    LibvirtAccess access;
    GHashTable *domains;        /* domain uuid -> DomainInfo* */
    GHashTable *hostdev_users;  /* mdev uuid -> domain uuid (borrowed key of domains) */
    GPtrArray *ledgers;         /* Ledger* */
    const char *state_dir;      /* where vgpu-keeper writes its status */
    GPtrArray *damaged;         /* LedgerDamaged*: skipped, listed */
    gboolean owners_hidden;     /* the ledgers could not be read (not root) */
} StatusData;

static const char *const gpu_columns[] = { "GPU", "MODEL", "NUMA", "VFS IN USE", "MDEVS", NULL };
static const char *const device_columns[] = { "DEVICE", "PROFILE", "TYPE", "PARENT", "GPU",
                                              "DOMAIN", "CREATED BY", "STATE", NULL };
static const char *const *const status_tables[] = { gpu_columns, device_columns, NULL };

static void
domain_info_free(gpointer p)
{
    DomainInfo *d = p;

    g_free(d->name);
    g_free(d);
}

/* Every domain, its state, and which mdevs its XML names. */
static gboolean
read_libvirt(StatusData *sd, virConnectPtr conn, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);

    if (n < 0) {
        virt_error(error, "listing domains");
        return FALSE;
    }
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        DomainInfo *info = g_new0(DomainInfo, 1);
        int active = virDomainIsActive(doms[i]);
        char *xml;

        info->name = g_strdup(virDomainGetName(doms[i]));
        info->state = active > 0 ? CLI_DOMAIN_RUNNING : active == 0 ? CLI_DOMAIN_SHUTOFF
                                                                     : CLI_DOMAIN_UNKNOWN;
        if (virDomainGetUUIDString(doms[i], uuid) < 0) {
            domain_info_free(info);
            virDomainFree(doms[i]);
            continue;
        }
        g_hash_table_insert(sd->domains, g_strdup(uuid), info);
        /* The live XML of a running domain, the definition otherwise. */
        if ((xml = virDomainGetXMLDesc(doms[i], 0))) {
            g_autoptr(VgpuDomain) vd = xml_domain_parse(xml, strlen(xml), NULL);

            for (guint k = 0; vd && k < vd->mdev_hostdevs->len; k++) {
                const char *m = g_ptr_array_index(vd->mdev_hostdevs, k);

                /* A running user wins over a stopped one naming the same mdev. */
                if (!g_hash_table_contains(sd->hostdev_users, m) || info->state == CLI_DOMAIN_RUNNING)
                    g_hash_table_insert(sd->hostdev_users, g_strdup(m), g_strdup(uuid));
            }
            free(xml);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    return TRUE;
}

/* Who uses @m and in what state, as shown in a row. */
typedef struct {
    const char *domain;         /* name, or NULL */
    const char *domain_uuid;
    gboolean ours;
    const char *created_by;     /* "vgpu-hook", "other", NULL: the ledgers are hidden */
    const char *state;          /* NULL: no domain */
    gboolean leaked;            /* ours, and its domain is known not to run */
} MdevOwner;

static MdevOwner
mdev_owner(const StatusData *sd, const Host *host, const char *mdev_uuid)
{
    MdevOwner o = { 0 };
    const HostParent *vf = host_find_parent(host, mdev_uuid);
    /* A whole VF is its own device: its ledger record names it as parent. */
    const Ledger *l = vf && vf->kind->vf
                      ? ledger_list_find_parent(sd->ledgers, vf->kind->name, mdev_uuid, NULL)
                      : ledger_list_find_owner(sd->ledgers, mdev_uuid, NULL);
    const DomainInfo *info = NULL;

    if (l) {
        o.ours = TRUE;
        o.domain_uuid = l->domain_uuid;
        o.domain = l->domain_name;
    } else if (sd->access == LIBVIRT_CONNECTED) {
        o.domain_uuid = g_hash_table_lookup(sd->hostdev_users, mdev_uuid);
    }
    if (o.domain_uuid && sd->access == LIBVIRT_CONNECTED)
        info = g_hash_table_lookup(sd->domains, o.domain_uuid);
    if (info)
        o.domain = info->name;     /* libvirt's name is current (renames) */
    o.created_by = o.ours ? "vgpu-hook" : sd->owners_hidden ? NULL : "other";
    if (!o.domain_uuid)
        return o;
    if (sd->access != LIBVIRT_CONNECTED)
        o.state = cli_domain_state_name(CLI_DOMAIN_UNKNOWN);
    else
        o.state = cli_domain_state_name(info ? info->state : CLI_DOMAIN_UNDEFINED);
    o.leaked = o.ours && sd->access == LIBVIRT_CONNECTED &&
               (!info || info->state == CLI_DOMAIN_SHUTOFF);
    return o;
}

static int
compare_mdevs_by_gpu(gconstpointer a, gconstpointer b, gpointer host)
{
    const HostDevice *ma = *(const HostDevice *const *)a;
    const HostDevice *mb = *(const HostDevice *const *)b;
    int c = strcmp(host_device_gpu(host, ma), host_device_gpu(host, mb));

    if (c)
        return c;
    if ((c = strcmp(ma->parent, mb->parent)))
        return c;
    return strcmp(ma->uuid, mb->uuid);
}

static char *
numa_text(int node)
{
    return node < 0 ? g_strdup("-") : g_strdup_printf("%d", node);
}

static void
print_missing(const StatusData *sd, const Host *host, JsonOut *j)
{
    for (guint i = 0; i < sd->ledgers->len; i++) {
        const Ledger *l = g_ptr_array_index(sd->ledgers, i);

        for (guint k = 0; k < l->devices->len; k++) {
            const LedgerDevice *d = g_ptr_array_index(l->devices, k);

            if (host_find_device(host, device_kind_device_id(device_kind_of(d), d->uuid,
                                                             d->parent)))
                continue;
            if (j) {
                json_begin_object(j);
                json_member_string(j, "uuid", d->uuid);
                json_member_string(j, "type", d->type);
                json_member_string(j, "parent", d->parent);
                json_member_string(j, "domain", l->domain_name);
                json_member_string(j, "domain_uuid", l->domain_uuid);
                json_end_object(j);
            } else {
                printf("Ledger of domain '%s' records %s (%s on %s), which does not exist "
                       "('vgpuctl gc' forgets it when the domain is not running).\n",
                       l->domain_name ? l->domain_name : l->domain_uuid, d->uuid, d->type,
                       d->parent);
            }
        }
    }
}

static void
print_human(const StatusData *sd, const Host *host, GPtrArray *gpus, GPtrArray *mdevs)
{
    g_autoptr(CliTable) gt = cli_table_newv(gpu_columns);
    g_autoptr(CliTable) mt = cli_table_newv(device_columns);
    guint leaked = 0;

    for (guint i = 0; i < gpus->len; i++) {
        const CliGpu *g = g_ptr_array_index(gpus, i);
        g_autofree char *numa = numa_text(g->numa_node);
        g_autofree char *vfs = g->vfs_total ? g_strdup_printf("%u/%u", g->vfs_in_use,
                                                              g->vfs_total) : NULL;
        g_autofree char *n = g_strdup_printf("%u", g->mdevs);

        cli_table_add(gt, g->addr, g->model, numa, vfs, n);
    }
    for (guint i = 0; i < mdevs->len; i++) {
        const HostDevice *m = g_ptr_array_index(mdevs, i);
        MdevOwner o = mdev_owner(sd, host, m->uuid);
        g_autofree char *state = o.leaked ? g_strdup_printf("%s (leaked)", o.state)
                                          : g_strdup(o.state);

        leaked += o.leaked;
        cli_table_add(mt, m->uuid, host_device_type_name(host, m), m->type, m->parent,
                      host_device_gpu(host, m), o.domain ? o.domain : o.domain_uuid,
                      o.created_by ? o.created_by : "?", state);
    }
    if (gpus->len == 0)
        printf("No mdev parent on this host (nothing under %s/class/mdev_bus).\n", host->root);
    else
        cli_table_print(gt, stdout, 0);
    if (mdevs->len > 0 && cli_table_shown(mt)) {
        if (gpus->len == 0 || cli_table_shown(gt))
            printf("\n");
        cli_table_print(mt, stdout, 0);
    }
    print_missing(sd, host, NULL);
    for (guint i = 0; i < sd->damaged->len; i++)
        printf("Damaged ledger: %s (skipped; vgpu-hook removes nothing it names).\n",
               ((LedgerDamaged *)sd->damaged->pdata[i])->reason);
    if (leaked)
        printf("%u vGPU(s) belong to domains that are not running: 'vgpuctl gc' removes them.\n",
               leaked);
    {
        g_autofree char *keeper = keeper_status_describe(sd->state_dir);

        printf("vgpu-keeper: %s.\n", keeper);
    }
}

static void
print_json_keeper(const StatusData *sd, JsonOut *j)
{
    g_autoptr(KeeperStatus) st = keeper_status_read(sd->state_dir, NULL);

    json_key(j, "keeper");
    json_begin_object(j);
    json_member_bool(j, "running", st && keeper_status_running(st));
    if (st) {
        json_member_int(j, "pid", st->pid);
        json_member_string(j, "uri", st->uri);
        json_member_bool(j, "connected", st->connected);
        json_member_bool(j, "dry_run", st->dry_run);
        json_member_string(j, "started", st->started);
        json_member_string(j, "stopped", st->stopped);
        json_member_string(j, "last_pass", st->last_pass);
        json_member_int(j, "redefinitions", (gint64)st->redefinitions);
        json_member_string(j, "last_change", st->last_change);
        json_member_string(j, "last_change_what", st->last_change_what);
    }
    json_end_object(j);
}

static void
print_json(const StatusData *sd, const Host *host, GPtrArray *gpus, GPtrArray *mdevs)
{
    g_autoptr(JsonOut) j = json_out_new();
    static const char *const access_names[] = { "skipped", "unreachable", "connected" };

    json_begin_object(j);
    json_member_string(j, "libvirt", access_names[sd->access]);
    json_member_bool(j, "owners_hidden", sd->owners_hidden);
    json_key(j, "gpus");
    json_begin_array(j);
    for (guint i = 0; i < gpus->len; i++) {
        const CliGpu *g = g_ptr_array_index(gpus, i);

        json_begin_object(j);
        json_member_string(j, "address", g->addr);
        json_member_string(j, "model", g->model);
        json_key(j, "numa_node");
        if (g->numa_node >= 0)
            json_int(j, g->numa_node);
        else
            json_null(j);
        json_member_int(j, "vfs_total", g->vfs_total);
        json_member_int(j, "vfs_in_use", g->vfs_in_use);
        json_key(j, "mdevs");
        json_begin_array(j);
        for (guint k = 0; k < mdevs->len; k++) {
            const HostDevice *m = g_ptr_array_index(mdevs, k);
            MdevOwner o;

            if (strcmp(host_device_gpu(host, m), g->addr) != 0)
                continue;
            o = mdev_owner(sd, host, m->uuid);
            json_begin_object(j);
            json_member_string(j, "uuid", m->uuid);
            json_member_string(j, "profile", host_device_type_name(host, m));
            json_member_string(j, "type", m->type);
            json_member_string(j, "parent", m->parent);
            json_member_string(j, "domain", o.domain);
            json_member_string(j, "domain_uuid", o.domain_uuid);
            json_member_string(j, "created_by", o.created_by);
            json_member_string(j, "state", o.state);
            json_member_bool(j, "leaked", o.leaked);
            json_end_object(j);
        }
        json_end_array(j);
        json_end_object(j);
    }
    json_end_array(j);
    json_key(j, "missing");
    json_begin_array(j);
    print_missing(sd, host, j);
    json_end_array(j);
    print_json_keeper(sd, j);
    json_key(j, "damaged_ledgers");
    json_begin_array(j);
    for (guint i = 0; i < sd->damaged->len; i++) {
        const LedgerDamaged *d = sd->damaged->pdata[i];

        json_begin_object(j);
        json_member_string(j, "path", d->path);
        json_member_string(j, "error", d->reason);
        json_end_object(j);
    }
    json_end_array(j);
    json_end_object(j);
    json_out_print(j);
}

int
cmd_status(CliOptions *opts, int argc, char **argv)
{
    gboolean no_libvirt = FALSE;
    const GOptionEntry entries[] = {
        { "no-libvirt", 0, 0, G_OPTION_ARG_NONE, &no_libvirt,
          "Do not ask libvirt (domain states show as unknown)", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json, "Print JSON", NULL },
        { NULL },
    };
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(Host) host = NULL;
    g_autoptr(GPtrArray) gpus = NULL;
    g_autoptr(GPtrArray) mdevs = NULL;
    g_autoptr(GPtrArray) no_requests = g_ptr_array_new();
    g_autoptr(GHashTable) domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                           domain_info_free);
    g_autoptr(GHashTable) users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GPtrArray) ledgers = NULL;
    g_autoptr(GPtrArray) damaged = g_ptr_array_new_with_free_func(ledger_damaged_free);
    g_autoptr(GError) error = NULL;
    StatusData sd = { .access = LIBVIRT_SKIPPED, .domains = domains, .hostdev_users = users,
                      .damaged = damaged };

    if (!cli_parse_table_options(opts, "status", NULL,
                                 "Physical GPUs, their mdevs, the domain owning each and whether "
                                 "it runs.", entries, status_tables, &argc, &argv))
        return 1;
    if (argc > 1) {
        cli_error("status: unexpected argument '%s'", argv[1]);
        return 1;
    }
    if (!(cfg = cli_config_load(opts, &error)))
        return cli_fail(NULL, error);
    /* No request: names and links only, no available_instances reads. */
    if (!(host = host_scan(cfg->sysfs_root, no_requests, &error)))
        return cli_fail("status", error);
    if (!(ledgers = cli_ledgers_for_view(cfg, "status", "who created each device and for "
                                         "which domain is not shown", damaged,
                                         &sd.owners_hidden, &error)))
        return cli_fail("status", error);
    device_kind_note_ledgers(host, ledgers);
    cli_host_name_plain_vfs(host, cfg->pci_ids_path);
    sd.ledgers = ledgers;
    sd.state_dir = cfg->state_dir;
    if (!no_libvirt) {
        g_autoptr(virConnect) conn = cli_virt_open(opts, &error);

        if (conn && read_libvirt(&sd, conn, &error)) {
            sd.access = LIBVIRT_CONNECTED;
        } else {
            sd.access = LIBVIRT_UNREACHABLE;
            cli_error("note: %s; domain states are unknown", error->message);
            g_clear_error(&error);
        }
    }

    gpus = cli_gpus_collect(host);
    mdevs = g_ptr_array_copy(host->devices, NULL, NULL);
    g_ptr_array_set_free_func(mdevs, NULL);   /* borrowed from the host */
    g_ptr_array_sort_with_data(mdevs, compare_mdevs_by_gpu, host);
    if (opts->json)
        print_json(&sd, host, gpus, mdevs);
    else
        print_human(&sd, host, gpus, mdevs);
    return 0;
}
