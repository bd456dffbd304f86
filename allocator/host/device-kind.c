/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The list of device kinds, and the questions asked the same way of each. */
#include "device-kind.h"
#include "mdev.h"
#include "vgpu-error.h"

#include <string.h>

const DeviceKind *const device_kinds[] = {
    &device_kind_mdev,
    &device_kind_nvvf,
    &device_kind_plainvf,
    NULL,
};

const DeviceKind *
device_kind_find(const char *name)
{
    for (guint i = 0; device_kinds[i]; i++) {
        if (g_strcmp0(device_kinds[i]->name, name) == 0)
            return device_kinds[i];
    }
    return NULL;
}

const DeviceKind *
device_kind_of(const LedgerDevice *d)
{
    /* Ledgers from before whole VFs have no kind: mdev. An unknown kind
     * cannot be unmade by this build; treat it as mdev's lookup would
     * (not found), never as another kind. */
    const DeviceKind *kind = d->kind ? device_kind_find(d->kind) : &device_kind_mdev;

    return kind ? kind : &device_kind_mdev;
}

int
device_kind_lookup(const char *root, const char *uuid, const DeviceKind **kind, char **parent,
                   char **type, GError **error)
{
    for (guint i = 0; device_kinds[i]; i++) {
        g_autoptr(GError) err = NULL;

        if (device_kinds[i]->lookup(root, uuid, parent, type, &err) == 0) {
            if (kind)
                *kind = device_kinds[i];
            return 0;
        }
        if (!g_error_matches(err, VGPU_ERROR, VGPU_ERROR_NOT_FOUND) || !device_kinds[i + 1]) {
            g_propagate_error(error, g_steal_pointer(&err));
            return -1;
        }
    }
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "device %s does not exist", uuid);
    return -1;
}

DeviceStatus
device_kind_check(const DeviceKind *kind, const char *root, const char *uuid,
                  const char *parent, const char *type, char **now_parent, char **now_type,
                  GError **error)
{
    g_autofree char *is_parent = NULL, *is_type = NULL;
    g_autoptr(GError) err = NULL;

    if (kind->lookup(root, uuid, &is_parent, &is_type, &err) < 0) {
        if (!g_error_matches(err, VGPU_ERROR, VGPU_ERROR_NOT_FOUND)) {
            g_propagate_error(error, g_steal_pointer(&err));
            return DEVICE_STATUS_ERROR;
        }
        return DEVICE_STATUS_GONE;
    }
    /* Same UUID, another device: someone made it after ours went. */
    if (g_strcmp0(is_parent, parent) != 0 || g_strcmp0(is_type, type) != 0) {
        if (now_parent)
            *now_parent = g_steal_pointer(&is_parent);
        if (now_type)
            *now_type = g_steal_pointer(&is_type);
        return DEVICE_STATUS_REPLACED;
    }
    return DEVICE_STATUS_OURS;
}

DeviceStatus
device_kind_take_back(const VgpuConfig *cfg, const LedgerDevice *d, GError **error)
{
    const DeviceKind *kind = device_kind_of(d);
    const char *id = device_kind_device_id(kind, d->uuid, d->parent);
    DeviceStatus st = device_kind_check(kind, cfg->sysfs_root, id, d->parent, d->type, NULL,
                                        NULL, error);

    if (st == DEVICE_STATUS_OURS &&
        kind->unmake(cfg->sysfs_root, id, cfg->remove_retries, cfg->remove_retry_delay_ms,
                     cfg->remove_timeout_ms, error) < 0)
        return DEVICE_STATUS_ERROR;
    return st;
}

guint
device_kind_wait_self_removal(const char *root, const Ledger *ledger, guint timeout_ms,
                              guint *left)
{
    g_autoptr(GPtrArray) waited = g_ptr_array_new();

    *left = 0;
    if (timeout_ms == 0)
        return 0;
    for (guint i = 0; i < ledger->devices->len; i++) {
        const LedgerDevice *d = ledger->devices->pdata[i];

        if (device_kind_of(d) == &device_kind_mdev &&
            device_kind_check(&device_kind_mdev, root, d->uuid, d->parent, d->type, NULL, NULL,
                              NULL) == DEVICE_STATUS_OURS &&
            mdev_parent_is_nvidia(root, d->parent))
            g_ptr_array_add(waited, d->uuid);
    }
    if (waited->len)
        *left = mdev_wait_gone(root, waited, timeout_ms);
    return waited->len;
}

const char *
device_kind_device_id(const DeviceKind *kind, const char *uuid, const char *parent)
{
    return kind->vf ? parent : uuid;
}

int
device_kind_lookup_vf(const char *root, const char *addr, char **parent, char **type,
                      GError **error)
{
    for (guint i = 0; device_kinds[i]; i++) {
        if (device_kinds[i]->vf &&
            device_kinds[i]->lookup(root, addr, parent, type, NULL) == 0)
            return 0;
    }
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "no VF %s", addr);
    return -1;
}

void
device_kind_note_ledgers(Host *host, const GPtrArray *ledgers)
{
    for (guint i = 0; ledgers && i < ledgers->len; i++) {
        const Ledger *l = g_ptr_array_index(ledgers, i);

        for (guint k = 0; k < l->devices->len; k++) {
            const LedgerDevice *d = g_ptr_array_index(l->devices, k);
            const DeviceKind *kind = device_kind_of(d);
            HostParent *vf = host_find_parent(host, d->parent);

            if (kind->vf && vf && vf->kind == kind &&
                !host_find_device(host, d->parent))
                kind->note_made(host, d->parent, d->parent, d->type);
        }
    }
}

GPtrArray *
device_kind_named_vfs(const GPtrArray *requests)
{
    GPtrArray *vfs;

    if (!requests || requests->len == 0)
        return NULL;
    vfs = g_ptr_array_new();
    for (guint i = 0; i < requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(requests, i);

        if (!req->vf) {
            g_ptr_array_unref(vfs);
            return NULL;
        }
        g_ptr_array_add(vfs, req->vf);
    }
    return vfs;
}
