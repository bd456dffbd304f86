/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-sysfs.c: where things live in the simulated /sys.
 *
 * All links are created from root-relative paths and stored relative to
 * their own directory (see sim_tree_add_link), so they resolve exactly
 * like kernfs links, including when the tree is bind-mounted over /sys.
 */
#include "sim-sysfs.h"
#include "sim-pci.h"
#include "sim-uevent.h"

#include <stdlib.h>

static void
sim_sysfs_text(SimTree *tree, const char *dir, const char *name, const char *text)
{
    g_autofree char *path = g_build_path("/", dir, name, NULL);

    sim_tree_add_text(tree, path, text);
}

static void
sim_sysfs_link(SimTree *tree, const char *dir, const char *name, const char *target)
{
    g_autofree char *path = g_build_path("/", dir, name, NULL);

    sim_tree_add_link(tree, path, target);
}

static char *
sim_iommu_group_dir(unsigned group)
{
    return g_strdup_printf("kernel/iommu_groups/%u", group);
}

/* Puts the device at DEV_PATH into a new IOMMU group. */
static unsigned
sim_sysfs_add_to_new_group(SimHost *host, const char *dev_path, const char *dev_name)
{
    unsigned group = host->next_iommu_group++;
    g_autofree char *group_dir = sim_iommu_group_dir(group);
    g_autofree char *devices = g_build_path("/", group_dir, "devices", NULL);

    sim_sysfs_link(host->tree, devices, dev_name, dev_path);
    sim_sysfs_link(host->tree, dev_path, "iommu_group", group_dir);
    return group;
}

/* The config space libvirt reads before it accepts a PCI hostdev: the ids
 * and class bytes, kept in the node's text, laid out by sim_attr_show. */
static void
sim_sysfs_add_config(SimTree *tree, const char *dir, unsigned vendor, unsigned device,
                     const char *pci_class)
{
    g_autofree char *path = g_build_path("/", dir, "config", NULL);
    unsigned long cls = strtoul(pci_class, NULL, 16);
    SimNode *node = sim_tree_add_attr(tree, path, 0644, SIM_ATTR_PCI_CONFIG, NULL);

    node->text = g_malloc0(8);
    node->text[0] = (char)(vendor & 0xff);
    node->text[1] = (char)(vendor >> 8);
    node->text[2] = (char)(device & 0xff);
    node->text[3] = (char)(device >> 8);
    node->text[5] = (char)(cls & 0xff);
    node->text[6] = (char)((cls >> 8) & 0xff);
    node->text[7] = (char)((cls >> 16) & 0xff);
}

static void
sim_sysfs_add_pci_function(SimHost *host, SimGpu *gpu, const char *addr, bool is_vf)
{
    const SimModel *model = gpu->model;
    SimTree *tree = host->tree;
    unsigned device_id = is_vf && model->vf_device ? model->vf_device : gpu->device_id;
    g_autofree char *dir = g_build_path("/", gpu->dev_dir, addr, NULL);
    g_autofree char *vendor = g_strdup_printf("0x%04x\n", model->vendor);
    g_autofree char *device = g_strdup_printf("0x%04x\n", device_id);
    g_autofree char *pci_class = g_strdup_printf("%s\n", model->pci_class);
    g_autofree char *numa = g_strdup_printf("%d\n", gpu->numa_node);

    sim_tree_mkdir(tree, dir);
    sim_sysfs_text(tree, dir, "vendor", vendor);
    sim_sysfs_text(tree, dir, "device", device);
    sim_sysfs_text(tree, dir, "class", pci_class);
    sim_sysfs_text(tree, dir, "numa_node", numa);
    sim_sysfs_link(tree, dir, "subsystem", "bus/pci");
    sim_sysfs_add_config(tree, dir, model->vendor, device_id, model->pci_class);
    sim_uevent_add(host, dir, NULL);
    sim_sysfs_link(tree, "bus/pci/devices", addr, dir);
    sim_sysfs_add_to_new_group(host, dir, addr);
    /* Bound as after boot; vfio-dev/ and nvidia/ come with the driver. */
    sim_pci_add_fn(host, gpu, addr, dir, is_vf,
                   !is_vf ? model->pci_driver : gpu->vf_driver ? gpu->vf_driver : model->vf_driver);
}

