/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl migrate-check: would a running vGPU domain move to another host,
 * live or only offline, and with which virsh line (multi-host.md 2.1, 2.5).
 * Over libvirt's API on both ends; the source's mdev types are read from
 * this host's sysfs, the destination's free instances from its node
 * devices (mdev_types, availableInstances). Two separate questions, kept
 * apart in the answer: can the versions carry vGPU device state at all
 * (else offline), and is the same type id free there now (else neither).
 * A live `virsh migrate` that "works" where QEMU dropped the device, as
 * the test emulator does, carried no state: the versions decide, not a
 * trial. Changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "json-out.h"
#include "virt-conn.h"
#include "vgpu-error.h"
#include "xml-safe-read.h"
#include "xml-util.h"

/* libvirt asks QEMU for migration blockers from 8.6; VFIO migration v2 is
 * QEMU's from 8.1; the v2 uAPI is the kernel's from 5.18. */
#define MC_LIBVIRT_MIN 8006000UL
#define MC_QEMU_MIN 8001000UL
#define MC_KERNEL_MIN 5018000UL

typedef enum { MC_LIVE, MC_OFFLINE, MC_NONE } McVerdict;
static const char *const mc_verdict_names[] = { "live", "offline", "none" };

typedef struct {
    const char *name;
    McVerdict verdict;
    GPtrArray *reasons;       /* char*: why not live / why not at all */
    GPtrArray *types;         /* char*: the type ids its mdevs run here */
    gboolean vgpu;            /* it has an mdev or a whole VF of ours */
} McDomain;

static void
mc_domain_clear(McDomain *d)
{
    g_clear_pointer(&d->reasons, g_ptr_array_unref);
    g_clear_pointer(&d->types, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(McDomain, mc_domain_clear)

static char *
mc_version(unsigned long v)
{
    return g_strdup_printf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* 5.18.0 from "6.1.0-57-amd64" */
static unsigned long
mc_kernel_version(void)
{
    struct utsname u;
    unsigned a = 0, b = 0, c = 0;

    if (uname(&u) < 0 || sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2)
        return 0;
    return a * 1000000UL + b * 1000UL + c;
}

/* Why this pair of hosts cannot carry vGPU state live (NULL: they can). */
static char *
mc_versions(virConnectPtr src, virConnectPtr dst, const char *dst_uri)
{
    virConnectPtr conns[] = { src, dst };
    const char *where[] = { "this host", dst_uri };
    g_autoptr(GString) why = g_string_new(NULL);
    unsigned long k = mc_kernel_version();

    for (int i = 0; i < 2; i++) {
        unsigned long lib = 0, qemu = 0;
        g_autofree char *l = NULL, *q = NULL;

        if (virConnectGetLibVersion(conns[i], &lib) < 0 || virConnectGetVersion(conns[i], &qemu) < 0) {
            g_string_append_printf(why, "%slibvirt on %s did not say its versions",
                                   why->len ? "; " : "", where[i]);
            continue;
        }
        l = mc_version(lib);
        q = mc_version(qemu);
        if (lib < MC_LIBVIRT_MIN)
            g_string_append_printf(why, "%slibvirt %s on %s is older than 8.6", why->len ? "; " : "",
                                   l, where[i]);
        if (qemu < MC_QEMU_MIN)
            g_string_append_printf(why, "%sQEMU %s on %s is older than 8.1 (no VFIO migration v2)",
                                   why->len ? "; " : "", q, where[i]);
    }
    if (k && k < MC_KERNEL_MIN) {
        g_autofree char *kv = mc_version(k);
        g_string_append_printf(why, "%skernel %s on this host is older than 5.18",
                               why->len ? "; " : "", kv);
    }
    return why->len ? g_strdup(why->str) : NULL;
}

static xmlXPathObjectPtr
mc_eval(xmlDocPtr doc, const char *expr)
{
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);

    return ctx ? xmlXPathEvalExpression((const xmlChar *)expr, ctx) : NULL;
}

/* type id -> free instances, summed over the destination's node devices */
static GHashTable *
mc_dest_free(virConnectPtr dst, GError **error)
{
    g_autoptr(GHashTable) free_by_type = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    virNodeDevicePtr *devs = NULL;
    int n = virConnectListAllNodeDevices(dst, &devs, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES);

    if (n < 0) {
        virt_error(error, "cannot list the destination's node devices");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        g_autofree char *xml = virNodeDeviceGetXMLDesc(devs[i], 0);
        g_autoptr(xmlDoc) doc = xml ? xml_safe_read(xml, strlen(xml), NULL) : NULL;
        g_autoptr(xmlXPathObject) types = doc ? mc_eval(doc, "//capability[@type='mdev_types']/type") : NULL;

        for (int j = 0; types && types->nodesetval && j < types->nodesetval->nodeNr; j++) {
            xmlNodePtr t = types->nodesetval->nodeTab[j];
            g_autofree char *id = (char *)xmlGetProp(t, (const xmlChar *)"id");

            for (xmlNodePtr c = t->children; id && c; c = c->next) {
                if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *)"availableInstances")) {
                    g_autofree char *v = (char *)xmlNodeGetContent(c);
                    guint prev = GPOINTER_TO_UINT(g_hash_table_lookup(free_by_type, id));

                    g_hash_table_replace(free_by_type, g_strdup(id),
                                         GUINT_TO_POINTER(prev + (guint)g_ascii_strtoull(v, NULL, 10)));
                }
            }
        }
        virNodeDeviceFree(devs[i]);
    }
    free(devs);
    return g_steal_pointer(&free_by_type);
}

