/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kinds of device the hook makes for a domain, in two families: mdev
 * kinds, named by a UUID and placed on a parent; and whole-VF backends,
 * where the VF the domain's <hostdev> names is both parent and device
 * (libvirt fixes its address before any hook, so placement never picks
 * one). One file per kind fills this table; what differs between
 * whole-VF backends is their VfBackend, so that callers ask it instead of
 * testing which kind they hold. */
#pragma once

#include <glib.h>
#include "host.h"
#include "ledger.h"
/* pci-name.h's, declared here so that policy/ need not see libpci */
typedef struct PciNames PciNames;
#include "vgpu-config.h"
#include "vgpu-request.h"

/* What a whole-VF backend decides that an mdev kind has no say in. */
typedef struct {
    /* The hostdev's managed=: TRUE when libvirt may bind the VF to vfio-pci
     * itself (a plain VF); FALSE when that would lose what we wrote. */
    gboolean managed;
    /* Nothing in sysfs says the VF is taken: the ledger record alone
     * reserves it, and nothing is written to give it. */
    gboolean ledger_reserves;
    /* Does @vf belong to the GPU a request's gpu= names? Set for a backend
     * whose VF is its own one type (asked for by the GPU's name); NULL for
     * one whose VFs take a vGPU type (asked for by profile= or type=), one
     * type per GPU at a time. */
    gboolean (*fits)(PciNames *names, const HostParent *vf, const char *gpu);
    /* Why @vf does not suit @req at all (what it is asked for by); NULL
     * when it does. */
    char *(*mismatch)(PciNames *names, const HostParent *vf, const VgpuRequest *req);
    /* Why @req's hostdev may not name @vf as it does (its managed=); NULL
     * when it may. May be NULL. */
    char *(*hostdev_refusal)(const HostParent *vf, const VgpuRequest *req);
    /* How an operator clears a type someone else gave the VF ("write 0 to
     * its nvidia/current_vgpu_type"); NULL when there is nothing to clear. */
    const char *clear;
} VfBackend;

/* A device is named by @id: an mdev by its UUID, a whole VF by its PCI
 * address. A parent is where one is made: an mdev parent, or the VF. */
struct DeviceKind {
    const char *name;       /* "mdev": in messages, and the ledger's name for it */
    /* The ledger's kind field for it: NULL for mdev, as ledgers written
     * before other kinds have it. */
    const char *ledger_name;
    /* NULL for an mdev kind; a whole-VF backend's own decisions. */
    const VfBackend *vf;

    /* Add what this kind offers and holds under @root to @host: its
     * parents, with HostParent.kind set to this kind, their types, and
     * the devices that exist. Availability only for types one of
     * @requests (VgpuRequest*) could use; all when @requests is NULL. */
    int (*scan)(Host *host, const char *root, const GPtrArray *requests, GError **error);
    /* Instances of @type @parent can take, read now: the check made under
     * the host lock right before a make. -1 with @error on failure. */
    int (*available)(const char *root, const char *parent, const char *type, GError **error);
    /* What making one @type on @parent consumes, applied to @host: so the
     * next placement in the same call (the hook's next request, vgpuctl
     * check's dry run) sees it. No I/O. */
    void (*note_made)(Host *host, const char *id, const char *parent, const char *type);
    /* Make device @id of @type on @parent, verified. VGPU_SYSFS_ERROR
     * with the driver's errno on failure (ETIMEDOUT: no answer within
     * @timeout_ms; the device may still appear). */
    int (*make)(const char *root, const char *parent, const char *type, const char *id,
                guint timeout_ms, GError **error);
    /* Undo the device @id; gone already is success. */
    int (*unmake)(const char *root, const char *id, guint retries, guint retry_delay_ms,
                  guint timeout_ms, GError **error);
    /* Parent and type of the existing device @id; -1 with
     * VGPU_ERROR_NOT_FOUND when there is none. */
    int (*lookup)(const char *root, const char *id, char **parent, char **type,
                  GError **error);
};

