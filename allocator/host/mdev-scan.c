/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's mdev parents, types and devices, read from sysfs.
 *
 * A DGX-class host has 160 VF parents with 24 types each, and in tests every
 * read crosses a FUSE simulator, so the scan reads as little as it can:
 * what a GPU model's types are called is read once per model, the PF's
 * identity once per GPU, and available_instances only for types a request
 * could use. */
#include "device-kind.h"
#include "mdev.h"
#include "mig.h"
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "type-description.h"
#include "vgpu-error.h"
#include "vgpu-validate.h"

#include <errno.h>
#include <string.h>

/* What every parent of one GPU shares. */
typedef struct {
    char *model;
    int numa_node;
    gboolean numa_known;
} GpuInfo;

/* What a type id on a GPU model is, independent of the parent. */
typedef struct {
    char *name;
    char *description;
    guint64 framebuffer_mb;
    int max_instance;
    gboolean wanted;        /* some request could use it: read availability */
} TypeInfo;

typedef struct {
    const char *root;
    const GPtrArray *requests;
    GHashTable *gpus;       /* gpu addr -> GpuInfo* */
    GHashTable *types;      /* model or parent, '\n', type id -> TypeInfo* */
} ScanContext;

static void
gpu_info_free(gpointer p)
{
    GpuInfo *g = p;

    g_free(g->model);
    g_free(g);
}

static void
type_info_free(gpointer p)
{
    TypeInfo *t = p;

    g_free(t->name);
    g_free(t->description);
    g_free(t);
}

static gboolean
type_wanted(const ScanContext *ctx, const char *id, const TypeInfo *info)
{
    HostType probe = { .id = (char *)id, .name = info->name,
                       .framebuffer_mb = info->framebuffer_mb };

    if (!ctx->requests)
        return TRUE;
    for (guint i = 0; i < ctx->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(ctx->requests, i);

        if (host_type_fits_request(&probe, req))
            return TRUE;
    }
    return FALSE;
}

static TypeInfo *
type_info_read(const ScanContext *ctx, const char *parent, const char *id, GError **error)
{
    g_autofree char *name_path = NULL, *desc_path = NULL;
    g_autofree char *name = NULL;
    g_autofree char *desc = NULL;
    TypeInfo *info;

    if (!(name_path = sysfs_path_type_file(ctx->root, parent, id, "name", error)) ||
        !(desc_path = sysfs_path_type_file(ctx->root, parent, id, "description", error)) ||
        sysfs_read_attr_optional(name_path, &name, error) < 0 ||
        sysfs_read_attr_optional(desc_path, &desc, error) < 0)
        return NULL;
    info = g_new0(TypeInfo, 1);
    info->name = name && *name ? g_steal_pointer(&name) : g_strdup(id);
    info->description = g_steal_pointer(&desc);
    info->framebuffer_mb = type_description_framebuffer_mb(info->description);
    info->max_instance = type_description_max_instance(info->description);
    info->wanted = type_wanted(ctx, id, info);
    return info;
}

/* Names and descriptions come from the driver and are the same on every
 * parent of one GPU model; a parent that is not a PCI device (mtty) has
 * no model and is its own key. */
static const TypeInfo *
type_info_get(ScanContext *ctx, const HostParent *parent, const char *id, GError **error)
{
    g_autofree char *key = *parent->model ? g_strdup_printf("%s\n%s", parent->model, id)
                                          : g_strdup_printf("@%s\n%s", parent->addr, id);
    TypeInfo *info = g_hash_table_lookup(ctx->types, key);

    if (info)
        return info;
    if (!(info = type_info_read(ctx, parent->addr, id, error)))
        return NULL;
    g_hash_table_insert(ctx->types, g_steal_pointer(&key), info);
    return info;
}

static HostType *
scan_type(ScanContext *ctx, const HostParent *parent, const char *id, GError **error)
{
    const TypeInfo *info = type_info_get(ctx, parent, id, error);
    g_autoptr(GError) local = NULL;
    HostType *t;

    if (!info)
        return NULL;
    t = g_new0(HostType, 1);
    t->id = g_strdup(id);
    t->name = g_strdup(info->name);
    t->description = g_strdup(info->description);
    t->framebuffer_mb = info->framebuffer_mb;
    t->max_instance = info->max_instance;
    t->available = -1;
    if (info->wanted && (t->available = mdev_read_available(ctx->root, parent->addr,
                                                             id, error)) < 0) {
        host_type_free(t);
        return NULL;
    }
    return t;
}

