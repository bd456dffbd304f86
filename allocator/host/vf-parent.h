/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the whole-VF kinds (nvidia-vf, plain-vf) share: reading a VF's PCI
 * ids, building its HostParent, and which PCI devices a scan reads. */
#pragma once

#include "device-kind.h"

/* A PCI id file of @addr ("vendor", "device", "class") without its "0x",
 * in lower case ("0x1002" -> "1002"); NULL with @error. */
char *vf_parent_read_pci_id(const char *root, const char *addr, const char *file,
                            GError **error);
/* A parent of @kind for the VF @vf with no types yet: its GPU is @pf (the
 * VF itself, not marked a VF, when @pf is NULL), its model the GPU's
 * "vendor:device", its NUMA node the VF's (-1 when sysfs says none).
 * NULL with @error. */
HostParent *vf_parent_new(const DeviceKind *kind, const char *root, const char *vf,
                          const char *pf, GError **error);
/* The PCI addresses a whole-VF scan reads for @requests: the VFs their
 * hostdevs name when all do, else every PCI device that is not already a
 * parent in @host (an mdev parent). NULL with @error. */
GPtrArray *vf_parent_scan_names(const Host *host, const char *root,
                                const GPtrArray *requests, GError **error);
