/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plain VFs: a VF of a GPU that is neither an mdev parent nor an NVIDIA
 * vendor-specific VF is given whole (docs/sysfs.md: AMD MxGPU, Intel xe).
 * There is nothing to write: a VF is "made" for a domain by the ledger
 * record alone, and libvirt binds vfio-pci (managed='yes'). Its one type
 * is "vf-VVVV-DDDD", the VF's own PCI id; the device id is the VF.
 * Which domain holds a VF is the ledger's to say, not sysfs's. */
#include "plainvf.h"
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "vf-parent.h"
#include "vgpu-error.h"
#include "vgpu-validate.h"

#include <string.h>

/* Display controllers (0x03) and processing accelerators (0x12, the
 * MI300X): not NICs or NVMe with VFs. NVIDIA VFs are vGPU VFs or useless. */
static gboolean
plainvf_is_gpu(const char *root, const char *pf)
{
    g_autofree char *class = vf_parent_read_pci_id(root, pf, "class", NULL);
    g_autofree char *vendor = vf_parent_read_pci_id(root, pf, "vendor", NULL);

    return class && vendor && !host_vendor_is_nvidia(vendor) &&
           (g_str_has_prefix(class, "03") || g_str_has_prefix(class, "12"));
}

static gboolean
plainvf_has(const char *root, const char *addr, const char *file)
{
    g_autofree char *path = sysfs_path_pci_file(root, addr, file, NULL);

    return path && g_file_test(path, G_FILE_TEST_EXISTS);
}

/* Its one type is the VF's own PCI id. */
static HostParent *
plainvf_parent_new(const char *root, const char *vf, const char *pf, GError **error)
{
    g_autofree char *vv = NULL, *vd = NULL;
    HostParent *parent;
    HostType *t;

    if (!(parent = vf_parent_new(&device_kind_plainvf, root, vf, pf, error)))
        return NULL;
    if (!(vv = vf_parent_read_pci_id(root, vf, "vendor", error)) ||
        !(vd = vf_parent_read_pci_id(root, vf, "device", error))) {
        host_parent_free(parent);
        return NULL;
    }
    t = g_new0(HostType, 1);
    t->id = g_strdup_printf("vf-%s-%s", vv, vd);
    t->name = g_strdup(parent->model);
    t->max_instance = 1;
    t->available = 1;
    g_ptr_array_add(parent->types, t);
    return parent;
}

static int
plainvf_scan(Host *host, const char *root, const GPtrArray *requests, GError **error)
{
    g_autoptr(GPtrArray) names = vf_parent_scan_names(host, root, requests, error);

    if (!names)
        return -1;
    for (guint i = 0; i < names->len; i++) {
        const char *vf = g_ptr_array_index(names, i);
        g_autofree char *physfn = sysfs_path_pci_file(root, vf, "physfn", NULL);
        g_autofree char *pf = physfn ? sysfs_read_link_name(physfn, NULL) : NULL;
        HostParent *parent;

        if (!pf || vgpu_validate_pci_addr("physfn", pf, NULL, NULL) < 0 ||
            plainvf_has(root, vf, "nvidia") || plainvf_has(root, vf, "mdev_supported_types") ||
            !plainvf_is_gpu(root, pf))
            continue;
        if (!(parent = plainvf_parent_new(root, vf, pf, error)))
            return -1;
        g_ptr_array_add(host->parents, parent);
    }
    return 0;
}

/* The VF is there: who holds it is the ledger's question. */
static int
plainvf_available(const char *root, const char *parent, const char *type, GError **error)
{
    g_autofree char *path = sysfs_path_pci_file(root, parent, "physfn", error);

    (void)type;
    if (!path)
        return -1;
    return g_file_test(path, G_FILE_TEST_EXISTS) ? 1 : 0;
}