static void
sim_sysfs_add_sriov(SimHost *host, SimGpu *gpu)
{
    SimTree *tree = host->tree;
    g_autofree char *pf_dir = g_build_path("/", gpu->dev_dir, gpu->address, NULL);
    g_autofree char *total = g_strdup_printf("%u\n", gpu->model->total_vfs);
    g_autofree char *numvfs = g_build_path("/", pf_dir, "sriov_numvfs", NULL);
    SimAttrOwner owner = { .gpu = gpu };

    sim_sysfs_text(tree, pf_dir, "sriov_totalvfs", total);
    sim_tree_add_attr(tree, numvfs, 0644, SIM_ATTR_SRIOV_NUMVFS, &owner);

    for (guint i = 0; i < gpu->vf_addresses->len; i++) {
        const char *vf = g_ptr_array_index(gpu->vf_addresses, i);
        g_autofree char *vf_dir = g_build_path("/", gpu->dev_dir, vf, NULL);
        g_autofree char *virtfn = g_strdup_printf("virtfn%u", i);

        sim_sysfs_add_pci_function(host, gpu, vf, true);
        sim_sysfs_link(tree, pf_dir, virtfn, vf_dir);
        sim_sysfs_link(tree, vf_dir, "physfn", pf_dir);
    }
}

static void
sim_sysfs_add_type(SimHost *host, SimParent *parent, const SimType *type)
{
    SimTree *tree = host->tree;
    g_autofree char *dir = g_build_path("/", parent->dir, "mdev_supported_types",
                                        type->id, NULL);
    g_autofree char *available = g_build_path("/", dir, "available_instances", NULL);
    g_autofree char *create = g_build_path("/", dir, "create", NULL);
    g_autofree char *devices = g_build_path("/", dir, "devices", NULL);
    g_autofree char *name = g_strdup_printf("%s\n", type->name);
    SimAttrOwner owner = { .gpu = parent->gpu, .parent = parent, .type = type };

    sim_tree_add_attr(tree, create, 0200, SIM_ATTR_CREATE, &owner);
    sim_sysfs_text(tree, dir, "name", name);
    if (type->description)
        sim_sysfs_text(tree, dir, "description", type->description);
    sim_tree_add_attr(tree, available, 0444, SIM_ATTR_AVAILABLE, &owner);
    sim_sysfs_text(tree, dir, "device_api", "vfio-pci\n");
    sim_tree_mkdir(tree, devices);
}

/* NVIDIA vGPU 17+ without mdev: the type is a file of the VF, shown
 * while the nvidia driver holds it (sim-pci.c). */
void
sim_sysfs_add_vf_vgpu(SimHost *host, SimParent *parent)
{
    g_autofree char *creatable = g_build_path("/", parent->dir, "nvidia",
                                              "creatable_vgpu_types", NULL);
    g_autofree char *current = g_build_path("/", parent->dir, "nvidia",
                                            "current_vgpu_type", NULL);
    SimAttrOwner owner = { .gpu = parent->gpu, .parent = parent };

    sim_tree_add_attr(host->tree, creatable, 0444, SIM_ATTR_VGPU_CREATABLE, &owner);
    sim_tree_add_attr(host->tree, current, 0644, SIM_ATTR_VGPU_CURRENT, &owner);
}

static void
sim_sysfs_add_parent(SimHost *host, SimParent *parent)
{
    GPtrArray *types = parent->gpu->types;

    if (!parent->gpu->model->mdev_driver)
        return;
    sim_tree_mkdir(host->tree, parent->dir);
    /* A PCI parent has its own already; mtty's is a class device. */
    if (!parent->gpu->address)
        sim_uevent_add(host, parent->dir, NULL);
    for (guint i = 0; i < types->len; i++)
        sim_sysfs_add_type(host, parent, g_ptr_array_index(types, i));
    sim_sysfs_link(host->tree, "class/mdev_bus", parent->name, parent->dir);
}

