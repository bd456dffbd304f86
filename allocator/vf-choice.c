#include "vf-choice.h"
#include "host-scan.h"
#include "mig.h"
#include "plainvf.h"

#include <string.h>

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

gboolean
vf_choice_wanted(const Host *host, const VgpuRequest *req)
{
    gboolean by_vf = FALSE, any_vf = FALSE, any_mdev = FALSE;

    if (req->gpu)
        return TRUE;
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *parent = g_ptr_array_index(host->parents, i);
        g_autoptr(GPtrArray) types = host_parent_matching_types(parent, req->type, req->profile);

        any_vf |= parent->kind->named_by_hostdev;
        any_mdev |= !parent->kind->named_by_hostdev;
        if (types->len == 0)
            continue;
        if (!parent->kind->named_by_hostdev)
            return FALSE;   /* an mdev can serve it */
        by_vf = TRUE;
    }
    /* Nothing offers it now (a full vendor-specific host lists nothing):
     * a host with VFs only serves it with a VF or not at all. */
    return by_vf || (any_vf && !any_mdev);
}

GHashTable *
vf_choice_requests(const Host *host, const GPtrArray *requests)
{
    GHashTable *uuids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest view = vf_choice_view(req, &type_owned);

        if (req->gpu || (host && vf_choice_wanted(host, &view)))
            g_hash_table_add(uuids, g_strdup(req->uuid));
    }
    return uuids;
}

char *
vf_choice_mismatch(const VfChoice *c, const HostParent *vf, const VgpuRequest *req)
{
    g_autofree char *name = NULL;

    if (vf->kind == &device_kind_plainvf) {
        if (!req->gpu)
            return g_strdup_printf("VF %s is a whole VF with no vGPU type; ask for it with "
                                   "gpu=, not %s", vf->addr, vgpu_request_label(req));
        if (plainvf_fits(c->names, vf, req->gpu))
            return NULL;
        name = pci_names_device(c->names, vf->model);
        return g_strdup_printf("VF %s belongs to a %s (%s), not '%s'", vf->addr, name,
                               vf->model, req->gpu);
    }
    if (req->gpu)
        return g_strdup_printf("VF %s takes a vGPU type; ask for it with profile= or type=, "
                               "not gpu=", vf->addr);
    return NULL;
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

    if (!vf->kind->named_by_hostdev || (mismatch = vf_choice_mismatch(c, vf, req)) ||
        (refusal = placement_parent_refusal(vf, req, c->rules)))
        return FALSE;
    if ((owner = ledger_list_find_parent(c->ledgers, vf->kind->name, vf->addr, &d)))
        return g_strcmp0(owner->domain_uuid, c->domain_uuid) == 0 &&
               g_strcmp0(d->uuid, req->uuid) == 0;
    types = req->gpu ? g_ptr_array_ref(vf->types)
                     : host_parent_matching_types(vf, req->type, req->profile);
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

        if (vf->kind->named_by_hostdev && strcmp(vf->gpu, gpu) == 0 &&
            (host_find_device(host, vf->addr) ||
             ledger_list_find_parent(c->ledgers, vf->kind->name, vf->addr, NULL)))
            used++;
    }
    return used;
}

const HostParent *
vf_choice_find(const VfChoice *c, const Host *host, const VgpuRequest *req)
{
    VgpuPlacement policy = req->placement != VGPU_PLACEMENT_DEFAULT ? req->placement :
                           c->rules && c->rules->policy != VGPU_PLACEMENT_DEFAULT
                           ? c->rules->policy : VGPU_PLACEMENT_PACK;
    const HostParent *best = NULL;
    gboolean best_avoided = TRUE;
    guint best_used = 0;

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *vf = g_ptr_array_index(host->parents, i);
        gboolean avoided;
        guint used;

        if (!vf_choice_usable(c, host, vf, req))
            continue;
        avoided = c->avoid && g_hash_table_contains(c->avoid, vf->addr);
        used = vf_choice_gpu_used(c, host, vf->gpu);
        if (best && avoided && !best_avoided)
            continue;
        if (!best || (best_avoided && !avoided) ||
            (policy == VGPU_PLACEMENT_SPREAD ? used < best_used : used > best_used)) {
            best = vf;
            best_used = used;
            best_avoided = avoided;
        }
    }
    return best;
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
vf_choice_refusal(const VfChoice *c, const Host *host, const char *addr,
                  const VgpuRequest *req, const char *self_name)
{
    const HostParent *vf = host_find_parent(host, addr);
    const HostDevice *dev = vf ? host_find_device(host, vf->addr) : NULL;
    const LedgerDevice *d = NULL;
    const Ledger *owner;
    g_autofree char *why = NULL;

    if (!vf || !vf->kind->named_by_hostdev)
        return g_strdup_printf("its hostdev names %s, which is no VF that takes a vGPU type on "
                               "this host", addr);
    if ((why = vf_choice_mismatch(c, vf, req)))
        return g_steal_pointer(&why);
    if ((why = placement_parent_refusal(vf, req, c->rules)))
        return g_strdup_printf("its hostdev names VF %s, but %s", vf->addr, why);
    owner = ledger_list_find_parent(c->ledgers, vf->kind->name, vf->addr, &d);
    if (owner && g_strcmp0(owner->domain_uuid, c->domain_uuid) != 0)
        return g_strdup_printf("VF %s is taken by domain '%s'; run 'vgpuctl sync %s' to point "
                               "'%s' at a free VF", vf->addr,
                               owner->domain_name ? owner->domain_name : owner->domain_uuid,
                               self_name, self_name);
    if (owner)
        return NULL;   /* this domain's own, as its ledger says */
    if (dev && vf->kind != &device_kind_plainvf)
        return g_strdup_printf("VF %s already has vGPU type %s, which vgpu-hook did not set for "
                               "this domain; clear it (write 0 to its nvidia/current_vgpu_type) "
                               "or run 'vgpuctl sync %s'", vf->addr, dev->type, self_name);
    if (!vf_choice_usable(c, host, vf, req) && (why = vf_choice_mig(host, vf, req)))
        return g_strdup_printf("VF %s cannot take %s now: %s; run 'vgpuctl sync %s' to point it "
                               "at a VF that can", vf->addr, vgpu_request_label(req), why,
                               self_name);
    if (!vf_choice_usable(c, host, vf, req))
        return g_strdup_printf("VF %s cannot take %s now (its GPU holds vGPUs of another size, "
                               "or is full); run 'vgpuctl sync %s' to point it at a VF that can",
                               vf->addr, vgpu_request_label(req), self_name);
    return NULL;
}
