/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-sysfs.h: lays the host model out as a sysfs tree: PCI functions,
 * mdev parents and their types, mdevs, IOMMU groups, the class/ and bus/
 * links, and the vgpu-sim/ control area.
 */
#pragma once

#include "sim-model.h"

#define SIM_CONTROL_DIR "vgpu-sim"

/* The skeleton and every GPU of HOST; call once after the GPUs are set up. */
void sim_sysfs_build(SimHost *host);

/* Adds a GPU's PCI functions (if any) and its mdev parents. */
void sim_sysfs_add_gpu(SimHost *host, SimGpu *gpu);

/* A vendor-specific VF's nvidia/ type files. */
void sim_sysfs_add_vf_vgpu(SimHost *host, SimParent *parent);

void sim_sysfs_add_mdev(SimHost *host, SimMdev *mdev);

/* First stage of a removal that blocks: the kernel drops remove, mdev_type
 * and the bus and type links before it waits for the device to be released. */
void sim_sysfs_unlink_mdev(SimHost *host, SimMdev *mdev);

/* Removes whatever is left of MDEV. */
void sim_sysfs_remove_mdev(SimHost *host, SimMdev *mdev);
