/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl cluster config: the node-local copy of a shared domain file. */
#include "node-config.h"
#include "numa-map.h"
#include "vf-keep-priv.h"
#include "vgpu-error.h"

#include <string.h>

void
node_config_clear(NodeConfig *nc)
{
    g_clear_pointer(&nc->xml, g_free);
    g_clear_pointer(&nc->lines, g_ptr_array_unref);
    nc->mdev_added = 0;
}

static void
node_pass_clear(KeepPass *kp)
{
    g_clear_pointer(&kp->ledgers, g_ptr_array_unref);
    vf_context_clear(&kp->ctx);
    g_clear_pointer(&kp->held, g_hash_table_unref);
    g_clear_pointer(&kp->claimed, g_hash_table_unref);
    g_clear_pointer(&kp->hand, g_hash_table_unref);
    g_clear_pointer(&kp->doms, g_ptr_array_unref);
}

/* So that no later request of this file is pointed at @vf too: what it
 * consumes of its GPU (the first type that fits and has room). */
static void
node_mark_taken(Host *host, const HostParent *vf, const VgpuRequest *req)
{
    g_autoptr(GPtrArray) types = req->gpu ? g_ptr_array_ref(vf->types)
                                          : host_parent_request_types(vf, req);

    if (host_find_device(host, vf->addr))
        return;
    for (guint i = 0; i < types->len; i++) {
        const HostType *t = g_ptr_array_index(types, i);

        if (t->available != 0) {
            vf->kind->note_made(host, vf->addr, vf->addr, t->id);
            return;
        }
    }
    vf_keep_note_used(host, vf->addr);
}

/* VFs that stopped domains defined here name (by our alias or by hand):
 * taken only when nothing else is free, as the keeper's pass weighs them.
 * The domain of the file itself does not count (VirtualDomain undefines a
 * persistent namesake before it starts the file). */
static GHashTable *
node_avoid(const KeepPass *kp, const char *self)
{
    GHashTable *avoid = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer addr;

    for (guint i = 0; i < kp->doms->len; i++) {
        const KeepDomain *kd = g_ptr_array_index(kp->doms, i);

        if (g_strcmp0(kd->uuid, self) == 0)
            continue;
        for (guint r = 0; r < kd->vd->requests->len; r++) {
            const VgpuRequest *req = g_ptr_array_index(kd->vd->requests, r);

            if (req->vf)
                g_hash_table_add(avoid, req->vf);
        }
    }
    g_hash_table_iter_init(&it, kp->hand);
    while (g_hash_table_iter_next(&it, &addr, NULL))
        g_hash_table_add(avoid, addr);
    return avoid;
}

static int
node_no_vf(const VfChoice *c, const Host *host, const VgpuDomain *vd, const VgpuRequest *orig,
           const VgpuRequest *req, GError **error)
{
    g_autofree char *unknown = vf_choice_gpu_unknown(c, host, req);

    if (unknown) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "domain '%s': vGPU device %u: %s",
                    vd->name, orig->index, unknown);
    } else if (orig->vf) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY,
                    "domain '%s': vGPU device %u (%s): VF %s is missing or taken on this node "
                    "and no free VF here can take it", vd->name, orig->index,
                    vgpu_request_label(orig), orig->vf);
    } else {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY,
                    "domain '%s': vGPU device %u (%s): no free VF on this node can take it",
                    vd->name, orig->index, vgpu_request_label(orig));
    }
    return -1;
}

/* Point each whole-VF request (@whole_vf) at a VF: the one it names when it
 * can take it, else vf_choice_find's. */
