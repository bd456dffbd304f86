/* vgpuctl attach, detach, sync, define: edit a domain's persistent
 * definition, the <vgpu:vgpu> metadata and the matching <hostdev>
 * together.
 *
 * The edits go through libvirt's own calls for them, so that nothing else
 * in the definition is rewritten: virDomainSetMetadata for the metadata
 * element, virDomainAttachDeviceFlags / virDomainDetachDeviceFlags for the
 * hostdevs, all with VIR_DOMAIN_AFFECT_CONFIG. That is several calls, so
 * the definition read before the first (with its secrets) is defined again
 * when a later one fails: all or nothing.
 *
 * Order: attach writes the metadata before the hostdevs, detach removes
 * the hostdevs before the metadata. Should vgpuctl die in between, the
 * domain is left with metadata and no <hostdev>, which the hook refuses at
 * start with the element to add and the command that adds it — never with
 * a <hostdev> naming an mdev nobody will create.
 *
 * sync is the exception: one compare-before-write redefinition, the code
 * vgpu-keeper runs too (virt/domain-sync.c). */
#include "cli.h"
#include "clone-check.h"
#include "domain-sync.h"
#include "domain-xml.h"
#include "host-scan.h"
#include "numa-map.h"
#include "placement.h"
#include "vgpu-error.h"
#include "vgpu-metadata.h"
#include "virt-conn.h"
#include "vgpu-validate.h"
#include "sync-vf.h"
#include "remote-host.h"
#include "vf-choice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATTACH_COUNT_MAX 16

typedef struct {
    virDomainPtr dom;
    const char *name;          /* libvirt's, owned by dom */
    char *old_xml;             /* persistent definition before any change */
    VgpuDomain *vd;
    gboolean running;
    gboolean changed;          /* some call succeeded: restore on failure */
} EditTarget;

static void
edit_target_clear(EditTarget *t)
{
    g_clear_pointer(&t->old_xml, g_free);
    g_clear_pointer(&t->vd, xml_domain_free);
    if (t->dom)
        virDomainFree(t->dom);
    t->dom = NULL;
}

/* Look the domain up and read its persistent definition. */
static gboolean
edit_target_open(EditTarget *t, virConnectPtr conn, const char *arg, GError **error)
{
    int persistent;

    if (!(t->dom = cli_virt_domain(conn, arg, error)))
        return FALSE;
    t->name = virDomainGetName(t->dom);
    if ((persistent = virDomainIsPersistent(t->dom)) < 0) {
        cli_virt_error(error, "domain '%s'", t->name);
        return FALSE;
    }
    if (!persistent) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s' is transient: it has no persistent definition to edit", t->name);
        return FALSE;
    }
    t->running = virDomainIsActive(t->dom) > 0;
    if (!(t->old_xml = cli_virt_inactive_xml(t->dom, error)))
        return FALSE;
    t->vd = xml_domain_parse(t->old_xml, strlen(t->old_xml), error);
    return t->vd != NULL;
}

