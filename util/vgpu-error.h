/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error domains shared by every module.
 *
 * Functions that can fail return -1 (or NULL) and set a GError; callers
 * propagate it with g_propagate_prefixed_error() when they can add context.
 * Sysfs failures keep the kernel's errno as the error code, because the
 * caller's decision (try the next parent, retry, give up) depends on it.
 */
#pragma once

#include <glib.h>

#define VGPU_ERROR vgpu_error_quark()
#define VGPU_SYSFS_ERROR vgpu_sysfs_error_quark()

typedef enum {
    VGPU_ERROR_INVALID = 1,   /* bad input: XML, config, argument */
    VGPU_ERROR_NOT_FOUND,     /* no such domain, type, parent, device */
    VGPU_ERROR_NO_CAPACITY,   /* nothing on the host can take the request */
    VGPU_ERROR_LOCK,          /* host lock not obtained in time */
    VGPU_ERROR_STATE,         /* ledger or state directory unusable */
    VGPU_ERROR_TIMEOUT,       /* a bounded wait ran out */
    VGPU_ERROR_PENDING,       /* a write was accepted but its effect is not seen (yet) */
} VgpuErrorCode;

GQuark vgpu_error_quark(void);
GQuark vgpu_sysfs_error_quark(void);   /* code = errno */

/* Set @error in VGPU_SYSFS_ERROR from @errnum, message "@what: strerror". */
void vgpu_error_set_errno(GError **error, int errnum, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
