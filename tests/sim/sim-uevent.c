/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-uevent.c: a device's uevent file, composed as the kernel's
 * dev_uevent() (drivers/base/core.c) does at read time: DRIVER= while a
 * driver holds the device, then what its bus adds. libudev takes no
 * device below /sys/devices without this file, so without it libvirt's
 * node-device driver lists none of the simulated host.
 *
 * - PCI functions: pci_uevent() (drivers/pci/pci-driver.c). The simulator
 *   models no subsystem ids: PCI_SUBSYS_ID repeats the function's own.
 * - mdevs: only DRIVER=; the mdev bus of Linux 6.1 (the real-kernel tier's
 *   mdev.ko) adds no key of its own.
 * - mtty's parent, a class device without a dev_t: an empty file.
 */
#include "sim-uevent.h"
#include "sim-pci.h"

#include <stdlib.h>

void
sim_uevent_add(SimHost *host, const char *dir, const SimAttrOwner *owner)
{
    g_autofree char *path = g_build_path("/", dir, "uevent", NULL);

    /* 0444, not the kernel's 0644: a write would ask for an event the
     * simulator cannot send. */
    sim_tree_add_attr(host->tree, path, 0444, SIM_ATTR_UEVENT, owner);
}

static char *
sim_uevent_pci(const SimPciFn *fn)
{
    const SimModel *model = fn->gpu->model;
    unsigned vendor = model->vendor;
    unsigned device = fn->is_vf && model->vf_device ? model->vf_device : fn->gpu->device_id;
    unsigned long cls = strtoul(model->pci_class, NULL, 16);
    GString *out = g_string_new(NULL);

    if (fn->driver)
        g_string_append_printf(out, "DRIVER=%s\n", fn->driver);
    g_string_append_printf(out, "PCI_CLASS=%04lX\n", cls);
    g_string_append_printf(out, "PCI_ID=%04X:%04X\n", vendor, device);
    g_string_append_printf(out, "PCI_SUBSYS_ID=%04X:%04X\n", vendor, device);
    g_string_append_printf(out, "PCI_SLOT_NAME=%s\n", fn->addr);
    g_string_append_printf(out, "MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
                           vendor, device, vendor, device, (unsigned)(cls >> 16) & 0xff,
                           (unsigned)(cls >> 8) & 0xff, (unsigned)cls & 0xff);
    return g_string_free(out, FALSE);
}

char *
sim_uevent_show(SimHost *host, SimNode *node)
{
    const SimPciFn *fn;

    if (node->owner.mdev)
        return g_strdup_printf("DRIVER=%s\n", node->owner.mdev->parent->gpu->model->mdev_driver);
    fn = node->up ? g_hash_table_lookup(host->pci_fns, node->up->name) : NULL;
    if (fn)
        return sim_uevent_pci(fn);
    return g_strdup("");
}
