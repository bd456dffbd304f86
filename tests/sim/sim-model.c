/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-model.c: the host model and the drivers' placement rules.
 *
 * available_instances and create admission are both derived from the
 * same per-model rule, so the two can only disagree where a real driver
 * does too (the GVT-g vGPU count limit) or where faults are injected.
 */
#include "sim-model.h"
#include "sim-mig.h"
#include "sim-pci.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* NVIDIA same-type rule: a GPU holding type T accepts only T. */
static bool
sim_nvidia_type_fits(const SimGpu *gpu, const SimType *type)
{
    return !gpu->held_type || gpu->held_type == type;
}

/* SR-IOV vGPU: each VF holds at most one vGPU. */
static unsigned
sim_available_nvidia_vf(const SimParent *parent, const SimType *type)
{
    const SimGpu *gpu = parent->gpu;

    if (parent->n_mdevs > 0 || !sim_nvidia_type_fits(gpu, type))
        return 0;
    return gpu->n_vgpus < type->max_instance ? 1 : 0;
}

/* A GPU with MIG, in mdev or vendor-specific mode (sim-mig.c lists the
 * choices): MIG-backed types follow the free GPU instances of their size,
 * time-sliced ones the A40's rule; each reads 0 while MIG mode says the
 * other kind. */
static unsigned
sim_available_mig(const SimParent *parent, const SimType *type)
{
    const SimGpu *gpu = parent->gpu;

    if (!type->mig_profile)
        return gpu->mig_on ? 0 : sim_available_nvidia_vf(parent, type);
    if (!gpu->mig_on || parent->n_mdevs > 0)
        return 0;
    return sim_mig_free_count(gpu, type->mig_profile);
}

/* Time-sliced vGPU: the PF holds up to max_instance of one type. */
static unsigned
sim_available_nvidia_pf(const SimParent *parent, const SimType *type)
{
    const SimGpu *gpu = parent->gpu;

    if (!sim_nvidia_type_fits(gpu, type) || gpu->n_vgpus >= type->max_instance)
        return 0;
    return type->max_instance - gpu->n_vgpus;
}

/* i915 intel_vgpu_get_available(): what is left of the shared pool. */
static unsigned
sim_available_gvtg(const SimParent *parent, const SimType *type)
{
    const SimGpu *gpu = parent->gpu;
    unsigned low = (gpu->gvt.low_mb - gpu->used_low_mb) / type->low_gm_mb;
    unsigned high = (gpu->gvt.high_mb - gpu->used_high_mb) / type->high_gm_mb;
    unsigned fence = (gpu->gvt.fences - gpu->used_fences) / type->fences;

    return MIN(low, MIN(high, fence));
}

/* samples/vfio-mdev/mtty.c: free ports / ports per device. */
static unsigned
sim_available_mtty(const SimParent *parent, const SimType *type)
{
    const SimGpu *gpu = parent->gpu;

    return (gpu->ports - gpu->used_ports) / type->ports;
}

/* Whole VFs with no type (AMD, Intel): nothing to create. */
static unsigned
sim_available_none(const SimParent *parent, const SimType *type)
{
    return 0;
}

static void
sim_catalog_add_none(SimGpu *gpu)
{
}

/* Device ids as lspci -n shows them; AMD and Intel VF offsets are [U] in
 * docs/sysfs.md terms: read from the tree, never assumed by the hook. */
