/* Every sysfs path the project touches is built here, under a root that
 * stands for /sys (a mounted simulator in tests). Components are validated
 * by the callers (xml/vgpu-request.h validators) before they get here; these
 * functions still refuse '/' and ".." in a component as a last line. */
#pragma once

#include <glib.h>

char *sysfs_path_mdev_bus(const char *root);                         /* class/mdev_bus */
char *sysfs_path_parent(const char *root, const char *parent);      /* class/mdev_bus/P */
char *sysfs_path_parent_file(const char *root, const char *parent,
                             const char *file);                      /* class/mdev_bus/P/FILE */
char *sysfs_path_types(const char *root, const char *parent);       /* .../mdev_supported_types */
char *sysfs_path_type(const char *root, const char *parent,
                      const char *type);                             /* .../mdev_supported_types/TYPE */
char *sysfs_path_type_file(const char *root, const char *parent,
                           const char *type, const char *file);      /* .../TYPE/FILE */
char *sysfs_path_mdev_devices(const char *root);                     /* bus/mdev/devices */
char *sysfs_path_mdev(const char *root, const char *uuid);          /* bus/mdev/devices/U */
char *sysfs_path_mdev_file(const char *root, const char *uuid, const char *file);
char *sysfs_path_pci_device(const char *root, const char *addr);    /* bus/pci/devices/A */
char *sysfs_path_pci_file(const char *root, const char *addr, const char *file);

/* TRUE when @s is a single safe path component (no '/', not "." or "..",
 * not empty, printable). */
gboolean sysfs_component_ok(const char *s);
