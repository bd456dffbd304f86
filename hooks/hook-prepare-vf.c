/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* prepare begin for a whole-VF request: the VF is the one the domain's
 * <hostdev type='pci'> with alias ua-vgpu-<uuid> names (libvirt fixed the
 * address; no hook can change it at a normal start). Runs under the host
 * lock. What refuses the VF is said in vf-choice.c's words, which
 * vgpuctl check prints too. */
#include "hook-prepare.h"
#include "host-scan.h"
#include "mig.h"
#include "placement.h"
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

/* The VF already has a type: fine only if this domain's ledger says this
 * request set exactly it (a prepare run again, or one killed before its
 * commit). */
static int
vf_reuse(Prepare *p, const HostParent *vf, const VgpuRequest *req, const char *type,
         GError **error)
{
    LedgerDevice *d = ledger_find(p->ledger, req->uuid);

    g_autofree char *why = NULL;

    if (!d || g_strcmp0(d->parent, vf->addr) || g_strcmp0(d->type, type) ||
        g_strcmp0(d->kind, vf->kind->name)) {
        why = vf_choice_typed_text(vf, type, p->dom->name);
        return vf_refuse(p, req, error, "%s", why);
    }
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
    g_autofree char *mig = NULL, *why = NULL;

    if (avail < 0) {
        g_propagate_prefixed_error(error, g_steal_pointer(&err), "domain '%s': vGPU device %u: ",
                                   p->dom->name, req->index);
        return -1;
    }
    if (avail < 1) {
        mig = vf_mig_refusal(p, vf, req);
        why = vf_choice_cannot_take_text(vf, req, mig, p->dom->name);
        return vf_refuse(p, req, error, "%s", why);
    }
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
    const VfChoice *c = &p->ctx->vf;
    HostParent *vf = host_find_parent(host, req->vf);
    g_autofree char *nodes = NULL;
    g_autofree char *refusal = NULL;
    g_autofree char *parent = NULL, *type = NULL;
    g_autoptr(GError) err = NULL;

    /* libvirt fixed the VF; the domain's NUMA nodes can only refuse it
     * (numa_fallback=false) or be logged as missed, as for an mdev. */
    if ((refusal = vf_choice_named_refusal(c, host, req->vf, req, p->dom->name)))
        return vf_refuse(p, req, error, "%s", refusal);
    if (placement_is_remote(vf, req, c->rules) && (nodes = vgpu_cpuset_format(p->nodes)))
        vgpu_log(LOG_WARNING, "domain '%s': vGPU device %u: its hostdev names VF %s on NUMA "
                 "node %d, not on node(s) %s where the domain runs ('vgpuctl sync %s' points "
                 "it at a free VF there; numa_fallback=false refuses instead)", p->dom->name,
                 req->index, vf->addr, vf->numa_node, nodes, p->dom->name);
    if (vf->kind->vf->ledger_reserves) {
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
    g_autoptr(GArray) advice = NULL;
    g_autofree char *msg = NULL;
    VfChoice c = p->ctx->vf;
    gboolean vfs = FALSE;

    /* A host with no whole VF, and no gpu= request, needs no ledger read. */
    for (guint i = 0; i < host->parents->len && !vfs; i++)
        vfs = ((const HostParent *)g_ptr_array_index(host->parents, i))->kind->vf != NULL;
    for (guint i = 0; i < p->dom->requests->len && !vfs; i++)
        vfs = ((const VgpuRequest *)g_ptr_array_index(p->dom->requests, i))->gpu != NULL;
    if (!vfs)
        return 0;
    if (!(ledgers = ledger_load_all(p->cfg->state_dir, NULL, error)))
        return -1;
    /* Read before the lock, for this advice alone. */
    c.ledgers = ledgers;
    advice = vf_choice_advise(&c, host, p->dom->requests, p->dom->mdev_hostdevs,
                              p->dom->pci_addrs);
    if (advice->len == 0)
        return 0;
    if (!(msg = vf_choice_advice_refusal(advice, p->dom->name)))
        msg = vf_choice_advice_text(host, advice, p->dom->name, xml_vf_hostdev_element);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s", msg);
    return -1;
}
