/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl check: a dry run of the hook's prepare for one domain. Would it
 * start now, on which parents, and if not, why (in the hook's own words)?
 * Reads sysfs, never writes it.
 *
 * The requests are placed in order, as the hook does, with the hook's
 * placement and the hook's model of what a create consumes (the device
 * kind's note_made): each sees the host as the earlier ones left it. What
 * a driver does beyond that model is not predicted, and the output says
 * so when it could matter. */
#include "cli.h"
#include "domain-xml.h"
#include "device-kind.h"
#include "host-scan.h"
#include "json-out.h"
#include "ledger.h"
#include "numa-map.h"
#include "placement.h"
#include "vgpu-cpuset.h"
#include "table.h"
#include "vgpu-error.h"
#include "vf-choice.h"
#include "virt-conn.h"

#include <stdio.h>
#include <string.h>

typedef enum { RESULT_NEW, RESULT_EXISTING, RESULT_REFUSED } CheckResult;

typedef struct {
    const VgpuRequest *req;
    CheckResult result;
    char *parent;
    char *gpu;
    char *type;             /* id */
    char *type_name;
    int numa_node;          /* of the parent; -1 unknown */
    char *reason;           /* RESULT_REFUSED */
    GPtrArray *candidates;  /* char* "GPU (node N)", best first, one per GPU */
} DeviceCheck;

typedef struct {
    char *name;
    const GArray *nodes;    /* the domain's NUMA nodes, or NULL */
    GPtrArray *devices;     /* DeviceCheck* */
    GPtrArray *problems;    /* char*: each one keeps the domain from starting */
    GPtrArray *notes;       /* char* */
    GHashTable *vf_advised; /* UUIDs of whole-VF requests with no VF hostdev -> why no
                               VF here can serve it, or NULL */
} CheckReport;

static void
device_check_free(gpointer p)
{
    DeviceCheck *d = p;

    g_free(d->parent);
    g_free(d->gpu);
    g_free(d->type);
    g_free(d->type_name);
    g_free(d->reason);
    if (d->candidates)
        g_ptr_array_unref(d->candidates);
    g_free(d);
}

static void
fill_type(DeviceCheck *d, const Host *host, const char *parent, const char *type_id)
{
    const HostParent *p = host_find_parent(host, parent);
    const HostType *t = p ? host_parent_find_type(p, type_id) : NULL;

    d->parent = g_strdup(parent);
    d->gpu = g_strdup(p ? p->gpu : parent);
    d->numa_node = p ? p->numa_node : -1;
    d->type = g_strdup(type_id);
    d->type_name = g_strdup(t ? host_type_short_name(t) : type_id);
}

/* Each candidate GPU once, with its NUMA node, in the order tried. */
static GPtrArray *
candidate_gpus(GPtrArray *cands)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < cands->len; i++) {
        const HostParent *p = ((const PlacementCandidate *)cands->pdata[i])->parent;

        if (!g_hash_table_add(seen, p->gpu))
            continue;
        if (p->numa_node >= 0)
            g_ptr_array_add(out, g_strdup_printf("%s (node %d)", p->gpu, p->numa_node));
        else
            g_ptr_array_add(out, g_strdup_printf("%s (node unknown)", p->gpu));
    }
    return out;
}