void
sim_sysfs_add_gpu(SimHost *host, SimGpu *gpu)
{
    if (gpu->model->mdev_driver) {
        g_autofree char *mdev_driver = g_build_path("/", "bus/mdev/drivers",
                                                    gpu->model->mdev_driver, NULL);
        sim_tree_mkdir(host->tree, mdev_driver);
    }
    if (gpu->address) {
        sim_sysfs_add_pci_function(host, gpu, gpu->address, false);
        if (gpu->model->total_vfs)
            sim_sysfs_add_sriov(host, gpu);
    }
    for (guint i = 0; i < gpu->parents->len; i++) {
        SimParent *parent = g_ptr_array_index(gpu->parents, i);

        sim_sysfs_add_parent(host, parent);
        /* mtty is a virtual device that also shows up in its own class,
         * its subsystem (libvirt names its node device mtty_mtty). */
        if (gpu->model->kind == SIM_MODEL_MTTY) {
            sim_sysfs_link(host->tree, "class/mtty", parent->name, parent->dir);
            sim_sysfs_link(host->tree, parent->dir, "subsystem", "class/mtty");
        }
    }
}

static void
sim_sysfs_add_control(SimHost *host)
{
    static const struct { const char *name; mode_t mode; SimAttr attr; } files[] = {
        { "control", 0200, SIM_ATTR_CONTROL },
        { "stats", 0444, SIM_ATTR_STATS },
        { "mdevs", 0444, SIM_ATTR_MDEVS },
        { "faults", 0444, SIM_ATTR_FAULTS },
        { "mig", 0444, SIM_ATTR_MIG },
        { "vfs", 0444, SIM_ATTR_VFS },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_path("/", SIM_CONTROL_DIR, files[i].name, NULL);
        sim_tree_add_attr(host->tree, path, files[i].mode, files[i].attr, NULL);
    }
}

/* NUMA nodes: as many as the GPUs name (at least one), each with
 * SIM_CPUS_PER_NODE CPUs in order, node N holding N*16 to N*16+15: what
 * the kernel shows in devices/system/node on a plain two-socket host. */
#define SIM_CPUS_PER_NODE 16

static void
sim_sysfs_add_nodes(SimHost *host)
{
    int max = 0;
    g_autoptr(GString) online = g_string_new(NULL);

    for (guint i = 0; i < host->gpus->len; i++)
        max = MAX(max, ((SimGpu *)g_ptr_array_index(host->gpus, i))->numa_node);
    for (int n = 0; n <= max; n++) {
        g_autofree char *dir = g_strdup_printf("devices/system/node/node%d", n);
        g_autofree char *cpus = g_strdup_printf("%d-%d\n", n * SIM_CPUS_PER_NODE,
                                                (n + 1) * SIM_CPUS_PER_NODE - 1);

        sim_tree_mkdir(host->tree, dir);
        sim_sysfs_text(host->tree, dir, "cpulist", cpus);
    }
    g_string_printf(online, max ? "0-%d\n" : "0\n", max);
    sim_sysfs_text(host->tree, "devices/system/node", "online", online->str);
}

void
sim_sysfs_build(SimHost *host)
{
    static const char *const skeleton[] = {
        "bus/pci/devices", "bus/pci/drivers", "devices", "kernel/iommu_groups",
    };
    static const char *const mdev_skeleton[] = {
        "class/mdev_bus", "bus/mdev/devices", "bus/mdev/drivers",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(skeleton); i++)
        sim_tree_mkdir(host->tree, skeleton[i]);
    sim_tree_add_attr(host->tree, "bus/pci/drivers_probe", 0200, SIM_ATTR_PCI_PROBE, NULL);
    /* vfio-pci loaded, so that libvirt needs no modprobe. */
    sim_pci_add_driver(host, SIM_PCI_VFIO);
    /* Without an mdev driver loaded the kernel shows no mdev_bus class:
     * a vendor-specific NVIDIA host, or AMD/Intel SR-IOV only. */
    for (guint i = 0; i < host->gpus->len; i++) {
        const SimGpu *gpu = g_ptr_array_index(host->gpus, i);
        if (gpu->model->mdev_driver) {
            for (size_t j = 0; j < G_N_ELEMENTS(mdev_skeleton); j++)
                sim_tree_mkdir(host->tree, mdev_skeleton[j]);
            break;
        }
    }
    for (guint i = 0; i < host->gpus->len; i++)
        sim_sysfs_add_gpu(host, g_ptr_array_index(host->gpus, i));
    sim_sysfs_add_nodes(host);
    sim_sysfs_add_control(host);
}

