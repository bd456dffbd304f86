/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-tree.h: the simulator's in-memory directory tree (dirs, attribute
 * files, relative symlinks), indexed by path for O(1) lookups.
 *
 * Paths are relative to the mount point, without a leading '/'
 * ("" is the root, "class/mdev_bus" a directory below it).
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

struct SimGpu;
struct SimParent;
struct SimType;
struct SimMdev;

typedef enum {
    SIM_NODE_DIR,
    SIM_NODE_FILE,
    SIM_NODE_LINK,
} SimNodeKind;

/* What an attribute file shows and how it reacts to writes. */
typedef enum {
    SIM_ATTR_TEXT,           /* fixed text, read-only */
    SIM_ATTR_AVAILABLE,      /* available_instances of (parent, type) */
    SIM_ATTR_CREATE,         /* mdev_supported_types/T/create */
    SIM_ATTR_REMOVE,         /* <mdev>/remove */
    SIM_ATTR_SRIOV_NUMVFS,   /* PF sriov_numvfs */
    SIM_ATTR_CONTROL,        /* vgpu-sim/control */
    SIM_ATTR_STATS,          /* vgpu-sim/stats */
    SIM_ATTR_MDEVS,          /* vgpu-sim/mdevs */
    SIM_ATTR_FAULTS,         /* vgpu-sim/faults */
    SIM_ATTR_MIG,            /* vgpu-sim/mig */
    SIM_ATTR_VGPU_CREATABLE, /* <VF>/nvidia/creatable_vgpu_types */
    SIM_ATTR_VGPU_CURRENT,   /* <VF>/nvidia/current_vgpu_type */
    SIM_ATTR_VFS,            /* vgpu-sim/vfs */
    SIM_ATTR_PCI_CONFIG,     /* <PCI function>/config: binary; text holds its 8 id bytes */
    SIM_ATTR_PCI_BIND,       /* bus/pci/drivers/<drv>/bind (sim-pci.c) */
    SIM_ATTR_PCI_UNBIND,     /* bus/pci/drivers/<drv>/unbind */
    SIM_ATTR_PCI_PROBE,      /* bus/pci/drivers_probe */
    SIM_ATTR_PCI_OVERRIDE,   /* <PCI function>/driver_override */
    SIM_ATTR_UEVENT,         /* a device's uevent: what its bus adds (sim-uevent.c) */
} SimAttr;

/* The model objects an attribute belongs to (any may be NULL). */
typedef struct {
    struct SimGpu *gpu;
    struct SimParent *parent;
    const struct SimType *type;
    struct SimMdev *mdev;
} SimAttrOwner;

typedef struct SimNode SimNode;
struct SimNode {
    char *name;
    char *path;               /* key in the index */
    SimNodeKind kind;
    mode_t mode;              /* permission bits */
    SimNode *up;
    GPtrArray *children;      /* SimNode*, directories only, creation order */
    char *target;             /* links: relative target */
    char *text;               /* SIM_ATTR_TEXT content */
    SimAttr attr;
    SimAttrOwner owner;
};

typedef struct {
    SimNode *root;
    GHashTable *index;        /* path -> SimNode* */
} SimTree;

SimTree *sim_tree_new(void);
void sim_tree_free(SimTree *tree);

SimNode *sim_tree_lookup(SimTree *tree, const char *path);

/* mkdir -p: returns the directory (existing or new). */
SimNode *sim_tree_mkdir(SimTree *tree, const char *path);

/* Creates a symlink at PATH pointing at TARGET (both relative to the
 * root); the stored target is relative to PATH's directory, the way
 * kernfs writes sysfs links. */
SimNode *sim_tree_add_link(SimTree *tree, const char *path, const char *target);

SimNode *sim_tree_add_attr(SimTree *tree, const char *path, mode_t mode,
                           SimAttr attr, const SimAttrOwner *owner);
SimNode *sim_tree_add_text(SimTree *tree, const char *path, const char *text);

/* Removes PATH and everything below it; no-op when absent. */
void sim_tree_remove(SimTree *tree, const char *path);

/* "a/b/c" seen from directory "a/x" -> "../b/c". */
char *sim_relative_path(const char *from_dir, const char *to);
