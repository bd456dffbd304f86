/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-scenario.c: scenario files.  Unknown groups and keys are errors so
 * that a typo cannot silently produce a different host.
 */
#include "sim-scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-mig.h"
#include "sim-store.h"
#include "sim-sysfs.h"

#define SIM_SCENARIO_ERROR (g_quark_from_static_string("sim-scenario"))

/* i915's reservations for the host (gvt.h HOST_*), in MiB and fences. */
#define SIM_GVT_HOST_LOW_MB 128
#define SIM_GVT_HOST_HIGH_MB 384
#define SIM_GVT_HOST_FENCES 4

typedef struct {
    unsigned domain, bus, slot, fn;
} SimPciAddr;

static gboolean
sim_fail(GError **error, const char *group, const char *msg)
{
    g_set_error(error, SIM_SCENARIO_ERROR, 1, "[%s] %s", group, msg);
    return FALSE;
}

/* Strict "DDDD:BB:SS.F", hex, any case. */
static gboolean
sim_pci_addr_parse(const char *str, SimPciAddr *addr)
{
    static const char shape[] = "xxxx:xx:xx.x";

    if (strlen(str) != sizeof(shape) - 1)
        return FALSE;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'x' ? !g_ascii_isxdigit(str[i]) : str[i] != shape[i])
            return FALSE;
    if (sscanf(str, "%x:%x:%x.%x", &addr->domain, &addr->bus, &addr->slot, &addr->fn) != 4)
        return FALSE;
    return addr->slot < 32 && addr->fn < 8;
}

static char *
sim_pci_addr_format(const SimPciAddr *addr)
{
    return g_strdup_printf("%04x:%02x:%02x.%x", addr->domain, addr->bus, addr->slot, addr->fn);
}

/* Reads an unsigned KEY, DEF when absent. */
static gboolean
sim_kf_uint(GKeyFile *kf, const char *group, const char *key, unsigned def,
            unsigned *out, GError **error)
{
    g_autofree char *value = g_key_file_get_value(kf, group, key, NULL);
    char *end;
    unsigned long num;

    *out = def;
    if (!value)
        return TRUE;
    num = strtoul(value, &end, 0);
    if (!*value || *value == '-' || *end || num > G_MAXUINT) {
        g_autofree char *msg = g_strdup_printf("%s: '%s' is not an unsigned number", key, value);
        return sim_fail(error, group, msg);
    }
    *out = (unsigned)num;
    return TRUE;
}

static gboolean
sim_check_keys(GKeyFile *kf, const char *group, const char *const *allowed, GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

    for (char **k = keys; k && *k; k++) {
        if (!g_strv_contains(allowed, *k)) {
            g_autofree char *msg = g_strdup_printf("unknown key '%s'", *k);
            return sim_fail(error, group, msg);
        }
    }
    return TRUE;
}

/* Where a device sits: integrated GPUs on the root bus, others behind a
 * root port, the way lspci -t shows real servers. */
static char *
sim_default_dev_dir(const SimGpu *gpu, const SimPciAddr *addr)
{
    unsigned root = addr->bus & 0xf0;

    if (gpu->model->kind == SIM_MODEL_MTTY)
        return g_strdup("devices/virtual/mtty");
    if (gpu->model->kind == SIM_MODEL_GVTG)
        return g_strdup_printf("devices/pci%04x:%02x", addr->domain, addr->bus);
    return g_strdup_printf("devices/pci%04x:%02x/%04x:%02x:01.%x",
                           addr->domain, root, addr->domain, root, addr->bus & 7);
}

/* VFs follow the PF at the model's First VF Offset, stride 1. */
static void
sim_gpu_add_vfs(SimGpu *gpu, const SimPciAddr *pf)
{
    unsigned pf_devfn = pf->slot * 8 + pf->fn;

    for (unsigned i = 0; i < gpu->num_vfs; i++) {
        unsigned devfn = pf_devfn + gpu->model->vf_offset + i;
        SimPciAddr vf = { pf->domain, pf->bus + devfn / 256, (devfn % 256) / 8, devfn % 8 };

        g_ptr_array_add(gpu->vf_addresses, sim_pci_addr_format(&vf));
    }
}

