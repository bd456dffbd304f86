/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small reads of sysfs attributes and links, shared by the allocator.
 * Errors are VGPU_SYSFS_ERROR with the errno as code, so callers can tell
 * "absent" (ENOENT) from a real failure. */
#pragma once

#include <glib.h>

/* Upper bound of an attribute read: sysfs "show" returns one page. */
#define SYSFS_ATTR_MAX 4096

/* The attribute's content without surrounding whitespace. */
char *sysfs_read_attr(const char *path, GError **error);
/* The target of the symlink @path, verbatim. */
char *sysfs_read_link(const char *path, GError **error);
/* The last component of the link's target ("../mdev_supported_types/nvidia-558"
 * -> "nvidia-558"). */
char *sysfs_read_link_name(const char *path, GError **error);
/* TRUE when @error is VGPU_SYSFS_ERROR ENOENT: the file does not exist. */
gboolean sysfs_error_is_absent(const GError *error);

/* An attribute that may be absent: absent gives *@out = NULL and 0. */
int sysfs_read_attr_optional(const char *path, char **out, GError **error);
/* @text, read from @path, as an int of at least @min; EINVAL naming both
 * when it is not one. */
int sysfs_parse_int(const char *path, const char *text, gint64 min, int *out,
                    GError **error);
/* Entries of the directory @path, sorted, skipping names that could not be
 * one path component. A missing directory is an empty list. */
GPtrArray *sysfs_list_dir(const char *path, GError **error);

/* The same, for @rel below the directory descriptor @dirfd, one already
 * resolved: on sysfs every component of a path is a lookup and every link
 * on the way (class/mdev_bus/P, bus/pci/devices/A) a readlink, so a scan
 * that opens thousands of files walks each directory's path once. @shown
 * names the file in messages, as the path functions would. */
char *sysfs_read_attr_at(int dirfd, const char *rel, const char *shown, GError **error);
int sysfs_read_attr_optional_at(int dirfd, const char *rel, const char *shown, char **out,
                                GError **error);
char *sysfs_read_link_at(int dirfd, const char *rel, const char *shown, GError **error);
char *sysfs_read_link_name_at(int dirfd, const char *rel, const char *shown, GError **error);
GPtrArray *sysfs_list_dir_at(int dirfd, const char *rel, const char *shown, GError **error);
/* An O_PATH descriptor of the directory @rel below @dirfd, for the
 * functions above; -1 with @error. */
int sysfs_dir_open_at(int dirfd, const char *rel, const char *shown, GError **error);
