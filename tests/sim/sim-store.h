/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-store.h: the kernel's store handlers for writable attributes
 * (create, remove, sriov_numvfs), and mdev life cycle in model and tree.
 * All are called with host->lock held; they return the byte count or
 * -errno, exactly what the write() returns.
 */
#pragma once

#include <sys/types.h>

#include "sim-model.h"

ssize_t sim_store_create(SimHost *host, SimNode *node, const char *buf, size_t len);

/* May drop host->lock while a busy device blocks the removal. */
ssize_t sim_store_remove(SimHost *host, SimNode *node, const char *buf, size_t len);

ssize_t sim_store_vgpu_type(SimHost *host, SimNode *node, const char *buf, size_t len);

ssize_t sim_store_sriov_numvfs(SimHost *host, SimNode *node, const char *buf, size_t len);

/* Creates an mdev past the core's checks: 0 or the driver's errno. */
int sim_mdev_create(SimHost *host, SimParent *parent, const SimType *type,
                    const char *uuid, SimMdev **out);
void sim_mdev_destroy(SimHost *host, SimMdev *mdev);
