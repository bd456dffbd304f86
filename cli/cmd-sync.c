/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl sync: add the <hostdev> that the metadata of one domain (or
 * every persistent one) lacks: the same code as vgpu-keeper's
 * (virt/domain-sync.c), after pointing whole-VF requests at a VF that can
 * serve them. */
#include "cli.h"
#include "domain-sync.h"
#include "domain-xml.h"
#include "edit-target.h"
#include "host-scan.h"
#include "remote-host.h"
#include "sync-vf.h"
#include "vf-choice.h"
#include "virt-conn.h"
#include "virt-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        const char *name;

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
        /* Named before: virDomainGetName() would reset libvirt's error. */
        name = virDomainGetName(dom);
        if (virDomainAttachDeviceFlags(dom, elem, VIR_DOMAIN_AFFECT_CONFIG |
                                       virt_test_fault_flag("sync-attach-mdev")) < 0) {
            virt_error(error, "domain '%s': adding the <hostdev> for %s", name, req->uuid);
            return -1;
        }
        *changed = TRUE;
        printf("Domain '%s': added <hostdev> for %s vGPU %s.\n", name, vgpu_request_label(req),
               req->uuid);
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

/* Was domain @uuid undefined since --all listed it? Then its failure is
 * no error: there is nothing left to sync (as the keeper treats it). */
static gboolean
sync_gone(virConnectPtr conn, const char *uuid)
{
    virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);

    if (dom) {
        virDomainFree(dom);
        return FALSE;
    }
    return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN;
}

/* One domain: @arg as the user named it, or (--all, @listed) the UUID of
 * one listed, said by its @listed name. */
static int
sync_domain(const VgpuConfig *cfg, CliRemote *remote, virConnectPtr conn, const char *arg,
            const char *listed)
{
    gboolean quiet_when_none = listed != NULL;
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
    if (rc != 0 && listed && sync_gone(conn, arg)) {
        printf("Domain '%s': undefined meanwhile, nothing to sync.\n", listed);
        rc = 0;
    } else if (rc != 0) {
        cli_fail("sync", error);
    }
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
    if (edit_target_uri_is_local(cli_virt_uri(opts)) && !(cfg = cli_config_load(opts, &error)))
        return cli_fail("sync", error);
    remote.conn = conn;
    remote.uri = cli_virt_uri(opts);
    if (!all)
        return sync_domain(cfg, &remote, conn, argv[1], NULL);
    if ((n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT)) < 0) {
        virt_error(&error, "listing domains");
        return cli_fail("sync", error);
    }
    virt_test_point("sync-all-listed");
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(doms[i], uuid) == 0 &&
            sync_domain(cfg, &remote, conn, uuid, virDomainGetName(doms[i])) != 0)
            rc = 1;
        virDomainFree(doms[i]);
    }
    free(doms);
    return rc;
}