static const SimModel sim_models[] = {
    { .name = "a40", .kind = SIM_MODEL_A40, .vendor = 0x10de, .device = 0x2235,
      .pci_class = "0x030200", .pci_driver = "nvidia", .mdev_driver = "nvidia-vgpu-vfio",
      .total_vfs = 32, .vf_driver = "nvidia", .vf_offset = 4, .full_errno = EIO,
      .add_types = sim_catalog_add_a40, .available = sim_available_nvidia_vf },
    { .name = "a40-vfio", .kind = SIM_MODEL_A40_VFIO, .vendor = 0x10de, .device = 0x2235,
      .pci_class = "0x030200", .pci_driver = "nvidia",
      .total_vfs = 32, .vf_driver = "nvidia", .vf_offset = 4, .full_errno = ENOSPC,
      .add_types = sim_catalog_add_a40, .available = sim_available_nvidia_vf },
    { .name = "a100", .kind = SIM_MODEL_A100, .vendor = 0x10de, .device = 0x20f1,
      .pci_class = "0x030200", .pci_driver = "nvidia", .mdev_driver = "nvidia-vgpu-vfio",
      .total_vfs = 16, .vf_driver = "nvidia", .vf_offset = 4, .full_errno = EIO,
      .add_types = sim_catalog_add_a100, .available = sim_available_mig,
      .mig = &sim_mig_a100_40gb },
    /* H100 PCIe 80GB in the vendor-specific mode, with MIG (sim-mig.c). */
    { .name = "h100-vfio", .kind = SIM_MODEL_A40_VFIO, .vendor = 0x10de, .device = 0x2331,
      .pci_class = "0x030200", .pci_driver = "nvidia",
      .total_vfs = 32, .vf_driver = "nvidia", .vf_offset = 4, .full_errno = ENOSPC,
      .add_types = sim_catalog_add_h100, .available = sim_available_mig,
      .mig = &sim_mig_h100_80gb },
    { .name = "p40", .kind = SIM_MODEL_P40, .vendor = 0x10de, .device = 0x1b38,
      .pci_class = "0x030200", .pci_driver = "nvidia", .mdev_driver = "nvidia-vgpu-vfio",
      .full_errno = EIO, .add_types = sim_catalog_add_p40,
      .available = sim_available_nvidia_pf },
    { .name = "gvtg", .kind = SIM_MODEL_GVTG, .vendor = 0x8086, .device = 0x3e92,
      .pci_class = "0x030000", .pci_driver = "i915", .mdev_driver = "intel_vgpu_mdev",
      .full_errno = ENOSPC, .add_types = sim_catalog_add_gvtg,
      .available = sim_available_gvtg },
    { .name = "mtty", .kind = SIM_MODEL_MTTY, .mdev_driver = "mtty",
      .full_errno = ENOSPC, .add_types = sim_catalog_add_mtty,
      .available = sim_available_mtty },
    /* GIM binds the PF and enables vf_num VFs itself. */
    { .name = "mi300x", .kind = SIM_MODEL_PLAIN_VF, .vendor = 0x1002, .device = 0x74a1,
      .pci_class = "0x120000", .pci_driver = "gim", .total_vfs = 1, .vf_device = 0x74b5,
      .vf_offset = 16, .full_errno = ENOSPC, .add_types = sim_catalog_add_none,
      .available = sim_available_none },
    { .name = "s7150", .kind = SIM_MODEL_PLAIN_VF, .vendor = 0x1002, .device = 0x6929,
      .pci_class = "0x038000", .pci_driver = "gim", .total_vfs = 16, .vf_device = 0x692f,
      .vf_offset = 16, .full_errno = ENOSPC, .add_types = sim_catalog_add_none,
      .available = sim_available_none },
    /* Arc Pro B60 on xe: VFs keep the PF's device id, as Intel VFs do. */
    { .name = "xe", .kind = SIM_MODEL_PLAIN_VF, .vendor = 0x8086, .device = 0xe211,
      .pci_class = "0x030000", .pci_driver = "xe", .total_vfs = 24, .vf_device = 0xe211,
      .vf_offset = 1, .full_errno = ENOSPC, .add_types = sim_catalog_add_none,
      .available = sim_available_none },
};

const SimModel *
sim_model_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(sim_models); i++)
        if (strcmp(sim_models[i].name, name) == 0)
            return &sim_models[i];
    return NULL;
}

static void
sim_type_free(gpointer data)
{
    SimType *type = data;

    g_free(type->id);
    g_free(type->name);
    g_free(type->description);
    g_free(type);
}

static void
sim_parent_free(gpointer data)
{
    SimParent *parent = data;

    g_free(parent->name);
    g_free(parent->dir);
    g_free(parent);
}

static void
sim_mdev_free(gpointer data)
{
    g_free(data);
}

SimGpu *
sim_gpu_new(const char *label, const SimModel *model)
{
    SimGpu *gpu = g_new0(SimGpu, 1);

    gpu->label = g_strdup(label);
    gpu->model = model;
    gpu->device_id = model->device;
    gpu->numa_node = -1;
    gpu->types = g_ptr_array_new_with_free_func(sim_type_free);
    gpu->parents = g_ptr_array_new_with_free_func(sim_parent_free);
    gpu->vf_addresses = g_ptr_array_new_with_free_func(g_free);
    gpu->gis = g_ptr_array_new_with_free_func(g_free);
    return gpu;
}

void
sim_gpu_free(SimGpu *gpu)
{
    if (!gpu)
        return;
    g_free(gpu->label);
    g_free(gpu->address);
    g_free(gpu->dev_dir);
    g_ptr_array_unref(gpu->types);
    g_ptr_array_unref(gpu->parents);
    g_ptr_array_unref(gpu->vf_addresses);
    g_free(gpu->vf_driver);
    g_ptr_array_unref(gpu->gis);
    g_free(gpu);
}

SimParent *
sim_gpu_add_parent(SimHost *host, SimGpu *gpu, const char *name, const char *dir)
{
    SimParent *parent = g_new0(SimParent, 1);

    parent->name = g_strdup(name);
    parent->dir = g_strdup(dir);
    parent->gpu = gpu;
    g_ptr_array_add(gpu->parents, parent);
    g_hash_table_insert(host->parents, parent->name, parent);
    return parent;
}

