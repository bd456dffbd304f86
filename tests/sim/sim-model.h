/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-model.h: the simulated host (GPUs, mdev parents, types, mdevs) and
 * the per-driver placement rules that decide available_instances and
 * whether a create is admitted.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "sim-faults.h"
#include "sim-tree.h"

#define SIM_UUID_LEN 36

typedef enum {
    SIM_MODEL_A40,     /* NVIDIA Ampere, SR-IOV: one vGPU per VF */
    SIM_MODEL_P40,     /* NVIDIA Pascal, time-sliced on the PF */
    SIM_MODEL_GVTG,    /* Intel GVT-g, shared graphics memory pool */
    SIM_MODEL_MTTY,    /* kernel sample driver, pool of serial ports */
    SIM_MODEL_A100,    /* NVIDIA Ampere, SR-IOV, with MIG (sim-mig.h) */
    SIM_MODEL_A40_VFIO, /* NVIDIA vGPU 17+: vendor-specific VFIO, a type per VF
                           (also h100-vfio, with MIG) */
    SIM_MODEL_PLAIN_VF, /* AMD MxGPU, Intel xe SR-IOV: whole VFs, no type */
} SimModelKind;

typedef enum {
    SIM_REMOVE_BLOCK,  /* kernels >= 5.19: remove of a busy mdev waits */
    SIM_REMOVE_EBUSY,  /* older kernels: remove of a busy mdev fails */
} SimRemoveMode;

typedef struct SimType {
    char *id;              /* directory name: "nvidia-558" */
    char *name;            /* "NVIDIA A40-2Q" */
    char *description;     /* NULL: no description file (mtty) */
    unsigned max_instance; /* NVIDIA: per physical GPU */
    unsigned ports;        /* mtty: serial ports per device */
    unsigned low_gm_mb;    /* GVT-g: aperture memory per vGPU */
    unsigned high_gm_mb;   /* GVT-g: hidden memory per vGPU */
    unsigned fences;       /* GVT-g: fence registers per vGPU */
    const char *mig_profile; /* MIG-backed: the GPU instance it takes ("3g.20gb") */
    unsigned number;       /* NVIDIA: the id's number, 558 */
} SimType;

typedef struct SimGpu SimGpu;

typedef struct SimParent {
    char *name;            /* "0000:e8:00.4", "mtty" */
    char *dir;             /* its device directory below the mount */
    SimGpu *gpu;
    unsigned n_mdevs;      /* mdevs, or 1 while a vendor-specific VF has a type */
    const struct SimType *vf_type; /* vendor-specific VF: current_vgpu_type */
    bool vf_open;          /* vendor-specific VF: open by QEMU (control: busy/idle) */
} SimParent;

typedef struct SimMdev {
    char uuid[SIM_UUID_LEN + 1];   /* lowercase */
    SimParent *parent;
    const SimType *type;
    unsigned iommu_group;
    bool busy;             /* "open by a VM" (control: busy/idle) */
    bool removing;         /* a remove is waiting for it to go idle */
    bool self_removing;    /* the driver removes it itself soon (self_remove_ms) */
    guint64 serial;        /* tells a device from a later one with its UUID */
} SimMdev;

/* Capacity of a GVT-g device, as i915 computes it (sizes in MiB). */
typedef struct {
    unsigned low_mb;       /* aperture minus the host's share */
    unsigned high_mb;      /* hidden GGTT minus the host's share */
    unsigned fences;       /* fence registers minus the host's */
    unsigned max_vgpus;    /* the vgpu idr holds 7 */
} SimGvtPool;

struct SimModel;
typedef struct SimMigCatalog SimMigCatalog;   /* sim-mig.h */

struct SimGpu {
    char *label;                   /* scenario group name */
    const struct SimModel *model;
    char *address;                 /* PF "DDDD:BB:SS.F"; NULL for mtty */
    char *dev_dir;                 /* directory holding the PF (and VFs) */
    unsigned device_id;
    int numa_node;
    unsigned num_vfs;
    SimRemoveMode remove_mode;
    unsigned remove_block_ms;      /* 0: block until idle */
    /* Some NVIDIA drivers remove an mdev themselves once the VM lets go
     * of it (busy -> idle); a `remove` written meanwhile breaks the GPU:
     * every later create on it fails with EIO (only a reboot helps). */
    bool self_remove;
    unsigned self_remove_ms;       /* after the VM let go */
    bool wedged;
    GPtrArray *types;              /* SimType*, owned */
    GPtrArray *parents;            /* SimParent*, owned */
    GPtrArray *vf_addresses;       /* char*, owned */
    char *vf_driver;               /* plain VFs: the host driver that probed them at boot */

    /* Capacity */
    SimGvtPool gvt;
    unsigned ports;                /* mtty pool size */

    /* MIG (sim-mig.h) */
    bool mig_on;
    GPtrArray *gis;                /* SimGpuInstance*, owned */
    unsigned last_gi_id;

