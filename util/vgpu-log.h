/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decisions go to syslog (ident "vgpu-hook"); vgpuctl and tests may also
 * mirror them to stderr. The hook's stderr is reserved for the one-line
 * error libvirt shows the user, so the hook never mirrors. A test build
 * (make TESTHOOKS=1) also appends each line to $VGPU_TEST_LOG when set. */
#pragma once

#include <glib.h>
#include <syslog.h>

void vgpu_log_open(const char *ident, gboolean mirror_stderr);
void vgpu_log(int priority, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