static gboolean
sim_gpu_read_gvt_pool(GKeyFile *kf, const char *group, SimGpu *gpu, GError **error)
{
    unsigned aperture, ggtt, fences;

    if (!sim_kf_uint(kf, group, "aperture_mb", 1024, &aperture, error) ||
        !sim_kf_uint(kf, group, "ggtt_mb", 4096, &ggtt, error) ||
        !sim_kf_uint(kf, group, "fences", 32, &fences, error) ||
        !sim_kf_uint(kf, group, "max_vgpus", 7, &gpu->gvt.max_vgpus, error))
        return FALSE;
    if (aperture <= SIM_GVT_HOST_LOW_MB || ggtt <= aperture + SIM_GVT_HOST_HIGH_MB ||
        fences <= SIM_GVT_HOST_FENCES)
        return sim_fail(error, group, "GVT-g pool leaves nothing after the host's share");
    gpu->gvt.low_mb = aperture - SIM_GVT_HOST_LOW_MB;
    gpu->gvt.high_mb = ggtt - aperture - SIM_GVT_HOST_HIGH_MB;
    gpu->gvt.fences = fences - SIM_GVT_HOST_FENCES;
    return TRUE;
}

static gboolean
sim_gpu_read_remove_mode(GKeyFile *kf, const char *group, SimGpu *gpu, GError **error)
{
    g_autofree char *mode = g_key_file_get_string(kf, group, "remove", NULL);

    if (!mode || strcmp(mode, "block") == 0)
        gpu->remove_mode = SIM_REMOVE_BLOCK;
    else if (strcmp(mode, "ebusy") == 0)
        gpu->remove_mode = SIM_REMOVE_EBUSY;
    else
        return sim_fail(error, group, "remove= must be block or ebusy");
    if (g_key_file_has_key(kf, group, "self_remove_ms", NULL)) {
        gpu->self_remove = true;
        if (!sim_kf_uint(kf, group, "self_remove_ms", 0, &gpu->self_remove_ms, error))
            return FALSE;
    }
    return sim_kf_uint(kf, group, "remove_block_ms", 0, &gpu->remove_block_ms, error);
}

static gboolean
sim_gpu_read_placement(GKeyFile *kf, const char *group, SimGpu *gpu,
                       SimPciAddr *addr, GError **error)
{
    g_autofree char *address = g_key_file_get_string(kf, group, "address", NULL);
    g_autofree char *pci_path = g_key_file_get_string(kf, group, "pci_path", NULL);
    g_autofree char *numa = g_key_file_get_value(kf, group, "numa_node", NULL);
    char *end;

    if (gpu->model->kind != SIM_MODEL_MTTY) {
        if (!address || !sim_pci_addr_parse(address, addr))
            return sim_fail(error, group, "address= must be a PCI address DDDD:BB:SS.F");
        gpu->address = sim_pci_addr_format(addr);
    }
    if (numa) {
        long node = strtol(numa, &end, 10);
        if (!*numa || *end || node < -1 || node > 1023)
            return sim_fail(error, group, "numa_node= must be -1 or a node number");
        gpu->numa_node = (int)node;
    }
    gpu->dev_dir = pci_path ? g_build_path("/", "devices", pci_path, NULL)
                            : sim_default_dev_dir(gpu, addr);
    return TRUE;
}

/* mig=on|off and gpu_instances=3g.20gb,1g.5gb*7: the state an
 * administrator left with nvidia-smi before the host was handed over. */
