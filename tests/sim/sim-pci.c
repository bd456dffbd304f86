/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-pci.c: PCI driver binding as the kernel does it, which is what
 * libvirt drives for a managed PCI hostdev (virpci.c: driver_override,
 * driver/unbind, drivers_probe; back again with an empty override).
 *
 * Kernel rules copied (drivers/base/bus.c, dd.c, drivers/pci/pci-driver.c,
 * pci-sysfs.c, drivers/base/driver.c, drivers/vfio/pci/vfio_pci.c):
 * - a name is matched like sysfs_streq (one trailing newline ignored);
 *   an unknown device is ENODEV everywhere;
 * - a driver matches a device when driver_override names it, or, with no
 *   override, when its id table lists the device; vfio-pci's table is
 *   override-only, so it never claims a device by itself;
 * - bind (kernels >= 5.14, where the probe's errno reaches userspace):
 *   ENODEV unless the driver matches, EBUSY when the device has a driver,
 *   else the probe's own error (vfio-pci refuses a PF with VFs enabled
 *   with EBUSY; a driver given a device it does not know, ENODEV);
 * - unbind: ENODEV unless this driver holds the device;
 * - drivers_probe: a device with a driver is left alone; else the first
 *   matching driver whose probe succeeds takes it; probe errors are not
 *   reported (the write succeeds, the device stays unbound);
 * - driver_override: the text up to the first newline; "" or "\n" clears
 *   it; reads "(null)" when unset; PAGE_SIZE - 1 bytes or more is EINVAL.
 * A VFIO driver (vfio-pci, or nvidia for its vendor-specific VFs) gives
 * the device vfio-dev/vfioN, N the lowest free index (the kernel's ida).
 */
#include "sim-pci.h"

#include <errno.h>
#include <string.h>

#include "sim-sysfs.h"

#define SIM_PAGE_SIZE 4096
#define SIM_VFIO_MAJOR 511   /* dynamic on real hosts */

void
sim_pci_fn_free(gpointer data)
{
    SimPciFn *fn = data;

    g_free(fn->addr);
    g_free(fn->dir);
    g_free(fn->override);
    g_free(fn);
}

static const char *
sim_pci_driver_name(SimHost *host, const char *name)
{
    for (guint i = 0; i < host->pci_drivers->len; i++) {
        const char *drv = g_ptr_array_index(host->pci_drivers, i);
        if (strcmp(drv, name) == 0)
            return drv;
    }
    return NULL;
}

void
sim_pci_add_driver(SimHost *host, const char *name)
{
    g_autofree char *dir = g_build_path("/", "bus/pci/drivers", name, NULL);
    g_autofree char *bind = g_build_path("/", dir, "bind", NULL);
    g_autofree char *unbind = g_build_path("/", dir, "unbind", NULL);

    if (sim_pci_driver_name(host, name))
        return;
    g_ptr_array_add(host->pci_drivers, g_strdup(name));
    sim_tree_mkdir(host->tree, dir);
    sim_tree_add_attr(host->tree, bind, 0200, SIM_ATTR_PCI_BIND, NULL);
    sim_tree_add_attr(host->tree, unbind, 0200, SIM_ATTR_PCI_UNBIND, NULL);
}

static bool
sim_pci_is_vfio_driver(const SimPciFn *fn, const char *drv)
{
    return strcmp(drv, SIM_PCI_VFIO) == 0 ||
           (fn->is_vf && fn->gpu->model->kind == SIM_MODEL_A40_VFIO && strcmp(drv, "nvidia") == 0);
}

static int
sim_pci_free_vfio_index(SimHost *host)
{
    GHashTableIter iter;
    gpointer value;

    for (int n = 0;; n++) {
        bool used = false;

        g_hash_table_iter_init(&iter, host->pci_fns);
        while (!used && g_hash_table_iter_next(&iter, NULL, &value))
            used = ((SimPciFn *)value)->vfio_index == n;
        if (!used)
            return n;
    }
}

static char *
sim_pci_fn_path(const SimPciFn *fn, const char *name)
{
    return g_build_path("/", fn->dir, name, NULL);
}

static void
sim_pci_attach(SimHost *host, SimPciFn *fn, const char *drv)
{
    g_autofree char *drv_dir = g_build_path("/", "bus/pci/drivers", drv, NULL);
    g_autofree char *drv_link = g_build_path("/", drv_dir, fn->addr, NULL);
    g_autofree char *dev_link = sim_pci_fn_path(fn, "driver");

    fn->driver = drv;
    sim_tree_add_link(host->tree, dev_link, drv_dir);
    sim_tree_add_link(host->tree, drv_link, fn->dir);
    if (sim_pci_is_vfio_driver(fn, drv)) {
        g_autofree char *cdev = NULL;
        g_autofree char *devnum = NULL;

        fn->vfio_index = sim_pci_free_vfio_index(host);
        cdev = g_strdup_printf("%s/vfio-dev/vfio%d/dev", fn->dir, fn->vfio_index);
        devnum = g_strdup_printf("%d:%d\n", SIM_VFIO_MAJOR, fn->vfio_index);
        sim_tree_add_text(host->tree, cdev, devnum);
    }
    /* nvidia/ (the type files) is the nvidia driver's, on its VFs. */
    if (fn->gpu->model->kind == SIM_MODEL_A40_VFIO && fn->is_vf && strcmp(drv, "nvidia") == 0) {
        SimParent *parent = g_hash_table_lookup(host->parents, fn->addr);
        if (parent)
            sim_sysfs_add_vf_vgpu(host, parent);
    }
}

/* The model keeps a vendor-specific VF's type across an unbind: what the
 * real driver does with it then is not known [U]. */
static void
sim_pci_detach(SimHost *host, SimPciFn *fn)
{
    g_autofree char *drv_link = g_build_path("/", "bus/pci/drivers", fn->driver, fn->addr, NULL);
    g_autofree char *dev_link = sim_pci_fn_path(fn, "driver");
    g_autofree char *vfio = sim_pci_fn_path(fn, "vfio-dev");
    g_autofree char *nvidia = sim_pci_fn_path(fn, "nvidia");

    sim_tree_remove(host->tree, drv_link);
    sim_tree_remove(host->tree, dev_link);
    sim_tree_remove(host->tree, vfio);
    if (strcmp(fn->driver, "nvidia") == 0)
        sim_tree_remove(host->tree, nvidia);
    fn->vfio_index = -1;
    fn->driver = NULL;
}

SimPciFn *
sim_pci_add_fn(SimHost *host, SimGpu *gpu, const char *addr, const char *dir, bool is_vf,
               const char *native)
{
    SimPciFn *fn = g_new0(SimPciFn, 1);
    g_autofree char *override = NULL;

    fn->addr = g_strdup(addr);
    fn->dir = g_strdup(dir);
    fn->gpu = gpu;
    fn->is_vf = is_vf;
    fn->vfio_index = -1;
    g_hash_table_insert(host->pci_fns, fn->addr, fn);
    override = sim_pci_fn_path(fn, "driver_override");
    sim_tree_add_attr(host->tree, override, 0644, SIM_ATTR_PCI_OVERRIDE, NULL);
    if (native) {
        sim_pci_add_driver(host, native);
        fn->native = sim_pci_driver_name(host, native);
        sim_pci_attach(host, fn, fn->native);
    }
    return fn;
}

/* pci_match_device(): the override decides alone when it is set. */
static bool
sim_pci_matches(const SimPciFn *fn, const char *drv)
{
    if (fn->override)
        return strcmp(fn->override, drv) == 0;
    return fn->native && strcmp(fn->native, drv) == 0;
}

/* The driver's probe: 0 or its errno. */
static int
sim_pci_probe(const SimPciFn *fn, const char *drv)
{
    if (strcmp(drv, SIM_PCI_VFIO) == 0)
        return !fn->is_vf && fn->gpu->num_vfs > 0 ? EBUSY : 0;
    return fn->native && strcmp(fn->native, drv) == 0 ? 0 : ENODEV;
}

/* bus_find_device_by_name(): sysfs_streq on the written name. */
static SimPciFn *
sim_pci_find(SimHost *host, const char *buf, size_t len)
{
    g_autofree char *name = g_strndup(buf, len);
    size_t n = strlen(name);

    if (n && name[n - 1] == '\n')
        name[n - 1] = '\0';
    return g_hash_table_lookup(host->pci_fns, name);
}

static ssize_t
sim_pci_bind(SimHost *host, const char *drv, const char *buf, size_t len)
{
    SimPciFn *fn = sim_pci_find(host, buf, len);
    int err;

    if (!fn || !sim_pci_matches(fn, drv))
        return -ENODEV;
    if (fn->driver)
        return -EBUSY;
    if ((err = sim_pci_probe(fn, drv)))
        return -err;
    sim_pci_attach(host, fn, drv);
    return (ssize_t)len;
}

static ssize_t
sim_pci_unbind(SimHost *host, const char *drv, const char *buf, size_t len)
{
    SimPciFn *fn = sim_pci_find(host, buf, len);

    if (!fn || !fn->driver || strcmp(fn->driver, drv) != 0)
        return -ENODEV;
    sim_pci_detach(host, fn);
    return (ssize_t)len;
}

static ssize_t
sim_pci_drivers_probe(SimHost *host, const char *buf, size_t len)
{
    SimPciFn *fn = sim_pci_find(host, buf, len);

    if (!fn)
        return -ENODEV;
    for (guint i = 0; !fn->driver && i < host->pci_drivers->len; i++) {
        const char *drv = g_ptr_array_index(host->pci_drivers, i);

        if (sim_pci_matches(fn, drv) && sim_pci_probe(fn, drv) == 0)
            sim_pci_attach(host, fn, drv);
    }
    return (ssize_t)len;
}

/* driver_set_override() */
static ssize_t
sim_pci_set_override(SimPciFn *fn, const char *buf, size_t len)
{
    g_autofree char *text = NULL;
    char *nl;

    if (len >= SIM_PAGE_SIZE - 1)
        return -EINVAL;
    text = g_strndup(buf, len);
    if ((nl = strchr(text, '\n')))
        *nl = '\0';
    g_free(fn->override);
    fn->override = *text ? g_steal_pointer(&text) : NULL;
    return (ssize_t)len;
}

char *
sim_pci_show_override(SimHost *host, SimNode *node)
{
    const SimPciFn *fn = g_hash_table_lookup(host->pci_fns, node->up->name);

    return g_strdup_printf("%s\n", fn && fn->override ? fn->override : "(null)");
}

ssize_t
sim_pci_store(SimHost *host, SimNode *node, const char *buf, size_t len)
{
    const char *drv = node->up ? sim_pci_driver_name(host, node->up->name) : NULL;
    SimPciFn *fn;

    switch (node->attr) {
    case SIM_ATTR_PCI_BIND:
        return drv ? sim_pci_bind(host, drv, buf, len) : -ENODEV;
    case SIM_ATTR_PCI_UNBIND:
        return drv ? sim_pci_unbind(host, drv, buf, len) : -ENODEV;
    case SIM_ATTR_PCI_PROBE:
        return sim_pci_drivers_probe(host, buf, len);
    case SIM_ATTR_PCI_OVERRIDE:
        fn = g_hash_table_lookup(host->pci_fns, node->up->name);
        return fn ? sim_pci_set_override(fn, buf, len) : -ENODEV;
    default:
        return -EACCES;
    }
}
