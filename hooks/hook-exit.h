/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a hook call that failed exits with. Header-only: the libc-only
 * front (vgpu-hook.c) and the core share it. */
#pragma once

#include <string.h>

/* 1, but 0 for reconnect: a failing reconnect hook makes libvirt kill the
 * running domain, and our own trouble must never do that. */
static inline int
hook_exit_code_on_failure(const char *op)
{
    return op && strcmp(op, "reconnect") == 0 ? 0 : 1;
}
