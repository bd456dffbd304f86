/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-pci.h: the kernel's PCI driver binding: which driver holds each
 * function, driver_override, the drivers' bind and unbind files and the
 * bus's drivers_probe, and what a VFIO driver adds to a device it holds.
 */
#pragma once

#include <sys/types.h>

#include "sim-model.h"

#define SIM_PCI_VFIO "vfio-pci"

typedef struct SimPciFn {
    char *addr;                /* "0000:05:02.0" */
    char *dir;                 /* its device directory below the mount */
    SimGpu *gpu;
    bool is_vf;
    const char *native;        /* the driver whose id table lists it (NULL: none) */
    const char *driver;        /* the driver holding it now (NULL: unbound) */
    char *override;            /* driver_override (NULL: none) */
    int vfio_index;            /* vfio-dev/vfioN while a VFIO driver holds it, else -1 */
} SimPciFn;

void sim_pci_fn_free(gpointer data);

/* A loaded driver: bus/pci/drivers/NAME with bind and unbind. */
void sim_pci_add_driver(SimHost *host, const char *name);

/* A PCI function as it is after boot: bound to NATIVE if that is set. */
SimPciFn *sim_pci_add_fn(SimHost *host, SimGpu *gpu, const char *addr, const char *dir,
                         bool is_vf, const char *native);

char *sim_pci_show_override(SimHost *host, SimNode *node);

/* The stores of bind, unbind, drivers_probe and driver_override. */
ssize_t sim_pci_store(SimHost *host, SimNode *node, const char *buf, size_t len);
