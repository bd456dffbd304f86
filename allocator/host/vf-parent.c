/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One construction of a whole-VF parent for both VF kinds, so that what
 * vgpuctl lists and placement compares (gpu, model, NUMA node) is read
 * the same way whichever kind found the VF. */
#include "vf-parent.h"
#include "sysfs-io.h"
#include "sysfs-path.h"

char *
vf_parent_read_pci_id(const char *root, const char *addr, const char *file, GError **error)
{
    g_autofree char *path = sysfs_path_pci_file(root, addr, file, error);
    g_autofree char *text = NULL;

    if (!path || !(text = sysfs_read_attr(path, error)))
        return NULL;
    return g_ascii_strdown(g_str_has_prefix(text, "0x") ? text + 2 : text, -1);
}

HostParent *
vf_parent_new(const DeviceKind *kind, const char *root, const char *vf, const char *pf,
              GError **error)
{
    const char *gpu = pf ? pf : vf;
    g_autofree char *numa_path = sysfs_path_pci_file(root, vf, "numa_node", error);
    g_autofree char *vendor = NULL;
    g_autofree char *device = NULL;
    g_autofree char *numa = NULL;
    HostParent *parent;
    int node = -1;

    if (!numa_path || !(vendor = vf_parent_read_pci_id(root, gpu, "vendor", error)) ||
        !(device = vf_parent_read_pci_id(root, gpu, "device", error)) ||
        sysfs_read_attr_optional(numa_path, &numa, error) < 0 ||
        (numa && sysfs_parse_int(numa_path, numa, -1, &node, error) < 0))
        return NULL;
    parent = g_new0(HostParent, 1);
    parent->kind = kind;
    parent->addr = g_strdup(vf);
    parent->gpu = g_strdup(gpu);
    parent->is_vf = pf != NULL;
    parent->numa_node = node;
    parent->model = g_strdup_printf("%s:%s", vendor, device);
    parent->types = g_ptr_array_new_with_free_func((GDestroyNotify)host_type_free);
    return parent;
}

GPtrArray *
vf_parent_scan_names(const Host *host, const char *root, const GPtrArray *requests,
                     GError **error)
{
    g_autofree char *dir = NULL;
    GPtrArray *named = device_kind_named_vfs(requests);
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GHashTable) taken = NULL;
    GPtrArray *names;

    if (named)
        return named;
    dir = sysfs_path_pci_devices(root);
    if (!(all = sysfs_list_dir(dir, error)))
        return NULL;
    /* An mdev parent is no whole VF (its driver splits it), nor is its GPU
     * (a PF, or the parent itself): on a DGX those are 168 of its 170 PCI
     * devices, each a path walk through its link. */
    taken = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];

        g_hash_table_add(taken, p->addr);
        g_hash_table_add(taken, p->gpu);
    }
    names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < all->len; i++) {
        if (!g_hash_table_contains(taken, all->pdata[i]))
            g_ptr_array_add(names, g_strdup(all->pdata[i]));
    }
    return names;
}
