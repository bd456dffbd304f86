/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vf-choice.h"
#include "host-scan.h"
#include "mig.h"

#include <string.h>

void
vf_context_init(VfContext *ctx, const VgpuConfig *cfg, GArray *nodes, const GPtrArray *ledgers,
                const char *domain_uuid)
{
    ctx->rules = placement_rules_from_config(cfg);
    ctx->rules.domain_nodes = nodes;
    ctx->names = pci_names_new(cfg->pci_ids_path);
    ctx->vf = (VfChoice){ .rules = &ctx->rules, .names = ctx->names, .ledgers = ledgers,
                          .domain_uuid = domain_uuid };
}

void
vf_context_clear(VfContext *ctx)
{
    g_clear_pointer(&ctx->names, pci_names_free);
}

VgpuRequest
vf_choice_view(const VgpuRequest *req, char **owned)
{
    VgpuRequest view = *req;

    /* creatable_vgpu_types shows numbers; the kind names them nvidia-N. */
    if (req->type && g_ascii_isdigit(req->type[0]) &&
        strspn(req->type, "0123456789") == strlen(req->type))
        view.type = *owned = g_strconcat("nvidia-", req->type, NULL);
    return view;
}

/* When nothing can take @req now: a VF only where no mdev parent offers
 * it, and some VF does or the host has VFs alone. */
static gboolean
vf_choice_only_vfs_offer(const Host *host, const VgpuRequest *req)
{
    gboolean by_vf = FALSE, any_vf = FALSE, any_mdev = FALSE;

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *parent = g_ptr_array_index(host->parents, i);
        g_autoptr(GPtrArray) types = host_parent_request_types(parent, req);

        any_vf |= parent->kind->vf != NULL;
        any_mdev |= !parent->kind->vf;
        if (types->len == 0)
            continue;
        if (!parent->kind->vf)
            return FALSE;   /* an mdev parent offers it */
        by_vf = TRUE;
    }
    /* A full vendor-specific host lists nothing. */
    return by_vf || (any_vf && !any_mdev);
}

gboolean
vf_choice_serves(const VfChoice *c, const Host *host, const VgpuRequest *req,
                 gboolean mdev_hostdev)
{
    PlacementRules rules = { .policy = VGPU_PLACEMENT_PACK, .numa_fallback = TRUE };
    g_autoptr(GPtrArray) cands = NULL;

    if (req->gpu)
        return TRUE;
    if (c && c->rules)
        rules = *c->rules;
    if (mdev_hostdev) {
        g_autoptr(GPtrArray) mdevs = placement_choose(host, req, &rules, NULL);

        if (mdevs->len > 0)
            return FALSE;
    }
    /* The GPU the rules rank first decides, whatever its kind. */
    rules.whole_vfs = TRUE;
    cands = placement_choose(host, req, &rules, NULL);
    if (cands->len > 0)
        return ((const PlacementCandidate *)g_ptr_array_index(cands, 0))->parent->kind
            ->vf != NULL;
    return vf_choice_only_vfs_offer(host, req);
}

gboolean
vf_choice_wanted(const Host *host, const VgpuRequest *req)
{
    return vf_choice_serves(NULL, host, req, FALSE);
}

GHashTable *
vf_choice_requests_by(const Host *host, const PlacementRules *rules, const GPtrArray *requests)
{
    GHashTable *uuids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    VfChoice c = { .rules = rules };

    for (guint i = 0; i < requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest view = vf_choice_view(req, &type_owned);

        if (req->gpu || (host && vf_choice_serves(&c, host, &view, FALSE)))
            g_hash_table_add(uuids, g_strdup(req->uuid));
    }
    return uuids;
}

GHashTable *
vf_choice_requests(const Host *host, const GPtrArray *requests)
{
    return vf_choice_requests_by(host, NULL, requests);
}

/* Smallest framebuffer first; a type with no room now after every one
 * with room, so the first is the one to give. */
