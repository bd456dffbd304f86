/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl define: define a domain from a file like 'virsh define',
 * adding the mdev <hostdev> its vGPU metadata lacks; whole-VF requests
 * then get their VF as 'vgpuctl sync' gives it (virt/sync-vf.c). */
#include "cli.h"
#include "clone-check.h"
#include "domain-xml.h"
#include "edit-target.h"
#include "host-scan.h"
#include "numa-map.h"
#include "placement.h"
#include "remote-host.h"
#include "sync-vf.h"
#include "vf-choice.h"
#include "virt-conn.h"

#include <stdio.h>
#include <string.h>

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

/* The whole-VF requests of the domain just defined get their VF by sync's
 * pass, which weighs every other domain and so needs this one defined
 * first. When no VF fits now the domain stays defined without it, as an
 * mdev domain does on a full host (the hook refuses its start with the
 * element to add); one line says so. */
static void
define_point_vfs(const VgpuConfig *cfg, virDomainPtr dom, const VgpuDomain *vd,
                 GHashTable *whole_vf)
{
    g_autoptr(GHashTable) chosen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) error = NULL;
    g_autoptr(VgpuDomain) now = NULL;
    g_autofree char *xml = NULL;
    const char *name = virDomainGetName(dom);
    gboolean changed = FALSE, wanted = FALSE;

    for (guint i = 0; i < vd->requests->len && !wanted; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);

        wanted = !req->vf && g_hash_table_contains(whole_vf, req->uuid);
    }
    if (!wanted)
        return;
    /* Read back: the UUIDs are the definition's (derived ones included). */
    if (!(xml = cli_virt_inactive_xml(dom, &error)) ||
        !(now = xml_domain_parse(xml, strlen(xml), &error)) ||
        sync_vf_domain(cfg, dom, name, now, chosen, &changed, &error) < 0)
        printf("No VF chosen for its whole-VF vGPU(s): %s; 'vgpuctl sync %s' chooses one "
               "when one is free.\n", error->message, name);
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
    g_auto(VfContext) ctx = { 0 };
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
    if (edit_target_uri_is_local(cli_virt_uri(opts))) {
        if (!(cfg = cli_config_load(opts, &error)) ||
            !(host = host_scan(cfg->sysfs_root, vd->requests, &error)) ||
            numa_domain_nodes(cfg->sysfs_root, vd->mem_nodes, vd->cpus, &nodes, &error) < 0)
            return cli_fail("define", error);
        vf_context_init(&ctx, cfg, nodes, NULL, NULL);
    }
    whole_vf = vf_choice_requests_by(host, cfg ? &ctx.rules : NULL, vd->requests);
    if (!(conn = cli_virt_open(opts, &error)))
        return cli_fail("define", error);
    if (!cfg)
        define_remote_kinds(conn, cli_virt_uri(opts), vd, whole_vf, remote_notes);
    if (!(xml = xml_domain_add_hostdevs_except(buf, len, whole_vf, &added, &error)))
        return cli_fail("define", error);
    if (!(dom = virDomainDefineXML(conn, xml))) {
        virt_error(&error, "defining %s", argv[1]);
        return cli_fail("define", error);
    }
    printf("Domain '%s' defined from %s.\n", virDomainGetName(dom), argv[1]);
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);

        if (!g_hash_table_contains(whole_vf, req->uuid) && !xml_domain_request_has_hostdev(vd, req))
            printf("Added <hostdev> for %s vGPU %s.\n", vgpu_request_label(req), req->uuid);
    }
    if (cfg)
        define_point_vfs(cfg, dom, vd, whole_vf);
    for (guint i = 0; i < remote_notes->len; i++)
        printf("No <hostdev> added: %s.\n", (const char *)g_ptr_array_index(remote_notes, i));
    cli_warn_shared_uuids(conn, vd);
    return 0;
}
