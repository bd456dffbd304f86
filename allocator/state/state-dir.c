/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Trusting the state directory: owned by root, writable by nobody else.
 * Checked on the object itself (lstat): a symlink is refused, since
 * whoever planted it chose where it points. */
#include "state-dir.h"
#include "vgpu-error.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* Root owns the real thing; an unprivileged run (tests, a user's own
 * vgpuctl state) may own its own. */
static gboolean
owner_ok(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

static int
refuse(GError **error, const char *what, const char *path, const char *why)
{
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "%s %s %s; refusing to trust it",
                what, path, why);
    return -1;
}

/* 1 trusted, 0 absent, -1 refused. */
static int
check(const char *path, const char *what, mode_t kind, GError **error)
{
    struct stat st;
    g_autofree char *why = NULL;

    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot read %s %s: %s",
                    what, path, g_strerror(errno));
        return -1;
    }
    if ((st.st_mode & S_IFMT) != kind)
        return refuse(error, what, path, kind == S_IFDIR ? "is not a directory"
                                                         : "is not a regular file");
    if (!owner_ok(st.st_uid)) {
        why = g_strdup_printf("is owned by uid %u, not root", (unsigned)st.st_uid);
        return refuse(error, what, path, why);
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        why = g_strdup_printf("is writable by group or others (mode %04o)",
                              (unsigned)(st.st_mode & 07777));
        return refuse(error, what, path, why);
    }
    return 1;
}

int
state_dir_check(const char *dir, GError **error)
{
    return check(dir, "state directory", S_IFDIR, error) < 0 ? -1 : 0;
}

int
state_dir_prepare(const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot create state directory %s: %s",
                    dir, g_strerror(errno));
        return -1;
    }
    return state_dir_check(dir, error);
}

int
state_file_check(const char *path, const char *what, GError **error)
{
    return check(path, what, S_IFREG, error);
}
