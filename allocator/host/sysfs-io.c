/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "vgpu-error.h"
#include "vgpu-sort.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* Opens @rel below @dirfd (AT_FDCWD: @rel is a path); @shown names it in
 * messages. */
char *
sysfs_read_attr_at(int dirfd, const char *rel, const char *shown, GError **error)
{
    /* open + one read + close, not g_file_get_contents: that also fstat()s
     * and reads again to see EOF. A sysfs attribute comes whole from its
     * first read (one "show" call, at most a page), and in tests every
     * syscall here is a trip through a FUSE simulator. */
    char buf[SYSFS_ATTR_MAX + 1];
    ssize_t n;
    int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        vgpu_error_set_errno(error, errno, "reading %s", shown);
        return NULL;
    }
    do {
        n = read(fd, buf, SYSFS_ATTR_MAX);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int saved = errno;

        close(fd);
        vgpu_error_set_errno(error, saved, "reading %s", shown);
        return NULL;
    }
    close(fd);
    buf[n] = '\0';
    return g_strstrip(g_strdup(buf));
}

char *
sysfs_read_attr(const char *path, GError **error)
{
    return sysfs_read_attr_at(AT_FDCWD, path, path, error);
}

char *
sysfs_read_link_at(int dirfd, const char *rel, const char *shown, GError **error)
{
    char buf[PATH_MAX];
    ssize_t n = readlinkat(dirfd, rel, buf, sizeof(buf) - 1);

    if (n < 0) {
        vgpu_error_set_errno(error, errno, "reading link %s", shown);
        return NULL;
    }
    buf[n] = '\0';
    return g_strdup(buf);
}

char *
sysfs_read_link(const char *path, GError **error)
{
    return sysfs_read_link_at(AT_FDCWD, path, path, error);
}

char *
sysfs_read_link_name_at(int dirfd, const char *rel, const char *shown, GError **error)
{
    g_autofree char *target = sysfs_read_link_at(dirfd, rel, shown, error);
    char *name;

    if (!target)
        return NULL;
    name = g_path_get_basename(target);
    if (!sysfs_component_ok(name)) {
        g_set_error(error, VGPU_SYSFS_ERROR, EINVAL,
                    "link %s points to '%s', not to a device or type", shown, target);
        g_free(name);
        return NULL;
    }
    return name;
}

char *
sysfs_read_link_name(const char *path, GError **error)
{
    return sysfs_read_link_name_at(AT_FDCWD, path, path, error);
}

gboolean
sysfs_error_is_absent(const GError *error)
{
    return g_error_matches(error, VGPU_SYSFS_ERROR, ENOENT);
}

int
sysfs_read_attr_optional_at(int dirfd, const char *rel, const char *shown, char **out,
                            GError **error)
{
    g_autoptr(GError) local = NULL;

    *out = sysfs_read_attr_at(dirfd, rel, shown, &local);
    if (*out || sysfs_error_is_absent(local))
        return 0;
    g_propagate_error(error, g_steal_pointer(&local));
    return -1;
}

int
sysfs_read_attr_optional(const char *path, char **out, GError **error)
{
    return sysfs_read_attr_optional_at(AT_FDCWD, path, path, out, error);
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
sysfs_list_dir_at(int dirfd, const char *rel, const char *shown, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct dirent *e;
    DIR *dir;

    if (fd < 0 && errno == ENOENT)
        return g_steal_pointer(&names);
    if (fd < 0 || !(dir = fdopendir(fd))) {
        vgpu_error_set_errno(error, errno, "listing %s", shown);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    while ((errno = 0, e = readdir(dir))) {
        if (sysfs_component_ok(e->d_name))
            g_ptr_array_add(names, g_strdup(e->d_name));
    }
    if (errno) {
        vgpu_error_set_errno(error, errno, "listing %s", shown);
        closedir(dir);
        return NULL;
    }
    closedir(dir);
    g_ptr_array_sort(names, vgpu_compare_strings);
    return g_steal_pointer(&names);
}

GPtrArray *
sysfs_list_dir(const char *path, GError **error)
{
    return sysfs_list_dir_at(AT_FDCWD, path, path, error);
}

int
sysfs_dir_open_at(int dirfd, const char *rel, const char *shown, GError **error)
{
    int fd = openat(dirfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        vgpu_error_set_errno(error, errno, "opening %s", shown);
    return fd;
}
