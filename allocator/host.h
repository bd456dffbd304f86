/* What the host offers, read from sysfs. The placement function works on
 * this structure only, so it can be tested on synthetic hosts. */
#pragma once

#include <glib.h>
#include "vgpu-request.h"

typedef struct {
    char *id;               /* "nvidia-558" */
    char *name;             /* "NVIDIA A40-2Q"; the id when the driver has no name file */
    char *description;      /* may be NULL */
    guint64 framebuffer_mb; /* from description "framebuffer=2048M", 0 unknown */
    int max_instance;       /* from description "max_instance=24", -1 unknown */
    int available;          /* available_instances at scan time, -1 not read */
} HostType;

typedef struct {
    char *addr;             /* mdev_bus entry: "0000:e8:00.4" or "mtty" */
    char *gpu;              /* physical GPU: the PF's address for a VF, else addr */
    gboolean is_vf;
    int numa_node;          /* -1 unknown */
    char *model;            /* "10de:2235" (PF vendor:device) or "" when not PCI */
    GPtrArray *types;       /* HostType* */
} HostParent;

typedef struct {
    char *uuid;
    char *parent;           /* parent addr, as in HostParent.addr */
    char *type;             /* type id */
} HostMdev;

typedef struct {
    char *root;
    GPtrArray *parents;     /* HostParent*, sorted by addr */
    GPtrArray *mdevs;       /* HostMdev*, sorted by uuid */
} Host;

void host_free(Host *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Host, host_free)

/* Scan sysfs under @root. When @requests (VgpuRequest*) is non-NULL, only
 * types matching one of them get available_instances read (others stay -1):
 * the hook reads what it needs, not the whole parents x types matrix. Names
 * and descriptions are read once per GPU model and type and shared. A host
 * with no mdev_bus is an empty host, not an error. */
Host *host_scan(const char *root, const GPtrArray *requests, GError **error);

/* available_instances of one type on one parent, read now: the fresh check
 * made under the host lock before a create. -1 with @error on failure. */
int host_type_read_available(const char *root, const char *parent, const char *type,
                             GError **error);
/* Record in @host a device just created, so that a later placement in the
 * same call sees it (pack prefers that GPU; that parent has one fewer). */
void host_note_created(Host *host, const char *uuid, const char *parent, const char *type);

HostParent *host_find_parent(const Host *host, const char *addr);
HostType *host_parent_find_type(const HostParent *parent, const char *type_id);
const HostMdev *host_find_mdev(const Host *host, const char *uuid);
/* Number of existing mdevs on the physical GPU @gpu; only those of type id
 * @type when @type is not NULL. */
guint host_gpu_mdev_count(const Host *host, const char *gpu, const char *type);

/* Profile matching: case-insensitive, vendor prefix ("NVIDIA ", "GRID ",
 * "Intel ") optional on either side, spaces and '_' alike. */
gboolean host_type_matches_profile(const HostType *type, const char *profile);
/* The same comparison on two bare names. */
gboolean host_profile_equal(const char *a, const char *b);
/* The name without its vendor word ("NVIDIA A40-2Q" -> "A40-2Q"), pointing
 * into type->name: how messages name a type. */
const char *host_type_short_name(const HostType *type);
/* TRUE when @type fits a request: by @type_id exactly (and, when @profile
 * is also given, its name matches too), else by @profile. */
gboolean host_type_fits(const HostType *type, const char *type_id, const char *profile);
/* Does the existing mdev @m fit @req? A type id must be equal; a profile
 * must match the type's name on the mdev's parent. Used to reuse a device
 * that is already there (the hook) or to predict that reuse (vgpuctl). */
gboolean host_mdev_fits(const Host *host, const HostMdev *m, const VgpuRequest *req);
/* Type ids on @parent that fit a request (by @type_id exactly, else by
 * @profile). Returns HostType* borrowed from @parent. */
GPtrArray *host_parent_matching_types(const HostParent *parent,
                                      const char *type_id, const char *profile);