static int
node_point_vfs(const VfChoice *c, Host *host, const VgpuDomain *vd, GHashTable *whole_vf,
               GHashTable *points, GPtrArray *lines, GError **error)
{
    g_autofree gboolean *keep = g_new0(gboolean, vd->requests->len);

    /* Those keeping their VF first, so that no move takes one of them. */
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *orig = g_ptr_array_index(vd->requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest req = vf_choice_view(orig, &type_owned);
        const HostParent *vf = orig->vf ? host_find_parent(host, orig->vf) : NULL;

        if (!g_hash_table_contains(whole_vf, orig->uuid) || !vf ||
            (c->avoid && g_hash_table_contains(c->avoid, vf->addr)) ||
            !vf_choice_usable(c, host, vf, &req))
            continue;
        keep[i] = TRUE;
        node_mark_taken(host, vf, &req);
    }
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *orig = g_ptr_array_index(vd->requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest req = vf_choice_view(orig, &type_owned);
        const HostParent *vf;
        XmlVfPoint *p;

        if (keep[i] || !g_hash_table_contains(whole_vf, orig->uuid))
            continue;
        if (!(vf = vf_choice_find(c, host, &req)))
            return node_no_vf(c, host, vd, orig, &req, error);
        p = g_new0(XmlVfPoint, 1);
        p->addr = g_strdup(vf->addr);
        p->managed = vf->kind->vf->managed;
        g_hash_table_insert(points, orig->uuid, p);
        g_ptr_array_add(lines, g_strdup_printf("vGPU %s (%s) uses VF %s%s%s", orig->uuid,
                                               vgpu_request_label(orig), vf->addr,
                                               orig->vf ? ", not " : "",
                                               orig->vf ? orig->vf : ""));
        node_mark_taken(host, vf, &req);
    }
    return 0;
}

int
node_config_build(virConnectPtr conn, const VgpuConfig *cfg, const char *buf, gsize len,
                  NodeConfig *nc, GError **error)
{
    g_autoptr(VgpuDomain) vd = NULL;
    g_autoptr(Host) host = NULL;
    g_autoptr(GArray) nodes = NULL;
    g_autoptr(GHashTable) whole_vf = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) exclude = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) avoid = NULL;
    g_autoptr(GHashTable) points = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify)xml_vf_point_free);
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *with_mdevs = NULL;
    KeepPass kp = { .cfg = cfg };
    VfChoice c;
    gboolean has_vfs = FALSE;
    guint added = 0;
    int rc = -1;

    memset(nc, 0, sizeof(*nc));
    if (!(vd = xml_domain_parse(buf, len, error)))
        return -1;
    kp.held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.claimed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.hand = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.doms = g_ptr_array_new_with_free_func((GDestroyNotify)vf_keep_domain_free);
    vf_context_init(&kp.ctx, cfg, NULL, NULL, NULL);
    /* Ledgers before the host, domains last: as the keeper's pass reads. */
    if (!(kp.ledgers = ledger_load_all(cfg->state_dir, NULL, error)) ||
        !(host = host_scan(cfg->sysfs_root, NULL, error)) ||
        numa_domain_nodes(cfg->sysfs_root, vd->mem_nodes, vd->cpus, &nodes, error) < 0)
        goto out;
    for (guint i = 0; i < host->parents->len; i++)
        has_vfs |= ((HostParent *)g_ptr_array_index(host->parents, i))->kind->vf != NULL;
    if (has_vfs && (pci_names_check(cfg->pci_ids_path, error) < 0 ||
                    vf_keep_read_domains(&kp, conn, error) < 0))
        goto out;
    vf_keep_note_held(&kp, host);
    kp.ctx.rules.domain_nodes = nodes;
    avoid = node_avoid(&kp, vd->uuid);
    for (guint i = 0; i < vd->pci_addrs->len; i++)
        g_hash_table_add(exclude, g_ptr_array_index(vd->pci_addrs, i));
    c = kp.ctx.vf;
    c.ledgers = kp.ledgers;
    c.domain_uuid = vd->uuid;
    c.avoid = avoid;
    c.exclude = exclude;
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *orig = g_ptr_array_index(vd->requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest req = vf_choice_view(orig, &type_owned);

        if (vf_keep_serves(&c, host, vd, &req))
            g_hash_table_add(whole_vf, orig->uuid);
    }
    if (node_point_vfs(&c, host, vd, whole_vf, points, lines, error) < 0 ||
        !(with_mdevs = xml_domain_add_hostdevs_except(buf, len, whole_vf, &added, error)))
        goto out;
    if (g_hash_table_size(points) == 0)
        nc->xml = g_steal_pointer(&with_mdevs);
    else if (!(nc->xml = xml_domain_point_vfs(with_mdevs, strlen(with_mdevs), points, error)))
        goto out;
    nc->mdev_added = added;
    nc->lines = g_steal_pointer(&lines);
    rc = 0;
out:
    node_pass_clear(&kp);
    return rc;
}
