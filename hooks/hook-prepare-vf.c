/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* prepare begin for a whole-VF request: the VF is the one the domain's
 * <hostdev type='pci'> with alias ua-vgpu-<uuid> names (libvirt fixed the
 * address; no hook can change it at a normal start). Runs under the host
 * lock. NVIDIA vendor-specific VFs take the request's type through
 * current_vgpu_type (docs/sysfs.md). */
#include "hook-prepare.h"
#include "host-scan.h"
#include "mig.h"
#include "placement.h"
#include "plainvf.h"
#include "vf-choice.h"
#include "vgpu-cpuset.h"
#include "vgpu-error.h"
#include "vgpu-log.h"

#include <string.h>

static int
vf_refuse(Prepare *p, const VgpuRequest *req, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static int
vf_refuse(Prepare *p, const VgpuRequest *req, GError **error, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY, "domain '%s': vGPU device %u: %s",
                p->dom->name, req->index, msg);
    return -1;
}

/* Another domain's ledger holding the VF: the one sentence names it and
 * the fix. */
static int
vf_check_holder(Prepare *p, const HostParent *vf, const VgpuRequest *req, GError **error)
{
    g_autoptr(GPtrArray) ledgers = ledger_load_all(p->cfg->state_dir, NULL, error);
    const LedgerDevice *d = NULL;
    const Ledger *owner;

    if (!ledgers)
        return -1;
    owner = ledger_list_find_parent(ledgers, vf->kind->name, vf->addr, &d);
    if (!owner || g_strcmp0(owner->domain_uuid, p->dom->uuid) == 0)
        return 0;
    return vf_refuse(p, req, error, "VF %s is taken by domain '%s'; run 'vgpuctl sync %s' "
                     "to point '%s' at a free VF", vf->addr,
                     owner->domain_name ? owner->domain_name : owner->domain_uuid,
                     p->dom->name, p->dom->name);
}

/* The VF already has a type: fine only if this domain's ledger says this
 * request set exactly it (a prepare run again, or one killed before its
 * commit). */
static int
vf_reuse(Prepare *p, const HostParent *vf, const VgpuRequest *req, const char *type,
         GError **error)
{
    LedgerDevice *d = ledger_find(p->ledger, req->uuid);

    if (!d || g_strcmp0(d->parent, vf->addr) || g_strcmp0(d->type, type) ||
        g_strcmp0(d->kind, vf->kind->name))
        return vf_refuse(p, req, error, "VF %s already has vGPU type %s, which vgpu-hook did "
                         "not set for this domain; clear it (write 0 to its "
                         "nvidia/current_vgpu_type) or run 'vgpuctl sync %s'",
                         vf->addr, type, p->dom->name);
    /* The ledger's type was chosen for this request; a type id in the
     * request is the one thing that can since disagree (a VF with a type
     * lists no name to match a profile against). */
    if (req->type && strcmp(req->type, type) != 0)
        return vf_refuse(p, req, error, "VF %s has type %s, which is not %s", vf->addr, type,
                         req->type);
    if (d->state == LEDGER_INTENT &&
        prepare_record(p, vf->kind, req->uuid, vf->addr, type, LEDGER_CREATED, error) < 0)
        return -1;
    vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "reused", .uuid = req->uuid, .type = type,
                                              .vf = vf->addr },
                   "domain '%s': VF %s already has our type %s", p->dom->name, vf->addr, type);
    return 0;
}

/* MIG's reason, when it is why @vf lists no type for @req. The scan read
 * only the VFs the domain names; what the GPU's other VFs and the other
 * GPUs list says what is free, so a refusal reads them all. */
static char *
vf_mig_refusal(const Prepare *p, const HostParent *vf, const VgpuRequest *req)
{
    g_autoptr(Host) all = host_scan(p->cfg->sysfs_root, NULL, NULL);

    return all ? mig_vf_refusal(all, vf->gpu, req) : NULL;
}

