/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl attach: add vGPU(s) to a domain's persistent definition, the
 * metadata first, then each new request's <hostdev> (an mdev one, or the
 * PCI hostdev of a whole VF chosen by sync's own code). */
#include "cli.h"
#include "clone-check.h"
#include "domain-xml.h"
#include "edit-target.h"
#include "host-scan.h"
#include "placement.h"
#include "remote-host.h"
#include "sync-vf.h"
#include "vgpu-error.h"
#include "vgpu-metadata.h"
#include "vgpu-validate.h"
#include "virt-conn.h"

#include <stdio.h>
#include <string.h>

#define ATTACH_COUNT_MAX 16

static gboolean
attach_hostdev(EditTarget *t, const char *uuid, GError **error)
{
    g_autofree char *hostdev = xml_hostdev_element(uuid);

    if (virDomainAttachDeviceFlags(t->dom, hostdev, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        virt_error(error, "domain '%s': adding the <hostdev> for %s", t->name, uuid);
        return FALSE;
    }
    t->changed = TRUE;
    return TRUE;
}

static void
note_missing_hostdevs(const EditTarget *t)
{
    guint missing = 0;

    for (guint i = 0; i < t->vd->requests->len; i++)
        missing += !xml_domain_request_has_hostdev(t->vd, g_ptr_array_index(t->vd->requests, i));
    if (missing)
        printf("Domain '%s' also has %u vGPU(s) without a <hostdev>: 'vgpuctl sync %s' adds "
               "them.\n", t->name, missing, t->name);
}

/* The profile (or type) exists on this host, on the requested parent. */
static gboolean
check_host_offers(const CliOptions *opts, const VgpuRequest *probe, GError **error)
{
    g_autoptr(VgpuConfig) cfg = cli_config_load(opts, error);
    g_autoptr(GPtrArray) reqs = g_ptr_array_new();
    g_autoptr(Host) host = NULL;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) cands = NULL;
    PlacementRules rules = { 0 };
    gboolean offered = FALSE, parent_offers = FALSE;

    if (!cfg)
        return FALSE;
    g_ptr_array_add(reqs, (gpointer)probe);
    if (!(host = host_scan(cfg->sysfs_root, reqs, error)))
        return FALSE;
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(host->parents, i);
        g_autoptr(GPtrArray) types = host_parent_request_types(p, probe);

        if (types->len == 0)
            continue;
        offered = TRUE;
        if (probe->parent && (!g_ascii_strcasecmp(p->addr, probe->parent) ||
                              !g_ascii_strcasecmp(p->gpu, probe->parent)))
            parent_offers = TRUE;
    }
    if (!offered || (probe->parent && !parent_offers)) {
        g_autofree char *why = NULL;

        cands = placement_choose(host, probe, NULL, refusals);
        why = !offered ? placement_explain(host, probe, refusals)
                       : g_strdup(refusals->len ? (const char *)refusals->pdata[0]
                                                : "the requested parent does not offer it");
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "%s (--force skips this check)",
                    why);
        return FALSE;
    }
    rules.policy = cfg->placement;
    rules.allow = cfg->allow;
    rules.deny = cfg->deny;
    rules.whole_vfs = TRUE;     /* a free VF that takes it is room too */
    cands = placement_choose(host, probe, &rules, refusals);
    if (cands->len == 0) {
        g_autofree char *why = placement_explain(host, probe, refusals);

        printf("Note: right now %s.\n", why);
    }
    return TRUE;
}

/* The new requests (@added, UUIDs) a whole VF serves get their PCI
 * hostdev from sync's own code (sync-vf.c): a free fitting VF chosen as
 * the hook would. The others' hostdevs are left as they are. Their UUIDs
 * go into @vf_requests. */
