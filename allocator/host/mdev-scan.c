/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's mdev parents, types and devices, read from sysfs.
 *
 * A DGX-class host has 160 VF parents with 24 types each, and on sysfs every
 * path component is a lookup and every link on the way a readlink, so the
 * scan reads as little as it can: what a GPU model's types are called is
 * read once per model; the PF's identity and the list of types once per
 * GPU (every VF of a GPU lists every type, mdev-sysfs.md: what differs
 * between them, and with use, is available_instances alone); per VF its
 * physfn link and available_instances of the types a request could use.
 * Each is opened relative to the directory that holds the parents (the
 * PF's parent bridge, where its VFs are too), resolved once. */
#include "device-kind.h"
#include "mdev.h"
#include "mig.h"
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "type-description.h"
#include "vgpu-error.h"
#include "vgpu-validate.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What every parent of one GPU shares. */
typedef struct {
    char *model;
    int numa_node;
    gboolean numa_known;
    GPtrArray *type_ids;    /* char*: what its VFs list, from the first one read */
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
    gboolean need;          /* every type's description is needed */
    int bus;                /* class/mdev_bus, O_PATH; -1 until needed */
    GArray *dirs;           /* int: directories holding parents, O_PATH */
} ScanContext;

/* Where a parent's directory is: entry @dev of the directory @dir. */
typedef struct {
    int dir;
    const char *dev;
} Place;

static void
gpu_info_free(gpointer p)
{
    GpuInfo *g = p;

    g_free(g->model);
    if (g->type_ids)
        g_ptr_array_unref(g->type_ids);
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

/* The type attribute @file on the parent at @at; absent gives NULL. */
static int
read_type_attr(const ScanContext *ctx, const Place *at, const char *id, const char *file,
               char **out, GError **error)
{
    g_autofree char *rel = sysfs_rel_type_file(at->dev, id, file, error);
    g_autofree char *shown = rel ? sysfs_path_type_file(ctx->root, at->dev, id, file, error)
                                 : NULL;

    if (!shown)
        return -1;
    return sysfs_read_attr_optional_at(at->dir, rel, shown, out, error);
}

/* Is any request one by need (series and framebuffer, vgpu-request.h)? */
static gboolean
any_need(const GPtrArray *requests)
{
    for (guint i = 0; requests && i < requests->len; i++) {
        if (vgpu_request_is_need(g_ptr_array_index(requests, i)))
            return TRUE;
    }
    return !requests;
}

static TypeInfo *
type_info_read(const ScanContext *ctx, const Place *at, const char *id, GError **error)
{
    g_autofree char *name = NULL;
    g_autofree char *desc = NULL;
    TypeInfo *info;

    if (read_type_attr(ctx, at, id, "name", &name, error) < 0)
        return NULL;
    info = g_new0(TypeInfo, 1);
    info->name = name && *name ? g_steal_pointer(&name) : g_strdup(id);
    info->max_instance = -1;
    /* By id or by profile the name tells; the description (framebuffer,
     * max_instance) is read for the types that fit, and for all when a
     * request is by need or there are none (vgpuctl types lists them). */
    if (!ctx->need && !(info->wanted = type_wanted(ctx, id, info)))
        return info;
    if (read_type_attr(ctx, at, id, "description", &desc, error) < 0) {
        type_info_free(info);
        return NULL;
    }
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
type_info_get(ScanContext *ctx, const HostParent *parent, const Place *at, const char *id,
              GError **error)
{
    g_autofree char *key = *parent->model ? g_strdup_printf("%s\n%s", parent->model, id)
                                          : g_strdup_printf("@%s\n%s", parent->addr, id);
    TypeInfo *info = g_hash_table_lookup(ctx->types, key);

    if (info)
        return info;
    if (!(info = type_info_read(ctx, at, id, error)))
        return NULL;
    g_hash_table_insert(ctx->types, g_steal_pointer(&key), info);
    return info;
}

static int
read_available(const ScanContext *ctx, const Place *at, const char *id, int *n,
               GError **error)
{
    g_autofree char *rel = sysfs_rel_type_file(at->dev, id, "available_instances", error);
    g_autofree char *shown = rel ? sysfs_path_type_file(ctx->root, at->dev, id,
                                                        "available_instances", error)
                                 : NULL;
    g_autofree char *text = shown ? sysfs_read_attr_at(at->dir, rel, shown, error) : NULL;

    if (!text)
        return -1;
    return sysfs_parse_int(shown, text, 0, n, error);
}

static HostType *
scan_type(ScanContext *ctx, const HostParent *parent, const Place *at, const char *id,
          GError **error)
{
    const TypeInfo *info = type_info_get(ctx, parent, at, id, error);
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
    if (!info->wanted)
        return t;
    if (read_available(ctx, at, id, &t->available, error) < 0) {
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

/* The types @parent lists: for a VF, those its GPU's first VF listed. */
static gboolean
scan_types(ScanContext *ctx, HostParent *parent, const Place *at, GpuInfo *gpu,
           GError **error)
{
    g_autoptr(GPtrArray) own = NULL;
    GPtrArray *ids = parent->is_vf ? gpu->type_ids : NULL;

    if (!ids) {
        g_autofree char *rel = sysfs_rel_types(at->dev, error);
        g_autofree char *shown = rel ? sysfs_path_types(ctx->root, at->dev, error) : NULL;

        if (!shown || !(own = sysfs_list_dir_at(at->dir, rel, shown, error)))
            return FALSE;
        ids = own;
        if (parent->is_vf)
            gpu->type_ids = g_ptr_array_ref(own);
    }
    for (guint i = 0; i < ids->len; i++) {
        HostType *t = scan_type(ctx, parent, at, g_ptr_array_index(ids, i), error);

        if (!t)
            return FALSE;
        g_ptr_array_add(parent->types, t);
    }
    return TRUE;
}

/* Attribute @file of the PCI device @dev at @at, absent gives NULL. */
static int
read_dev_attr(const ScanContext *ctx, const Place *at, const char *file, char **out,
              GError **error)
{
    g_autofree char *rel = sysfs_rel_dev_file(at->dev, file, error);
    g_autofree char *shown = rel ? sysfs_path_pci_file(ctx->root, at->dev, file, error) : NULL;

    if (!shown)
        return -1;
    return sysfs_read_attr_optional_at(at->dir, rel, shown, out, error);
}

/* "0x10de" -> "10de" */
static char *
read_pci_id(const ScanContext *ctx, const Place *at, const char *file, GError **error)
{
    g_autofree char *text = NULL;

    if (read_dev_attr(ctx, at, file, &text, error) < 0)
        return NULL;
    if (!text)
        return g_strdup("");
    if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X"))
        return g_ascii_strdown(text + 2, -1);
    return g_ascii_strdown(text, -1);
}

/* @text of @path as a node number; NULL (absent) gives *known = FALSE. */
static gboolean
parse_numa_node(const char *path, const char *text, int *node, gboolean *known,
                GError **error)
{
    *node = -1;
    *known = FALSE;
    if (!text)
        return TRUE;
    if (sysfs_parse_int(path, text, -1, node, error) < 0)
        return FALSE;
    *known = TRUE;
    return TRUE;
}

static GpuInfo *
gpu_info_get(ScanContext *ctx, const Place *at, GError **error)
{
    GpuInfo *info = g_hash_table_lookup(ctx->gpus, at->dev);
    g_autofree char *vendor = NULL;
    g_autofree char *device = NULL;
    g_autofree char *numa = NULL;
    g_autofree char *numa_path = NULL;
    int node;
    gboolean known;

    if (info)
        return info;
    if (!(vendor = read_pci_id(ctx, at, "vendor", error)) ||
        !(device = read_pci_id(ctx, at, "device", error)))
        return NULL;
    if (!(numa_path = sysfs_path_pci_file(ctx->root, at->dev, "numa_node", error)) ||
        read_dev_attr(ctx, at, "numa_node", &numa, error) < 0 ||
        !parse_numa_node(numa_path, numa, &node, &known, error))
        return NULL;
    info = g_new0(GpuInfo, 1);
    info->model = *vendor && *device ? g_strdup_printf("%s:%s", vendor, device) : g_strdup("");
    info->numa_node = node;
    info->numa_known = known;
    g_hash_table_insert(ctx->gpus, g_strdup(at->dev), info);
    return info;
}

/* The directory holding parent @addr, found through its link in
 * class/mdev_bus and kept for the parents after it (VFs sit beside their
 * PF). -1 with @error. */
static int
parent_dir_resolve(ScanContext *ctx, const char *addr, GError **error)
{
    g_autofree char *shown = NULL;
    int fd, dir;

    if (!(shown = sysfs_path_parent(ctx->root, addr, error)))
        return -1;
    if (ctx->bus < 0) {
        g_autofree char *bus = sysfs_path_mdev_bus(ctx->root);

        if ((ctx->bus = sysfs_dir_open_at(AT_FDCWD, bus, bus, error)) < 0)
            return -1;
    }
    if ((fd = sysfs_dir_open_at(ctx->bus, addr, shown, error)) < 0)
        return -1;
    dir = sysfs_dir_open_at(fd, "..", shown, error);
    close(fd);
    if (dir >= 0)
        g_array_append_val(ctx->dirs, dir);
    return dir;
}

/* The PF behind the VF at @at from its physfn link (NULL, no error, for a
 * parent that is not a VF), and where the PF is: beside the VF, as sysfs
 * puts it, or else (*pf_dir -1) only by its path. */
static gboolean
read_physfn(const ScanContext *ctx, const Place *at, char **pf, gboolean *beside,
            GError **error)
{
    g_autofree char *rel = sysfs_rel_dev_file(at->dev, "physfn", error);
    g_autofree char *shown = rel ? sysfs_path_parent_file(ctx->root, at->dev, "physfn", error)
                                 : NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *target = NULL;
    g_autofree char *name = NULL;

    *pf = NULL;
    *beside = FALSE;
    if (!shown)
        return FALSE;
    if ((target = sysfs_read_link_at(at->dir, rel, shown, &local))) {
        name = g_path_get_basename(target);
        if (sysfs_component_ok(name)) {
            g_autofree char *sibling = g_strconcat("../", name, NULL);

            *beside = strcmp(target, sibling) == 0;
            *pf = g_steal_pointer(&name);
            return TRUE;
        }
        g_set_error(&local, VGPU_SYSFS_ERROR, EINVAL,
                    "link %s points to '%s', not to a device or type", shown, target);
    }
    /* EINVAL: a physfn that is not a link is no VF relation either. */
    if (sysfs_error_is_absent(local) || g_error_matches(local, VGPU_SYSFS_ERROR, EINVAL))
        return TRUE;
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

/* Where parent @addr is, and its PF (read_physfn): tried in the directory
 * of the parent before it, which costs no more than the link itself when
 * it is there; else resolved. Only a PCI address, unique on the host, is
 * looked for where another device was. FALSE with @error. */
static gboolean
locate_parent(ScanContext *ctx, const char *addr, Place *at, char **pf, gboolean *beside,
              GError **error)
{
    at->dev = addr;
    if (ctx->dirs->len && vgpu_validate_pci_addr("parent", addr, NULL, NULL) == 0) {
        struct stat st;

        at->dir = g_array_index(ctx->dirs, int, ctx->dirs->len - 1);
        if (!read_physfn(ctx, at, pf, beside, error))
            return FALSE;
        if (*pf || fstatat(at->dir, addr, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return TRUE;
    }
    return (at->dir = parent_dir_resolve(ctx, addr, error)) >= 0 &&
           read_physfn(ctx, at, pf, beside, error);
}

/* The GPU of the parent at @at: its PF @pf (NULL: itself), @beside it or
 * not. */
static GpuInfo *
gpu_of_parent(ScanContext *ctx, const Place *at, const char *pf, gboolean beside,
              GError **error)
{
    GpuInfo *info = g_hash_table_lookup(ctx->gpus, pf ? pf : at->dev);
    Place gpu_at = { .dir = at->dir, .dev = pf ? pf : at->dev };
    g_autofree char *dev = NULL;
    int fd;

    if (info || !pf || beside)
        return info ? info : gpu_info_get(ctx, &gpu_at, error);
    /* Not beside its VF, where sysfs puts a PF: found by its own path. */
    if (!(dev = sysfs_path_pci_device(ctx->root, pf, error)) ||
        (fd = sysfs_dir_open_at(AT_FDCWD, dev, dev, error)) < 0)
        return NULL;
    gpu_at.dir = sysfs_dir_open_at(fd, "..", dev, error);
    close(fd);
    if (gpu_at.dir < 0)
        return NULL;
    info = gpu_info_get(ctx, &gpu_at, error);
    close(gpu_at.dir);
    return info;
}

static HostParent *
scan_parent(ScanContext *ctx, const char *addr, GError **error)
{
    g_autofree char *pf = NULL;
    Place at;
    gboolean beside;
    GpuInfo *gpu;
    HostParent *parent;

    if (!locate_parent(ctx, addr, &at, &pf, &beside, error))
        return NULL;
    if (!(gpu = gpu_of_parent(ctx, &at, pf, beside, error)))
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
        g_autofree char *rel = path ? sysfs_rel_dev_file(addr, "numa_node", error) : NULL;
        g_autofree char *text = NULL;
        gboolean known;

        if (!rel || sysfs_read_attr_optional_at(at.dir, rel, path, &text, error) < 0 ||
            !parse_numa_node(path, text, &parent->numa_node, &known, error)) {
            host_parent_free(parent);
            return NULL;
        }
    }
    if (!scan_types(ctx, parent, &at, gpu, error)) {
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
    ScanContext ctx = { .root = root, .requests = requests, .gpus = gpus, .types = types,
                        .need = any_need(requests), .bus = -1, .dirs = g_array_new(FALSE, FALSE, sizeof(int)) };
    gboolean ok = scan_parents(&ctx, host->parents, error);

    for (guint i = 0; i < ctx.dirs->len; i++)
        close(g_array_index(ctx.dirs, int, i));
    g_array_unref(ctx.dirs);
    if (ctx.bus >= 0)
        close(ctx.bus);
    if (!ok || !scan_mdevs(root, host->devices, error))
        return -1;
    return scan_mig_gpus(host, root, error);
}