static int
vf_make(Prepare *p, Host *host, HostParent *vf, const VgpuRequest *req, GError **error)
{
    const DeviceKind *kind = vf->kind;
    const char *root = p->cfg->sysfs_root;
    g_autoptr(GPtrArray) types = vf_choice_types(vf, req);
    g_autoptr(GError) err = NULL;
    const HostType *t = types->len ? g_ptr_array_index(types, 0) : NULL;
    int avail = t ? kind->available(root, vf->addr, t->id, &err) : 0;
    g_autofree char *mig = NULL;

    if (avail < 0) {
        g_propagate_prefixed_error(error, g_steal_pointer(&err), "domain '%s': vGPU device %u: ",
                                   p->dom->name, req->index);
        return -1;
    }
    if (avail < 1 && (mig = vf_mig_refusal(p, vf, req)))
        return vf_refuse(p, req, error, "VF %s cannot take %s now: %s; run 'vgpuctl sync %s' to "
                         "point it at a VF that can", vf->addr, vgpu_request_label(req), mig,
                         p->dom->name);
    if (avail < 1)
        return vf_refuse(p, req, error, "VF %s cannot take %s now (its GPU holds vGPUs of "
                         "another size, or is full); run 'vgpuctl sync %s' to point it at a VF "
                         "that can", vf->addr, vgpu_request_label(req), p->dom->name);
    if (prepare_record(p, kind, req->uuid, vf->addr, t->id, LEDGER_INTENT, error) < 0)
        return -1;
    HOOK_TEST_POINT("prepare-intent");
    if (kind->make(root, vf->addr, t->id, req->uuid, p->cfg->create_timeout_ms, &err) < 0) {
        vgpu_log_event(LOG_WARNING, &(VgpuLogEvent){ .code = "create-failed", .uuid = req->uuid,
                                                     .type = t->id, .vf = vf->addr },
                       "domain '%s': %s", p->dom->name, err->message);
        /* A write that timed out may still land: the intent stays for the
         * release libvirt runs next. */
        if (!g_error_matches(err, VGPU_ERROR, VGPU_ERROR_TIMEOUT)) {
            ledger_drop(p->ledger, req->uuid);
            if (ledger_save(p->cfg->state_dir, p->ledger, error) < 0)
                return -1;
        }
        return vf_refuse(p, req, error, "giving VF %s type %s failed: %s", vf->addr,
                         host_type_short_name(t), err->message);
    }
    prepare_made(p, kind, req->uuid, vf->addr);
    HOOK_TEST_POINT("prepare-created");
    if (prepare_record(p, kind, req->uuid, vf->addr, t->id, LEDGER_CREATED, error) < 0)
        return -1;
    kind->note_made(host, vf->addr, vf->addr, t->id);
    vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "created", .uuid = req->uuid, .type = t->id,
                                              .vf = vf->addr },
                   "domain '%s': VF %s took %s (%s)", p->dom->name, vf->addr, t->name, t->id);
    return 0;
}

