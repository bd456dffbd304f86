/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every sysfs path the project touches is built here, under a root that
 * stands for /sys (a mounted simulator in tests). Components are validated
 * where they enter (util/vgpu-validate.h) before they get here; these
 * functions still refuse any component sysfs_component_ok() refuses, as a
 * last line: NULL with VGPU_ERROR_INVALID naming it. */
#pragma once

#include <glib.h>

/* Paths of the mdev bus and its parents' types. */
char *sysfs_path_mdev_bus(const char *root);                  /* class/mdev_bus */
char *sysfs_path_parent(const char *root, const char *parent,
                        GError **error);                      /* class/mdev_bus/P */
char *sysfs_path_parent_file(const char *root, const char *parent, const char *file,
                             GError **error);                 /* class/mdev_bus/P/FILE */
char *sysfs_path_types(const char *root, const char *parent,
                       GError **error);                       /* .../mdev_supported_types */
char *sysfs_path_type(const char *root, const char *parent, const char *type,
                      GError **error);                        /* .../mdev_supported_types/TYPE */
char *sysfs_path_type_file(const char *root, const char *parent, const char *type,
                           const char *file, GError **error); /* .../TYPE/FILE */
/* Paths of mdevs. */
char *sysfs_path_mdev_devices(const char *root);              /* bus/mdev/devices */
char *sysfs_path_mdev(const char *root, const char *uuid,
                      GError **error);                        /* bus/mdev/devices/U */
char *sysfs_path_mdev_file(const char *root, const char *uuid, const char *file,
                           GError **error);                   /* bus/mdev/devices/U/FILE */
/* Paths of PCI devices. */
char *sysfs_path_pci_device(const char *root, const char *addr,
                            GError **error);                  /* bus/pci/devices/A */
char *sysfs_path_pci_file(const char *root, const char *addr, const char *file,
                          GError **error);                    /* bus/pci/devices/A/FILE */

/* NUMA nodes. */
char *sysfs_path_numa_nodes(const char *root);                /* devices/system/node */
char *sysfs_path_numa_node_file(const char *root, const char *node, const char *file,
                                GError **error);              /* .../node/NODE/FILE */
/* NVIDIA vendor-specific VFIO: a VF's nvidia/FILE. */
char *sysfs_path_nvvf_file(const char *root, const char *vf, const char *file,
                           GError **error);                   /* bus/pci/devices/A/nvidia/FILE */
char *sysfs_path_pci_devices(const char *root);               /* bus/pci/devices */

/* Paths relative to a directory already resolved (sysfs-io.h's *_at), for
 * the scan: DEV/FILE in the directory that holds device DEV, and
 * DEV/mdev_supported_types[/TYPE/FILE] there. */
char *sysfs_rel_dev_file(const char *dev, const char *file, GError **error);
char *sysfs_rel_types(const char *dev, GError **error);
char *sysfs_rel_type_file(const char *dev, const char *type, const char *file,
                          GError **error);

/* TRUE when @s is a single safe path component (no '/', not "." or "..",
 * not empty, printable). */
gboolean sysfs_component_ok(const char *s);