static gint
vf_choice_compare_types(gconstpointer a, gconstpointer b)
{
    const HostType *x = *(const HostType *const *)a, *y = *(const HostType *const *)b;
    guint64 mx = host_type_framebuffer_mb(x), my = host_type_framebuffer_mb(y);

    if ((x->available > 0) != (y->available > 0))
        return x->available > 0 ? -1 : 1;
    return mx < my ? -1 : mx > my;
}

GPtrArray *
vf_choice_types(const HostParent *vf, const VgpuRequest *req)
{
    GPtrArray *types;

    if (req->gpu)
        return g_ptr_array_ref(vf->types);
    types = host_parent_request_types(vf, req);
    if (vgpu_request_is_need(req))
        g_ptr_array_sort(types, vf_choice_compare_types);
    return types;
}

/* The framebuffer a need gets on @vf now (the smallest size with room);
 * 0 for a request by name, where every VF gives the same. */
static guint64
vf_choice_need_mb(const HostParent *vf, const VgpuRequest *req)
{
    g_autoptr(GPtrArray) types = NULL;
    const HostType *t;

    if (!vgpu_request_is_need(req))
        return 0;
    types = vf_choice_types(vf, req);
    t = types->len ? g_ptr_array_index(types, 0) : NULL;
    return t && t->available > 0 ? host_type_framebuffer_mb(t) : 0;
}

char *
vf_choice_mismatch(const VfChoice *c, const HostParent *vf, const VgpuRequest *req)
{
    return vf->kind->vf->mismatch(c->names, vf, req);
}

/* One kind of GPU a gpu= request could mean: its id, name, how many. */
typedef struct {
    const char *id;
    char *name;
    guint gpus;
} VfGpuModel;

static void
vf_gpu_model_clear(gpointer p)
{
    g_free(((VfGpuModel *)p)->name);
}

/* The GPU models of the parents @plain (TRUE: plain VFs, FALSE: the
 * others) whose model @want matches (NULL: all), each once, with how many
 * GPUs, in address order. */
static GArray *
vf_choice_models(const VfChoice *c, const Host *host, gboolean plain, const char *want)
{
    GArray *models = g_array_new(FALSE, TRUE, sizeof(VfGpuModel));
    g_autoptr(GHashTable) gpus = g_hash_table_new(g_str_hash, g_str_equal);

    g_array_set_clear_func(models, vf_gpu_model_clear);
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(host->parents, i);
        VfGpuModel *m = NULL;

        if (device_kind_by_gpu(p->kind) != plain || !p->model || !*p->model ||
            (want && !pci_names_match(c->names, p->model, NULL, want)) ||
            !g_hash_table_add(gpus, p->gpu))
            continue;
        for (guint k = 0; k < models->len && !m; k++)
            if (strcmp(g_array_index(models, VfGpuModel, k).id, p->model) == 0)
                m = &g_array_index(models, VfGpuModel, k);
        if (!m) {
            VfGpuModel add = { .id = p->model, .name = pci_names_device(c->names, p->model) };

            g_array_append_val(models, add);
            m = &g_array_index(models, VfGpuModel, models->len - 1);
        }
        m->gpus++;
    }
    return models;
}

/* "Device 74a1 (1002:74a1, 4 GPUs) and FirePro S7150 (1002:6929)" */
static char *
vf_choice_models_text(const GArray *models)
{
    GString *s = g_string_new(NULL);

    for (guint k = 0; k < models->len; k++) {
        const VfGpuModel *m = &g_array_index(models, VfGpuModel, k);

        g_string_append_printf(s, "%s%s (%s", k == 0 ? "" : k + 1 == models->len ? " and " : ", ",
                               m->name, m->id);
        if (m->gpus > 1)
            g_string_append_printf(s, ", %u GPUs", m->gpus);
        g_string_append_c(s, ')');
    }
    return g_string_free(s, FALSE);
}

