/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA's vendor-specific VFIO framework (vGPU 17+ on kernel >= 6.8): no
 * mdev; a VF takes a vGPU type when its id is written into
 * nvidia/current_vgpu_type and gives it back on 0
 * (docs/sysfs.md). The VF is both the parent and the
 * device: a device's id is the VF's PCI address.
 *
 * Which VF a domain gets is named by its <hostdev> (libvirt fixes the
 * address before any hook runs), so the hook never places one: its
 * VfBackend keeps these parents out of placement. */
#include "device-kind.h"
#include "bounded-write.h"
#include "mig.h"
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "vf-parent.h"
#include "vgpu-error.h"
#include "vgpu-validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NVVF_TYPE_PREFIX "nvidia-"

/* "nvidia-558" or "558" -> 558; 0 when it is neither. */
static guint
nvvf_type_number(const char *type)
{
    const char *num = g_str_has_prefix(type, NVVF_TYPE_PREFIX) ? type + strlen(NVVF_TYPE_PREFIX)
                                                               : type;
    guint64 n;

    if (!g_ascii_string_to_unsigned(num, 10, 1, G_MAXINT, &n, NULL))
        return 0;
    return (guint)n;
}

/* current_vgpu_type of @vf: the number, 0 for none; -1 with @error (ENOENT
 * when @vf is no vendor-specific VF). */
static int
nvvf_read_current(const char *root, const char *vf, guint *number, GError **error)
{
    g_autofree char *path = sysfs_path_nvvf_file(root, vf, "current_vgpu_type", error);
    g_autofree char *text = NULL;
    int n;

    if (!path || !(text = sysfs_read_attr(path, error)))
        return -1;
    if (sysfs_parse_int(path, text, 0, &n, error) < 0)
        return -1;
    *number = (guint)n;
    return 0;
}

/* creatable_vgpu_types: "ID    : vGPU Name", then "%-5d : %s" per type
 * the VF can take now. Adds them to @types (HostType*), available 1. */
static int
nvvf_read_creatable(const char *root, const char *vf, GPtrArray *types, GError **error)
{
    g_autofree char *path = sysfs_path_nvvf_file(root, vf, "creatable_vgpu_types", error);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!path || !(text = sysfs_read_attr(path, error)))
        return -1;
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit(*l, ":", 2);
        g_autofree char *id = NULL;
        guint num;
        HostType *t;

        if (!f[0] || !f[1] || !(num = nvvf_type_number(g_strstrip(f[0]))))
            continue;   /* the header, or a line we do not understand */
        id = g_strdup_printf(NVVF_TYPE_PREFIX "%u", num);
        t = g_new0(HostType, 1);
        t->id = g_steal_pointer(&id);
        t->name = g_strdup(g_strstrip(f[1]));
        t->max_instance = -1;
        t->available = 1;
        g_ptr_array_add(types, t);
    }
    return 0;
}

/* The VF's PF is its GPU; a VF with no physfn stands for itself. */
static HostParent *
nvvf_scan_vf(const char *root, const char *vf, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *physfn = sysfs_path_pci_file(root, vf, "physfn", error);
    g_autofree char *pf = NULL;

    if (!physfn)
        return NULL;
    if (!(pf = sysfs_read_link_name(physfn, &local)) && !sysfs_error_is_absent(local)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    return vf_parent_new(&device_kind_nvvf, root, vf, pf, error);
}

/* A VF with a type lists nothing: its device names the type by id, and by
 * name when another VF still lists it. */
static int
nvvf_scan(Host *host, const char *root, const GPtrArray *requests, GError **error)
{
    /* one read per VF gives every type's availability */
    g_autoptr(GPtrArray) names = vf_parent_scan_names(host, root, requests, error);

    if (!names)
        return -1;
    for (guint i = 0; i < names->len; i++) {
        const char *vf = g_ptr_array_index(names, i);
        g_autoptr(GError) local = NULL;
        HostParent *parent;
        guint current;

        if (nvvf_read_current(root, vf, &current, &local) < 0) {
            if (sysfs_error_is_absent(local))
                continue;   /* not a vendor-specific VF */
            g_propagate_error(error, g_steal_pointer(&local));
            return -1;
        }
        if (!(parent = nvvf_scan_vf(root, vf, error)))
            return -1;
        g_ptr_array_add(host->parents, parent);
        if (nvvf_read_creatable(root, vf, parent->types, error) < 0)
            return -1;
        if (current) {
            g_autofree char *id = g_strdup_printf(NVVF_TYPE_PREFIX "%u", current);
            host_add_device(host, vf, vf, id);
        }
    }
    return 0;
}

static int
nvvf_available(const char *root, const char *parent, const char *type, GError **error)
{
    g_autoptr(GPtrArray) types =
        g_ptr_array_new_with_free_func((GDestroyNotify)host_type_free);
    guint want = nvvf_type_number(type);

    if (nvvf_read_creatable(root, parent, types, error) < 0)
        return -1;
    for (guint i = 0; i < types->len; i++) {
        const HostType *t = g_ptr_array_index(types, i);
        if (want && nvvf_type_number(t->id) == want)
            return 1;
    }
    return 0;
}

/* The VF holds one vGPU; its GPU's other VFs keep only the same size,
 * unless the type is MIG-backed: sizes mix there, each on its own GPU
 * instance, and how many are left the driver does not show (mig.h). */
static void
nvvf_note_made(Host *host, const char *id, const char *parent_addr, const char *type)
{
    HostParent *parent = host_find_parent(host, parent_addr);
    const HostType *made = parent ? host_parent_find_type(parent, type) : NULL;
    g_autofree char *mig = made ? mig_type_instance(made) : NULL;

    host_add_device(host, id, parent_addr, type);
    if (!parent)
        return;
    for (guint i = 0; i < host->parents->len; i++) {
        HostParent *p = g_ptr_array_index(host->parents, i);

        if (p->kind != parent->kind || strcmp(p->gpu, parent->gpu) != 0)
            continue;
        for (guint k = 0; k < p->types->len; k++) {
            HostType *t = g_ptr_array_index(p->types, k);
            if (p == parent || (!mig && strcmp(t->id, type) != 0))
                t->available = 0;
        }
    }
}

/* Write the id, then read it back: the VF must show exactly that type. */
static int
nvvf_make(const char *root, const char *parent, const char *type, const char *id,
          guint timeout_ms, GError **error)
{
    g_autofree char *path = sysfs_path_nvvf_file(root, parent, "current_vgpu_type", error);
    g_autofree char *num = NULL;
    guint want = nvvf_type_number(type), now;

    (void)id;
    if (!path)
        return -1;
    if (!want) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "'%s' is no vendor-specific vGPU type id", type);
        return -1;
    }
    num = g_strdup_printf("%u", want);
    if (bounded_write(path, num, NULL, timeout_ms, error) < 0 ||
        nvvf_read_current(root, parent, &now, error) < 0)
        return -1;
    if (now != want) {
        g_set_error(error, VGPU_SYSFS_ERROR, EIO,
                    "VF %s took type %u but shows %u", parent, want, now);
        return -1;
    }
    return 0;
}

