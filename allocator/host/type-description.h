/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What an mdev type's free-form description tells about it. Drivers write
 * lines like "num_heads=4, frl_config=60, framebuffer=1024M,
 * max_instance=24"; nothing else in sysfs gives a type's memory size. */
#pragma once

#include <glib.h>

/* The framebuffer in MiB; 0 when @desc (may be NULL) gives none or no unit. */
guint64 type_description_framebuffer_mb(const char *desc);
/* max_instance; -1 when @desc (may be NULL) gives no plain number. */
int type_description_max_instance(const char *desc);
