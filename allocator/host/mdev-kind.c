/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mdev kind: its entry in the device-kind table, and its model of what
 * a create consumes, which the hook and vgpuctl check's dry run share.
 *
 * What a driver does beyond this model (how one GVT-g or mtty device
 * shrinks the other types of its shared pool, GVT-g's 7-vGPU limit) is
 * left to the driver's own available_instances, read afresh before each
 * create. */
#include "device-kind.h"
#include "mdev.h"

#include <string.h>

void
mdev_note_created(Host *host, const char *uuid, const char *addr, const char *type_id)
{
    HostParent *parent = host_find_parent(host, addr);
    const HostType *made = parent ? host_parent_find_type(parent, type_id) : NULL;
    int max_instance = made ? made->max_instance : -1;
    guint on_gpu;

    host_add_device(host, uuid, addr, type_id);
    if (!parent)
        return;
    on_gpu = host_gpu_device_count(host, parent->gpu, type_id);
    for (guint i = 0; i < host->parents->len; i++) {
        HostParent *p = g_ptr_array_index(host->parents, i);

        if (strcmp(p->gpu, parent->gpu) != 0)
            continue;
        for (guint k = 0; k < p->types->len; k++) {
            HostType *t = g_ptr_array_index(p->types, k);
            gboolean same = strcmp(t->id, type_id) == 0;

            /* A VF holds one vGPU; any other parent loses one instance. */
            if (p == parent && t->available > 0)
                t->available = parent->is_vf ? 0 : same ? t->available - 1 : t->available;
            if (!host_parent_holds_one_type(p) || t->available <= 0)
                continue;
            /* NVIDIA: one type per GPU, at most max_instance of it. */
            if (!same || (max_instance >= 0 && on_gpu >= (guint)max_instance))
                t->available = 0;
        }
    }
}

const DeviceKind device_kind_mdev = {
    .name = "mdev",
    .ledger_name = NULL,
    .scan = mdev_scan,
    .available = mdev_read_available,
    .note_made = mdev_note_created,
    .make = mdev_create,
    .unmake = mdev_remove,
    .lookup = mdev_lookup,
};