static void
check_requests(CheckReport *r, const VfContext *ctx, Host *host, const VgpuDomain *vd,
               GPtrArray *ledgers)
{
    g_autoptr(GHashTable) pooled = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const VfChoice *vc = &ctx->vf;

    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest view = vf_choice_view(req, &type_owned);

        if (g_hash_table_contains(r->vf_advised, req->uuid)) {
            /* The hook refuses it before anything else (check_vf_hostdevs). */
            DeviceCheck *d = g_new0(DeviceCheck, 1);
            const char *why = g_hash_table_lookup(r->vf_advised, req->uuid);

            d->req = req;
            d->result = RESULT_REFUSED;
            d->numa_node = -1;
            d->reason = why ? g_strdup(why)
                        : g_strdup("a whole VF serves it here, and no <hostdev> names one "
                                   "(the element to add is below)");
            g_ptr_array_add(r->devices, d);
            continue;
        }
        if (req->vf) {
            /* A whole VF: the one its hostdev names, checked as the hook would. */
            DeviceCheck *d = g_new0(DeviceCheck, 1);
            HostParent *vf = host_find_parent(host, req->vf);

            d->req = req;
            g_ptr_array_add(r->devices, d);
            if ((d->reason = vf_choice_refusal(vc, host, req->vf, &view, r->name))) {
                d->result = RESULT_REFUSED;
                fill_type(d, host, req->vf, view.type ? view.type : "-");
                continue;
            }
            d->result = host_find_device(host, vf->addr) ? RESULT_EXISTING : RESULT_NEW;
            if (d->result == RESULT_EXISTING) {
                fill_type(d, host, vf->addr, host_find_device(host, vf->addr)->type);
            } else if (vf->types->len) {
                g_autoptr(GPtrArray) types = vf_choice_types(vf, &view);
                const HostType *t = types->len ? g_ptr_array_index(types, 0) : NULL;
                fill_type(d, host, vf->addr, t ? t->id : "-");
                if (t && d->result == RESULT_NEW)
                    vf->kind->note_made(host, vf->addr, vf->addr, t->id);
            } else {
                fill_type(d, host, vf->addr, "-");
            }
            continue;
        }
        const HostDevice *m = host_find_device(host, req->uuid);
        DeviceCheck *d = g_new0(DeviceCheck, 1);
        const PlacementRules *rules = &ctx->rules;
        g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) cands = NULL;
        const PlacementCandidate *c;
        const HostParent *chosen;
        const Ledger *owner;

        d->req = req;
        d->numa_node = -1;
        g_ptr_array_add(r->devices, d);
        /* As the hook refuses it (hooks/hook-prepare.c, check_clones). */
        if (vd->uuid && (owner = ledger_other_owner(ledgers, vd->uuid, req->uuid))) {
            d->result = RESULT_REFUSED;
            d->reason = ledger_clone_refusal(owner, req->uuid);
            continue;
        }
        if (m) {
            fill_type(d, host, m->parent, m->type);
            if (!host_device_fits(host, m, req)) {
                d->result = RESULT_REFUSED;
                d->reason = g_strdup_printf("mdev %s already exists as type %s on %s, which is "
                                            "not %s", m->uuid, m->type, m->parent,
                                            vgpu_request_label(req));
                continue;
            }
            d->result = RESULT_EXISTING;
            continue;
        }
        cands = placement_choose(host, req, rules, refusals);
        d->candidates = candidate_gpus(cands);
        if (cands->len == 0) {
            d->result = RESULT_REFUSED;
            d->reason = placement_explain(host, req, refusals);
            continue;
        }
        c = g_ptr_array_index(cands, 0);
        chosen = c->parent;
        d->result = RESULT_NEW;
        fill_type(d, host, chosen->addr, c->type->id);
        if (placement_is_remote(chosen, req, rules)) {
            g_autofree char *nodes = vgpu_cpuset_format(r->nodes);
            g_autofree char *why = placement_remote_reason(host, req, rules, c);

            g_ptr_array_add(r->notes, g_strdup_printf(
                "vGPU device %u: it would go to NUMA node %d, not to node(s) %s where the "
                "domain runs: %s (numa_fallback=false in the config refuses instead)", i,
                chosen->numa_node, nodes, why));
        }
        if (g_hash_table_contains(pooled, chosen->addr))
            g_ptr_array_add(r->notes, g_strdup_printf(
                "vGPU device %u: an earlier vGPU of this domain also goes to %s; how it shrinks "
                "that device's shared pool for other types is not modelled by this dry run, "
                "and the driver may refuse", i, chosen->addr));
        if (!chosen->is_vf && !host_parent_holds_one_type(chosen))
            g_hash_table_add(pooled, g_strdup(chosen->addr));
        /* The hook's own model of what the create consumes. */
        chosen->kind->note_made(host, req->uuid, chosen->addr, c->type->id);
    }
}

/* The hook's first refusal (hooks/hook-prepare-vf.c, prepare_vf_advice),
 * from the same shared choice: whole-VF requests with no VF hostdev, and
 * the element to add with a free fitting VF filled in. Before any
 * placement, as in the hook. A request no VF here can ever serve (a gpu=
 * naming no GPU here) is refused with why instead. */
static void
check_vf_hostdevs(CheckReport *r, const VfContext *ctx, Host *host, const VgpuDomain *vd)
{
    g_autoptr(GArray) advice = NULL;
    char *text;

    advice = vf_choice_advise(&ctx->vf, host, vd->requests, vd->mdev_hostdevs, vd->pci_addrs);
    for (guint i = 0; i < advice->len; i++) {
        const VfAdvice *a = &g_array_index(advice, VfAdvice, i);

        g_hash_table_insert(r->vf_advised, a->req->uuid, g_strdup(a->why));
    }
    if ((text = vf_choice_advice_text(host, advice, r->name, xml_vf_hostdev_element)))
        g_ptr_array_add(r->problems, text);
}

