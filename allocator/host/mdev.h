/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mdev kind of device (device-kind.h): mediated devices made through
 * the mdev_bus of a parent driver (NVIDIA vGPU, Intel GVT-g, mtty). */
#pragma once

#include <glib.h>
#include "host.h"

/* Write @uuid to the type's create file, then check bus/mdev/devices/UUID
 * exists. On failure the error is VGPU_SYSFS_ERROR with the driver's errno
 * (EIO, ENOSPC, EUSERS, EEXIST...), so the caller can try another parent;
 * ETIMEDOUT when the driver did not answer within @timeout_ms (the write
 * then finishes on its own and removes what it made, never leaving a
 * device nobody knows of). VGPU_ERROR_PENDING when the driver accepted the
 * write but the device did not appear: it may still, under this UUID. */
int mdev_create(const char *root, const char *parent, const char *type,
                const char *uuid, guint timeout_ms, GError **error);

/* Write "1" to the device's remove file. EBUSY and EAGAIN are retried up
 * to @retries times with @retry_delay_ms between tries; a write that
 * blocks (kernels >= 5.19 block while a VM holds the device) is abandoned
 * after @timeout_ms with VGPU_ERROR_TIMEOUT. A device already gone, or
 * ENODEV, is success; other failures are VGPU_SYSFS_ERROR with the errno. */
int mdev_remove(const char *root, const char *uuid, guint retries,
                guint retry_delay_ms, guint timeout_ms, GError **error);

/* TRUE when @parent is an NVIDIA device (PCI vendor 0x10de), whose vGPU
 * drivers (14.4, 15.x) may remove their own mdevs after the VM stops. */
gboolean mdev_parent_is_nvidia(const char *root, const char *parent);

/* Wait at most @timeout_ms for every device in @uuids (char*) to vanish,
 * looking every MDEV_GONE_POLL_MS; returns as soon as they have. The
 * number still present. */
#define MDEV_GONE_POLL_MS 100
guint mdev_wait_gone(const char *root, GPtrArray *uuids, guint timeout_ms);

/* Parent addr and type id of an existing mdev, from its links. -1 +
 * VGPU_ERROR_NOT_FOUND when it does not exist. */
int mdev_lookup(const char *root, const char *uuid, char **parent,
                char **type, GError **error);

/* The mdev parents, their types and the mdevs under @root, added to @host
 * (mdev-scan.c). */
int mdev_scan(Host *host, const char *root, const GPtrArray *requests, GError **error);
/* available_instances of one type on one parent, read now. */
int mdev_read_available(const char *root, const char *parent, const char *type,
                        GError **error);
/* What creating one mdev consumes, by the drivers' rules (mdev-kind.c). */
void mdev_note_created(Host *host, const char *uuid, const char *parent, const char *type);