/* Every kind, NULL-terminated, in scan order. */
extern const DeviceKind *const device_kinds[];
extern const DeviceKind device_kind_mdev;
extern const DeviceKind device_kind_nvvf;
extern const DeviceKind device_kind_plainvf;

/* A whole VF whose one type is the VF itself, asked for by gpu=. */
static inline gboolean
device_kind_by_gpu(const DeviceKind *kind)
{
    return kind && kind->vf && kind->vf->fits;
}

/* A whole VF that takes a vGPU type, asked for by profile= or type=. */
static inline gboolean
device_kind_typed_vf(const DeviceKind *kind)
{
    return kind && kind->vf && !kind->vf->fits;
}

/* The kind called @name; NULL when there is none. */
const DeviceKind *device_kind_find(const char *name);
/* The id the kind's lookup and unmake take for a request's device: the
 * UUID of an mdev, the VF (its parent) of a whole-VF device. */
const char *device_kind_device_id(const DeviceKind *kind, const char *uuid, const char *parent);
/* The kind that made a ledger's device. */
const DeviceKind *device_kind_of(const LedgerDevice *d);
/* Find device @uuid (an mdev's UUID, or a whole VF's address), whatever
 * its kind: *kind (when given), *parent and *type say what it is. -1 with
 * VGPU_ERROR_NOT_FOUND when no kind has it. */
int device_kind_lookup(const char *root, const char *uuid, const DeviceKind **kind,
                       char **parent, char **type, GError **error);
/* The same for the whole VF @addr, whatever its backend. */
int device_kind_lookup_vf(const char *root, const char *addr, char **parent, char **type,
                          GError **error);

/* When every one of @requests names its VF by a hostdev, those VFs
 * (borrowed): all a whole-VF kind's scan needs to read for them, instead
 * of every PCI device. NULL otherwise (and for no requests). */
GPtrArray *device_kind_named_vfs(const GPtrArray *requests);

/* Whole VFs that @ledgers (Ledger*) hold but sysfs cannot show as taken
 * (a plain VF has nothing to write), added to @host as devices, so that
 * what vgpuctl lists and chooses counts them as used. */
void device_kind_note_ledgers(Host *host, const GPtrArray *ledgers);

typedef enum {
    DEVICE_STATUS_ERROR = -1,   /* the lookup failed; @error set */
    DEVICE_STATUS_GONE,         /* no device with that UUID */
    DEVICE_STATUS_OURS,         /* the parent and type we recorded */
    DEVICE_STATUS_REPLACED,     /* same UUID, another device: not ours */
} DeviceStatus;

/* Is device @uuid, recorded as @type on @parent when we made it, still the
 * one we made? Release and vgpuctl gc must answer this the same way
 * before they remove anything. For REPLACED, *now_parent and *now_type
 * (when given) say what the device is now. */
DeviceStatus device_kind_check(const DeviceKind *kind, const char *root, const char *uuid,
                               const char *parent, const char *type, char **now_parent,
                               char **now_type, GError **error);

/* Take ledger device @d back for good, as vgpuctl gc does: undo it if it
 * is still the device we made (device_kind_check), leave it if it is gone
 * or now another device. Returns what was found (OURS: now undone), or
 * DEVICE_STATUS_ERROR with @error when the check or the undo failed. */
DeviceStatus device_kind_take_back(const VgpuConfig *cfg, const LedgerDevice *d,
                                   GError **error);

/* Some NVIDIA drivers (14.4, 15.x) remove an mdev themselves once its VM
 * has stopped, and a remove written before theirs leaves the GPU unusable
 * until a reboot. Waits at most @timeout_ms, all together, for @ledger's
 * devices that are still ours and could go that way (mdevs on an NVIDIA
 * parent) to vanish. Returns how many were waited for; *@left gets how
 * many are still there. */
guint device_kind_wait_self_removal(const char *root, const Ledger *ledger, guint timeout_ms,
                                    guint *left);