static gboolean
sim_gpu_read_mig(GKeyFile *kf, const char *group, SimGpu *gpu, GError **error)
{
    g_autofree char *mig = g_key_file_get_string(kf, group, "mig", NULL);
    g_autofree char *gis = g_key_file_get_string(kf, group, "gpu_instances", NULL);
    g_auto(GStrv) items = NULL;

    if ((mig || gis) && !gpu->model->mig)
        return sim_fail(error, group, "mig= and gpu_instances= need a model with MIG "
                        "(a100, h100-vfio)");
    if (mig && strcmp(mig, "on") != 0 && strcmp(mig, "off") != 0)
        return sim_fail(error, group, "mig= must be on or off");
    gpu->mig_on = mig && strcmp(mig, "on") == 0;
    if (!gis)
        return TRUE;
    items = g_strsplit(gis, ",", -1);
    for (char **it = items; *it; it++) {
        g_auto(GStrv) pc = g_strsplit(g_strstrip(*it), "*", 2);
        unsigned count = 1;

        if (pc[1] && (sscanf(pc[1], "%u", &count) != 1 || count == 0 || count > 7))
            return sim_fail(error, group, "gpu_instances=: a count after '*' is 1 to 7");
        for (unsigned i = 0; i < count; i++) {
            int err = sim_mig_create_gi(gpu, pc[0], NULL);

            if (err) {
                g_autofree char *msg = g_strdup_printf("gpu_instances=: cannot create %s (%s)",
                                                       pc[0], g_strerror(err));
                return sim_fail(error, group, msg);
            }
        }
    }
    return TRUE;
}

/* vf_driver=xe: plain VFs that a host driver probed when they were
 * enabled (sriov_drivers_autoprobe left on); absent: unbound. */
static gboolean
sim_gpu_read_vf_driver(GKeyFile *kf, const char *group, SimGpu *gpu, GError **error)
{
    g_autofree char *drv = g_key_file_get_string(kf, group, "vf_driver", NULL);

    if (!drv)
        return TRUE;
    if (gpu->model->kind != SIM_MODEL_PLAIN_VF)
        return sim_fail(error, group, "vf_driver= needs a plain-VF model (mi300x, s7150, xe)");
    if (!*drv || strspn(drv, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(drv))
        return sim_fail(error, group, "vf_driver= must be a driver name");
    gpu->vf_driver = g_steal_pointer(&drv);
    return TRUE;
}

static SimGpu *
sim_scenario_gpu(GKeyFile *kf, const char *group, const char *label, GError **error)
{
    static const char *const keys[] = {
        "model", "address", "numa_node", "vfs", "remove", "remove_block_ms", "self_remove_ms",
        "pci_path",
        "device", "aperture_mb", "ggtt_mb", "fences", "max_vgpus", "ports", "mig",
        "gpu_instances", "vf_driver", NULL,
    };
    g_autofree char *model_name = g_key_file_get_string(kf, group, "model", NULL);
    const SimModel *model = model_name ? sim_model_find(model_name) : NULL;
    g_autoptr(GError) local = NULL;
    SimPciAddr addr = { 0 };
    SimGpu *gpu;

    if (!sim_check_keys(kf, group, keys, error))
        return NULL;
    if (!model) {
        sim_fail(error, group, "model= must be a40, a40-vfio, a100, h100-vfio, p40, gvtg, mtty, "
                 "mi300x, s7150 or xe");
        return NULL;
    }
    gpu = sim_gpu_new(label, model);
    if (!sim_gpu_read_placement(kf, group, gpu, &addr, &local) ||
        !sim_gpu_read_remove_mode(kf, group, gpu, &local) ||
        !sim_kf_uint(kf, group, "device", model->device, &gpu->device_id, &local) ||
        !sim_kf_uint(kf, group, "vfs", model->total_vfs, &gpu->num_vfs, &local) ||
        !sim_kf_uint(kf, group, "ports", 24, &gpu->ports, &local) ||
        (model->kind == SIM_MODEL_GVTG && !sim_gpu_read_gvt_pool(kf, group, gpu, &local)) ||
        !sim_gpu_read_mig(kf, group, gpu, &local) ||
        !sim_gpu_read_vf_driver(kf, group, gpu, &local))
        goto error;
    if (gpu->num_vfs > model->total_vfs) {
        sim_fail(&local, group, "vfs= exceeds the model's sriov_totalvfs");
        goto error;
    }
    sim_gpu_add_vfs(gpu, &addr);
    model->add_types(gpu);
    return gpu;

 error:
    g_propagate_error(error, g_steal_pointer(&local));
    sim_gpu_free(gpu);
    return NULL;
}

/* Parents: every VF on SR-IOV vGPU models (mdev parents, or VFs taking a
 * vendor-specific type), else the device itself; plain VFs have none. */
static gboolean
sim_host_add_gpu(SimHost *host, SimGpu *gpu, const char *group, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    g_ptr_array_add(host->gpus, gpu);
    if (gpu->model->kind == SIM_MODEL_PLAIN_VF)
        return TRUE;
    if (gpu->model->total_vfs)
        g_ptr_array_extend(names, gpu->vf_addresses, NULL, NULL);
    else
        g_ptr_array_add(names, gpu->address ? gpu->address : (char *)"mtty");

    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autofree char *dir = g_build_path("/", gpu->dev_dir, name, NULL);

        if (g_hash_table_contains(host->parents, name))
            return sim_fail(error, group, "device address used twice");
        sim_gpu_add_parent(host, gpu, name, dir);
    }
    return TRUE;
}

