/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether a domain has a ledger, told by the libc-only front (vgpu-hook.c)
 * with one lstat(): release end and reconnect begin must act on what a
 * ledger records whatever the live XML still says. */
#pragma once

#include <stddef.h>

/* 0 when the domain of @xml has no ledger; 1 when it has one, or when that
 * cannot be ruled out here (no strict <uuid> where libvirt writes it, a
 * config this reader will not interpret): the core then decides, and
 * reports what is wrong. */
int front_ledger_maybe(const char *xml, size_t len);