char *
vf_choice_gpu_unknown(const VfChoice *c, const Host *host, const VgpuRequest *req)
{
    g_autoptr(GArray) plain = NULL, typed = NULL;
    g_autofree char *list = NULL;

    if (!req->gpu)
        return NULL;
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(host->parents, i);

        if (device_kind_by_gpu(p->kind) && p->kind->vf->fits(c->names, p, req->gpu))
            return NULL;
    }
    /* The name is right, the request's kind is not. */
    typed = vf_choice_models(c, host, FALSE, req->gpu);
    if (typed->len) {
        list = vf_choice_models_text(typed);
        return g_strdup_printf("'%s' here is %s, which gives vGPUs of a type, not whole VFs: "
                               "ask for one with profile= or type=, not gpu=", req->gpu, list);
    }
    plain = vf_choice_models(c, host, TRUE, NULL);
    if (!plain->len)
        return g_strdup_printf("no GPU on this host is called '%s', and none here gives whole "
                               "VFs for gpu= to take", req->gpu);
    list = vf_choice_models_text(plain);
    return g_strdup_printf("no GPU on this host is called '%s': the GPUs with whole VFs here "
                           "are %s, as the PCI ID database (pci_ids_path) names them; "
                           "gpu=\"%s\" works with any database", req->gpu, list,
                           g_array_index(plain, VfGpuModel, 0).id);
}

char *
vf_choice_hostdev_refusal(const HostParent *vf, const VgpuRequest *req)
{
    if (!vf->kind->vf || !vf->kind->vf->hostdev_refusal)
        return NULL;
    return vf->kind->vf->hostdev_refusal(vf, req);
}

gboolean
vf_choice_usable(const VfChoice *c, const Host *host, const HostParent *vf,
                 const VgpuRequest *req)
{
    g_autofree char *mismatch = NULL, *refusal = NULL;
    g_autoptr(GPtrArray) types = NULL;
    const LedgerDevice *d = NULL;
    const Ledger *owner;
    gboolean free_type = FALSE;

    if (!vf->kind->vf || (mismatch = vf_choice_mismatch(c, vf, req)) ||
        (refusal = placement_parent_refusal(vf, req, c->rules)))
        return FALSE;
    if ((owner = ledger_list_find_parent(c->ledgers, vf->kind->name, vf->addr, &d)))
        return g_strcmp0(owner->domain_uuid, c->domain_uuid) == 0 &&
               g_strcmp0(d->uuid, req->uuid) == 0;
    types = vf_choice_types(vf, req);
    for (guint k = 0; k < types->len; k++)
        free_type |= ((const HostType *)g_ptr_array_index(types, k))->available > 0;
    return free_type && !host_find_device(host, vf->addr);
}

/* VFs of @gpu in use: with a type, or held by a ledger (plain VFs). */
static guint
vf_choice_gpu_used(const VfChoice *c, const Host *host, const char *gpu)
{
    guint used = 0;

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *vf = g_ptr_array_index(host->parents, i);

        if (vf->kind->vf && strcmp(vf->gpu, gpu) == 0 &&
            (host_find_device(host, vf->addr) ||
             ledger_list_find_parent(c->ledgers, vf->kind->name, vf->addr, NULL)))
            used++;
    }
    return used;
}

/* Is @a a better VF than @b for @req? Not named by another stopped domain
 * first, then for a need the smallest size (as placement_choose), then on
 * the domain's NUMA nodes (locality outranks pack, as in placement), then
 * pack or spread by the VFs their GPUs have in use. */
typedef struct {
    const HostParent *vf;
    gboolean avoided, remote;
    guint used;
    guint64 need_mb;
} VfRank;

static gboolean
vf_rank_better(const VfRank *a, const VfRank *b, VgpuPlacement policy)
{
    if (a->avoided != b->avoided)
        return !a->avoided;
    if (a->need_mb != b->need_mb)
        return a->need_mb < b->need_mb;
    if (a->remote != b->remote)
        return !a->remote;
    return policy == VGPU_PLACEMENT_SPREAD ? a->used < b->used : a->used > b->used;
}

