/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-catalog.c: the vGPU types each simulated model exposes, with the
 * names, ids and description texts of the real drivers.
 */
#include "sim-model.h"

/* NVIDIA profile classes: B (virtual PC), Q (workstation), A (apps). */
typedef struct {
    char cls;
    unsigned fb_gb;
} SimNvProfile;

typedef struct {
    const char *board;        /* name prefix: "NVIDIA A40" */
    unsigned fb_gb;           /* the GPU's framebuffer */
    unsigned max_cap;         /* per-GPU ceiling besides framebuffer (VF count) */
    const char *q_resolution; /* max_resolution of Q profiles */
} SimNvBoard;

static SimType *
sim_nvidia_type_new(const SimNvBoard *board, unsigned id, const SimNvProfile *prof)
{
    SimType *type = g_new0(SimType, 1);
    unsigned heads = prof->cls == 'A' ? 1 : 4;
    unsigned frl = prof->cls == 'B' ? 45 : 60;
    const char *res = prof->cls == 'A' ? "1280x1024" :
                      prof->cls == 'B' ? "5120x2880" : board->q_resolution;

    type->max_instance = board->fb_gb / prof->fb_gb;
    if (board->max_cap && type->max_instance > board->max_cap)
        type->max_instance = board->max_cap;
    type->id = g_strdup_printf("nvidia-%u", id);
    type->number = id;
    type->name = g_strdup_printf("%s-%u%c", board->board, prof->fb_gb, prof->cls);
    type->description = g_strdup_printf("num_heads=%u, frl_config=%u, framebuffer=%uM, "
                                        "max_resolution=%s, max_instance=%u\n",
                                        heads, frl, prof->fb_gb * 1024, res,
                                        type->max_instance);
    return type;
}

static void
sim_nvidia_add_types(SimGpu *gpu, const SimNvBoard *board, unsigned first_id,
                     const SimNvProfile *profiles, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_ptr_array_add(gpu->types, sim_nvidia_type_new(board, first_id + i, &profiles[i]));
}

void
sim_catalog_add_a40(SimGpu *gpu)
{
    static const SimNvBoard board = { "NVIDIA A40", 48, 32, "7680x4320" };
    static const SimNvProfile profiles[] = {
        { 'B', 1 }, { 'B', 2 },
        { 'Q', 1 }, { 'Q', 2 }, { 'Q', 3 }, { 'Q', 4 }, { 'Q', 6 }, { 'Q', 8 },
        { 'Q', 12 }, { 'Q', 16 }, { 'Q', 24 }, { 'Q', 48 },
        { 'A', 1 }, { 'A', 2 }, { 'A', 3 }, { 'A', 4 }, { 'A', 6 }, { 'A', 8 },
        { 'A', 12 }, { 'A', 16 }, { 'A', 24 }, { 'A', 48 },
    };

    sim_nvidia_add_types(gpu, &board, 555, profiles, G_N_ELEMENTS(profiles));
}

void
sim_catalog_add_p40(SimGpu *gpu)
{
    static const SimNvBoard board = { "GRID P40", 24, 0, "5120x2880" };
    static const SimNvProfile profiles[] = {
        { 'Q', 1 }, { 'Q', 2 }, { 'Q', 3 }, { 'Q', 4 }, { 'Q', 6 }, { 'Q', 8 },
        { 'Q', 12 }, { 'Q', 24 },
        { 'B', 1 }, { 'B', 2 },
        { 'A', 1 }, { 'A', 2 }, { 'A', 3 }, { 'A', 4 }, { 'A', 6 }, { 'A', 8 },
        { 'A', 12 }, { 'A', 24 },
    };

    sim_nvidia_add_types(gpu, &board, 46, profiles, G_N_ELEMENTS(profiles));
}

/* A MIG-backed type: its name's suffix, the GPU instance it takes, its
 * framebuffer, and how many instances of that size fit (its max_instance). */
typedef struct {
    const char *suffix, *gi;
    unsigned fb_gb, max;
} SimMigType;

static void
sim_mig_add_types(SimGpu *gpu, const SimNvBoard *board, unsigned first_id,
                  const SimMigType *mig, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        SimType *type = g_new0(SimType, 1);

        type->number = first_id + (unsigned)i;
        type->id = g_strdup_printf("nvidia-%u", type->number);
        type->name = g_strdup_printf("%s-%s", board->board, mig[i].suffix);
        type->max_instance = mig[i].max;
        type->mig_profile = mig[i].gi;
        type->description = g_strdup_printf("num_heads=1, frl_config=60, framebuffer=%uM, "
                                            "max_resolution=%s, max_instance=%u\n",
                                            mig[i].fb_gb * 1024, board->q_resolution,
                                            mig[i].max);
        g_ptr_array_add(gpu->types, type);
    }
}

