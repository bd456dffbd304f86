/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-mig.c: MIG on an A100 40GB (mdev mode, model=a100) and an H100 PCIe
 * 80GB (NVIDIA's vendor-specific VFIO framework, model=h100-vfio).
 *
 * Uncertain facts (docs/sysfs.md marks them [U]) and the choices made
 * here, each in one place so that it is easy to correct:
 * - available_instances of a MIG-backed type on a free VF is the number
 *   of free GPU instances of its size (sim_available_a100 in sim-model.c);
 *   0 on a VF that holds a vGPU, 0 for every MIG-backed type while MIG is
 *   off, and 0 for every time-sliced type while MIG is on.
 * - A100-1-5CME needs a GPU instance created as 1g.5gb+me; the plain
 *   1-5C takes only a plain 1g.5gb (real drivers may let it use either).
 * - Room for GPU instances is counted in compute slices (7) and memory
 *   eighths (8); the fixed start positions of real MIG placement are not
 *   modelled, so a few layouts the hardware refuses are accepted here.
 * - MIG-backed vGPUs of different sizes share one GPU (the time-sliced
 *   one-type-per-GPU rule does not apply to them).
 * - Nothing of this shows in sysfs beyond available_instances: the real
 *   driver tells it through NVML/nvidia-smi, which the simulator stands in
 *   for with its control file and vgpu-sim/mig.
 * Vendor-specific mode (h100-vfio), the same choices, plus:
 * - nvidia/creatable_vgpu_types of a free VF lists a MIG-backed type
 *   exactly while a GPU instance of its size is free, with no count (the
 *   file has none), and no time-sliced type while MIG is on; a VF with a
 *   type lists nothing.
 * - Writing a MIG-backed type into current_vgpu_type with no free GPU
 *   instance of its size fails with EIO (docs/sysfs.md);
 *   a MIG-backed type while MIG is off, or a time-sliced one while it is
 *   on, fails with EINVAL (as a type breaking the same-size rule does).
 * - The H100 is the PCIe 80GB board (10de:2331, VFs at offset 4; the
 *   count, 32, is our choice). Its GPU instance profiles are NVIDIA's for
 *   H100 80GB: 1g.10gb (x7), 1g.10gb+me (x1), 1g.20gb (x4), 2g.20gb (x3),
 *   3g.40gb (x2), 4g.40gb (x1), 7g.80gb (x1).
 */
#include "sim-mig.h"

#include <errno.h>
#include <string.h>

static const SimMigProfile a100_40gb[] = {
    { "1g.5gb", 1, 1 }, { "1g.5gb+me", 1, 1 }, { "2g.10gb", 2, 2 },
    { "3g.20gb", 3, 4 }, { "4g.20gb", 4, 4 }, { "7g.40gb", 7, 8 },
};
const SimMigCatalog sim_mig_a100_40gb = { a100_40gb, G_N_ELEMENTS(a100_40gb) };

static const SimMigProfile h100_80gb[] = {
    { "1g.10gb", 1, 1 }, { "1g.10gb+me", 1, 1 }, { "1g.20gb", 1, 2 }, { "2g.20gb", 2, 2 },
    { "3g.40gb", 3, 4 }, { "4g.40gb", 4, 4 }, { "7g.80gb", 7, 8 },
};
const SimMigCatalog sim_mig_h100_80gb = { h100_80gb, G_N_ELEMENTS(h100_80gb) };

const SimMigProfile *
sim_mig_profile_find(const SimGpu *gpu, const char *name)
{
    const SimMigCatalog *cat = gpu->model->mig;

    for (size_t i = 0; cat && i < cat->n; i++)
        if (strcmp(cat->profiles[i].name, name) == 0)
            return &cat->profiles[i];
    return NULL;
}

int
sim_mig_set_mode(SimGpu *gpu, bool on)
{
    if (!gpu->model->mig)
        return EINVAL;
    if (on == gpu->mig_on)
        return 0;
    if ((on && gpu->n_vgpus > 0) || (!on && gpu->gis->len > 0))
        return EBUSY;
    gpu->mig_on = on;
    return 0;
}

int
sim_mig_create_gi(SimGpu *gpu, const char *name, unsigned *id)
{
    const SimMigProfile *profile = sim_mig_profile_find(gpu, name);
    unsigned slices = 0, mem = 0;
    SimGpuInstance *gi;

    if (!gpu->mig_on || !profile)
        return EINVAL;
    for (guint i = 0; i < gpu->gis->len; i++) {
        const SimGpuInstance *g = g_ptr_array_index(gpu->gis, i);

        slices += g->profile->slices;
        mem += g->profile->mem_eighths;
    }
    if (slices + profile->slices > 7 || mem + profile->mem_eighths > 8)
        return ENOSPC;
    gi = g_new0(SimGpuInstance, 1);
    gi->id = ++gpu->last_gi_id;
    gi->profile = profile;
    g_ptr_array_add(gpu->gis, gi);
    if (id)
        *id = gi->id;
    return 0;
}

int
sim_mig_destroy_gi(SimGpu *gpu, unsigned id)
{
    for (guint i = 0; i < gpu->gis->len; i++) {
        const SimGpuInstance *g = g_ptr_array_index(gpu->gis, i);

        if (g->id != id)
            continue;
        if (g->user)
            return EBUSY;
        g_ptr_array_remove_index(gpu->gis, i);
        return 0;
    }
    return ENOENT;
}

unsigned
sim_mig_free_count(const SimGpu *gpu, const char *profile)
{
    unsigned n = 0;

    for (guint i = 0; gpu->gis && i < gpu->gis->len; i++) {
        const SimGpuInstance *g = g_ptr_array_index(gpu->gis, i);

        n += !g->user && strcmp(g->profile->name, profile) == 0;
    }
    return n;
}

void
sim_mig_bind(SimGpu *gpu, const SimParent *parent, const char *profile)
{
    for (guint i = 0; i < gpu->gis->len; i++) {
        SimGpuInstance *g = g_ptr_array_index(gpu->gis, i);

        if (!g->user && strcmp(g->profile->name, profile) == 0) {
            g->user = parent;
            return;
        }
    }
}

void
sim_mig_unbind(SimGpu *gpu, const SimParent *parent)
{
    for (guint i = 0; i < gpu->gis->len; i++) {
        SimGpuInstance *g = g_ptr_array_index(gpu->gis, i);

        if (g->user == parent)
            g->user = NULL;
    }
}

char *
sim_mig_format(const SimHost *host)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < host->gpus->len; i++) {
        const SimGpu *gpu = g_ptr_array_index(host->gpus, i);

        if (!gpu->model->mig)
            continue;
        g_string_append_printf(out, "%s mig=%s\n", gpu->address, gpu->mig_on ? "on" : "off");
        for (guint j = 0; j < gpu->gis->len; j++) {
            const SimGpuInstance *g = g_ptr_array_index(gpu->gis, j);

            g_string_append_printf(out, "  gi %u %s %s\n", g->id, g->profile->name,
                                   g->user ? g->user->name : "free");
        }
    }
    return g_string_free(out, FALSE);
}