/* Write 0 until the VF shows 0: right after QEMU closes it the VF may
 * refuse (EBUSY) or not keep the 0, so retry within the bound. Whether the
 * type is still ours is the caller's question (device_kind_check). */
static int
nvvf_unmake(const char *root, const char *id, guint retries, guint retry_delay_ms,
            guint timeout_ms, GError **error)
{
    g_autofree char *path = sysfs_path_nvvf_file(root, id, "current_vgpu_type", error);
    guint now = 0, ours = 0;

    if (!path)
        return -1;
    for (guint attempt = 0; attempt <= retries; attempt++) {
        g_autoptr(GError) local = NULL;

        if (attempt > 0)
            g_usleep((gulong)retry_delay_ms * 1000);
        if (nvvf_read_current(root, id, &now, error) < 0)
            return -1;
        if (attempt == 0)
            ours = now;
        /* Another type between two tries: ours went, and someone set that
         * one (the caller checked the first was ours); it is not ours to clear. */
        if (now == 0 || now != ours)
            return 0;
        if (bounded_write(path, "0", NULL, timeout_ms, &local) < 0 &&
            !g_error_matches(local, VGPU_SYSFS_ERROR, EBUSY)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return -1;
        }
        if (nvvf_read_current(root, id, &now, error) < 0)
            return -1;
        if (now == 0)
            return 0;
    }
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_TIMEOUT,
                "VF %s still shows vGPU type %u after %u tries", id, now, retries + 1);
    return -1;
}

static int
nvvf_lookup(const char *root, const char *id, char **parent, char **type, GError **error)
{
    g_autoptr(GError) local = NULL;
    guint now;

    if (vgpu_validate_pci_addr("VF", id, NULL, NULL) < 0 ||
        nvvf_read_current(root, id, &now, &local) < 0) {
        if (local && !sysfs_error_is_absent(local)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return -1;
        }
        now = 0;
    }
    if (now == 0) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "VF %s has no vGPU type", id);
        return -1;
    }
    *parent = g_strdup(id);
    *type = g_strdup_printf(NVVF_TYPE_PREFIX "%u", now);
    return 0;
}

/* Asked for by profile= or type=, never gpu=. */
static char *
nvvf_mismatch(PciNames *names, const HostParent *vf, const VgpuRequest *req)
{
    (void)names;
    if (req->gpu)
        return g_strdup_printf("VF %s takes a vGPU type; ask for it with profile= or type=, "
                               "not gpu=", vf->addr);
    return NULL;
}

static char *
nvvf_hostdev_refusal(const HostParent *vf, const VgpuRequest *req)
{
    if (!req->vf_managed)
        return NULL;
    return g_strdup_printf("its hostdev names NVIDIA vendor-specific VF %s with managed='yes': "
                           "libvirt would bind it to vfio-pci and the VF would lose its vGPU; "
                           "set managed='no' on that hostdev", vf->addr);
}

static const VfBackend nvvf_backend = {
    .managed = FALSE,
    .ledger_reserves = FALSE,
    .mismatch = nvvf_mismatch,
    .hostdev_refusal = nvvf_hostdev_refusal,
    .clear = "write 0 to its nvidia/current_vgpu_type",
};

const DeviceKind device_kind_nvvf = {
    .name = "nvidia-vf",
    .ledger_name = "nvidia-vf",
    .vf = &nvvf_backend,
    .scan = nvvf_scan,
    .available = nvvf_available,
    .note_made = nvvf_note_made,
    .make = nvvf_make,
    .unmake = nvvf_unmake,
    .lookup = nvvf_lookup,
};
