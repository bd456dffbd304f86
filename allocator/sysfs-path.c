#include "sysfs-path.h"

#include <string.h>

/* Longest name a sysfs directory entry can have (NAME_MAX). */
#define SYSFS_COMPONENT_MAX 255

gboolean
sysfs_component_ok(const char *s)
{
    size_t len;

    if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return FALSE;
    len = strlen(s);
    if (len > SYSFS_COMPONENT_MAX)
        return FALSE;
    for (size_t i = 0; i < len; i++) {
        /* Printable ASCII only: a control character or a byte of a
         * multibyte sequence has no business in a device or type name. */
        if (s[i] == '/' || !g_ascii_isprint(s[i]))
            return FALSE;
    }
    return TRUE;
}

char *
sysfs_path_mdev_bus(const char *root)
{
    g_return_val_if_fail(root != NULL, NULL);
    return g_build_filename(root, "class", "mdev_bus", NULL);
}

char *
sysfs_path_parent(const char *root, const char *parent)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(parent), NULL);
    return g_build_filename(root, "class", "mdev_bus", parent, NULL);
}

char *
sysfs_path_parent_file(const char *root, const char *parent, const char *file)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(parent), NULL);
    g_return_val_if_fail(sysfs_component_ok(file), NULL);
    return g_build_filename(root, "class", "mdev_bus", parent, file, NULL);
}

char *
sysfs_path_types(const char *root, const char *parent)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(parent), NULL);
    return g_build_filename(root, "class", "mdev_bus", parent, "mdev_supported_types", NULL);
}

char *
sysfs_path_type(const char *root, const char *parent, const char *type)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(parent), NULL);
    g_return_val_if_fail(sysfs_component_ok(type), NULL);
    return g_build_filename(root, "class", "mdev_bus", parent, "mdev_supported_types",
                            type, NULL);
}

char *
sysfs_path_type_file(const char *root, const char *parent, const char *type, const char *file)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(parent), NULL);
    g_return_val_if_fail(sysfs_component_ok(type), NULL);
    g_return_val_if_fail(sysfs_component_ok(file), NULL);
    return g_build_filename(root, "class", "mdev_bus", parent, "mdev_supported_types",
                            type, file, NULL);
}

char *
sysfs_path_mdev_devices(const char *root)
{
    g_return_val_if_fail(root != NULL, NULL);
    return g_build_filename(root, "bus", "mdev", "devices", NULL);
}

char *
sysfs_path_mdev(const char *root, const char *uuid)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(uuid), NULL);
    return g_build_filename(root, "bus", "mdev", "devices", uuid, NULL);
}

char *
sysfs_path_mdev_file(const char *root, const char *uuid, const char *file)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(uuid), NULL);
    g_return_val_if_fail(sysfs_component_ok(file), NULL);
    return g_build_filename(root, "bus", "mdev", "devices", uuid, file, NULL);
}

char *
sysfs_path_pci_device(const char *root, const char *addr)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(addr), NULL);
    return g_build_filename(root, "bus", "pci", "devices", addr, NULL);
}

char *
sysfs_path_pci_file(const char *root, const char *addr, const char *file)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_return_val_if_fail(sysfs_component_ok(addr), NULL);
    g_return_val_if_fail(sysfs_component_ok(file), NULL);
    return g_build_filename(root, "bus", "pci", "devices", addr, file, NULL);
}
