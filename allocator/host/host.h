/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the host offers and holds: places a device can be made (parents),
 * the types each offers, and the devices that exist. Each kind of device
 * (device-kind.h) fills it from sysfs; placement works on it alone, so it
 * can be tested on synthetic hosts. */
#pragma once

#include <glib.h>
#include "vgpu-request.h"

typedef struct DeviceKind DeviceKind;

typedef struct {
    char *id;               /* "nvidia-558" */
    char *name;             /* "NVIDIA A40-2Q"; the id when the driver has no name file */
    char *description;      /* may be NULL */
    guint64 framebuffer_mb; /* from description "framebuffer=2048M", 0 unknown */
    int max_instance;       /* from description "max_instance=24", -1 unknown */
    int available;          /* instances the parent can still take, -1 not read */
} HostType;

typedef struct {
    const DeviceKind *kind; /* who scanned it, and makes devices on it */
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
} HostDevice;

typedef struct {
    char *root;
    GPtrArray *parents;     /* HostParent*, sorted by addr */
    GPtrArray *devices;     /* HostDevice*, sorted by uuid */
} Host;

/* An empty host; the arrays own their elements. */
Host *host_new(const char *root);
void host_free(Host *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Host, host_free)
void host_type_free(HostType *type);
void host_parent_free(HostParent *parent);
void host_device_free(HostDevice *dev);

/* Add a device to @host, keeping the order by UUID. */
HostDevice *host_add_device(Host *host, const char *uuid, const char *parent, const char *type);

HostParent *host_find_parent(const Host *host, const char *addr);
HostType *host_parent_find_type(const HostParent *parent, const char *type_id);
const HostDevice *host_find_device(const Host *host, const char *uuid);
/* Number of existing devices on the physical GPU @gpu; only those of type
 * id @type when @type is not NULL. */
guint host_gpu_device_count(const Host *host, const char *gpu, const char *type);
/* The physical GPU of a device (its parent when that is not listed). */
const char *host_device_gpu(const Host *host, const HostDevice *dev);
/* The device's type as listed on its parent (for a VF that lists nothing
 * once it holds a type: on another VF of its model and kind); NULL when
 * the parent or the type is no longer listed. */
const HostType *host_device_type(const Host *host, const HostDevice *dev);
/* The short name of the device's type ("A40-2Q"), or its id when the type
 * is no longer listed. */
const char *host_device_type_name(const Host *host, const HostDevice *dev);

/* NVIDIA vGPU, time-sliced or SR-IOV: every vGPU on one physical GPU has
 * the same type. Intel GVT-g and the mtty sample instead share one pool
 * among all their types. */
gboolean host_parent_holds_one_type(const HostParent *parent);

/* Profile matching (profile.h) on a type's name. */
gboolean host_type_matches_profile(const HostType *type, const char *profile);
/* The name without its vendor word ("NVIDIA A40-2Q" -> "A40-2Q"), pointing
 * into type->name: how messages name a type. */
const char *host_type_short_name(const HostType *type);
/* TRUE when @type fits a request: by @type_id exactly (and, when @profile
 * is also given, its name matches too), else by @profile. */
gboolean host_type_fits(const HostType *type, const char *type_id, const char *profile);
/* The type's framebuffer: from its description, else from its name
 * (vendor-specific hosts give no description); 0 unknown. */
guint64 host_type_framebuffer_mb(const HostType *type);
/* host_type_fits for a request, which may also ask by need (series and
 * framebuffer, vgpu-request.h). */
gboolean host_type_fits_request(const HostType *type, const VgpuRequest *req);
/* Types on @parent that fit @req (host_type_fits_request); borrowed. */
GPtrArray *host_parent_request_types(const HostParent *parent, const VgpuRequest *req);
/* Does the existing device @dev fit @req? By its type as listed
 * (host_type_fits); when its parent or type is no longer listed, only a
 * type id in the request can tell. The one answer for reusing a device
 * (the hook), predicting that reuse (vgpuctl check) and counting a GPU's
 * devices of the requested type (placement). */
gboolean host_device_fits(const Host *host, const HostDevice *dev, const VgpuRequest *req);

/* Is @id NVIDIA's: a PCI vendor id as sysfs writes it ("0x10de") or
 * libpci does ("10de"), or a "vendor:device" pair? */
gboolean host_vendor_is_nvidia(const char *id);