const HostParent *
vf_choice_find(const VfChoice *c, const Host *host, const VgpuRequest *req)
{
    VgpuPlacement policy = req->placement != VGPU_PLACEMENT_DEFAULT ? req->placement :
                           c->rules && c->rules->policy != VGPU_PLACEMENT_DEFAULT
                           ? c->rules->policy : VGPU_PLACEMENT_PACK;
    VfRank best = { 0 };

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *vf = g_ptr_array_index(host->parents, i);
        VfRank r = { .vf = vf };

        if (!vf_choice_usable(c, host, vf, req) ||
            (c->exclude && g_hash_table_contains(c->exclude, vf->addr)))
            continue;
        r.avoided = c->avoid && g_hash_table_contains(c->avoid, vf->addr);
        r.remote = placement_is_remote(vf, req, c->rules);
        r.used = vf_choice_gpu_used(c, host, vf->gpu);
        r.need_mb = vf_choice_need_mb(vf, req);
        if (!best.vf || vf_rank_better(&r, &best, policy))
            best = r;
    }
    return best.vf;
}

guint
vf_choice_count(const VfChoice *c, const Host *host, const VgpuRequest *req, guint *local)
{
    guint all = 0;

    *local = 0;
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *vf = g_ptr_array_index(host->parents, i);

        if (!vf_choice_usable(c, host, vf, req) ||
            (c->exclude && g_hash_table_contains(c->exclude, vf->addr)) ||
            (c->avoid && g_hash_table_contains(c->avoid, vf->addr)))
            continue;
        all++;
        *local += !placement_is_remote(vf, req, c->rules);
    }
    return all;
}

/* MIG's reason (mig.h) when @vf lists no type for @req. @host may hold
 * only the VFs a domain names; what the others list says what is free, so
 * this reads them all. */
static char *
vf_choice_mig(const Host *host, const HostParent *vf, const VgpuRequest *req)
{
    g_autoptr(Host) all = host_scan(host->root, NULL, NULL);

    return mig_vf_refusal(all ? all : host, vf->gpu, req);
}

char *
vf_choice_typed_text(const HostParent *vf, const char *type, const char *self_name)
{
    return g_strdup_printf("VF %s already has vGPU type %s, which vgpu-hook did not set for "
                           "this domain; clear it (%s) or run 'vgpuctl sync %s'", vf->addr,
                           type, vf->kind->vf->clear, self_name);
}

char *
vf_choice_cannot_take_text(const HostParent *vf, const VgpuRequest *req, const char *mig,
                           const char *self_name)
{
    if (mig)
        return g_strdup_printf("VF %s cannot take %s now: %s; run 'vgpuctl sync %s' to point it "
                               "at a VF that can", vf->addr, vgpu_request_label(req), mig,
                               self_name);
    return g_strdup_printf("VF %s cannot take %s now (its GPU holds vGPUs of another size, "
                           "or is full); run 'vgpuctl sync %s' to point it at a VF that can",
                           vf->addr, vgpu_request_label(req), self_name);
}

char *
vf_choice_named_refusal(const VfChoice *c, const Host *host, const char *addr,
                        const VgpuRequest *req, const char *self_name)
{
    const HostParent *vf = host_find_parent(host, addr);
    const Ledger *owner;
    g_autofree char *why = NULL;

    if (!vf || !vf->kind->vf)
        return g_strdup_printf("its hostdev names %s, which is no VF that takes a vGPU type on "
                               "this host", addr);
    if ((why = vf_choice_mismatch(c, vf, req)) || (why = vf_choice_hostdev_refusal(vf, req)))
        return g_steal_pointer(&why);
    if ((why = placement_parent_refusal(vf, req, c->rules)))
        return g_strdup_printf("its hostdev names VF %s, but %s", vf->addr, why);
    owner = ledger_list_find_parent(c->ledgers, vf->kind->name, vf->addr, NULL);
    if (owner && g_strcmp0(owner->domain_uuid, c->domain_uuid) != 0)
        return g_strdup_printf("VF %s is taken by domain '%s'; run 'vgpuctl sync %s' to point "
                               "'%s' at a free VF", vf->addr,
                               owner->domain_name ? owner->domain_name : owner->domain_uuid,
                               self_name, self_name);
    return NULL;
}