static char *
sim_mdev_dir(const SimMdev *mdev)
{
    return g_build_path("/", mdev->parent->dir, mdev->uuid, NULL);
}

static char *
sim_mdev_type_dir(const SimMdev *mdev)
{
    return g_build_path("/", mdev->parent->dir, "mdev_supported_types", mdev->type->id, NULL);
}

static char *
sim_mdev_driver_dir(const SimMdev *mdev)
{
    return g_build_path("/", "bus/mdev/drivers", mdev->parent->gpu->model->mdev_driver, NULL);
}

void
sim_sysfs_add_mdev(SimHost *host, SimMdev *mdev)
{
    SimTree *tree = host->tree;
    g_autofree char *dir = sim_mdev_dir(mdev);
    g_autofree char *type_dir = sim_mdev_type_dir(mdev);
    g_autofree char *type_devices = g_build_path("/", type_dir, "devices", NULL);
    g_autofree char *driver = sim_mdev_driver_dir(mdev);
    g_autofree char *remove = g_build_path("/", dir, "remove", NULL);
    SimAttrOwner owner = { .gpu = mdev->parent->gpu, .parent = mdev->parent,
                           .type = mdev->type, .mdev = mdev };

    sim_tree_mkdir(tree, dir);
    sim_tree_add_attr(tree, remove, 0200, SIM_ATTR_REMOVE, &owner);
    sim_uevent_add(host, dir, &owner);
    sim_sysfs_link(tree, dir, "mdev_type", type_dir);
    sim_sysfs_link(tree, dir, "subsystem", "bus/mdev");
    sim_sysfs_link(tree, dir, "driver", driver);
    sim_sysfs_link(tree, driver, mdev->uuid, dir);
    sim_sysfs_link(tree, type_devices, mdev->uuid, dir);
    sim_sysfs_link(tree, "bus/mdev/devices", mdev->uuid, dir);
    mdev->iommu_group = sim_sysfs_add_to_new_group(host, dir, mdev->uuid);
}

static void
sim_tree_remove_in(SimTree *tree, const char *dir, const char *name)
{
    g_autofree char *path = g_build_path("/", dir, name, NULL);

    sim_tree_remove(tree, path);
}

void
sim_sysfs_unlink_mdev(SimHost *host, SimMdev *mdev)
{
    g_autofree char *dir = sim_mdev_dir(mdev);
    g_autofree char *type_dir = sim_mdev_type_dir(mdev);
    g_autofree char *type_devices = g_build_path("/", type_dir, "devices", NULL);

    sim_tree_remove_in(host->tree, dir, "remove");
    sim_tree_remove_in(host->tree, dir, "mdev_type");
    sim_tree_remove_in(host->tree, type_devices, mdev->uuid);
    sim_tree_remove_in(host->tree, "bus/mdev/devices", mdev->uuid);
}

void
sim_sysfs_remove_mdev(SimHost *host, SimMdev *mdev)
{
    g_autofree char *dir = sim_mdev_dir(mdev);
    g_autofree char *driver = sim_mdev_driver_dir(mdev);
    g_autofree char *group_dir = sim_iommu_group_dir(mdev->iommu_group);

    sim_sysfs_unlink_mdev(host, mdev);
    sim_tree_remove_in(host->tree, driver, mdev->uuid);
    sim_tree_remove(host->tree, group_dir);
    sim_tree_remove(host->tree, dir);
}
