/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Choosing a parent for one request, and saying why none fits.
 *
 * Pure: works on a scanned Host, so every policy can be tested on
 * synthetic hosts. Decisions are made per physical GPU, because that is
 * where the constraints live (NVIDIA's one-profile-per-GPU rule, the
 * per-GPU max_instance) and what an administrator recognises; a GPU with
 * 32 VFs gets one reason, not 32. */
#include "placement.h"
#include "device-kind.h"
#include "mig.h"
#include "vgpu-cpuset.h"

#include <string.h>

/* The request's view of one physical GPU. */
typedef struct {
    const char *gpu;
    GPtrArray *parents;     /* const HostParent* offering a matching type, by addr */
    guint same;             /* existing mdevs of a matching type */
    guint other;            /* existing mdevs of any other type */
    const HostDevice *other_example;
    gboolean remote;        /* off the domain's NUMA nodes */
    GPtrArray *candidates;  /* PlacementCandidate*, owned until handed out */
} GpuView;

typedef enum {
    FILTER_PASS,
    FILTER_NOT_REQUESTED,
    FILTER_DENIED,
    FILTER_NOT_ALLOWED,
    FILTER_NUMA,
    FILTER_DOMAIN_NUMA,
} FilterResult;

static void
gpu_view_free(gpointer p)
{
    GpuView *v = p;

    g_ptr_array_unref(v->parents);
    g_ptr_array_unref(v->candidates);
    g_free(v);
}

static gboolean
parent_is_named(const HostParent *parent, const char *name)
{
    /* A PF address stands for all of its VFs. */
    return g_ascii_strcasecmp(parent->addr, name) == 0 ||
           g_ascii_strcasecmp(parent->gpu, name) == 0;
}

static gboolean
parent_in_list(const HostParent *parent, char *const *list)
{
    for (guint i = 0; list && list[i]; i++) {
        if (parent_is_named(parent, list[i]))
            return TRUE;
    }
    return FALSE;
}

gboolean
placement_is_remote(const HostParent *parent, const VgpuRequest *req,
                    const PlacementRules *rules)
{
    if (!rules || !rules->domain_nodes || req->numa >= 0)
        return FALSE;
    return parent->numa_node < 0 ||
           !vgpu_cpuset_contains(rules->domain_nodes, (guint)parent->numa_node);
}

/* The first rule that refuses @parent. The node rules come before allow
 * and deny: they hold for every parent of a GPU, so a GPU they exclude is
 * named for them, not for one of its VFs the config lists. */
static FilterResult
parent_filter(const HostParent *parent, const VgpuRequest *req, const PlacementRules *rules)
{
    if (req->parent && !parent_is_named(parent, req->parent))
        return FILTER_NOT_REQUESTED;
    if (req->numa >= 0 && parent->numa_node != req->numa)
        return FILTER_NUMA;
    if (rules && !rules->numa_fallback && placement_is_remote(parent, req, rules))
        return FILTER_DOMAIN_NUMA;
    if (rules && parent_in_list(parent, rules->deny))
        return FILTER_DENIED;
    if (rules && rules->allow && !parent_in_list(parent, rules->allow))
        return FILTER_NOT_ALLOWED;
    return FILTER_PASS;
}

static int
compare_views_by_gpu(gconstpointer a, gconstpointer b)
{
    const GpuView *va = *(const GpuView *const *)a;
    const GpuView *vb = *(const GpuView *const *)b;

    return strcmp(va->gpu, vb->gpu);
}

