/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "vgpu-error.h"
#include "vgpu-sort.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

char *
sysfs_read_attr(const char *path, GError **error)
{
    /* open + one read + close, not g_file_get_contents: that also fstat()s
     * and reads again to see EOF. A sysfs attribute comes whole from its
     * first read (one "show" call, at most a page), and in tests every
     * syscall here is a trip through a FUSE simulator. */
    char buf[SYSFS_ATTR_MAX + 1];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        vgpu_error_set_errno(error, errno, "reading %s", path);
        return NULL;
    }
    do {
        n = read(fd, buf, SYSFS_ATTR_MAX);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int saved = errno;

        close(fd);
        vgpu_error_set_errno(error, saved, "reading %s", path);
        return NULL;
    }
    close(fd);
    buf[n] = '\0';
    return g_strstrip(g_strdup(buf));
}

char *
sysfs_read_link(const char *path, GError **error)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);

    if (n < 0) {
        vgpu_error_set_errno(error, errno, "reading link %s", path);
        return NULL;
    }
    buf[n] = '\0';
    return g_strdup(buf);
}

char *
sysfs_read_link_name(const char *path, GError **error)
{
    g_autofree char *target = sysfs_read_link(path, error);
    char *name;

    if (!target)
        return NULL;
    name = g_path_get_basename(target);
    if (!sysfs_component_ok(name)) {
        g_set_error(error, VGPU_SYSFS_ERROR, EINVAL,
                    "link %s points to '%s', not to a device or type", path, target);
        g_free(name);
        return NULL;
    }
    return name;
}

gboolean
sysfs_error_is_absent(const GError *error)
{
    return g_error_matches(error, VGPU_SYSFS_ERROR, ENOENT);
}

int
sysfs_read_attr_optional(const char *path, char **out, GError **error)
{
    g_autoptr(GError) local = NULL;

    *out = sysfs_read_attr(path, &local);
    if (*out || sysfs_error_is_absent(local))
        return 0;
    g_propagate_error(error, g_steal_pointer(&local));
    return -1;
}

int
sysfs_parse_int(const char *path, const char *text, gint64 min, int *out, GError **error)
{
    gint64 v;
    char *end = NULL;

    errno = 0;
    v = g_ascii_strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > G_MAXINT) {
        g_set_error(error, VGPU_SYSFS_ERROR, EINVAL, "reading %s: unexpected content '%s'",
                    path, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

GPtrArray *
sysfs_list_dir(const char *path, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GDir) dir = g_dir_open(path, 0, &local);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    if (!dir) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&names);
        g_propagate_prefixed_error(error, g_steal_pointer(&local), "listing %s: ", path);
        return NULL;
    }
    while ((name = g_dir_read_name(dir))) {
        if (sysfs_component_ok(name))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, vgpu_compare_strings);
    return g_steal_pointer(&names);
}
