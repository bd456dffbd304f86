/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Making, removing and identifying one mdev through sysfs. */
#include "mdev.h"
#include "bounded-write.h"
#include "pci-name.h"
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "vgpu-error.h"

#include <errno.h>
#include <sys/stat.h>

static gboolean
path_exists(const char *path)
{
    struct stat st;

    /* lstat: the bus entry is a link, and its presence is the answer. */
    return lstat(path, &st) == 0;
}

int
mdev_create(const char *root, const char *parent, const char *type, const char *uuid,
            guint timeout_ms, GError **error)
{
    g_autofree char *create = NULL, *dev = NULL, *undo = NULL;
    g_autofree char *line = NULL;
    g_autoptr(GError) err = NULL;

    if (!(create = sysfs_path_type_file(root, parent, type, "create", &err)) ||
        !(dev = sysfs_path_mdev(root, uuid, &err)) ||
        !(undo = sysfs_path_mdev_file(root, uuid, "remove", &err))) {
        g_propagate_prefixed_error(error, g_steal_pointer(&err),
                                   "creating %s of type %s on %s: ", uuid, type, parent);
        return -1;
    }
    line = g_strdup_printf("%s\n", uuid);
    if (bounded_write(create, line, undo, timeout_ms, &err) < 0) {
        /* ETIMEDOUT, like a driver's own errno: the caller decides on
         * the code whether another parent is worth a try. */
        if (g_error_matches(err, VGPU_ERROR, VGPU_ERROR_TIMEOUT))
            g_set_error(error, VGPU_SYSFS_ERROR, ETIMEDOUT,
                        "creating %s of type %s on %s: the driver did not answer within %u ms",
                        uuid, type, parent, timeout_ms);
        else
            vgpu_error_set_errno(error, err->code, "creating %s of type %s on %s",
                                 uuid, type, parent);
        return -1;
    }
    if (!path_exists(dev)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_PENDING,
                    "creating %s of type %s on %s: created but %s did not appear",
                    uuid, type, parent, dev);
        return -1;
    }
    return 0;
}

int
mdev_remove(const char *root, const char *uuid, guint retries, guint retry_delay_ms,
            guint timeout_ms, GError **error)
{
    g_autofree char *dev = NULL, *remove = NULL;
    int err = 0;

    if (!(dev = sysfs_path_mdev(root, uuid, error)) ||
        !(remove = sysfs_path_mdev_file(root, uuid, "remove", error))) {
        g_prefix_error(error, "removing a device: ");
        return -1;
    }
    for (guint attempt = 0; attempt <= retries; attempt++) {
        g_autoptr(GError) werr = NULL;

        if (attempt > 0)
            g_usleep((gulong)retry_delay_ms * 1000);
        if (!path_exists(dev))
            return 0;
        if (bounded_write(remove, "1", NULL, timeout_ms, &werr) < 0 &&
            g_error_matches(werr, VGPU_ERROR, VGPU_ERROR_TIMEOUT)) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_TIMEOUT,
                        "removing %s: the driver did not release it within %u ms",
                        uuid, timeout_ms);
            return -1;
        }
        err = werr ? werr->code : 0;
        /* ENODEV is the kernel saying the device is gone; ENOENT (no remove
         * file) is only gone if the device went with it. */
        if (err == ENODEV || (err == ENOENT && !path_exists(dev)))
            return 0;
        /* A write that succeeded normally takes the device with it; if the
         * device is still there, look again after the delay. */
        if (err == 0 && !path_exists(dev))
            return 0;
        if (err != 0 && err != EBUSY && err != EAGAIN)
            break;
    }
    if (err == 0) {
        g_set_error(error, VGPU_SYSFS_ERROR, EBUSY,
                    "removing %s: still present after %u tries", uuid, retries + 1);
        return -1;
    }
    if (err == EBUSY || err == EAGAIN)
        vgpu_error_set_errno(error, err, "removing %s (%u tries)", uuid, retries + 1);
    else
        vgpu_error_set_errno(error, err, "removing %s", uuid);
    return -1;
}

gboolean
mdev_parent_is_nvidia(const char *root, const char *parent)
{
    g_autofree char *path = sysfs_path_parent_file(root, parent, "vendor", NULL);
    g_autofree char *vendor = NULL;

    /* No vendor file (mtty, a parent gone): not NVIDIA. */
    if (!path || sysfs_read_attr_optional(path, &vendor, NULL) < 0 || !vendor)
        return FALSE;
    return host_vendor_is_nvidia(vendor);
}

static guint
count_present(const char *root, GPtrArray *uuids)
{
    guint n = 0;

    for (guint i = 0; i < uuids->len; i++) {
        g_autofree char *dev = sysfs_path_mdev(root, uuids->pdata[i], NULL);

        n += dev && path_exists(dev);
    }
    return n;
}

guint
mdev_wait_gone(const char *root, GPtrArray *uuids, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    guint left;

    while ((left = count_present(root, uuids)) > 0) {
        gint64 now = g_get_monotonic_time();

        if (now >= deadline)
            break;
        g_usleep((gulong)MIN(deadline - now, (gint64)MDEV_GONE_POLL_MS * 1000));
    }
    return left;
}

int
mdev_lookup(const char *root, const char *uuid, char **parent, char **type,
            GError **error)
{
    g_autofree char *dev = NULL, *type_link = NULL;
    g_autofree char *target = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *parent_name = NULL;
    g_autofree char *type_name = NULL;
    g_autoptr(GError) local = NULL;

    if (!(dev = sysfs_path_mdev(root, uuid, error)) ||
        !(type_link = sysfs_path_mdev_file(root, uuid, "mdev_type", error))) {
        g_prefix_error(error, "looking up a device: ");
        return -1;
    }
    if (!(target = sysfs_read_link(dev, &local))) {
        if (sysfs_error_is_absent(local))
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "mdev %s does not exist", uuid);
        else
            g_propagate_error(error, g_steal_pointer(&local));
        return -1;
    }
    /* ".../0000:e8:00.4/<uuid>": the parent is the directory holding it. */
    dir = g_path_get_dirname(target);
    parent_name = g_path_get_basename(dir);
    if (!sysfs_component_ok(parent_name)) {
        g_set_error(error, VGPU_SYSFS_ERROR, EINVAL,
                    "mdev %s: link %s points to '%s', not into a parent device",
                    uuid, dev, target);
        return -1;
    }
    if (!(type_name = sysfs_read_link_name(type_link, error)))
        return -1;
    if (parent)
        *parent = g_steal_pointer(&parent_name);
    if (type)
        *type = g_steal_pointer(&type_name);
    return 0;
}