char *
vf_choice_refusal(const VfChoice *c, const Host *host, const char *addr,
                  const VgpuRequest *req, const char *self_name)
{
    const HostParent *vf = host_find_parent(host, addr);
    const HostDevice *dev = vf ? host_find_device(host, vf->addr) : NULL;
    g_autofree char *why = NULL, *mig = NULL;

    if ((why = vf_choice_named_refusal(c, host, addr, req, self_name)))
        return g_steal_pointer(&why);
    if (ledger_list_find_parent(c->ledgers, vf->kind->name, vf->addr, NULL))
        return NULL;   /* this domain's own, as its ledger says */
    if (dev && !vf->kind->vf->ledger_reserves)
        return vf_choice_typed_text(vf, dev->type, self_name);
    if (vf_choice_usable(c, host, vf, req))
        return NULL;
    mig = vf_choice_mig(host, vf, req);
    return vf_choice_cannot_take_text(vf, req, mig, self_name);
}

/* @vf is given to @req: the next choice must see it taken. */
static void
vf_choice_take(Host *host, const HostParent *vf, const VgpuRequest *req)
{
    g_autoptr(GPtrArray) types = vf_choice_types(vf, req);

    if (!host_find_device(host, vf->addr) && types->len)
        vf->kind->note_made(host, vf->addr, vf->addr,
                            ((const HostType *)g_ptr_array_index(types, 0))->id);
}

static gboolean
vf_choice_listed(const GPtrArray *uuids, const char *uuid)
{
    for (guint i = 0; uuids && i < uuids->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(uuids, i), uuid) == 0)
            return TRUE;
    return FALSE;
}

static void
vf_advice_clear(gpointer p)
{
    g_free(((VfAdvice *)p)->why);
}

GArray *
vf_choice_advise(const VfChoice *c, Host *host, const GPtrArray *requests,
                 const GPtrArray *mdev_hostdevs, const GPtrArray *pci_addrs)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(VfAdvice));
    g_autoptr(GHashTable) named = g_hash_table_new(g_str_hash, g_str_equal);
    VfChoice own = *c;

    g_array_set_clear_func(out, vf_advice_clear);
    for (guint i = 0; pci_addrs && i < pci_addrs->len; i++)
        g_hash_table_add(named, g_ptr_array_index(pci_addrs, i));
    own.exclude = named;
    for (guint i = 0; i < requests->len; i++) {
        const VgpuRequest *orig = g_ptr_array_index(requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest view = vf_choice_view(orig, &type_owned);
        VfAdvice a = { .req = orig };

        if (orig->vf ||
            !vf_choice_serves(&own, host, &view, vf_choice_listed(mdev_hostdevs, orig->uuid)))
            continue;
        if ((a.vf = vf_choice_find(&own, host, &view))) {
            a.managed = a.vf->kind->vf->managed;
            vf_choice_take(host, a.vf, &view);
        } else {
            a.managed = orig->gpu != NULL;
            a.why = vf_choice_gpu_unknown(&own, host, &view);
        }
        g_array_append_val(out, a);
    }
    return out;
}

char *
vf_choice_advice_refusal(const GArray *advice, const char *domain)
{
    GString *s = NULL;

    for (guint i = 0; i < advice->len; i++) {
        const VfAdvice *a = &g_array_index(advice, VfAdvice, i);

        if (!a->why)
            continue;
        if (!s) {
            s = g_string_new(NULL);
            g_string_printf(s, "domain '%s': ", domain);
        } else {
            g_string_append(s, "; ");
        }
        g_string_append_printf(s, "vGPU device %u: %s", a->req->index, a->why);
    }
    return s ? g_string_free(s, FALSE) : NULL;
}