static gboolean
set_metadata(EditTarget *t, GPtrArray *devices, GError **error)
{
    g_autofree char *element = cli_metadata_element(devices);

    if (virDomainSetMetadata(t->dom, VIR_DOMAIN_METADATA_ELEMENT, element,
                             CLI_METADATA_PREFIX, VGPU_XML_NS, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        cli_virt_error(error, "domain '%s': writing the vGPU metadata", t->name);
        return FALSE;
    }
    t->changed = TRUE;
    return TRUE;
}

static gboolean
attach_hostdev(EditTarget *t, const char *uuid, GError **error)
{
    g_autofree char *hostdev = xml_hostdev_element(uuid);

    if (virDomainAttachDeviceFlags(t->dom, hostdev, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        cli_virt_error(error, "domain '%s': adding the <hostdev> for %s", t->name, uuid);
        return FALSE;
    }
    t->changed = TRUE;
    return TRUE;
}

static gboolean
detach_hostdev(EditTarget *t, const char *uuid, GError **error)
{
    g_autofree char *hostdev = xml_hostdev_element(uuid);

    if (virDomainDetachDeviceFlags(t->dom, hostdev, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        cli_virt_error(error, "domain '%s': removing the <hostdev> for %s", t->name, uuid);
        return FALSE;
    }
    t->changed = TRUE;
    return TRUE;
}

static void
note_running(const EditTarget *t)
{
    if (t->running)
        printf("Domain '%s' is running: the change applies at its next start.\n", t->name);
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

/* Fail with @error after trying to restore the definition. */
static int
edit_fail(EditTarget *t, const char *command, GError *error)
{
    virDomainPtr again;

    if (t->changed) {
        if ((again = virDomainDefineXML(virDomainGetConnect(t->dom), t->old_xml))) {
            virDomainFree(again);
            cli_error("%s: %s; the definition was restored as it was", command, error->message);
        } else {
            cli_error("%s: %s; restoring the old definition failed too (%s)", command,
                      error->message, virGetLastErrorMessage());
        }
        return 1;
    }
    return cli_fail(command, error);
}

/* A URI naming no host is this machine, whose sysfs we can read. */
static gboolean
uri_is_local(const char *uri)
{
    const char *p = strstr(uri, "://");

    return p && p[3] == '/';
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
    g_autofree char *parent_arg = NULL, *placement_arg = NULL;
    gboolean by_type = FALSE, by_gpu = FALSE, force = FALSE;
    const GOptionEntry entries[] = {
        { "count", 'n', 0, G_OPTION_ARG_INT, &count, "How many vGPUs to add (default 1)", "N" },
        { "parent", 'p', 0, G_OPTION_ARG_STRING, &parent_arg,
          "Only on this PCI device (a PF: any of its VFs)", "ADDR" },
        { "placement", 0, 0, G_OPTION_ARG_STRING, &placement_arg,
          "pack or spread (default: the config's)", "POLICY" },
        { "type", 't', 0, G_OPTION_ARG_NONE, &by_type,
          "PROFILE is a sysfs type id (nvidia-558), not a name", NULL },
        { "gpu", 'g', 0, G_OPTION_ARG_NONE, &by_gpu,
          "PROFILE names a GPU given as a whole VF (gpu=: MI300X, 1002:74a1)", NULL },
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
    int rc = 1;

    if (!cli_parse_options(opts, "attach", "DOMAIN PROFILE",
                           "Add vGPU(s) to the persistent definition of DOMAIN: the metadata "
                           "and the matching <hostdev>.", entries, &argc, &argv))
        return 1;
    if (argc != 3) {
        cli_error("attach: expected DOMAIN and PROFILE (see 'vgpuctl attach --help')");
        return 1;
    }
    if (count < 1 || count > ATTACH_COUNT_MAX) {
        cli_error("attach: --count must be between 1 and %d", ATTACH_COUNT_MAX);
        return 1;
    }
    probe->numa = -1;
    if (by_type && by_gpu) {
        cli_error("attach: --type and --gpu exclude each other");
        return 1;
    }
    if (by_gpu) {
        if (vgpu_validate_gpu_name(argv[2], &error) < 0)
            return cli_fail("attach", error);
        probe->gpu = g_strdup(argv[2]);
    } else if (by_type) {
        if (vgpu_validate_type_id(argv[2], &error) < 0)
            return cli_fail("attach", error);
        probe->type = g_strdup(argv[2]);
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
    if (uri_is_local(cli_virt_uri(opts)) && !(cfg = cli_config_load(opts, &error)))
        return cli_fail("attach", error);
    if (!force && cfg && !probe->gpu && !check_host_offers(opts, probe, &error))
        return cli_fail("attach", error);
    if (!cfg) {
        CliRemote remote = { .conn = conn, .uri = cli_virt_uri(opts), .whole_vfs = -1 };
        VgpuRequest unnamed = *probe;
        g_autofree char *on_host = g_strdup_printf("vgpuctl attach %s %s%s", argv[1],
                                                   by_gpu ? "--gpu " : by_type ? "--type " : "",
                                                   argv[2]);
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
    if (!set_metadata(&t, devices, &error))
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
    note_running(&t);
    rc = 0;
out:
    if (rc != 0 && error)
        rc = edit_fail(&t, "attach", error);
    edit_target_clear(&t);
    return rc;
}

int
cmd_detach(CliOptions *opts, int argc, char **argv)
{
    gboolean all = FALSE;
    const GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Remove every vGPU of the domain", NULL },
        { NULL },
    };
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func((GDestroyNotify)cli_device_free);
    g_autoptr(GPtrArray) removed = g_ptr_array_new();   /* const VgpuRequest* */
    g_autoptr(GError) error = NULL;
    g_autofree char *uuid = NULL;
    EditTarget t = { 0 };
    int rc = 1;

    if (!cli_parse_options(opts, "detach", "DOMAIN [UUID | --all]",
                           "Remove vGPU(s) from the persistent definition of DOMAIN: the "
                           "metadata and the matching <hostdev>.", entries, &argc, &argv))
        return 1;
    if (argc < 2 || argc > 3 || (argc == 3 && all)) {
        cli_error("detach: expected DOMAIN and either a vGPU UUID or --all "
                  "(see 'vgpuctl detach --help')");
        return 1;
    }
    if (argc == 3 && vgpu_validate_uuid("UUID", argv[2], &uuid, &error) < 0)
        return cli_fail("detach", error);
    if (!(conn = cli_virt_open(opts, &error)))
        return cli_fail("detach", error);
    if (!edit_target_open(&t, conn, argv[1], &error))
        goto out;
    if (t.vd->requests->len == 0) {
        g_set_error(&error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "domain '%s' has no vGPU", t.name);
        goto out;
    }
    if (!uuid && !all && t.vd->requests->len > 1) {
        g_set_error(&error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s' has %u vGPUs: name one UUID or give --all", t.name,
                    t.vd->requests->len);
        goto out;
    }
    for (guint i = 0; i < t.vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(t.vd->requests, i);

        if (!uuid || strcmp(req->uuid, uuid) == 0)
            g_ptr_array_add(removed, (gpointer)req);
        else
            g_ptr_array_add(keep, cli_device_from_request(req, keep->len));
    }
    if (removed->len == 0) {
        g_set_error(&error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND,
                    "domain '%s' has no vGPU %s in its metadata", t.name, uuid);
        goto out;
    }
    for (guint i = 0; i < removed->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(removed, i);

        if (xml_domain_request_has_hostdev(t.vd, req) && !detach_hostdev(&t, req->uuid, &error))
            goto out;
    }
    if (!set_metadata(&t, keep, &error))
        goto out;
    for (guint i = 0; i < removed->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(removed, i);

        printf("Removed %s vGPU %s from domain '%s'.\n", vgpu_request_label(req), req->uuid,
               t.name);
    }
    note_running(&t);
    rc = 0;
out:
    if (rc != 0 && error)
        rc = edit_fail(&t, "detach", error);
    edit_target_clear(&t);
    return rc;
}

/* The typed requests the whole-VF pass judged mdev ones by the config's
 * placement rules (as the hook judges them) but the shared pass after it
 * (domain_sync, which knows no config: the default rules) would take for
 * whole-VF ones and leave without a hostdev: their mdev hostdev is written
 * here. Returns how many, or -1. */
static int
sync_mdev_pass(const VgpuConfig *cfg, virDomainPtr dom, const VgpuDomain *vd,
               GHashTable *vf_requests, gboolean *changed, GError **error)
{
    g_autoptr(GHashTable) by_default = NULL;
    g_autoptr(Host) host = NULL;
    int added = 0;

    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);
        g_autofree char *elem = NULL;

        if (req->vf || req->gpu || g_hash_table_contains(vf_requests, req->uuid) ||
            xml_domain_request_has_hostdev(vd, req))
            continue;
        if (!by_default) {
            if (!(host = host_scan(cfg->sysfs_root, vd->requests, error)))
                return -1;
            by_default = vf_choice_requests(host, vd->requests);
        }
        if (!g_hash_table_contains(by_default, req->uuid))
            continue;   /* domain_sync adds it */
        elem = xml_hostdev_element(req->uuid);
        if (virDomainAttachDeviceFlags(dom, elem, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
            cli_virt_error(error, "domain '%s': adding the <hostdev> for %s",
                           virDomainGetName(dom), req->uuid);
            return -1;
        }
        *changed = TRUE;
        printf("Domain '%s': added <hostdev> for %s vGPU %s.\n", virDomainGetName(dom),
               vgpu_request_label(req), req->uuid);
        added++;
    }
    return added;
}

/* Whole-VF requests first (sync-vf.c, from this host's sysfs), then the
 * mdev ones: all or nothing, the old definition is defined again when a
 * step fails. */
static int
sync_vf_pass(const VgpuConfig *cfg, virDomainPtr dom, GError **error)
{
    g_autofree char *old_xml = cli_virt_inactive_xml(dom, error);
    g_autoptr(VgpuDomain) vd = NULL;
    g_autoptr(GHashTable) vf_requests = g_hash_table_new(g_str_hash, g_str_equal);
    gboolean changed = FALSE;
    int pointed, added;
    virDomainPtr again;

    if (!old_xml || !(vd = xml_domain_parse(old_xml, strlen(old_xml), error)))
        return -1;
    if ((pointed = sync_vf_domain(cfg, dom, virDomainGetName(dom), vd, vf_requests, &changed,
                                  error)) >= 0 &&
        (added = sync_mdev_pass(cfg, dom, vd, vf_requests, &changed, error)) >= 0)
        return pointed + added;
    if (!changed)
        return -1;
    if ((again = virDomainDefineXML(virDomainGetConnect(dom), old_xml))) {
        virDomainFree(again);
        g_prefix_error(error, "the definition was restored as it was: ");
    }
    return -1;
}

/* Add the <hostdev> that the metadata of one domain lacks: the same code as
 * vgpu-keeper's (virt/domain-sync.c), after pointing whole-VF requests at a
 * VF that can serve them. */
/* Through a libvirt on another host: an mdev hostdev for each request
 * lacking one only where that host can have no other kind. */
static gboolean
sync_remote_check(CliRemote *remote, virDomainPtr dom, GError **error)
{
    g_autofree char *xml = cli_virt_inactive_xml(dom, error);
    g_autoptr(VgpuDomain) vd = NULL;
    g_autofree char *on_host = g_strdup_printf("vgpuctl sync %s", virDomainGetName(dom));

    if (!xml || !(vd = xml_domain_parse(xml, strlen(xml), error)))
        return FALSE;
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);

        if (!req->vf && !xml_domain_request_has_hostdev(vd, req) &&
            !cli_remote_mdev_ok(remote, req, on_host, error)) {
            g_prefix_error(error, "domain '%s': ", virDomainGetName(dom));
            return FALSE;
        }
    }
    return TRUE;
}

static int
sync_domain(const VgpuConfig *cfg, CliRemote *remote, virConnectPtr conn, const char *arg,
            gboolean quiet_when_none)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(virDomain) dom = NULL;
    DomainSyncResult res = { 0 };
    int rc = 1, pointed = 0;

    if (!(dom = cli_virt_domain(conn, arg, &error)) ||
        (cfg && (pointed = sync_vf_pass(cfg, dom, &error)) < 0) ||
        (!cfg && !sync_remote_check(remote, dom, &error)) ||
        domain_sync(dom, cfg ? cfg->sysfs_root : NULL, FALSE, &res, &error) < 0)
        goto out;
    for (guint i = 0; i < res.added->len; i++)
        printf("Domain '%s': added <hostdev> for %s.\n", res.name,
               (const char *)g_ptr_array_index(res.added, i));
    if (res.outcome != DOMAIN_SYNC_CHANGED && pointed == 0 &&
        !(quiet_when_none && res.requests == 0))
        printf("Domain '%s': nothing to add (%u vGPU(s), each with its <hostdev>).\n", res.name,
               res.requests);
    else if ((res.outcome == DOMAIN_SYNC_CHANGED || pointed > 0) && res.running)
        printf("Domain '%s' is running: the change applies at its next start.\n", res.name);
    rc = 0;
out:
    if (rc != 0)
        cli_fail("sync", error);
    domain_sync_result_clear(&res);
    return rc;
}

int
cmd_sync(CliOptions *opts, int argc, char **argv)
{
    gboolean all = FALSE;
    const GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Every persistent domain", NULL },
        { NULL },
    };
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(CliRemote) remote = { .whole_vfs = -1 };
    virDomainPtr *doms = NULL;
    int n, rc = 0;

    if (!cli_parse_options(opts, "sync", "DOMAIN | --all",
                           "Add the <hostdev> that vGPU metadata written by hand lacks "
                           "(after 'virsh define' or 'virsh edit'). Idempotent.",
                           entries, &argc, &argv))
        return 1;
    if ((argc != 2 && !all) || (argc != 1 && all)) {
        cli_error("sync: expected one DOMAIN or --all (see 'vgpuctl sync --help')");
        return 1;
    }
    if (!(conn = cli_virt_open(opts, &error)))
        return cli_fail("sync", error);
    /* Whole VFs are chosen from this host's sysfs: only for a local URI. */
    if (uri_is_local(cli_virt_uri(opts)) && !(cfg = cli_config_load(opts, &error)))
        return cli_fail("sync", error);
    remote.conn = conn;
    remote.uri = cli_virt_uri(opts);
    if (!all)
        return sync_domain(cfg, &remote, conn, argv[1], FALSE);
    if ((n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT)) < 0) {
        cli_virt_error(&error, "listing domains");
        return cli_fail("sync", error);
    }
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(doms[i], uuid) == 0 &&
            sync_domain(cfg, &remote, conn, uuid, TRUE) != 0)
            rc = 1;
        virDomainFree(doms[i]);
    }
    free(doms);
    return rc;
}

