/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sysfs-path.h"
#include "vgpu-error.h"

#include <stdarg.h>
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

/* Ends a list of components: NULL is one of the bad components. */
static const char path_end[] = "";
#define SYSFS_PATH_END path_end

/* TRUE when every component up to SYSFS_PATH_END is safe; else @error names the
 * first one that is not. The callers validated what they were given; this
 * is the last line, and it stays in every build (no g_return_if_fail,
 * which G_DISABLE_CHECKS removes and which prints onto the hook's stderr). */
static gboolean
components_ok(GError **error, ...)
{
    va_list ap;
    const char *c;
    gboolean ok = TRUE;

    va_start(ap, error);
    while (ok && (c = va_arg(ap, const char *)) != SYSFS_PATH_END) {
        if (!sysfs_component_ok(c)) {
            g_autofree char *shown = c ? g_strescape(c, NULL) : g_strdup("(none)");

            if (strlen(shown) > 64)
                strcpy(shown + 61, "...");
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "'%s' is not a safe sysfs path component", shown);
            ok = FALSE;
        }
    }
    va_end(ap);
    return ok;
}

char *
sysfs_path_mdev_bus(const char *root)
{
    return g_build_filename(root, "class", "mdev_bus", NULL);
}

char *
sysfs_path_parent(const char *root, const char *parent, GError **error)
{
    if (!components_ok(error, parent, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "class", "mdev_bus", parent, NULL);
}

char *
sysfs_path_parent_file(const char *root, const char *parent, const char *file, GError **error)
{
    if (!components_ok(error, parent, file, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "class", "mdev_bus", parent, file, NULL);
}

char *
sysfs_path_types(const char *root, const char *parent, GError **error)
{
    if (!components_ok(error, parent, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "class", "mdev_bus", parent, "mdev_supported_types", NULL);
}

char *
sysfs_path_type(const char *root, const char *parent, const char *type, GError **error)
{
    if (!components_ok(error, parent, type, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "class", "mdev_bus", parent, "mdev_supported_types",
                            type, NULL);
}

char *
sysfs_path_type_file(const char *root, const char *parent, const char *type, const char *file,
                     GError **error)
{
    if (!components_ok(error, parent, type, file, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "class", "mdev_bus", parent, "mdev_supported_types",
                            type, file, NULL);
}

char *
sysfs_path_mdev_devices(const char *root)
{
    return g_build_filename(root, "bus", "mdev", "devices", NULL);
}

char *
sysfs_path_numa_nodes(const char *root)
{
    return g_build_filename(root, "devices", "system", "node", NULL);
}

char *
sysfs_path_numa_node_file(const char *root, const char *node, const char *file,
                          GError **error)
{
    if (!sysfs_component_ok(node) || !sysfs_component_ok(file)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "not a NUMA node file name: '%s/%s'", node, file);
        return NULL;
    }
    return g_build_filename(root, "devices", "system", "node", node, file, NULL);
}

char *
sysfs_path_mdev(const char *root, const char *uuid, GError **error)
{
    if (!components_ok(error, uuid, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "bus", "mdev", "devices", uuid, NULL);
}

char *
sysfs_path_mdev_file(const char *root, const char *uuid, const char *file, GError **error)
{
    if (!components_ok(error, uuid, file, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "bus", "mdev", "devices", uuid, file, NULL);
}

char *
sysfs_path_pci_device(const char *root, const char *addr, GError **error)
{
    if (!components_ok(error, addr, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "bus", "pci", "devices", addr, NULL);
}

char *
sysfs_path_pci_file(const char *root, const char *addr, const char *file, GError **error)
{
    if (!components_ok(error, addr, file, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "bus", "pci", "devices", addr, file, NULL);
}

char *
sysfs_path_nvvf_file(const char *root, const char *vf, const char *file, GError **error)
{
    if (!components_ok(error, vf, file, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(root, "bus", "pci", "devices", vf, "nvidia", file, NULL);
}

char *
sysfs_path_pci_devices(const char *root)
{
    return g_build_filename(root, "bus", "pci", "devices", NULL);
}

char *
sysfs_rel_dev_file(const char *dev, const char *file, GError **error)
{
    if (!components_ok(error, dev, file, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(dev, file, NULL);
}

char *
sysfs_rel_types(const char *dev, GError **error)
{
    if (!components_ok(error, dev, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(dev, "mdev_supported_types", NULL);
}

char *
sysfs_rel_type_file(const char *dev, const char *type, const char *file, GError **error)
{
    if (!components_ok(error, dev, type, file, SYSFS_PATH_END))
        return NULL;
    return g_build_filename(dev, "mdev_supported_types", type, file, NULL);
}
