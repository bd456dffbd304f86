/* What a GPU's types say about its MIG state, for messages and vgpuctl
 * types. Pure: read from a scanned Host. In mdev mode sysfs shows MIG
 * only through available_instances: a MIG-backed type on a free VF reads
 * the free GPU instances of its size, time-sliced types read 0 while MIG
 * is on (../docs/vf-backends.md; tests/sim/sim-mig.c for the choices). */
#pragma once

#include <glib.h>
#include "host.h"

typedef enum { MIG_UNKNOWN = -1, MIG_OFF = 0, MIG_ON = 1 } MigMode;

typedef struct {
    char *instance;         /* "1g.5gb" */
    guint count;
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
/* "1g.5gb x7, 3g.20gb x1", or "none". */
char *mig_state_free_text(const MigState *s);