SimHost *
sim_host_new(void)
{
    SimHost *host = g_new0(SimHost, 1);

    g_mutex_init(&host->lock);
    g_cond_init(&host->changed);
    host->gpus = g_ptr_array_new_with_free_func((GDestroyNotify)sim_gpu_free);
    host->parents = g_hash_table_new(g_str_hash, g_str_equal);
    host->mdevs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, sim_mdev_free);
    host->pci_fns = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, sim_pci_fn_free);
    host->pci_drivers = g_ptr_array_new_with_free_func(g_free);
    host->tree = sim_tree_new();
    sim_faults_init(&host->faults);
    host->later = g_ptr_array_new();
    return host;
}

void
sim_host_free(SimHost *host)
{
    if (!host)
        return;
    sim_later_join(host);
    g_ptr_array_unref(host->later);
    g_hash_table_unref(host->mdevs);
    g_hash_table_unref(host->parents);
    g_hash_table_unref(host->pci_fns);
    g_ptr_array_unref(host->pci_drivers);
    g_ptr_array_unref(host->gpus);
    sim_tree_free(host->tree);
    g_cond_clear(&host->changed);
    g_mutex_clear(&host->lock);
    g_free(host);
}

unsigned
sim_available_instances(const SimParent *parent, const SimType *type)
{
    return parent->gpu->model->available(parent, type);
}

const SimType *
sim_parent_find_type(const SimParent *parent, const char *id)
{
    GPtrArray *types = parent->gpu->types;

    for (guint i = 0; i < types->len; i++) {
        const SimType *type = g_ptr_array_index(types, i);
        if (strcmp(type->id, id) == 0)
            return type;
    }
    return NULL;
}

int
sim_driver_admit(const SimParent *parent, const SimType *type)
{
    const SimGpu *gpu = parent->gpu;

    if (gpu->wedged)
        return EIO;
    /* GVT-g's vgpu idr is full at 7 even while memory is left over. */
    if (gpu->model->kind == SIM_MODEL_GVTG && gpu->n_vgpus >= gpu->gvt.max_vgpus)
        return ENOSPC;
    if (sim_available_instances(parent, type) == 0)
        return gpu->model->full_errno;
    return 0;
}

/* Every model's counters are kept; each model's rule reads the ones it needs. */
void
sim_driver_charge(SimParent *parent, const SimType *type)
{
    SimGpu *gpu = parent->gpu;

    parent->n_mdevs++;
    gpu->n_vgpus++;
    gpu->used_low_mb += type->low_gm_mb;
    gpu->used_high_mb += type->high_gm_mb;
    gpu->used_fences += type->fences;
    gpu->used_ports += type->ports;
    if (type->mig_profile)
        sim_mig_bind(gpu, parent, type->mig_profile);
    else
        gpu->held_type = type;
}

void
sim_driver_release(SimParent *parent, const SimType *type)
{
    SimGpu *gpu = parent->gpu;

    parent->n_mdevs--;
    gpu->n_vgpus--;
    gpu->used_low_mb -= type->low_gm_mb;
    gpu->used_high_mb -= type->high_gm_mb;
    gpu->used_fences -= type->fences;
    gpu->used_ports -= type->ports;
    if (type->mig_profile)
        sim_mig_unbind(gpu, parent);
    if (gpu->n_vgpus == 0)
        gpu->held_type = NULL;
}

/* Writing a type id into a vendor-specific VF's current_vgpu_type: the
 * upstream RFC driver's EINVAL for a type breaking the same-size rule,
 * ENOSPC past capacity. With MIG (sim-mig.c): EINVAL for the kind MIG mode
 * rules out, EIO with no free GPU instance of the type's size. */
int
sim_vf_type_admit(const SimParent *parent, const SimType *type)
{
    const SimGpu *gpu = parent->gpu;

    if (gpu->model->mig && (type->mig_profile != NULL) != gpu->mig_on)
        return EINVAL;
    if (type->mig_profile)
        return sim_mig_free_count(gpu, type->mig_profile) > 0 ? 0 : EIO;

    if (!sim_nvidia_type_fits(gpu, type))
        return EINVAL;
    if (gpu->n_vgpus >= type->max_instance)
        return ENOSPC;
    return 0;
}

const SimType *
sim_gpu_find_type_number(const SimGpu *gpu, unsigned number)
{
    for (guint i = 0; i < gpu->types->len; i++) {
        const SimType *type = g_ptr_array_index(gpu->types, i);
        if (type->number && type->number == number)
            return type;
    }
    return NULL;
}

bool
sim_uuid_parse(const char *buf, size_t len, char out[SIM_UUID_LEN + 1])
{
    if (len < SIM_UUID_LEN)
        return false;
    for (size_t i = 0; i < SIM_UUID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? buf[i] != '-' : !isxdigit((unsigned char)buf[i]))
            return false;
        out[i] = (char)tolower((unsigned char)buf[i]);
    }
    out[SIM_UUID_LEN] = '\0';
    return true;
}
