/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migrate begin (incoming, on the destination) and restore begin: the only
 * calls whose stdout libvirt takes as the domain XML. A whole-VF request
 * whose VF is missing or taken here gets its hostdev pointed at a free VF
 * that fits (alias kept, nothing else changed); otherwise nothing is
 * printed. Nothing is made or recorded: prepare begin follows. */
#include "hook.h"
#include "host-scan.h"
#include "numa-map.h"
#include "vf-choice.h"
#include "vgpu-error.h"
#include "vgpu-log.h"

/* So that no later request of this call is pointed at @vf too. */
static void
migrate_mark_taken(Host *host, HostParent *vf)
{
    if (!host_find_device(host, vf->addr) && vf->types->len)
        vf->kind->note_made(host, vf->addr, vf->addr,
                            ((HostType *)g_ptr_array_index(vf->types, 0))->id);
}

int
hook_migrate(const VgpuConfig *cfg, const VgpuDomain *dom, gboolean incoming,
             const char *xml, size_t len, char **out, GError **error)
{
    g_autoptr(GHashTable) moves = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) named = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) ledgers = NULL;
    g_autoptr(Host) host = NULL;
    g_autoptr(GArray) nodes = NULL;
    g_autofree gboolean *keep = g_new0(gboolean, dom->requests->len);
    g_auto(VfContext) ctx = { 0 };
    VfChoice c;

    *out = NULL;
    if (!(host = host_scan(cfg->sysfs_root, NULL, error)) ||
        !(ledgers = ledger_load_all(cfg->state_dir, NULL, error)) ||
        numa_domain_nodes(cfg->sysfs_root, dom->mem_nodes, dom->cpus, &nodes, error) < 0)
        return -1;
    /* A move prefers VFs on the nodes the domain runs on here, as the
     * hook's advice and vgpuctl sync do. */
    vf_context_init(&ctx, cfg, nodes, ledgers, dom->uuid);
    if (incoming && hook_migrate_type_check(cfg, dom, host, &ctx.rules, error) < 0)
        return -1;
    c = ctx.vf;
    /* Never a VF another of the domain's PCI hostdevs names: libvirt
     * refuses one VF in two hostdevs, and the migration with it. */
    for (guint i = 0; i < dom->pci_addrs->len; i++)
        g_hash_table_add(named, g_ptr_array_index(dom->pci_addrs, i));
    c.exclude = named;
    /* Requests keeping their VF are marked first, so a move never takes
     * one of them. */
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *orig = g_ptr_array_index(dom->requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest req = vf_choice_view(orig, &type_owned);
        const HostParent *vf = orig->vf ? host_find_parent(host, orig->vf) : NULL;

        keep[i] = vf && vf_choice_usable(&c, host, vf, &req);
    }
    for (guint i = 0; i < dom->requests->len; i++)
        if (keep[i])
            migrate_mark_taken(host, host_find_parent(host,
                ((const VgpuRequest *)g_ptr_array_index(dom->requests, i))->vf));
    {
        for (guint i = 0; i < dom->requests->len; i++) {
            const VgpuRequest *orig = g_ptr_array_index(dom->requests, i);
            g_autofree char *type_owned = NULL;
            VgpuRequest req = vf_choice_view(orig, &type_owned);
            const HostParent *vf;

            if (!orig->vf || keep[i])
                continue;
            if (!(vf = vf_choice_find(&c, host, &req))) {
                g_autofree char *unknown = vf_choice_gpu_unknown(&c, host, &req);

                /* Not a matter of room: no VF here is what it names. */
                if (unknown)
                    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                                "domain '%s': vGPU device %u: %s", dom->name, orig->index,
                                unknown);
                else
                    g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY,
                                "domain '%s': vGPU device %u: VF %s is missing or taken on "
                                "this host and no free VF here fits %s", dom->name,
                                orig->index, orig->vf, vgpu_request_label(orig));
                return -1;
            }
            vgpu_log(LOG_INFO, "domain '%s': %s: VF %s is missing or taken here; using %s",
                     dom->name, orig->uuid, orig->vf, vf->addr);
            g_hash_table_insert(moves, orig->uuid, vf->addr);
            migrate_mark_taken(host, (HostParent *)vf);
        }
    }
    if (g_hash_table_size(moves) == 0)
        return 0;
    return (*out = xml_domain_repoint_vfs(xml, len, moves, error)) ? 0 : -1;
}