    /* Usage */
    const SimType *held_type;      /* NVIDIA same-type rule (time-sliced types) */
    unsigned n_vgpus;
    unsigned used_low_mb, used_high_mb, used_fences, used_ports;
};

typedef struct SimModel {
    const char *name;              /* scenario "model=" value */
    SimModelKind kind;
    unsigned vendor;
    unsigned device;
    const char *pci_class;
    const char *pci_driver;
    const char *mdev_driver;       /* NULL: no mdev at all */
    unsigned total_vfs;            /* 0: no SR-IOV */
    unsigned vf_device;            /* 0: the PF's device id */
    const char *vf_driver;         /* NULL: VFs bound to no driver */
    unsigned vf_offset;            /* First VF Offset (stride 1) */
    int full_errno;                /* errno of a create without capacity */
    void (*add_types)(SimGpu *gpu);
    unsigned (*available)(const SimParent *parent, const SimType *type);
    const SimMigCatalog *mig;      /* MIG-capable (sim-mig.h); NULL: no MIG */
} SimModel;

typedef enum {
    SIM_OP_GETATTR,
    SIM_OP_READDIR,
    SIM_OP_READLINK,
    SIM_OP_OPEN,
    SIM_OP_READ,
    SIM_OP_WRITE,
    SIM_OP_OTHER,
    SIM_OP_COUNT,
} SimOp;

typedef struct SimHost {
    GMutex lock;                   /* the one global lock */
    GCond changed;                 /* busy/idle changes, for blocked removes */
    GPtrArray *gpus;               /* SimGpu*, owned */
    GHashTable *parents;           /* name -> SimParent* */
    GHashTable *mdevs;             /* uuid -> SimMdev*, owned */
    unsigned next_iommu_group;
    SimFaults faults;
    guint64 ops[SIM_OP_COUNT];
    guint64 stores_create;         /* writes that reached a create file */
    guint64 stores_remove;         /* writes that reached a remove file */
    guint64 open_dirs;             /* opened and not yet released by the kernel */
    guint64 next_serial;
    GPtrArray *later;              /* GThread*: actions due later (sim-later.c) */
    bool freeing;                  /* sim_host_free: end the pending actions */
    GHashTable *pci_fns;           /* address -> SimPciFn* (sim-pci.h), owned */
    GPtrArray *pci_drivers;        /* loaded PCI drivers' names, in load order */
    SimTree *tree;
    bool (*stopping)(void);        /* set by main: is the mount going away? */
} SimHost;

const SimModel *sim_model_find(const char *name);

SimHost *sim_host_new(void);
void sim_host_free(SimHost *host);

SimGpu *sim_gpu_new(const char *label, const SimModel *model);
void sim_gpu_free(SimGpu *gpu);
SimParent *sim_gpu_add_parent(SimHost *host, SimGpu *gpu, const char *name, const char *dir);

unsigned sim_available_instances(const SimParent *parent, const SimType *type);
const SimType *sim_parent_find_type(const SimParent *parent, const char *id);

/* 0 when the driver accepts a new mdev of TYPE on PARENT, else its errno. */
int sim_driver_admit(const SimParent *parent, const SimType *type);
void sim_driver_charge(SimParent *parent, const SimType *type);
void sim_driver_release(SimParent *parent, const SimType *type);

/* sim-later.c: something a driver does on its own some time after a
 * store or a control command. */
typedef struct {
    char uuid[SIM_UUID_LEN + 1];
    guint64 serial;            /* of the mdev it is about (0: none yet) */
    SimParent *parent;
    const SimType *type;
} SimLaterArgs;
typedef void (*SimLaterFn)(SimHost *host, const SimLaterArgs *args);
/* Run FN under the lock after DELAY_MS, unless the mount goes away first.
 * Called with the lock held. */
void sim_later(SimHost *host, unsigned delay_ms, SimLaterFn fn, const SimLaterArgs *args);
/* Ends the waits and joins every pending action (the lock not held). */
void sim_later_join(SimHost *host);
/* 0 when a vendor-specific VF may take TYPE now, else the driver's errno. */
int sim_vf_type_admit(const SimParent *parent, const SimType *type);
const SimType *sim_gpu_find_type_number(const SimGpu *gpu, unsigned number);

/* sim-catalog.c: adds a model's types (ids, names, descriptions) to GPU. */
void sim_catalog_add_a40(SimGpu *gpu);
void sim_catalog_add_p40(SimGpu *gpu);
void sim_catalog_add_gvtg(SimGpu *gpu);
void sim_catalog_add_mtty(SimGpu *gpu);
void sim_catalog_add_a100(SimGpu *gpu);
void sim_catalog_add_h100(SimGpu *gpu);

/* Kernel uuid_is_valid() on the first 36 bytes; writes the lowercase form. */
bool sim_uuid_parse(const char *buf, size_t len, char out[SIM_UUID_LEN + 1]);