int
mdev_read_available(const char *root, const char *parent, const char *type,
                    GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    int n = -1;

    if (!(path = sysfs_path_type_file(root, parent, type, "available_instances", error)) ||
        !(text = sysfs_read_attr(path, error)) ||
        sysfs_parse_int(path, text, 0, &n, error) < 0)
        return -1;
    return n;
}

static gboolean
scan_types(ScanContext *ctx, HostParent *parent, GError **error)
{
    g_autofree char *dir = sysfs_path_types(ctx->root, parent->addr, error);
    g_autoptr(GPtrArray) ids = dir ? sysfs_list_dir(dir, error) : NULL;

    if (!ids)
        return FALSE;
    for (guint i = 0; i < ids->len; i++) {
        HostType *t = scan_type(ctx, parent, g_ptr_array_index(ids, i), error);

        if (!t)
            return FALSE;
        g_ptr_array_add(parent->types, t);
    }
    return TRUE;
}

/* "0x10de" -> "10de" */
static char *
read_pci_id(const char *root, const char *addr, const char *file, GError **error)
{
    g_autofree char *path = sysfs_path_pci_file(root, addr, file, error);
    g_autofree char *text = NULL;

    if (!path || sysfs_read_attr_optional(path, &text, error) < 0)
        return NULL;
    if (!text)
        return g_strdup("");
    if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X"))
        return g_ascii_strdown(text + 2, -1);
    return g_ascii_strdown(text, -1);
}

/* @path's node number; absent gives *known = FALSE. */
static gboolean
read_numa_node(const char *path, int *node, gboolean *known, GError **error)
{
    g_autofree char *text = NULL;

    *node = -1;
    *known = FALSE;
    if (sysfs_read_attr_optional(path, &text, error) < 0)
        return FALSE;
    if (!text)
        return TRUE;
    if (sysfs_parse_int(path, text, -1, node, error) < 0)
        return FALSE;
    *known = TRUE;
    return TRUE;
}

static const GpuInfo *
gpu_info_get(ScanContext *ctx, const char *gpu, GError **error)
{
    GpuInfo *info = g_hash_table_lookup(ctx->gpus, gpu);
    g_autofree char *vendor = NULL;
    g_autofree char *device = NULL;
    g_autofree char *numa_path = NULL;
    int node;
    gboolean known;

    if (info)
        return info;
    if (!(vendor = read_pci_id(ctx->root, gpu, "vendor", error)) ||
        !(device = read_pci_id(ctx->root, gpu, "device", error)))
        return NULL;
    if (!(numa_path = sysfs_path_pci_file(ctx->root, gpu, "numa_node", error)) ||
        !read_numa_node(numa_path, &node, &known, error))
        return NULL;
    info = g_new0(GpuInfo, 1);
    info->model = *vendor && *device ? g_strdup_printf("%s:%s", vendor, device) : g_strdup("");
    info->numa_node = node;
    info->numa_known = known;
    g_hash_table_insert(ctx->gpus, g_strdup(gpu), info);
    return info;
}

/* The PF behind a VF, from its physfn link; NULL (no error) for a parent
 * that is not a VF. */