/* The domain's mdev types as this host runs them; whole VFs noted as a reason. */
static void
mc_domain_devices(const VgpuConfig *cfg, const char *xml, McDomain *d, const char *dst_uri)
{
    g_autoptr(xmlDoc) doc = xml_safe_read(xml, strlen(xml), NULL);
    g_autoptr(xmlXPathObject) uuids = doc ? mc_eval(doc, "//devices/hostdev[@type='mdev']/source/address/@uuid") : NULL;
    g_autoptr(xmlXPathObject) vfs = doc ? mc_eval(doc, "//devices/hostdev[@type='pci']/alias[starts-with(@name,'ua-vgpu-')]") : NULL;

    for (int i = 0; uuids && uuids->nodesetval && i < uuids->nodesetval->nodeNr; i++) {
        g_autofree char *uuid = (char *)xmlNodeGetContent(uuids->nodesetval->nodeTab[i]);
        g_autofree char *link = g_build_filename(cfg->sysfs_root, "bus/mdev/devices", uuid, "mdev_type", NULL);
        g_autofree char *target = g_file_read_link(link, NULL);

        if (!target) {
            g_ptr_array_add(d->reasons, g_strdup_printf("its mdev %s is not on this host, so its type "
                                                        "cannot be known", uuid));
            continue;
        }
        g_ptr_array_add(d->types, g_path_get_basename(target));
    }
    if (vfs && vfs->nodesetval && vfs->nodesetval->nodeNr > 0)
        g_ptr_array_add(d->reasons, g_strdup_printf("its whole VFs are not visible through libvirt: "
                                                    "run 'vgpuctl check %s' on %s", d->name, dst_uri));
}

static void
mc_check(const VgpuConfig *cfg, virDomainPtr dom, GHashTable *free_by_type, const char *versions,
         const char *dst_uri, McDomain *d)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    g_autoptr(GHashTable) want = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer key, value;

    d->verdict = MC_LIVE;
    if (!xml) {
        g_ptr_array_add(d->reasons, g_strdup("libvirt did not give its live XML"));
        d->verdict = MC_NONE;
        return;
    }
    mc_domain_devices(cfg, xml, d, dst_uri);
    d->vgpu = d->types->len || d->reasons->len;
    /* The count per type: two devices of one type need two free there. */

    for (guint i = 0; i < d->types->len; i++) {
        const char *t = d->types->pdata[i];

        g_hash_table_replace(want, (gpointer)t,
                             GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(want, t)) + 1));
    }
    g_hash_table_iter_init(&it, want);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        guint have = GPOINTER_TO_UINT(g_hash_table_lookup(free_by_type, key));

        if (have >= GPOINTER_TO_UINT(value))
            continue;
        g_ptr_array_add(d->reasons, g_strdup_printf("%s has %u free %s instance%s, the domain "
                                                    "needs %u", dst_uri, have, (const char *)key,
                                                    have == 1 ? "" : "s",
                                                    GPOINTER_TO_UINT(value)));
    }
    if (d->reasons->len) {
        d->verdict = MC_NONE;
        return;
    }
    if (versions) {
        g_ptr_array_add(d->reasons, g_strdup_printf("live migration cannot carry vGPU state: %s",
                                                    versions));
        d->verdict = MC_OFFLINE;
    }
}

