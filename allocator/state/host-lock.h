/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host-wide lock: flock on STATE_DIR/lock, waited for at most
 * @timeout_ms. A lock held by a dead process is released by the kernel. */
#pragma once

#include <glib.h>

/* Returns an fd >= 0 (close it to unlock) or -1 with VGPU_ERROR_LOCK
 * (held by someone else past @timeout_ms), or VGPU_ERROR_STATE (the state
 * directory or the lock file cannot be created or opened). */
int host_lock_acquire(const char *state_dir, guint timeout_ms, GError **error);
void host_lock_release(int fd);

/* vgpuctl gc holds STATE_DIR/gc.lock while it runs (taken without
 * waiting: -1 with VGPU_ERROR_LOCK when another gc holds it). Its devices
 * marked "removing" are then being removed; once no gc holds the lock, a
 * mark left behind is stale (the gc died) and a start may finish it. */
int host_lock_gc_begin(const char *state_dir, GError **error);
/* 1: a gc holds gc.lock; 0: none does; -1 with @error: cannot tell. */
int host_lock_gc_running(const char *state_dir, GError **error);
