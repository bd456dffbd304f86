/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a GPU's types say about its MIG state, for messages and vgpuctl
 * types. Pure: read from a scanned Host. In mdev mode sysfs shows MIG
 * only through available_instances: a MIG-backed type on a free VF reads
 * the free GPU instances of its size, time-sliced types read 0 while MIG
 * is on (docs/sysfs.md; tests/sim/sim-mig.c for the choices).
 * In the vendor-specific mode a free VF's creatable_vgpu_types lists the
 * MIG-backed types with a free GPU instance of their size, with no count,
 * and a VF with a type lists nothing: what such a GPU holds is known by
 * type id only, named where another VF of its model still lists the id. */
#pragma once

#include <glib.h>
#include "host.h"

typedef enum { MIG_UNKNOWN = -1, MIG_OFF = 0, MIG_ON = 1 } MigMode;

typedef struct {
    char *instance;         /* "1g.5gb" */
    guint count;
    gboolean at_least;      /* vendor-specific: some free, count not shown (count is 1) */
} MigFree;

typedef struct {
    MigMode mode;
    GPtrArray *free;        /* MigFree*, by instance name; sizes with none left out */
    GPtrArray *fitting;     /* const HostType*: MIG-backed types a free VF takes now */
} MigState;

void mig_state_free(MigState *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MigState, mig_state_free)

/* The GPU instance a MIG-backed type takes ("3g.20gb"); NULL when the
 * type is time-sliced. Free with g_free. */
char *mig_type_instance(const HostType *type);
/* NULL when physical GPU @gpu offers no MIG-backed type. */
MigState *mig_gpu_state(const Host *host, const char *gpu);
/* "1g.5gb x7, 3g.20gb x1" ("1g.10gb" where the count is not shown), or
 * "none". */
char *mig_state_free_text(const MigState *s);
/* mig-refusal.c: why a MIG GPU cannot take the profile called @name (a type's short
 * name, or what a request asks for) when MIG is the reason: a MIG-backed
 * profile needs a free GPU instance of its size (the sentence says what
 * the GPU has and the nvidia-smi mig line), a time-sliced one MIG off.
 * NULL when MIG is not the reason. */
char *mig_gpu_refusal(const Host *host, const char *gpu, const char *name);
/* For a vendor-specific VF of @gpu that cannot take @req now: the MIG
 * reason for @gpu, then, for each other vendor-specific GPU with MIG,
 * whether it has a free GPU instance of the size and what it has. NULL
 * when MIG is not the reason. @gpu NULL: every GPU (no VF fits). A
 * request by type id is named as a VF of that GPU model lists the id.
 * Where nothing on the host tells a GPU's MIG state (all its model's VFs
 * busy or listing nothing) a MIG-backed name still says the size needed. */
char *mig_vf_refusal(const Host *host, const char *gpu, const VgpuRequest *req);
