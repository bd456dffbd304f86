/* The host-wide lock. flock, not fcntl locks: it belongs to the open file,
 * so a forked child cannot drop it by closing an unrelated fd, and the
 * kernel releases it when the holder dies, so there is no stale lock to
 * take over. */
#include "host-lock.h"
#include "vgpu-error.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#define LOCK_SLEEP_MIN_US 1000
#define LOCK_SLEEP_MAX_US 20000

int
host_lock_acquire(const char *state_dir, guint timeout_ms, GError **error)
{
    g_autofree char *path = g_build_filename(state_dir, "lock", NULL);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    gulong sleep_us = LOCK_SLEEP_MIN_US;
    int fd;

    if (g_mkdir_with_parents(state_dir, 0700) < 0 ||
        (fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot open host lock %s: %s",
                    path, g_strerror(errno));
        return -1;
    }
    /* Polling rather than a blocking flock under alarm(): no signal
     * handler to install in a library, and the bound is exact. Waiters are
     * hook calls for VMs starting at once; short sleeps keep them fair
     * enough and cheap. */
    for (;;) {
        gint64 now;

        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_LOCK, "cannot lock %s: %s",
                        path, g_strerror(errno));
            close(fd);
            return -1;
        }
        now = g_get_monotonic_time();
        if (now >= deadline)
            break;
        g_usleep(MIN(sleep_us, (gulong)(deadline - now)));
        sleep_us = MIN(sleep_us * 2, LOCK_SLEEP_MAX_US);
    }
    close(fd);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_LOCK,
                "host lock %s still held by another vgpu-hook after %u ms", path, timeout_ms);
    return -1;
}

void
host_lock_release(int fd)
{
    if (fd >= 0)
        close(fd);
}