static gboolean
attach_whole_vfs(EditTarget *t, const VgpuConfig *cfg, GPtrArray *added,
                 GHashTable *vf_requests, GError **error)
{
    g_autofree char *xml = cli_virt_inactive_xml(t->dom, error);
    g_autoptr(VgpuDomain) vd = NULL;
    g_autoptr(GHashTable) chosen = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer uuid;

    if (!xml || !(vd = xml_domain_parse(xml, strlen(xml), error)))
        return FALSE;
    for (guint i = vd->requests->len; i-- > 0;) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);

        if (!g_ptr_array_find_with_equal_func(added, req->uuid, g_str_equal, NULL))
            g_ptr_array_remove_index(vd->requests, i);
    }
    if (sync_vf_domain(cfg, t->dom, t->name, vd, chosen, &t->changed, error) < 0)
        return FALSE;
    g_hash_table_iter_init(&it, chosen);
    while (g_hash_table_iter_next(&it, &uuid, NULL))
        g_hash_table_add(vf_requests, g_strdup(uuid));
    return TRUE;
}

int
cmd_attach(CliOptions *opts, int argc, char **argv)
{
    gint count = 1;
    g_autofree char *parent_arg = NULL, *placement_arg = NULL, *type_arg = NULL, *gpu_arg = NULL;
    gboolean force = FALSE;
    /* -t TYPE and -p PARENT as in mdevctl; -g GPU as in types. */
    const GOptionEntry entries[] = {
        { "count", 0, 0, G_OPTION_ARG_INT, &count, "How many vGPUs to add (default 1)", "N" },
        { "parent", 'p', 0, G_OPTION_ARG_STRING, &parent_arg,
          "Only on this PCI device (a PF: any of its VFs)", "ADDR" },
        { "placement", 0, 0, G_OPTION_ARG_STRING, &placement_arg,
          "pack or spread (default: the config's)", "POLICY" },
        { "type", 't', 0, G_OPTION_ARG_STRING, &type_arg,
          "A sysfs type id (nvidia-558) instead of a PROFILE name", "TYPE" },
        { "gpu", 'g', 0, G_OPTION_ARG_STRING, &gpu_arg,
          "A GPU given as a whole VF (gpu=: MI300X, 1002:74a1) instead of a PROFILE", "GPU" },
        { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
          "Do not check that this host offers the profile", NULL },
        { NULL },
    };
    g_autoptr(VgpuRequest) probe = g_new0(VgpuRequest, 1);
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func((GDestroyNotify)cli_device_free);
    g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) vf_requests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                              NULL);
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(GError) error = NULL;
    EditTarget t = { 0 };
    const char *what;
    int rc = 1;

    if (!cli_parse_options(opts, "attach", "DOMAIN {PROFILE | --type TYPE | --gpu GPU}",
                           "Add vGPU(s) to the persistent definition of DOMAIN: the metadata "
                           "and the matching <hostdev>.", entries, &argc, &argv))
        return 1;
    if (type_arg && gpu_arg) {
        cli_error("attach: --type and --gpu exclude each other");
        return 1;
    }
    if (argc != ((type_arg || gpu_arg) ? 2 : 3)) {
        cli_error(argc < 2 ? "attach: expected DOMAIN and PROFILE (see 'vgpuctl help attach')"
                  : argc == 2 ? "attach: expected a PROFILE, --type TYPE or --gpu GPU after DOMAIN"
                  : argc == 3 ? "attach: a PROFILE and --type or --gpu exclude each other"
                  : "attach: expected DOMAIN and PROFILE (see 'vgpuctl help attach')");
        return 1;
    }
    what = gpu_arg ? gpu_arg : type_arg ? type_arg : argv[2];
    if (count < 1 || count > ATTACH_COUNT_MAX) {
        cli_error("attach: --count must be between 1 and %d", ATTACH_COUNT_MAX);
        return 1;
    }
    probe->numa = -1;
    if (gpu_arg) {
        if (vgpu_validate_gpu_name(gpu_arg, &error) < 0)
            return cli_fail("attach", error);
        probe->gpu = g_strdup(gpu_arg);
    } else if (type_arg) {
        if (vgpu_validate_type_id(type_arg, &error) < 0)
            return cli_fail("attach", error);
        probe->type = g_strdup(type_arg);
    } else {
        if (vgpu_validate_profile(argv[2], &error) < 0)
            return cli_fail("attach", error);
        probe->profile = g_strdup(argv[2]);
    }
    if ((parent_arg && vgpu_validate_pci_addr("--parent", parent_arg, &probe->parent, &error) < 0) ||
        (placement_arg && vgpu_placement_parse(placement_arg, &probe->placement, &error) < 0))
        return cli_fail("attach", error);
    /* Only for the host check; placement never looks at it. */
    probe->uuid = g_strdup("00000000-0000-0000-0000-000000000000");

    if (!(conn = cli_virt_open(opts, &error)))
        return cli_fail("attach", error);
    /* Which kind of hostdev serves the request is this host's sysfs to say. */
    if (edit_target_uri_is_local(cli_virt_uri(opts)) && !(cfg = cli_config_load(opts, &error)))
        return cli_fail("attach", error);
    if (!force && cfg && !probe->gpu && !check_host_offers(opts, probe, &error))
        return cli_fail("attach", error);
    if (!cfg) {
        CliRemote remote = { .conn = conn, .uri = cli_virt_uri(opts), .whole_vfs = -1 };
        VgpuRequest unnamed = *probe;
        g_autofree char *on_host = g_strdup_printf("vgpuctl attach %s %s%s", argv[1],
                                                   gpu_arg ? "--gpu " : type_arg ? "--type " : "",
                                                   what);
        gboolean ok;

        unnamed.uuid = NULL;
        ok = cli_remote_mdev_ok(&remote, &unnamed, on_host, &error);
        cli_remote_clear(&remote);
        if (!ok)
            return cli_fail("attach", error);
        if (!force)
            printf("Note: %s is not this host: not checking that it offers %s.\n",
                   cli_virt_uri(opts), vgpu_request_label(probe));
    }
    if (!edit_target_open(&t, conn, argv[1], &error))
        goto out;
    if (t.vd->requests->len + count > VGPU_REQUEST_MAX) {
        g_set_error(&error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s' would have more than %d vGPUs", t.name, VGPU_REQUEST_MAX);
        goto out;
    }
    for (guint i = 0; i < t.vd->requests->len; i++)
        g_ptr_array_add(devices, cli_device_from_request(g_ptr_array_index(t.vd->requests, i), i));
    for (int i = 0; i < count; i++) {
        CliDevice *d = g_new0(CliDevice, 1);

        d->uuid = cli_uuid_random();
        d->profile = g_strdup(probe->profile);
        d->type = g_strdup(probe->type);
        d->parent = g_strdup(probe->parent);
        d->placement = probe->placement;
        d->numa = -1;
        d->gpu = g_strdup(probe->gpu);
        g_ptr_array_add(devices, d);
        g_ptr_array_add(added, g_strdup(d->uuid));
    }
    if (!edit_target_set_metadata(&t, devices, &error))
        goto out;
    if (cfg && !attach_whole_vfs(&t, cfg, added, vf_requests, &error))
        goto out;
    for (guint i = 0; i < added->len; i++) {
        if (!g_hash_table_contains(vf_requests, g_ptr_array_index(added, i)) &&
            !attach_hostdev(&t, g_ptr_array_index(added, i), &error))
            goto out;
    }
    for (guint i = 0; i < added->len; i++)
        printf("Added %s vGPU %s to domain '%s'.\n", vgpu_request_label(probe),
               (const char *)g_ptr_array_index(added, i), t.name);
    /* The new UUIDs are random; the ones it kept may be a clone's. */
    cli_warn_shared_uuids(conn, t.vd);
    note_missing_hostdevs(&t);
    edit_target_note_running(&t);
    rc = 0;
out:
    if (rc != 0 && error)
        rc = edit_target_fail(&t, "attach", error);
    edit_target_clear(&t);
    return rc;
}