/* Through a libvirt on another host: the requests whose kind that host
 * alone can tell get no hostdev (added to @whole_vf), each with the one
 * sentence why in @notes; sync run there adds it. */
static void
define_remote_kinds(virConnectPtr conn, const char *uri, const VgpuDomain *vd,
                    GHashTable *whole_vf, GPtrArray *notes)
{
    g_auto(CliRemote) remote = { .conn = conn, .uri = uri, .whole_vfs = -1 };
    g_autofree char *on_host = g_strdup_printf("vgpuctl sync %s", vd->name ? vd->name : "DOMAIN");

    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);
        g_autoptr(GError) why = NULL;

        if (req->vf || xml_domain_request_has_hostdev(vd, req) ||
            cli_remote_mdev_ok(&remote, req, on_host, &why))
            continue;
        g_hash_table_add(whole_vf, g_strdup(req->uuid));
        g_ptr_array_add(notes, g_strdup(why->message));
    }
}

int
cmd_define(CliOptions *opts, int argc, char **argv)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(VgpuDomain) vd = NULL;
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(Host) host = NULL;
    g_autoptr(GHashTable) whole_vf = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *buf = NULL, *xml = NULL;
    g_autoptr(GPtrArray) remote_notes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) nodes = NULL;
    PlacementRules rules = { 0 };
    gsize len = 0;
    guint added = 0;

    if (!cli_parse_options(opts, "define", "FILE",
                           "Define a domain from FILE ('-': standard input) like 'virsh define', "
                           "adding the <hostdev> its vGPU metadata lacks.", NULL, &argc, &argv))
        return 1;
    if (argc != 2) {
        cli_error("define: expected one FILE (see 'vgpuctl define --help')");
        return 1;
    }
    if (!(buf = cli_read_file(argv[1], &len, &error)))
        return cli_fail("define", error);
    /* Validate first: a bad request is reported before libvirt is asked. */
    if (!(vd = xml_domain_parse(buf, len, &error)))
        return cli_fail("define", error);
    /* A request a whole VF serves on this host gets its PCI hostdev from
     * 'vgpuctl sync', which chooses the VF; only a local host is known. */
    if (uri_is_local(cli_virt_uri(opts))) {
        if (!(cfg = cli_config_load(opts, &error)) ||
            !(host = host_scan(cfg->sysfs_root, vd->requests, &error)) ||
            numa_domain_nodes(cfg->sysfs_root, vd->mem_nodes, vd->cpus, &nodes, &error) < 0)
            return cli_fail("define", error);
        rules = placement_rules_from_config(cfg);
        rules.domain_nodes = nodes;
    }
    whole_vf = vf_choice_requests_by(host, cfg ? &rules : NULL, vd->requests);
    if (!(conn = cli_virt_open(opts, &error)))
        return cli_fail("define", error);
    if (!cfg)
        define_remote_kinds(conn, cli_virt_uri(opts), vd, whole_vf, remote_notes);
    if (!(xml = xml_domain_add_hostdevs_except(buf, len, whole_vf, &added, &error)))
        return cli_fail("define", error);
    if (!(dom = virDomainDefineXML(conn, xml))) {
        cli_virt_error(&error, "defining %s", argv[1]);
        return cli_fail("define", error);
    }
    printf("Domain '%s' defined from %s.\n", virDomainGetName(dom), argv[1]);
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);

        if (!g_hash_table_contains(whole_vf, req->uuid) && !xml_domain_request_has_hostdev(vd, req))
            printf("Added <hostdev> for %s vGPU %s.\n", vgpu_request_label(req), req->uuid);
        else if (!req->vf && g_hash_table_contains(whole_vf, req->uuid) && cfg)
            printf("vGPU %s (%s) is served by a whole VF here: 'vgpuctl sync %s' chooses it.\n",
                   req->uuid, vgpu_request_label(req), virDomainGetName(dom));
    }
    for (guint i = 0; i < remote_notes->len; i++)
        printf("No <hostdev> added: %s.\n", (const char *)g_ptr_array_index(remote_notes, i));
    cli_warn_shared_uuids(conn, vd);
    return 0;
}
