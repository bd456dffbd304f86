/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One write to a file that may block in the kernel for as long as a driver
 * likes (an mdev create or remove), run in a forked child and waited for
 * at most a deadline. */
#pragma once

#include <glib.h>

/* Write @data to @path with one write() in a child. Returns 0, or -1 with
 * @error: VGPU_SYSFS_ERROR with the write's errno (or the fork's, or the
 * pipe's), or VGPU_ERROR_TIMEOUT when no answer came within @timeout_ms.
 *
 * A timed-out writer without @undo_path is killed and reaped (a wait the
 * kernel lets be interrupted ends there). With @undo_path it is left to
 * finish on its own, because the kernel's waits here are not killable: if
 * its write then succeeds, nobody learnt of the result, so it writes "1"
 * to @undo_path rather than leave a device nobody knows of. The child
 * keeps none of our descriptors: a child stuck in the kernel must not
 * hold the host lock, nor the pipes libvirt reads to the end. */
int bounded_write(const char *path, const char *data, const char *undo_path,
                  guint timeout_ms, GError **error);
