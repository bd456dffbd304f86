/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vgpu-error.h"

#include <string.h>

G_DEFINE_QUARK(vgpu-error-quark, vgpu_error)
G_DEFINE_QUARK(vgpu-sysfs-error-quark, vgpu_sysfs_error)

void
vgpu_error_set_errno(GError **error, int errnum, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *what = NULL;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VGPU_SYSFS_ERROR, errnum, "%s: %s", what, g_strerror(errnum));
}