/* A100 40GB PCIe: time-sliced C profiles and MIG-backed ones, named as
 * NVIDIA names them. The type ids are our choice [U: the real driver's
 * ids for A100 were not found in a primary source]; max_instance of a
 * MIG-backed type is how many GPU instances of its size fit. */
void
sim_catalog_add_a100(SimGpu *gpu)
{
    static const SimNvBoard board = { "NVIDIA A100", 40, 16, "4096x2160" };
    static const SimNvProfile sliced[] = {
        { 'C', 4 }, { 'C', 5 }, { 'C', 8 }, { 'C', 10 }, { 'C', 20 }, { 'C', 40 },
    };
    static const SimMigType mig[] = {
        { "1-5C", "1g.5gb", 5, 7 }, { "2-10C", "2g.10gb", 10, 3 },
        { "3-20C", "3g.20gb", 20, 2 }, { "4-20C", "4g.20gb", 20, 1 },
        { "7-40C", "7g.40gb", 40, 1 }, { "1-5CME", "1g.5gb+me", 5, 1 },
    };

    sim_nvidia_add_types(gpu, &board, 470, sliced, G_N_ELEMENTS(sliced));
    sim_mig_add_types(gpu, &board, 480, mig, G_N_ELEMENTS(mig));
}

/* H100 PCIe 80GB: time-sliced C profiles and MIG-backed ones, named as
 * NVIDIA names them. The ids are our choice [U], as for the A100. */
void
sim_catalog_add_h100(SimGpu *gpu)
{
    static const SimNvBoard board = { "NVIDIA H100", 80, 32, "4096x2160" };
    static const SimNvProfile sliced[] = {
        { 'C', 4 }, { 'C', 5 }, { 'C', 8 }, { 'C', 10 }, { 'C', 16 }, { 'C', 20 },
        { 'C', 40 }, { 'C', 80 },
    };
    static const SimMigType mig[] = {
        { "1-10C", "1g.10gb", 10, 7 }, { "1-20C", "1g.20gb", 20, 4 },
        { "2-20C", "2g.20gb", 20, 3 }, { "3-40C", "3g.40gb", 40, 2 },
        { "4-40C", "4g.40gb", 40, 1 }, { "7-80C", "7g.80gb", 80, 1 },
        { "1-10CME", "1g.10gb+me", 10, 1 },
    };

    sim_nvidia_add_types(gpu, &board, 1040, sliced, G_N_ELEMENTS(sliced));
    sim_mig_add_types(gpu, &board, 1060, mig, G_N_ELEMENTS(mig));
}

/* i915 gvt/vgpu.c intel_vgpu_configs[]: weight = 16 / instances. */
void
sim_catalog_add_gvtg(SimGpu *gpu)
{
    static const struct {
        unsigned low_mb, high_mb, fences, weight;
        const char *resolution, *suffix;
    } configs[] = {
        { 64, 384, 4, 2, "1024x768", "8" },
        { 128, 512, 4, 4, "1920x1200", "4" },
        { 256, 1024, 4, 8, "1920x1200", "2" },
        { 512, 2048, 4, 16, "1920x1200", "1" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(configs); i++) {
        SimType *type;

        /* i915 lists only the types that fit the aperture at all. */
        if (gpu->gvt.low_mb < configs[i].low_mb || gpu->gvt.high_mb < configs[i].high_mb)
            continue;
        type = g_new0(SimType, 1);
        type->id = g_strdup_printf("i915-GVTg_V5_%s", configs[i].suffix);
        type->name = g_strdup_printf("GVTg_V5_%s", configs[i].suffix);
        type->description = g_strdup_printf("low_gm_size: %uMB\nhigh_gm_size: %uMB\n"
                                            "fence: %u\nresolution: %s\nweight: %u\n",
                                            configs[i].low_mb, configs[i].high_mb,
                                            configs[i].fences, configs[i].resolution,
                                            configs[i].weight);
        type->low_gm_mb = configs[i].low_mb;
        type->high_gm_mb = configs[i].high_mb;
        type->fences = configs[i].fences;
        g_ptr_array_add(gpu->types, type);
    }
}

void
sim_catalog_add_mtty(SimGpu *gpu)
{
    static const struct { const char *id, *name; unsigned ports; } types[] = {
        { "mtty-1", "Single port serial", 1 },
        { "mtty-2", "Dual port serial", 2 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
        SimType *type = g_new0(SimType, 1);

        type->id = g_strdup(types[i].id);
        type->name = g_strdup(types[i].name);
        type->ports = types[i].ports;
        g_ptr_array_add(gpu->types, type);
    }
}
