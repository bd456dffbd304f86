/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host-wide lock. flock, not fcntl locks: it belongs to the open file
 * description, so closing some other descriptor of the same file does not
 * drop it, and the kernel releases it when the last descriptor goes, so a
 * dead holder leaves no stale lock. The flip side: a forked child that
 * keeps the descriptor shares the lock and holds it after we exit, which
 * is why the bounded writer (util/bounded-write.c) closes what it
 * inherits. */
#include "host-lock.h"
#include "state-dir.h"
#include "vgpu-error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

/* How often the wait wakes to look at the clock. It also covers the case
 * of a tick arriving just before flock() starts to sleep. */
#define LOCK_TICK_US 20000

static void
on_tick(int sig)
{
    (void)sig;   /* only there to interrupt flock() */
}

/* Block in flock() so a waiter gets the lock the moment it is free (when
 * VMs start at once, polling waiters lose the race to fresh arrivals and
 * can starve), woken by a periodic SIGALRM to keep the wait bounded. The
 * caller's SIGALRM disposition and timer are restored. */
static int
lock_wait(int fd, gint64 deadline)
{
    struct sigaction sa = { .sa_handler = on_tick }, old_sa;
    struct itimerval tick = { { 0, LOCK_TICK_US }, { 0, LOCK_TICK_US } }, old_timer;
    const struct itimerval stop = { { 0, 0 }, { 0, 0 } };
    int rc, saved;

    sigemptyset(&sa.sa_mask);   /* no SA_RESTART: the tick must end flock() */
    sigaction(SIGALRM, &sa, &old_sa);
    setitimer(ITIMER_REAL, &tick, &old_timer);
    do {
        rc = flock(fd, LOCK_EX);
    } while (rc < 0 && errno == EINTR && g_get_monotonic_time() < deadline);
    saved = errno;
    setitimer(ITIMER_REAL, &stop, NULL);
    sigaction(SIGALRM, &old_sa, NULL);
    setitimer(ITIMER_REAL, &old_timer, NULL);
    errno = saved;
    return rc;
}

int
host_lock_acquire(const char *state_dir, guint timeout_ms, GError **error)
{
    g_autofree char *path = g_build_filename(state_dir, "lock", NULL);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int fd;

    if (state_dir_prepare(state_dir, error) < 0)
        return -1;
    if ((fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot open host lock %s: %s",
                    path, g_strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 || (errno == EWOULDBLOCK && lock_wait(fd, deadline) == 0))
        return fd;
    if (errno == EINTR) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_LOCK,
                    "host lock %s still held by another vgpu-hook after %u ms", path, timeout_ms);
    } else {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_LOCK, "cannot lock %s: %s",
                    path, g_strerror(errno));
    }
    close(fd);
    return -1;
}

int
host_lock_gc_begin(const char *state_dir, GError **error)
{
    g_autofree char *path = g_build_filename(state_dir, "gc.lock", NULL);
    int fd;

    if (state_dir_prepare(state_dir, error) < 0)
        return -1;
    if ((fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot open %s: %s", path,
                    g_strerror(errno));
        return -1;
    }
    /* A start probing the lock (host_lock_gc_running) holds it for an
     * instant; another gc holds it for its whole run. */
    for (int i = 0;; i++) {
        int err;

        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        err = errno;
        if (err != EWOULDBLOCK || i == 9) {
            if (err == EWOULDBLOCK)
                g_set_error(error, VGPU_ERROR, VGPU_ERROR_LOCK, "another 'vgpuctl gc' is "
                            "running (it holds %s)", path);
            else
                g_set_error(error, VGPU_ERROR, VGPU_ERROR_LOCK, "cannot lock %s: %s", path,
                            g_strerror(err));
            break;
        }
        g_usleep(20000);
    }
    close(fd);
    return -1;
}

int
host_lock_gc_running(const char *state_dir, GError **error)
{
    g_autofree char *path = g_build_filename(state_dir, "gc.lock", NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int running;

    if (fd < 0) {
        if (errno == ENOENT)    /* no gc ever ran here */
            return 0;
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot open %s to tell whether "
                    "'vgpuctl gc' runs: %s", path, g_strerror(errno));
        return -1;
    }
    running = flock(fd, LOCK_SH | LOCK_NB) < 0;
    close(fd);
    return running;
}

void
host_lock_release(int fd)
{
    if (fd >= 0)
        close(fd);
}