/* Every GPU with a parent offering a matching type, in address order. */
static GPtrArray *
gpu_views_collect(const Host *host, const VgpuRequest *req, const PlacementRules *rules)
{
    GPtrArray *views = g_ptr_array_new_with_free_func(gpu_view_free);
    g_autoptr(GHashTable) by_gpu = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *parent = g_ptr_array_index(host->parents, i);
        g_autoptr(GPtrArray) types = host_parent_request_types(parent, req);
        GpuView *v;

        if (types->len == 0 || (parent->kind && parent->kind->vf &&
                                (!rules || !rules->whole_vfs)))
            continue;
        if (!(v = g_hash_table_lookup(by_gpu, parent->gpu))) {
            v = g_new0(GpuView, 1);
            v->gpu = parent->gpu;
            v->parents = g_ptr_array_new();
            v->candidates = g_ptr_array_new_with_free_func(g_free);
            g_hash_table_insert(by_gpu, (gpointer)v->gpu, v);
            g_ptr_array_add(views, v);
        }
        g_ptr_array_add(v->parents, (gpointer)parent);
    }
    for (guint i = 0; i < host->devices->len; i++) {
        const HostDevice *m = g_ptr_array_index(host->devices, i);
        GpuView *v = g_hash_table_lookup(by_gpu, host_device_gpu(host, m));

        if (!v)
            continue;
        if (host_device_fits(host, m, req)) {
            v->same++;
        } else {
            v->other++;
            if (!v->other_example)
                v->other_example = m;
        }
    }
    g_ptr_array_sort(views, compare_views_by_gpu);
    return views;
}

static guint
parent_mdev_count(const Host *host, const HostParent *parent)
{
    guint n = 0;

    for (guint i = 0; i < host->devices->len; i++) {
        const HostDevice *m = g_ptr_array_index(host->devices, i);

        if (strcmp(m->parent, parent->addr) == 0)
            n++;
    }
    return n;
}

/* On a GPU with MIG: a MIG-backed type needs a free GPU instance of its
 * size, which only the administrator creates, and a time-sliced one needs
 * MIG off (mig_gpu_refusal says which). NULL when MIG is not the reason. */
static char *
mig_reason(const Host *host, const GpuView *v, const HostType *type)
{
    return mig_gpu_refusal(host, v->gpu, host_type_short_name(type));
}

/* The type a refusal speaks of. A need can match a time-sliced and a
 * MIG-backed type of one size (A100-20C, A100-3-20C): on a GPU in MIG mode
 * the MIG-backed one says what would make room, with MIG off the other. */
static const HostType *
reason_type(const Host *host, const GpuView *v, GPtrArray *types)
{
    g_autoptr(MigState) st = mig_gpu_state(host, v->gpu);

    for (guint i = 0; st && i < types->len; i++) {
        g_autofree char *inst = mig_type_instance(g_ptr_array_index(types, i));

        if ((inst != NULL) == (st->mode == MIG_ON))
            return g_ptr_array_index(types, i);
    }
    return g_ptr_array_index(types, 0);
}

/* Why a GPU whose parents passed every filter has no free instance. On a
 * GPU that shares one pool among its types (GVT-g, mtty), another type
 * there is no reason of its own. @others: free VFs of the GPU were left
 * out by a rule (said beside this), so the busy ones are "the other". */
static char *
capacity_reason(const Host *host, const VgpuRequest *req, const GpuView *v, GPtrArray *passed,
                gboolean others)
{
    const HostParent *first = g_ptr_array_index(passed, 0);
    g_autoptr(GPtrArray) types = host_parent_request_types(first, req);
    const HostType *type = reason_type(host, v, types);
    const char *name = host_type_short_name(type);
    int max = type->max_instance;
    gboolean all_vfs_busy = TRUE;
    char *mig;

    for (guint i = 0; i < passed->len; i++) {
        const HostParent *p = g_ptr_array_index(passed, i);

        if (!p->is_vf || parent_mdev_count(host, p) == 0)
            all_vfs_busy = FALSE;
    }
    if (!all_vfs_busy && (mig = mig_reason(host, v, type)))
        return mig;
    if (max > 0 && v->same >= (guint)max)
        return g_strdup_printf("all %d %s instances in use on %s", max, name, v->gpu);
    if (v->other > 0 && host_parent_holds_one_type(first)) {
        return g_strdup_printf("GPU %s holds %s vGPUs", v->gpu,
                               host_device_type_name(host, v->other_example));
    }
    if (v->other > 0 && !first->is_vf)
        return g_strdup_printf("no room for %s on %s: its shared pool is used by %u vGPU(s)",
                               name, v->gpu, v->other + v->same);
    if (all_vfs_busy && passed->len == 1 && req->parent &&
        g_ascii_strcasecmp(first->addr, req->parent) == 0)
        return g_strdup_printf("VF %s already holds a vGPU", first->addr);
    if (all_vfs_busy)
        return g_strdup_printf("no %sfree VF on %s", others ? "other " : "", v->gpu);
    if (v->same > 0 && max > 0)
        return g_strdup_printf("no free %s instance on %s (%u of %d in use)",
                               name, v->gpu, v->same, max);
    if (v->same > 0)
        return g_strdup_printf("all %u %s instances in use on %s", v->same, name, v->gpu);
    return g_strdup_printf("no free instance on %s", v->gpu);
}