static void
check_hostdevs(CheckReport *r, const VgpuDomain *vd)
{
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);
        g_autofree char *advice = g_hash_table_contains(r->vf_advised, req->uuid) ? NULL
                                  : xml_domain_hostdev_advice(vd, req, NULL);

        if (advice)
            g_ptr_array_add(r->problems, g_strdup_printf(
                "vGPU device %u (%s) has no matching <hostdev>; %s", i, req->uuid, advice));
    }
}

static const char *
result_name(CheckResult r)
{
    switch (r) {
    case RESULT_NEW:      return "create";
    case RESULT_EXISTING: return "reuse";
    case RESULT_REFUSED:  break;
    }
    return "refused";
}

static const char *const check_columns[] = { "DEVICE", "UUID", "REQUEST", "ACTION", "PARENT",
                                             "GPU", "TYPE", "NODE", NULL };
static const char *const *const check_tables[] = { check_columns, NULL };

static void
print_human(const CheckReport *r, gboolean ok)
{
    g_autoptr(CliTable) t = cli_table_newv(check_columns);
    g_autofree char *nodes = r->nodes ? vgpu_cpuset_format(r->nodes) : NULL;

    printf("Domain '%s' %s.\n", r->name, ok ? "would start" : "would not start");
    printf("NUMA: the domain runs on %s%s.\n", nodes ? "node(s) " : "",
           nodes ? nodes : "no particular node (no <numatune> nodeset, no vCPU pinning)");
    for (guint i = 0; i < r->devices->len; i++) {
        const DeviceCheck *d = g_ptr_array_index(r->devices, i);
        g_autofree char *idx = g_strdup_printf("%u", d->req->index);
        g_autofree char *type = d->type ? g_strdup_printf("%s (%s)", d->type_name, d->type) : NULL;
        g_autofree char *node = d->numa_node >= 0 ? g_strdup_printf("%d", d->numa_node)
                                                  : g_strdup("-");

        cli_table_add(t, idx, d->req->uuid, vgpu_request_label(d->req), result_name(d->result),
                      d->result == RESULT_REFUSED ? NULL : d->parent,
                      d->result == RESULT_REFUSED ? NULL : d->gpu,
                      d->result == RESULT_REFUSED ? NULL : type,
                      d->result == RESULT_REFUSED ? NULL : node);
    }
    cli_table_print(t, stdout, 2);
    for (guint i = 0; i < r->devices->len; i++) {
        const DeviceCheck *d = g_ptr_array_index(r->devices, i);

        if (d->candidates && d->candidates->len > 0) {
            g_autofree char *list = NULL;

            g_ptr_array_add(d->candidates, NULL);
            list = g_strjoinv(", ", (char **)d->candidates->pdata);
            g_ptr_array_remove_index(d->candidates, d->candidates->len - 1);
            printf("vGPU device %u candidates: %s\n", d->req->index, list);
        }
        if (d->reason)
            printf("vGPU device %u: %s\n", d->req->index, d->reason);
    }
    for (guint i = 0; i < r->problems->len; i++)
        printf("%s\n", (const char *)g_ptr_array_index(r->problems, i));
    for (guint i = 0; i < r->notes->len; i++)
        printf("Note: %s\n", (const char *)g_ptr_array_index(r->notes, i));
}

static void
print_json(const CheckReport *r, gboolean ok)
{
    g_autoptr(JsonOut) j = json_out_new();

    json_begin_object(j);
    json_member_string(j, "domain", r->name);
    json_member_bool(j, "would_start", ok);
    json_key(j, "numa_nodes");
    if (r->nodes) {
        json_begin_array(j);
        for (guint i = 0; i < r->nodes->len; i++)
            json_int(j, g_array_index(r->nodes, guint, i));
        json_end_array(j);
    } else {
        json_null(j);
    }
    json_key(j, "devices");
    json_begin_array(j);
    for (guint i = 0; i < r->devices->len; i++) {
        const DeviceCheck *d = g_ptr_array_index(r->devices, i);
        gboolean placed = d->result != RESULT_REFUSED;

        json_begin_object(j);
        json_member_int(j, "index", d->req->index);
        json_member_string(j, "uuid", d->req->uuid);
        json_member_string(j, "request", vgpu_request_label(d->req));
        json_member_string(j, "action", result_name(d->result));
        json_member_string(j, "parent", placed ? d->parent : NULL);
        json_member_string(j, "gpu", placed ? d->gpu : NULL);
        json_member_string(j, "type", placed ? d->type : NULL);
        json_member_string(j, "type_name", placed ? d->type_name : NULL);
        json_key(j, "numa_node");
        if (placed && d->numa_node >= 0)
            json_int(j, d->numa_node);
        else
            json_null(j);
        json_key(j, "candidates");
        json_begin_array(j);
        for (guint c = 0; d->candidates && c < d->candidates->len; c++)
            json_string(j, g_ptr_array_index(d->candidates, c));
        json_end_array(j);
        json_member_string(j, "reason", d->reason);
        json_end_object(j);
    }
    json_end_array(j);
    json_key(j, "problems");
    json_begin_array(j);
    for (guint i = 0; i < r->problems->len; i++)
        json_string(j, g_ptr_array_index(r->problems, i));
    json_end_array(j);
    json_key(j, "notes");
    json_begin_array(j);
    for (guint i = 0; i < r->notes->len; i++)
        json_string(j, g_ptr_array_index(r->notes, i));
    json_end_array(j);
    json_end_object(j);
    json_out_print(j);
}