int
prepare_vf(Prepare *p, Host *host, const VgpuRequest *orig, GError **error)
{
    g_autofree char *type_owned = NULL;
    VgpuRequest view = vf_choice_view(orig, &type_owned);
    const VgpuRequest *req = &view;
    PlacementRules rules = placement_rules_from_config(p->cfg);
    g_autoptr(PciNames) names = pci_names_new(p->cfg->pci_ids_path);
    VfChoice c = { .rules = &rules, .names = names };
    HostParent *vf = host_find_parent(host, req->vf);
    g_autofree char *nodes = NULL;
    g_autofree char *refusal = NULL;
    g_autofree char *parent = NULL, *type = NULL;
    g_autoptr(GError) err = NULL;

    if (!vf || !vf->kind->named_by_hostdev)
        return vf_refuse(p, req, error, "its hostdev names %s, which is no VF that takes a vGPU "
                         "type on this host", req->vf);
    if ((refusal = vf_choice_mismatch(&c, vf, req)) ||
        (refusal = vf_choice_hostdev_refusal(vf, req)))
        return vf_refuse(p, req, error, "%s", refusal);
    /* libvirt fixed the VF; the domain's NUMA nodes can only refuse it
     * (numa_fallback=false) or be logged as missed, as for an mdev. */
    rules.domain_nodes = p->nodes;
    if ((refusal = placement_parent_refusal(vf, req, &rules)))
        return vf_refuse(p, req, error, "its hostdev names VF %s, but %s", vf->addr, refusal);
    if (vf_check_holder(p, vf, req, error) < 0)
        return -1;
    if (placement_is_remote(vf, req, &rules) && (nodes = vgpu_cpuset_format(p->nodes)))
        vgpu_log(LOG_WARNING, "domain '%s': vGPU device %u: its hostdev names VF %s on NUMA "
                 "node %d, not on node(s) %s where the domain runs ('vgpuctl sync %s' points "
                 "it at a free VF there; numa_fallback=false refuses instead)", p->dom->name,
                 req->index, vf->addr, vf->numa_node, nodes, p->dom->name);
    if (vf->kind == &device_kind_plainvf) {
        /* Nothing in sysfs says who holds a plain VF: the ledgers do. */
        LedgerDevice *d = ledger_find(p->ledger, req->uuid);

        if (d && !g_strcmp0(d->parent, vf->addr) && !g_strcmp0(d->kind, vf->kind->name))
            return d->state == LEDGER_CREATED ? 0 :
                   prepare_record(p, vf->kind, req->uuid, vf->addr, d->type, LEDGER_CREATED,
                                  error);
        return vf_make(p, host, vf, req, error);
    }
    if (vf->kind->lookup(p->cfg->sysfs_root, vf->addr, &parent, &type, &err) == 0)
        return vf_reuse(p, vf, req, type, error);
    if (!g_error_matches(err, VGPU_ERROR, VGPU_ERROR_NOT_FOUND)) {
        g_propagate_prefixed_error(error, g_steal_pointer(&err), "domain '%s': vGPU device %u: ",
                                   p->dom->name, req->index);
        return -1;
    }
    return vf_make(p, host, vf, req, error);
}

int
prepare_vf_advice(Prepare *p, Host *host, GError **error)
{
    g_autoptr(GPtrArray) ledgers = NULL;
    g_autoptr(PciNames) names = NULL;
    g_autoptr(GArray) advice = NULL;
    g_autofree char *msg = NULL;
    PlacementRules rules = placement_rules_from_config(p->cfg);
    VfChoice c = { .rules = &rules, .domain_uuid = p->dom->uuid };
    gboolean vfs = FALSE;

    /* A host with no whole VF, and no gpu= request, needs no ledger read. */
    for (guint i = 0; i < host->parents->len && !vfs; i++)
        vfs = ((const HostParent *)g_ptr_array_index(host->parents, i))->kind->named_by_hostdev;
    for (guint i = 0; i < p->dom->requests->len && !vfs; i++)
        vfs = ((const VgpuRequest *)g_ptr_array_index(p->dom->requests, i))->gpu != NULL;
    if (!vfs)
        return 0;
    if (!(ledgers = ledger_load_all(p->cfg->state_dir, NULL, error)))
        return -1;
    names = pci_names_new(p->cfg->pci_ids_path);
    rules.domain_nodes = p->nodes;
    c.ledgers = ledgers;
    c.names = names;
    advice = vf_choice_advise(&c, host, p->dom->requests, p->dom->mdev_hostdevs,
                              p->dom->pci_addrs);
    if (advice->len == 0)
        return 0;
    if (!(msg = vf_choice_advice_refusal(advice, p->dom->name)))
        msg = vf_choice_advice_text(host, advice, p->dom->name, xml_vf_hostdev_element);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s", msg);
    return -1;
}