/* "a", "a and b", "a, b and c" */
static char *
join_and(GPtrArray *words)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < words->len; i++)
        g_string_append_printf(s, "%s%s", i == 0 ? "" : i + 1 == words->len ? " and " : ", ",
                               (const char *)g_ptr_array_index(words, i));
    return g_string_free(s, FALSE);
}

/* @addrs and the verb that goes with them: "X is", "X and Y are". */
static char *
addrs_are(GPtrArray *parents)
{
    g_autoptr(GPtrArray) addrs = g_ptr_array_new();
    g_autofree char *list = NULL;

    for (guint i = 0; i < parents->len; i++)
        g_ptr_array_add(addrs, ((const HostParent *)g_ptr_array_index(parents, i))->addr);
    list = join_and(addrs);
    return g_strdup_printf("%s %s", list, parents->len == 1 ? "is" : "are");
}

static gboolean
list_names_gpu(char *const *list, const char *gpu)
{
    for (guint i = 0; list && list[i]; i++) {
        if (g_ascii_strcasecmp(list[i], gpu) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Why the rule @why refuses @parents (of @v's GPU, @whole: all of them
 * that the request's parent names). A node is the GPU's; the config's
 * lists speak of the GPU when they do (deny names it, or allow leaves out
 * every parent of it that counts), else of the VFs they name. */
static char *
filter_reason(const VgpuRequest *req, const PlacementRules *rules, const GpuView *v,
              FilterResult why, GPtrArray *parents, gboolean whole)
{
    const HostParent *example = g_ptr_array_index(parents, 0);
    g_autofree char *nodes = NULL, *are = NULL;

    switch (why) {
    case FILTER_DOMAIN_NUMA:
        nodes = vgpu_cpuset_format(rules->domain_nodes);
        if (example->numa_node < 0)
            return g_strdup_printf("%s has no known NUMA node, and the domain runs on "
                                   "node(s) %s (numa_fallback=false)", v->gpu, nodes);
        return g_strdup_printf("%s is on NUMA node %d, not on node(s) %s where the domain "
                               "runs (numa_fallback=false)", v->gpu, example->numa_node, nodes);
    case FILTER_NUMA:
        if (example->numa_node < 0)
            return g_strdup_printf("%s has no known NUMA node, not %d", v->gpu, req->numa);
        return g_strdup_printf("%s is on NUMA node %d, not %d", v->gpu, example->numa_node,
                               req->numa);
    case FILTER_DENIED:
        if (list_names_gpu(rules->deny, v->gpu))
            return g_strdup_printf("%s is denied by config", v->gpu);
        are = addrs_are(parents);
        return g_strdup_printf("%s denied by config", are);
    case FILTER_NOT_ALLOWED:
        if (whole)
            return g_strdup_printf("%s is not in the config's allow list", v->gpu);
        are = addrs_are(parents);
        return g_strdup_printf("%s not in the config's allow list", are);
    case FILTER_NOT_REQUESTED:
    case FILTER_PASS:
        break;
    }
    return NULL;
}

static PlacementCandidate *
parent_candidate(const HostParent *parent, const VgpuRequest *req)
{
    g_autoptr(GPtrArray) types = host_parent_request_types(parent, req);

    for (guint i = 0; i < types->len; i++) {
        const HostType *t = g_ptr_array_index(types, i);

        /* -1 (not read) is no promise of room. */
        if (t->available >= 1) {
            PlacementCandidate *c = g_new0(PlacementCandidate, 1);

            c->parent = parent;
            c->type = t;
            return c;
        }
    }
    return NULL;
}

#define FILTER_COUNT (FILTER_DOMAIN_NUMA + 1)

/* The rules' reasons for @refused (GPtrArray of parents per FilterResult),
 * "; " between them, in the order parent_filter tries the rules. NULL:
 * none. */
static char *
filter_reasons(const VgpuRequest *req, const PlacementRules *rules, const GpuView *v,
               GPtrArray **refused, guint counted)
{
    GString *s = g_string_new(NULL);
    static const FilterResult order[] = {
        FILTER_NUMA, FILTER_DOMAIN_NUMA, FILTER_DENIED, FILTER_NOT_ALLOWED,
    };

    for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
        g_autofree char *why = NULL;

        if (!refused[order[i]]->len ||
            !(why = filter_reason(req, rules, v, order[i], refused[order[i]],
                                  refused[order[i]]->len == counted)))
            continue;
        g_string_append_printf(s, "%s%s", s->len ? "; " : "", why);
    }
    if (s->len == 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

/* Fill v->candidates; a refusal when there are none, naming what excluded
 * each parent: the rule that refused it, or the GPU's capacity for those
 * every rule let through. A parent that could take @req but for a rule is
 * named beside a capacity reason: "no free VF" would be untrue. NULL with
 * *unrequested set: the request's parent names none of the GPU's parents
 * (the caller says so once for all such GPUs). */
static char *
gpu_view_evaluate(const Host *host, const VgpuRequest *req, const PlacementRules *rules,
                  GpuView *v, gboolean *unrequested)
{
    g_autoptr(GPtrArray) passed = g_ptr_array_new();
    GPtrArray *refused[FILTER_COUNT], *could[FILTER_COUNT];
    g_autofree char *ruled = NULL, *full = NULL;
    guint counted = 0, could_n = 0;
    char *out = NULL;

    *unrequested = FALSE;
    for (guint k = 0; k < FILTER_COUNT; k++) {
        refused[k] = g_ptr_array_new();
        could[k] = g_ptr_array_new();
    }
    for (guint i = 0; i < v->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(v->parents, i);
        FilterResult why = parent_filter(p, req, rules);
        PlacementCandidate *c = parent_candidate(p, req);

        if (why == FILTER_NOT_REQUESTED) {
            g_free(c);
            continue;
        }
        counted++;
        if (why == FILTER_PASS) {
            g_ptr_array_add(passed, (gpointer)p);
            if (c)
                g_ptr_array_add(v->candidates, c);
            continue;
        }
        g_ptr_array_add(refused[why], (gpointer)p);
        if (c) {
            g_ptr_array_add(could[why], (gpointer)p);
            could_n++;
            g_free(c);
        }
    }
    if (counted == 0) {
        *unrequested = TRUE;
    } else if (v->candidates->len == 0 && passed->len == 0) {
        out = filter_reasons(req, rules, v, refused, counted);
    } else if (v->candidates->len == 0) {
        full = capacity_reason(host, req, v, passed, could_n > 0);
        ruled = could_n ? filter_reasons(req, rules, v, could, counted) : NULL;
        out = ruled ? g_strdup_printf("%s; %s", ruled, full) : g_steal_pointer(&full);
    }
    for (guint k = 0; k < FILTER_COUNT; k++) {
        g_ptr_array_unref(refused[k]);
        g_ptr_array_unref(could[k]);
    }
    return out;
}

/* A parent restriction that nothing on the host satisfies deserves its
 * own sentence: the per-GPU reasons skip GPUs outside it. */
static char *
requested_parent_reason(const Host *host, const VgpuRequest *req, GPtrArray *views)
{
    gboolean exists = FALSE;

    if (!req->parent)
        return NULL;
    for (guint i = 0; i < views->len; i++) {
        const GpuView *v = g_ptr_array_index(views, i);

        for (guint j = 0; j < v->parents->len; j++) {
            if (parent_is_named(g_ptr_array_index(v->parents, j), req->parent))
                return NULL;
        }
    }
    for (guint i = 0; i < host->parents->len; i++) {
        if (parent_is_named(g_ptr_array_index(host->parents, i), req->parent))
            exists = TRUE;
    }
    if (exists)
        return g_strdup_printf("the requested parent %s does not offer %s", req->parent,
                               vgpu_request_label(req));
    return g_strdup_printf("the requested parent %s is not an mdev parent on this host",
                           req->parent);
}

/* pack: the GPU already hosting this profile first (fill it before opening
 * another, so whole GPUs stay free for other profiles), then the least
 * mixed, then by address. */
static int
compare_views_pack(gconstpointer a, gconstpointer b)
{
    const GpuView *va = *(const GpuView *const *)a;
    const GpuView *vb = *(const GpuView *const *)b;

    if (va->same != vb->same)
        return va->same > vb->same ? -1 : 1;
    if (va->other != vb->other)
        return va->other < vb->other ? -1 : 1;
    return strcmp(va->gpu, vb->gpu);
}

/* spread: the least loaded GPU first. */
static int
compare_views_spread(gconstpointer a, gconstpointer b)
{
    const GpuView *va = *(const GpuView *const *)a;
    const GpuView *vb = *(const GpuView *const *)b;
    guint ta = va->same + va->other;
    guint tb = vb->same + vb->other;

    if (ta != tb)
        return ta < tb ? -1 : 1;
    return strcmp(va->gpu, vb->gpu);
}

/* Hand the candidates over to @out: GPU after GPU for pack, one per GPU
 * per round for spread, so a failed create moves on to another GPU. */
static void
gather_candidates(GPtrArray *views, VgpuPlacement policy, GPtrArray *out)
{
    gboolean more = TRUE;

    if (policy != VGPU_PLACEMENT_SPREAD) {
        for (guint i = 0; i < views->len; i++) {
            GpuView *v = g_ptr_array_index(views, i);

            for (guint j = 0; j < v->candidates->len; j++)
                g_ptr_array_add(out, g_ptr_array_index(v->candidates, j));
            g_ptr_array_set_free_func(v->candidates, NULL);
        }
        return;
    }
    for (guint round = 0; more; round++) {
        more = FALSE;
        for (guint i = 0; i < views->len; i++) {
            GpuView *v = g_ptr_array_index(views, i);

            if (round < v->candidates->len) {
                g_ptr_array_add(out, g_ptr_array_index(v->candidates, round));
                more = TRUE;
            }
        }
    }
    for (guint i = 0; i < views->len; i++)
        g_ptr_array_set_free_func(((GpuView *)g_ptr_array_index(views, i))->candidates, NULL);
}

PlacementRules
placement_rules_from_config(const VgpuConfig *cfg)
{
    PlacementRules rules = {
        .policy = cfg->placement != VGPU_PLACEMENT_DEFAULT ? cfg->placement
                                                           : VGPU_PLACEMENT_PACK,
        .allow = cfg->allow,
        .deny = cfg->deny,
        .numa_fallback = cfg->numa_fallback,
    };

    return rules;
}

/* Evaluate every GPU of @views (filling its candidates) and append the
 * reasons of those with none to @refusals (may be NULL); @local_only: of
 * those on the domain's nodes alone. The GPUs a parent restriction leaves
 * out get one sentence together, first: the user named the one they
 * want, but a refusal must not hide that it was their choice. */
static void
evaluate_views(const Host *host, const VgpuRequest *req, const PlacementRules *rules,
               GPtrArray *views, GPtrArray *refusals, gboolean local_only)
{
    g_autoptr(GPtrArray) unrequested = g_ptr_array_new();
    g_autofree char *missing = local_only ? NULL : requested_parent_reason(host, req, views);
    guint at = refusals ? refusals->len : 0;
    gboolean told = missing != NULL;   /* the named parent offers nothing: said once */

    if (missing && refusals)
        g_ptr_array_add(refusals, g_steal_pointer(&missing));
    for (guint i = 0; i < views->len; i++) {
        GpuView *v = g_ptr_array_index(views, i);
        gboolean skipped = FALSE;
        g_autofree char *reason = gpu_view_evaluate(host, req, rules, v, &skipped);

        if (local_only && placement_is_remote(g_ptr_array_index(v->parents, 0), req, rules))
            continue;
        if (skipped)
            g_ptr_array_add(unrequested, (gpointer)v->gpu);
        else if (!reason && local_only && v->candidates->len > 0)
            /* It had room when the host was read: taken since, or its
             * create failed (the log says which). */
            reason = g_strdup_printf("%s had no room left when tried", v->gpu);
        if (reason && refusals)
            g_ptr_array_add(refusals, g_steal_pointer(&reason));
    }
    if (unrequested->len && refusals && !told) {
        g_autofree char *list = join_and(unrequested);

        g_ptr_array_insert(refusals, (gint)at, g_strdup_printf(
            "%s %s not the requested parent %s", list, unrequested->len == 1 ? "is" : "are",
            req->parent));
    }
}

static GPtrArray *
choose_named(const Host *host, const VgpuRequest *req, const PlacementRules *rules,
             GPtrArray *refusals)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) views = gpu_views_collect(host, req, rules);
    g_autoptr(GPtrArray) usable = g_ptr_array_new();
    g_autoptr(GPtrArray) remote = g_ptr_array_new();
    VgpuPlacement policy = rules ? rules->policy : VGPU_PLACEMENT_PACK;

    if (req->placement != VGPU_PLACEMENT_DEFAULT)
        policy = req->placement;
    evaluate_views(host, req, rules, views, refusals, FALSE);
    for (guint i = 0; i < views->len; i++) {
        GpuView *v = g_ptr_array_index(views, i);

        if (v->candidates->len == 0)
            continue;
        /* Parents of one GPU share its NUMA node. */
        v->remote = placement_is_remote(g_ptr_array_index(v->parents, 0), req, rules);
        g_ptr_array_add(v->remote ? remote : usable, v);
    }
    /* Locality outranks the policy: the policy orders the GPUs on the
     * domain's nodes, then the others. */
    g_ptr_array_sort(usable, policy == VGPU_PLACEMENT_SPREAD ? compare_views_spread
                                                             : compare_views_pack);
    g_ptr_array_sort(remote, policy == VGPU_PLACEMENT_SPREAD ? compare_views_spread
                                                             : compare_views_pack);
    gather_candidates(usable, policy, out);
    gather_candidates(remote, policy, out);
    return out;
}

static gint
compare_mb(gconstpointer a, gconstpointer b)
{
    guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;

    return x < y ? -1 : x > y;
}

/* The framebuffer sizes on the host that fit a need, smallest first. */
static GArray *
need_sizes(const Host *host, const VgpuRequest *req)
{
    GArray *sizes = g_array_new(FALSE, FALSE, sizeof(guint64));

    for (guint i = 0; i < host->parents->len; i++) {
        g_autoptr(GPtrArray) types = host_parent_request_types(host->parents->pdata[i], req);

        for (guint j = 0; j < types->len; j++) {
            guint64 mb = host_type_framebuffer_mb(types->pdata[j]);
            gboolean seen = FALSE;

            for (guint k = 0; k < sizes->len && !seen; k++)
                seen = g_array_index(sizes, guint64, k) == mb;
            if (!seen)
                g_array_append_val(sizes, mb);
        }
    }
    g_array_sort(sizes, compare_mb);
    return sizes;
}

/* By need: the smallest size that can be placed now, with the usual
 * policy among the GPUs offering it, so pack fills a GPU already hosting
 * that size before opening another. Refusals of the sizes tried before
 * are kept: they say why a bigger profile was chosen or nothing was. */
static GPtrArray *
choose_by_need(const Host *host, const VgpuRequest *req, const PlacementRules *rules,
               GPtrArray *refusals)
{
    g_autoptr(GArray) sizes = need_sizes(host, req);
    VgpuRequest exact = *req;

    exact.framebuffer_exact = TRUE;
    for (guint i = 0; i < sizes->len; i++) {
        GPtrArray *out;

        exact.framebuffer_mb = g_array_index(sizes, guint64, i);
        out = choose_named(host, &exact, rules, refusals);
        if (out->len > 0 || i + 1 == sizes->len)
            return out;
        g_ptr_array_unref(out);
    }
    return g_ptr_array_new_with_free_func(g_free);
}

GPtrArray *
placement_choose(const Host *host, const VgpuRequest *req, const PlacementRules *rules,
                 GPtrArray *refusals)
{
    if (vgpu_request_is_need(req) && !req->framebuffer_exact)
        return choose_by_need(host, req, rules, refusals);
    return choose_named(host, req, rules, refusals);
}

/* Collation key order: "A40-2Q" before "A40-12Q". */
static int
compare_names_naturally(gconstpointer a, gconstpointer b)
{
    g_autofree char *ka = g_utf8_collate_key_for_filename(*(const char *const *)a, -1);
    g_autofree char *kb = g_utf8_collate_key_for_filename(*(const char *const *)b, -1);

    return strcmp(ka, kb);
}

#define EXPLAIN_MAX_NAMES 12

static char *
offered_names(const Host *host)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(host->parents, i);

        for (guint j = 0; j < p->types->len; j++) {
            const char *name = host_type_short_name(g_ptr_array_index(p->types, j));

            if (g_hash_table_add(seen, (gpointer)name))
                g_ptr_array_add(names, (gpointer)name);
        }
    }
    if (names->len == 0)
        return g_strdup("it offers no mdev types");
    g_ptr_array_sort(names, compare_names_naturally);
    g_string_append(s, "offered: ");
    for (guint i = 0; i < names->len && i < EXPLAIN_MAX_NAMES; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (const char *)g_ptr_array_index(names, i));
    if (names->len > EXPLAIN_MAX_NAMES)
        g_string_append(s, ", …");
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean
host_offers(const Host *host, const VgpuRequest *req)
{
    for (guint i = 0; i < host->parents->len; i++) {
        g_autoptr(GPtrArray) types =
            host_parent_request_types(g_ptr_array_index(host->parents, i), req);

        if (types->len > 0)
            return TRUE;
    }
    return FALSE;
}

static char *
explain_not_offered(const Host *host, const VgpuRequest *req)
{
    g_autofree char *offered = NULL;
    VgpuRequest by_type = { .type = req->type };

    if (req->type && req->profile && host_offers(host, &by_type))
        return g_strdup_printf("type '%s' on this host is not profile '%s'",
                               req->type, req->profile);
    if (req->type)
        return g_strdup_printf("no type '%s' on this host", req->type);
    offered = offered_names(host);
    if (vgpu_request_is_need(req))
        return g_strdup_printf("nothing on this host is %s (%s)", req->label, offered);
    return g_strdup_printf("no type matching profile '%s' on this host (%s)",
                           req->profile ? req->profile : "", offered);
}

char *
placement_explain(const Host *host, const VgpuRequest *req, GPtrArray *refusals)
{
    g_autoptr(GString) s = NULL;
    g_autoptr(GHashTable) said = g_hash_table_new(g_str_hash, g_str_equal);

    if (!host_offers(host, req))
        return explain_not_offered(host, req);
    s = g_string_new(NULL);
    g_string_append_printf(s, "no GPU can take %s", vgpu_request_label(req));
    /* A need tries size after size: a reason every size shares, once. */
    for (guint i = 0; refusals && i < refusals->len; i++)
        if (g_hash_table_add(said, g_ptr_array_index(refusals, i)))
            g_string_append_printf(s, "%s%s", g_hash_table_size(said) > 1 ? "; " : ": ",
                                   (const char *)g_ptr_array_index(refusals, i));
    return g_string_free(g_steal_pointer(&s), FALSE);
}

char *
placement_remote_reason(const Host *host, const VgpuRequest *req, const PlacementRules *rules,
                        const PlacementCandidate *chosen)
{
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) views = NULL;
    VgpuRequest exact = *req;

    /* A need was placed at the size of the type chosen: the GPUs on the
     * domain's nodes had no room at that size. */
    if (vgpu_request_is_need(req)) {
        exact.framebuffer_exact = TRUE;
        exact.framebuffer_mb = host_type_framebuffer_mb(chosen->type);
    }
    views = gpu_views_collect(host, &exact, rules);
    evaluate_views(host, &exact, rules, views, refusals, TRUE);
    if (refusals->len == 0)
        return g_strdup_printf("no GPU there offers %s", vgpu_request_label(req));
    g_ptr_array_add(refusals, NULL);
    return g_strjoinv("; ", (char **)refusals->pdata);
}

char *
placement_parent_refusal(const HostParent *parent, const VgpuRequest *req,
                         const PlacementRules *rules)
{
    FilterResult why = parent_filter(parent, req, rules);
    GpuView v = { .gpu = parent->gpu };
    g_autoptr(GPtrArray) one = g_ptr_array_new();

    if (why == FILTER_NOT_REQUESTED)
        return g_strdup_printf("%s is not the parent '%s' the request names", parent->addr,
                               req->parent);
    g_ptr_array_add(one, (gpointer)parent);
    return filter_reason(req, rules, &v, why, one, FALSE);
}