static void
mc_print(const McDomain *d, const char *dst_uri)
{
    g_autofree char *why = NULL;

    g_ptr_array_add(d->reasons, NULL);
    why = g_strjoinv("; ", (char **)d->reasons->pdata);
    g_ptr_array_remove_index(d->reasons, d->reasons->len - 1);
    switch (d->verdict) {
    case MC_LIVE:
        printf("%s: can move live\n  virsh migrate --live --persistent --undefinesource %s %s\n",
               d->name, d->name, dst_uri);
        break;
    case MC_OFFLINE:
        printf("%s: offline only: %s\n  stop it, then: virsh migrate --offline --persistent "
               "--undefinesource %s %s, and start it there\n", d->name, why, d->name, dst_uri);
        break;
    case MC_NONE:
        printf("%s: cannot move now: %s\n", d->name, why);
        break;
    }
}

static void
mc_json(JsonOut *j, const McDomain *d, const char *dst_uri)
{
    g_autofree char *cmd = g_strdup_printf(d->verdict == MC_LIVE ?
        "virsh migrate --live --persistent --undefinesource %s %s" :
        "virsh migrate --offline --persistent --undefinesource %s %s", d->name, dst_uri);

    json_begin_object(j);
    json_member_string(j, "domain", d->name);
    json_member_string(j, "verdict", mc_verdict_names[d->verdict]);
    json_key(j, "types");
    json_begin_array(j);
    for (guint i = 0; i < d->types->len; i++)
        json_string(j, d->types->pdata[i]);
    json_end_array(j);
    json_key(j, "reasons");
    json_begin_array(j);
    for (guint i = 0; i < d->reasons->len; i++)
        json_string(j, d->reasons->pdata[i]);
    json_end_array(j);
    json_member_string(j, "command", d->verdict == MC_NONE ? NULL : cmd);
    json_end_object(j);
}

int
cmd_migrate_check(CliOptions *opts, int argc, char **argv)
{
    g_autofree char *to = NULL;
    gboolean all = FALSE;
    const GOptionEntry entries[] = {
        { "to", 0, 0, G_OPTION_ARG_STRING, &to, "The destination's libvirt URI", "URI" },
        { "all", 0, 0, G_OPTION_ARG_NONE, &all, "Every running domain with a vGPU", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json, "Print JSON", NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(virConnect) src = NULL;
    g_autoptr(virConnect) dst = NULL;
    g_autoptr(GHashTable) free_by_type = NULL;
    g_autoptr(JsonOut) j = json_out_new();
    g_autofree char *versions = NULL;
    CliOptions dst_opts = { 0 };
    virDomainPtr *doms = NULL;
    int n = 0, rc = 0;

    if (!cli_parse_options(opts, "migrate-check", "DOMAIN --to URI | --all --to URI",
                           "Would the domain move to the host at URI now: live, offline only, "
                           "or not at all, and why; the virsh line to do it. Exit 0 when every "
                           "domain can move live, 2 when some only offline, 1 otherwise. "
                           "Changes nothing.", entries, &argc, &argv))
        return 1;
    if (!to || (all ? argc != 1 : argc != 2)) {
        cli_error("migrate-check: expected DOMAIN --to URI, or --all --to URI "
                  "(see 'vgpuctl migrate-check --help')");
        return 1;
    }
    dst_opts.uri = to;
    if (!(cfg = cli_config_load(opts, &error)) || !(src = cli_virt_open(opts, &error)))
        return cli_fail("migrate-check", error);
    if (!(dst = cli_virt_open(&dst_opts, &error)))
        return cli_fail("migrate-check: the destination", error);
    if (!(free_by_type = mc_dest_free(dst, &error)))
        return cli_fail("migrate-check", error);
    versions = mc_versions(src, dst, to);
    if (all) {
        if ((n = virConnectListAllDomains(src, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE)) < 0) {
            virt_error(&error, "cannot list the running domains");
            return cli_fail("migrate-check", error);
        }
    } else {
        doms = g_new0(virDomainPtr, 1);
        if (!(doms[0] = cli_virt_domain(src, argv[1], &error))) {
            g_free(doms);
            return cli_fail("migrate-check", error);
        }
        n = 1;
    }
    if (opts->json)
        json_begin_array(j);
    for (int i = 0; i < n; i++) {
        g_auto(McDomain) d = { .name = virDomainGetName(doms[i]),
                               .reasons = g_ptr_array_new_with_free_func(g_free),
                               .types = g_ptr_array_new_with_free_func(g_free) };

        mc_check(cfg, doms[i], free_by_type, versions, to, &d);
        /* --all: only the domains with a vGPU are this command's business. */
        if (!all || d.vgpu) {
            if (opts->json)
                mc_json(j, &d, to);
            else
                mc_print(&d, to);
            if (d.verdict == MC_NONE)
                rc = 1;
            else if (d.verdict == MC_OFFLINE && rc == 0)
                rc = 2;
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    if (opts->json) {
        json_end_array(j);
        json_out_print(j);
    }
    return rc;
}
