/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state directory (/run/vgpu-hook) and what the hook trusts in it.
 * The hook runs as root and removes devices its ledgers name, so a ledger
 * another user could write or plant must never be believed. */
#pragma once

#include <glib.h>

/* Create @dir (0700) when missing, then check it as state_dir_check. */
int state_dir_prepare(const char *dir, GError **error);
/* -1 with VGPU_ERROR_STATE and a one-line reason when @dir exists and is
 * not a directory owned by root (or by us, when not root), or is writable
 * by group or others. A missing directory is fine (nothing stored yet). */
int state_dir_check(const char *dir, GError **error);
/* The same for one file in it: a regular file, owned as above, not
 * writable by group or others. 1 trusted, 0 absent, -1 refused. */
int state_file_check(const char *path, const char *what, GError **error);