static void
plainvf_note_made(Host *host, const char *id, const char *parent_addr, const char *type)
{
    HostParent *parent = host_find_parent(host, parent_addr);

    host_add_device(host, id, parent_addr, type);
    for (guint k = 0; parent && k < parent->types->len; k++)
        ((HostType *)g_ptr_array_index(parent->types, k))->available = 0;
}

static int
plainvf_lookup(const char *root, const char *id, char **parent, char **type, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *vv = NULL, *vd = NULL;

    if (vgpu_validate_pci_addr("VF", id, NULL, NULL) < 0 ||
        !plainvf_has(root, id, "physfn") ||
        !(vv = vf_parent_read_pci_id(root, id, "vendor", &local)) ||
        !(vd = vf_parent_read_pci_id(root, id, "device", &local))) {
        if (local && !sysfs_error_is_absent(local)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return -1;
        }
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "no VF %s", id);
        return -1;
    }
    *parent = g_strdup(id);
    *type = g_strdup_printf("vf-%s-%s", vv, vd);
    return 0;
}

/* Nothing to write: the VF must still be the VF it was. */
static int
plainvf_make(const char *root, const char *parent, const char *type, const char *id,
             guint timeout_ms, GError **error)
{
    g_autofree char *p = NULL, *t = NULL;

    (void)id;
    (void)timeout_ms;
    if (plainvf_lookup(root, parent, &p, &t, error) < 0)
        return -1;
    if (strcmp(t, type) != 0) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "VF %s is %s now, not %s", parent,
                    t, type);
        return -1;
    }
    return 0;
}

static int
plainvf_unmake(const char *root, const char *id, guint retries, guint retry_delay_ms,
               guint timeout_ms, GError **error)
{
    (void)root; (void)id; (void)retries; (void)retry_delay_ms; (void)timeout_ms; (void)error;
    return 0;
}

/* Asked for by its GPU's name alone. */
static char *
plainvf_mismatch(PciNames *names, const HostParent *vf, const VgpuRequest *req)
{
    g_autofree char *name = NULL, *known = NULL;

    if (!req->gpu)
        return g_strdup_printf("VF %s is a whole VF with no vGPU type; ask for it with "
                               "gpu=, not %s", vf->addr, vgpu_request_label(req));
    if (plainvf_fits(names, vf, req->gpu))
        return NULL;
    name = pci_names_device(names, vf->model);
    if (!(known = pci_names_lookup(names, vf->model)))
        return g_strdup_printf("VF %s belongs to a %s (%s), not '%s': the PCI ID database "
                               "(pci_ids_path) has no name for %s; gpu=\"%s\" works with "
                               "any database", vf->addr, name, vf->model, req->gpu,
                               vf->model, vf->model);
    return g_strdup_printf("VF %s belongs to a %s (%s), not '%s'", vf->addr, name,
                           vf->model, req->gpu);
}

static const VfBackend plainvf_backend = {
    .managed = TRUE,
    .ledger_reserves = TRUE,
    .fits = plainvf_fits,
    .mismatch = plainvf_mismatch,
};

const DeviceKind device_kind_plainvf = {
    .name = "plain-vf",
    .ledger_name = "plain-vf",
    .vf = &plainvf_backend,
    .scan = plainvf_scan,
    .available = plainvf_available,
    .note_made = plainvf_note_made,
    .make = plainvf_make,
    .unmake = plainvf_unmake,
    .lookup = plainvf_lookup,
};

char *
plainvf_vf_id(const HostParent *vf)
{
    const HostType *t = vf->types->len ? g_ptr_array_index(vf->types, 0) : NULL;

    if (!t || !g_str_has_prefix(t->id, "vf-") || strlen(t->id) != 12)
        return g_strdup("");
    return g_strdup_printf("%.4s:%.4s", t->id + 3, t->id + 8);
}

gboolean
plainvf_fits(PciNames *names, const HostParent *vf, const char *gpu)
{
    g_autofree char *vf_id = plainvf_vf_id(vf);

    return pci_names_match(names, vf->model, vf_id, gpu);
}
