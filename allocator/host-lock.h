/* The host-wide lock: flock on STATE_DIR/lock, waited for at most
 * @timeout_ms. A lock held by a dead process is released by the kernel. */
#pragma once

#include <glib.h>

/* Returns an fd >= 0 (close it to unlock) or -1 with VGPU_ERROR_LOCK
 * (held by someone else past @timeout_ms), or VGPU_ERROR_STATE (the state
 * directory or the lock file cannot be created or opened). */
int host_lock_acquire(const char *state_dir, guint timeout_ms, GError **error);
void host_lock_release(int fd);