static gboolean
sim_scenario_mdev(SimHost *host, GKeyFile *kf, const char *group, const char *uuid,
                  GError **error)
{
    static const char *const keys[] = { "parent", "type", "busy", NULL };
    g_autofree char *parent_name = g_key_file_get_string(kf, group, "parent", NULL);
    g_autofree char *type_id = g_key_file_get_string(kf, group, "type", NULL);
    char key[SIM_UUID_LEN + 1];
    SimParent *parent;
    const SimType *type;
    SimMdev *mdev;
    int err;

    if (!sim_check_keys(kf, group, keys, error))
        return FALSE;
    if (!sim_uuid_parse(uuid, strlen(uuid), key) || uuid[SIM_UUID_LEN])
        return sim_fail(error, group, "not a UUID");
    parent = parent_name ? g_hash_table_lookup(host->parents, parent_name) : NULL;
    if (!parent || !parent->gpu->model->mdev_driver)
        return sim_fail(error, group, "parent= names no mdev parent of this scenario");
    type = type_id ? sim_parent_find_type(parent, type_id) : NULL;
    if (!type)
        return sim_fail(error, group, "type= names no type of that parent");
    if (g_hash_table_contains(host->mdevs, key))
        return sim_fail(error, group, "UUID used twice");
    err = sim_mdev_create(host, parent, type, key, &mdev);
    if (err) {
        g_autofree char *msg = g_strdup_printf("the driver refuses it (%s)", g_strerror(err));
        return sim_fail(error, group, msg);
    }
    mdev->busy = g_key_file_get_boolean(kf, group, "busy", NULL);
    return TRUE;
}

static gboolean
sim_scenario_faults(SimHost *host, GKeyFile *kf, GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "faults", NULL, NULL);

    for (char **k = keys; k && *k; k++) {
        g_autofree char *value = g_key_file_get_value(kf, "faults", *k, NULL);
        if (!sim_faults_set(&host->faults, *k, value, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
sim_scenario_apply(SimHost *host, GKeyFile *kf, GError **error)
{
    static const char *const host_keys[] = { "iommu_group_base", NULL };
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

    if (g_key_file_has_group(kf, "host") &&
        (!sim_check_keys(kf, "host", host_keys, error) ||
         !sim_kf_uint(kf, "host", "iommu_group_base", 0, &host->next_iommu_group, error)))
        return FALSE;
    if (!sim_scenario_faults(host, kf, error))
        return FALSE;

    for (char **g = groups; *g; g++) {
        if (g_str_has_prefix(*g, "gpu ")) {
            SimGpu *gpu = sim_scenario_gpu(kf, *g, *g + 4, error);
            if (!gpu || !sim_host_add_gpu(host, gpu, *g, error))
                return FALSE;
        } else if (!g_str_has_prefix(*g, "mdev ") && strcmp(*g, "host") != 0 &&
                   strcmp(*g, "faults") != 0) {
            return sim_fail(error, *g, "unknown group");
        }
    }
    sim_sysfs_build(host);

    for (char **g = groups; *g; g++)
        if (g_str_has_prefix(*g, "mdev ") && !sim_scenario_mdev(host, kf, *g, *g + 5, error))
            return FALSE;
    return TRUE;
}

SimHost *
sim_scenario_load(const char *file, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    SimHost *host;

    if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, error))
        return NULL;
    host = sim_host_new();
    if (!sim_scenario_apply(host, kf, error)) {
        sim_host_free(host);
        return NULL;
    }
    return host;
}