static gboolean
read_physfn(const ScanContext *ctx, const char *addr, char **pf, GError **error)
{
    g_autofree char *path = sysfs_path_parent_file(ctx->root, addr, "physfn", error);
    g_autoptr(GError) local = NULL;

    if (!path)
        return FALSE;
    *pf = sysfs_read_link_name(path, &local);
    if (*pf)
        return TRUE;
    /* EINVAL: a physfn that is not a link is no VF relation either. */
    if (sysfs_error_is_absent(local) || g_error_matches(local, VGPU_SYSFS_ERROR, EINVAL))
        return TRUE;
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

static HostParent *
scan_parent(ScanContext *ctx, const char *addr, GError **error)
{
    g_autofree char *pf = NULL;
    const GpuInfo *gpu;
    HostParent *parent;

    if (!read_physfn(ctx, addr, &pf, error))
        return NULL;
    if (!(gpu = gpu_info_get(ctx, pf ? pf : addr, error)))
        return NULL;
    parent = g_new0(HostParent, 1);
    parent->kind = &device_kind_mdev;
    parent->addr = g_strdup(addr);
    parent->is_vf = pf != NULL;
    parent->gpu = pf ? g_steal_pointer(&pf) : g_strdup(addr);
    parent->model = g_strdup(gpu->model);
    parent->numa_node = gpu->numa_node;
    parent->types = g_ptr_array_new_with_free_func((GDestroyNotify)host_type_free);
    /* A VF has the PF's node; the parent's own file is only a fallback
     * when the GPU has none to offer. */
    if (!gpu->numa_known) {
        g_autofree char *path = sysfs_path_parent_file(ctx->root, addr, "numa_node", error);
        gboolean known;

        if (!path || !read_numa_node(path, &parent->numa_node, &known, error)) {
            host_parent_free(parent);
            return NULL;
        }
    }
    if (!scan_types(ctx, parent, error)) {
        host_parent_free(parent);
        return NULL;
    }
    return parent;
}

static gboolean
scan_parents(ScanContext *ctx, GPtrArray *parents, GError **error)
{
    g_autofree char *bus = sysfs_path_mdev_bus(ctx->root);
    g_autoptr(GPtrArray) names = sysfs_list_dir(bus, error);

    if (!names)
        return FALSE;
    for (guint i = 0; i < names->len; i++) {
        HostParent *p = scan_parent(ctx, g_ptr_array_index(names, i), error);

        if (!p)
            return FALSE;
        g_ptr_array_add(parents, p);
    }
    return TRUE;
}

static gboolean
scan_mdevs(const char *root, GPtrArray *devices, GError **error)
{
    g_autofree char *dir = sysfs_path_mdev_devices(root);
    g_autoptr(GPtrArray) names = sysfs_list_dir(dir, error);

    if (!names)
        return FALSE;
    for (guint i = 0; i < names->len; i++) {
        const char *uuid = g_ptr_array_index(names, i);
        g_autoptr(GError) local = NULL;
        g_autofree char *parent = NULL;
        g_autofree char *type = NULL;
        HostDevice *m;

        if (vgpu_validate_uuid("mdev", uuid, NULL, NULL) < 0)
            continue;
        if (mdev_lookup(root, uuid, &parent, &type, &local) < 0) {
            /* Removed while we looked: not there any more. */
            if (g_error_matches(local, VGPU_ERROR, VGPU_ERROR_NOT_FOUND) ||
                sysfs_error_is_absent(local))
                continue;
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        /* Listed in UUID order already. */
        m = g_new0(HostDevice, 1);
        m->uuid = g_strdup(uuid);
        m->parent = g_steal_pointer(&parent);
        m->type = g_steal_pointer(&type);
        g_ptr_array_add(devices, m);
    }
    return TRUE;
}

static gboolean
parent_holds_device(const Host *host, const HostParent *p)
{
    for (guint i = 0; i < host->devices->len; i++) {
        if (strcmp(((const HostDevice *)host->devices->pdata[i])->parent, p->addr) == 0)
            return TRUE;
    }
    return FALSE;
}

/* On a GPU with MIG-backed types, every type's availability on one free
 * VF: what tells MIG mode and the free GPU instances (mig.h) for
 * refusals and vgpuctl types. A dozen reads per such GPU. */
static int
scan_mig_gpus(Host *host, const char *root, GError **error)
{
    /* GPU -> MIG_GPU_*: its VFs share one model, so one look at its first
     * VF's type names tells whether it has MIG-backed types at all. */
    enum { MIG_GPU_NO = 1, MIG_GPU_PENDING, MIG_GPU_DONE };
    g_autoptr(GHashTable) gpus = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < host->parents->len; i++) {
        HostParent *p = host->parents->pdata[i];
        int state = GPOINTER_TO_INT(g_hash_table_lookup(gpus, p->gpu));

        if (!p->is_vf || state == MIG_GPU_NO || state == MIG_GPU_DONE)
            continue;
        if (!state) {
            state = MIG_GPU_NO;
            for (guint j = 0; j < p->types->len && state == MIG_GPU_NO; j++) {
                g_autofree char *inst = mig_type_instance(p->types->pdata[j]);

                if (inst)
                    state = MIG_GPU_PENDING;
            }
            g_hash_table_insert(gpus, p->gpu, GINT_TO_POINTER(state));
            if (state == MIG_GPU_NO)
                continue;
        }
        if (parent_holds_device(host, p))
            continue;       /* busy VF: the next one of this GPU */
        g_hash_table_insert(gpus, p->gpu, GINT_TO_POINTER(MIG_GPU_DONE));
        for (guint j = 0; j < p->types->len; j++) {
            HostType *t = p->types->pdata[j];

            if (t->available < 0 &&
                (t->available = mdev_read_available(root, p->addr, t->id, error)) < 0)
                return -1;
        }
    }
    return 0;
}

int
mdev_scan(Host *host, const char *root, const GPtrArray *requests, GError **error)
{
    g_autoptr(GHashTable) gpus = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                        gpu_info_free);
    g_autoptr(GHashTable) types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                         type_info_free);
    ScanContext ctx = { .root = root, .requests = requests, .gpus = gpus, .types = types };

    if (!scan_parents(&ctx, host->parents, error) || !scan_mdevs(root, host->devices, error))
        return -1;
    return scan_mig_gpus(host, root, error);
}