char *
vf_choice_advice_text(const Host *host, const GArray *advice, const char *domain,
                      VfHostdevElement element)
{
    g_autoptr(GString) elems = g_string_new(NULL);
    g_autoptr(GString) why = g_string_new(NULL);   /* MIG's reasons none fits */
    g_autoptr(GString) extra = g_string_new(NULL);
    g_autofree char *add = NULL;
    guint unfit = 0, n = 0;

    for (guint i = 0; i < advice->len; i++) {
        const VfAdvice *a = &g_array_index(advice, VfAdvice, i);
        g_autofree char *elem = NULL, *type_owned = NULL, *mig = NULL;
        VgpuRequest view;

        if (a->why)
            continue;
        n++;
        elem = element(a->req->uuid, a->vf ? a->vf->addr : "0000:00:00.0", a->managed);
        g_string_append_printf(elems, "%s%s", elems->len ? " " : "", elem);
        if (a->vf)
            continue;
        unfit++;
        view = vf_choice_view(a->req, &type_owned);
        if ((mig = mig_vf_refusal(host, NULL, &view)))
            g_string_append_printf(why, "; vGPU device %u: %s", a->req->index, mig);
    }
    if (n == 0)
        return NULL;
    if (unfit)
        g_string_printf(extra, " with the address of a free VF (none fits now%s)", why->str);
    add = vgpu_request_advice_add(elems->str, extra->str, domain);
    return vgpu_request_advice_missing(domain, n, TRUE, add);
}

/* The framebuffer of a GPU of @vf's model: the largest size listed by a
 * parent of that model that lists every type (an mdev parent always does;
 * a vendor-specific VF only while its GPU is idle, when the largest takes
 * it whole). 0 when none does. */
static guint64
vf_choice_gpu_mb(const Host *host, const HostParent *vf)
{
    guint64 best = 0;

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *q = g_ptr_array_index(host->parents, i);

        if (strcmp(q->model, vf->model) != 0 ||
            (q->kind->vf && host_gpu_device_count(host, q->gpu, NULL) > 0))
            continue;
        for (guint k = 0; k < q->types->len; k++)
            best = MAX(best, host_type_framebuffer_mb(g_ptr_array_index(q->types, k)));
    }
    return best;
}

/* The driver's own max_instance of @type on a GPU of @vf's model in mdev
 * mode (the same type ids); -1 when no such GPU is here. */
static int
vf_choice_known_max(const Host *host, const HostParent *vf, const HostType *type)
{
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *q = g_ptr_array_index(host->parents, i);
        const HostType *t;

        if (!q->kind->vf && strcmp(q->model, vf->model) == 0 &&
            (t = host_parent_find_type(q, type->id)) && t->max_instance >= 0)
            return t->max_instance;
    }
    return -1;
}

void
vf_choice_note_capacity(Host *host)
{
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(host->parents, i);
        guint64 gpu_mb = 0;
        guint vfs = 0;

        if (!p->kind->vf || p->types->len == 0)
            continue;
        for (guint k = 0; k < host->parents->len; k++) {
            const HostParent *q = g_ptr_array_index(host->parents, k);

            vfs += q->kind == p->kind && strcmp(q->gpu, p->gpu) == 0;
        }
        if (!device_kind_by_gpu(p->kind))
            gpu_mb = vf_choice_gpu_mb(host, p);
        for (guint k = 0; k < p->types->len; k++) {
            HostType *t = g_ptr_array_index(p->types, k);
            guint64 mb = host_type_framebuffer_mb(t);
            g_autofree char *mig = mig_type_instance(t);
            int known;

            if (device_kind_by_gpu(p->kind))
                t->max_instance = (int)vfs;
            else if (t->max_instance >= 0 || mig)
                continue;
            else if ((known = vf_choice_known_max(host, p, t)) >= 0)
                t->max_instance = MIN((int)vfs, known);
            else if (mb > 0 && gpu_mb > 0)
                t->max_instance = (int)MIN((guint64)vfs, gpu_mb / mb);
        }
    }
}
