/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-mig.h: NVIDIA MIG on a simulated GPU: MIG mode, GPU instances the
 * administrator creates and destroys (nvidia-smi mig -cgi / -dgi, here
 * through the control file), and which VF's vGPU holds which instance.
 */
#pragma once

#include "sim-model.h"

/* A GPU instance profile, as nvidia-smi mig -lgip names it. */
typedef struct {
    const char *name;          /* "3g.20gb", "1g.5gb+me" */
    unsigned slices;           /* compute slices (of 7) */
    unsigned mem_eighths;      /* memory slices (of 8) */
} SimMigProfile;

typedef struct {
    unsigned id;               /* nvidia-smi's GPU instance id */
    const SimMigProfile *profile;
    const SimParent *user;     /* the VF whose vGPU runs on it, NULL free */
} SimGpuInstance;

/* The GPU instance profiles of one GPU model (SimModel.mig). */
struct SimMigCatalog {
    const SimMigProfile *profiles;
    size_t n;
};
extern const SimMigCatalog sim_mig_a100_40gb;
extern const SimMigCatalog sim_mig_h100_80gb;

const SimMigProfile *sim_mig_profile_find(const SimGpu *gpu, const char *name);

/* Turn MIG mode on or off: EBUSY while vGPUs exist (on) or GPU instances
 * exist (off), as the driver refuses both. */
int sim_mig_set_mode(SimGpu *gpu, bool on);
/* Create one GPU instance of @profile (its id in *id): EINVAL when MIG is
 * off or the profile is unknown, ENOSPC when the slices are taken. */
int sim_mig_create_gi(SimGpu *gpu, const char *profile, unsigned *id);
/* Destroy GPU instance @id: ENOENT when there is none, EBUSY while a
 * vGPU runs on it. */
int sim_mig_destroy_gi(SimGpu *gpu, unsigned id);
unsigned sim_mig_free_count(const SimGpu *gpu, const char *profile);
/* A MIG-backed vGPU made on @parent takes a free instance of @profile;
 * removing it gives the instance back. */
void sim_mig_bind(SimGpu *gpu, const SimParent *parent, const char *profile);
void sim_mig_unbind(SimGpu *gpu, const SimParent *parent);
/* vgpu-sim/mig: per MIG-capable GPU "ADDR mig=on|off", then one line per
 * GPU instance "  gi ID PROFILE free|VF". */
char *sim_mig_format(const SimHost *host);
