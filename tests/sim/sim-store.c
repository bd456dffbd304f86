/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-store.c: create and remove, in the order the kernel's mdev core
 * checks things: length, UUID syntax, duplicates host-wide, then the
 * driver (where injected faults stand in for driver failures).
 */
#include "sim-store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim-sysfs.h"

/* How often a blocked remove looks at the shutdown flag, which is set
 * from a signal handler and so cannot wake the condition itself. */
#define SIM_STOP_POLL_MS 100

int
sim_mdev_create(SimHost *host, SimParent *parent, const SimType *type,
                const char *uuid, SimMdev **out)
{
    SimMdev *mdev;
    int err = sim_driver_admit(parent, type);

    if (err)
        return err;
    mdev = g_new0(SimMdev, 1);
    g_strlcpy(mdev->uuid, uuid, sizeof(mdev->uuid));
    mdev->parent = parent;
    mdev->type = type;
    mdev->serial = ++host->next_serial;
    sim_driver_charge(parent, type);
    g_hash_table_insert(host->mdevs, mdev->uuid, mdev);
    sim_sysfs_add_mdev(host, mdev);
    if (out)
        *out = mdev;
    return 0;
}

void
sim_mdev_destroy(SimHost *host, SimMdev *mdev)
{
    sim_sysfs_remove_mdev(host, mdev);
    sim_driver_release(mdev->parent, mdev->type);
    g_hash_table_remove(host->mdevs, mdev->uuid);
}

/* The create_appear_ms fault: the store said yes, the device comes now. */
static void
sim_mdev_appear(SimHost *host, const SimLaterArgs *args)
{
    int err;

    if (g_hash_table_contains(host->mdevs, args->uuid))
        return;
    if ((err = sim_mdev_create(host, args->parent, args->type, args->uuid, NULL)))
        g_printerr("vgpu-sim: late create of %s: %s\n", args->uuid, g_strerror(err));
}

ssize_t
sim_store_create(SimHost *host, SimNode *node, const char *buf, size_t len)
{
    char uuid[SIM_UUID_LEN + 1];
    int err;

    if (len != SIM_UUID_LEN && len != SIM_UUID_LEN + 1)
        return -EINVAL;
    if (!sim_uuid_parse(buf, len, uuid))
        return -EINVAL;
    if (g_hash_table_contains(host->mdevs, uuid))
        return -EEXIST;
    host->stores_create++;
    err = sim_faults_on_create(&host->faults);
    if (!err && host->faults.create_appear_ms) {
        SimLaterArgs late = { .parent = node->owner.parent, .type = node->owner.type };

        if ((err = sim_driver_admit(node->owner.parent, node->owner.type)))
            return -err;
        g_strlcpy(late.uuid, uuid, sizeof(late.uuid));
        sim_later(host, host->faults.create_appear_ms, sim_mdev_appear, &late);
        return (ssize_t)len;
    }
    if (!err)
        err = sim_mdev_create(host, node->owner.parent, node->owner.type, uuid, NULL);
    return err ? -err : (ssize_t)len;
}

/* kstrtoul(buf, 0, ...): one optional trailing newline, no other slack. */
static gboolean
sim_parse_kstrtoul(const char *buf, size_t len, unsigned long *out)
{
    char tmp[32];
    char *end;

    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len == 0 || len >= sizeof(tmp))
        return FALSE;
    memcpy(tmp, buf, len);
    tmp[len] = '\0';
    if (!g_ascii_isdigit(tmp[0]) && tmp[0] != '+')
        return FALSE;
    errno = 0;
    *out = strtoul(tmp, &end, 0);
    return errno == 0 && *end == '\0';
}

static bool
sim_host_stopping(SimHost *host)
{
    return host->stopping && host->stopping();
}

/* Waits, without the lock, until MDEV is idle or the GPU's bound passes. */
static void
sim_mdev_wait_idle(SimHost *host, SimMdev *mdev)
{
    unsigned bound_ms = mdev->parent->gpu->remove_block_ms;
    gint64 deadline = bound_ms ? g_get_monotonic_time() + bound_ms * G_TIME_SPAN_MILLISECOND
                               : G_MAXINT64;

    while (mdev->busy && !sim_host_stopping(host)) {
        gint64 now = g_get_monotonic_time();

        if (now >= deadline)
            break;
        g_cond_wait_until(&host->changed, &host->lock,
                          MIN(deadline, now + SIM_STOP_POLL_MS * G_TIME_SPAN_MILLISECOND));
    }
}

ssize_t
sim_store_remove(SimHost *host, SimNode *node, const char *buf, size_t len)
{
    SimMdev *mdev = node->owner.mdev;
    unsigned long val;
    int err;

    if (!sim_parse_kstrtoul(buf, len, &val))
        return -EINVAL;
    if (val == 0)
        return (ssize_t)len;
    if (mdev->removing)
        return -EAGAIN;
    host->stores_remove++;
    /* Removing what the driver is about to remove itself breaks the GPU. */
    if (mdev->self_removing)
        mdev->parent->gpu->wedged = true;
    err = sim_faults_on_remove(&host->faults);
    if (err)
        return -err;

    if (mdev->busy) {
        if (mdev->parent->gpu->remove_mode == SIM_REMOVE_EBUSY)
            return -EBUSY;
        /* NODE goes away here: do not touch it after this point. */
        mdev->removing = true;
        sim_sysfs_unlink_mdev(host, mdev);
        sim_mdev_wait_idle(host, mdev);
    }
    sim_mdev_destroy(host, mdev);
    return (ssize_t)len;
}

ssize_t
sim_store_sriov_numvfs(SimHost *host, SimNode *node, const char *buf, size_t len)
{
    unsigned long val;

    if (!sim_parse_kstrtoul(buf, len, &val))
        return -EINVAL;
    /* The VF count is the scenario's; changing it is refused like a
     * kernel does while VFs are enabled. */
    return val == node->owner.gpu->num_vfs ? (ssize_t)len : -EBUSY;
}

/* NVIDIA vGPU 17+: current_vgpu_type.  A type goes only onto a VF
 * without one, 0 only onto a VF with one (EPERM otherwise, as in the
 * shipping driver); 0 fails with EBUSY while QEMU holds the VF. */
ssize_t
sim_store_vgpu_type(SimHost *host, SimNode *node, const char *buf, size_t len)
{
    SimParent *parent = node->owner.parent;
    const SimType *type;
    unsigned long val;
    int err;

    if (!sim_parse_kstrtoul(buf, len, &val) || val > G_MAXUINT)
        return -EINVAL;
    if (val == 0) {
        if (!parent->vf_type)
            return -EPERM;
        if (parent->vf_open)
            return -EBUSY;
        err = sim_faults_on_remove(&host->faults);
        if (err)
            return -err;
        if (host->faults.clear_ignored) {
            host->faults.clear_ignored--;
            return (ssize_t)len;
        }
        sim_driver_release(parent, parent->vf_type);
        parent->vf_type = NULL;
        return (ssize_t)len;
    }
    if (parent->vf_type)
        return -EPERM;
    type = sim_gpu_find_type_number(parent->gpu, (unsigned)val);
    if (!type)
        return -EINVAL;
    err = sim_vf_type_admit(parent, type);
    if (!err)
        err = sim_faults_on_create(&host->faults);
    if (err)
        return -err;
    if (host->faults.set_ignored) {
        host->faults.set_ignored--;
        return (ssize_t)len;
    }
    sim_driver_charge(parent, type);
    parent->vf_type = type;
    return (ssize_t)len;
}