/* The definition a start would use: FILE, or DOMAIN's through libvirt. */
static char *
read_definition(const CliOptions *opts, const char *arg, gsize *len, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    char *xml;

    if (strcmp(arg, "-") == 0 || g_file_test(arg, G_FILE_TEST_EXISTS))
        return cli_read_file(arg, len, error);
    if (!(conn = cli_virt_open(opts, error))) {
        g_prefix_error(error, "no file '%s', and ", arg);
        return NULL;
    }
    if (!(dom = cli_virt_domain(conn, arg, error)))
        return NULL;
    if (virDomainIsActive(dom) > 0)
        printf("Domain '%s' is running; checking its persistent definition, as its next start "
               "would use it.\n", virDomainGetName(dom));
    if ((xml = cli_virt_inactive_xml(dom, error)))
        *len = strlen(xml);
    return xml;
}

int
cmd_check(CliOptions *opts, int argc, char **argv)
{
    const GOptionEntry entries[] = {
        { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json, "Print JSON", NULL },
        { NULL },
    };
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(VgpuDomain) vd = NULL;
    g_autoptr(Host) host = NULL;
    g_autoptr(GPtrArray) ledgers = NULL;
    g_autoptr(GArray) nodes = NULL;
    g_auto(VfContext) ctx = { 0 };
    g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func(device_check_free);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GHashTable) vf_advised = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                            g_free);
    CheckReport r = { .devices = devices, .problems = problems, .notes = notes,
                      .vf_advised = vf_advised };
    gboolean ok;
    gsize len = 0;

    if (!cli_parse_table_options(opts, "check", "DOMAIN | FILE",
                                 "Dry run: would the domain start now, on which parents, and if "
                                 "not, why. Exit 0 when it would start, 1 otherwise. Writes "
                                 "nothing.", entries, check_tables, &argc, &argv))
        return 1;
    if (argc != 2) {
        cli_error("check: expected one DOMAIN or FILE (see 'vgpuctl check --help')");
        return 1;
    }
    if (!(cfg = cli_config_load(opts, &error)))
        return cli_fail(NULL, error);
    if (!(xml = read_definition(opts, argv[1], &len, &error)) ||
        !(vd = xml_domain_parse(xml, len, &error)))
        return cli_fail("check", error);
    r.name = vd->name ? vd->name : argv[1];
    if (vd->requests->len == 0) {
        if (opts->json)
            print_json(&r, TRUE);
        else
            printf("Domain '%s' asks for no vGPU: vgpu-hook leaves it alone.\n", r.name);
        return 0;
    }
    if (!(host = host_scan(cfg->sysfs_root, vd->requests, &error)) ||
        numa_domain_nodes(cfg->sysfs_root, vd->mem_nodes, vd->cpus, &nodes, &error) < 0)
        return cli_fail("check", error);
    r.nodes = nodes;
    /* For clones; a state directory that cannot be read holds no owner. */
    ledgers = ledger_load_all(cfg->state_dir, NULL, NULL);
    device_kind_note_ledgers(host, ledgers);
    vf_context_init(&ctx, cfg, nodes, ledgers, vd->uuid);

    check_vf_hostdevs(&r, &ctx, host, vd);
    check_hostdevs(&r, vd);
    check_requests(&r, &ctx, host, vd, ledgers);
    ok = r.problems->len == 0;
    for (guint i = 0; i < r.devices->len; i++)
        ok = ok && ((DeviceCheck *)g_ptr_array_index(r.devices, i))->result != RESULT_REFUSED;
    if (opts->json)
        print_json(&r, ok);
    else
        print_human(&r, ok);
    return ok ? 0 : 1;
}
