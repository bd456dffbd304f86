/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bounded-write.h"
#include "vgpu-error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a killed writer gets to die before we stop waiting for it: a
 * wait the kernel does not let be interrupted keeps it alive, and then it
 * is left for init to reap when we exit. */
#define REAP_GRACE_MS 2000

/* Close [lo, hi]; one by one when close_range() is not there (kernels
 * before 5.9, or a seccomp filter refusing it). */
static void
close_fds(unsigned lo, unsigned hi)
{
    long max;

    if (lo > hi || close_range(lo, hi, 0) == 0)
        return;
    max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (unsigned fd = lo; fd <= hi && fd < (unsigned)max; fd++)
        close((int)fd);
}

/* Every descriptor above stderr except @a and @b. */
static void
close_inherited_fds(int a, int b)
{
    unsigned lo = (unsigned)MIN(a, b), hi = (unsigned)MAX(a, b);

    if (lo > 3)
        close_fds(3, lo - 1);
    if (hi > lo + 1)
        close_fds(lo + 1, hi - 1);
    close_fds(hi + 1, ~0U);
}

/* All of @data with ONE write(): one write is one store, and a retry
 * after a partial write would be a second create. 0 or the errno. */
static int
write_once(const char *path, const char *data)
{
    size_t len = strlen(data);
    ssize_t n = -1;
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return errno;
    do {
        n = write(fd, data, len);
    } while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return errno;
    return (size_t)n == len ? 0 : EIO;
}

/* The writer's whole life, async-signal-safe calls only: it is the one
 * that may hang in the kernel, not us. Its errno goes through a pipe, not
 * the exit status, which tools like valgrind rewrite. With @undo_path and
 * a write that worked, it waits for the parent to acknowledge the result;
 * a parent that gave up meanwhile (its end of the pipes closed) never
 * learnt of the device, so the child removes it again. */
G_GNUC_NORETURN static void
writer_child(const char *path, const char *data, const char *undo_path, int report_fd, int ack_fd)
{
    int result, null;
    char ack;

    close_inherited_fds(report_fd, ack_fd);
    if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    signal(SIGPIPE, SIG_IGN);
    result = write_once(path, data);
    if (write(report_fd, &result, sizeof(result)) == sizeof(result) &&
        (!undo_path || result != 0 || read(ack_fd, &ack, 1) == 1))
        _exit(0);
    if (undo_path && result == 0)
        write_once(undo_path, "1");
    _exit(0);
}

/* Kill @pid and wait, bounded, for it to go. Polled rather than waited
 * for on a pidfd: valgrind does not know pidfd_open(), and a killed
 * process that can die does so within milliseconds. */
static void
kill_and_reap(pid_t pid)
{
    gint64 deadline = g_get_monotonic_time() + REAP_GRACE_MS * G_TIME_SPAN_MILLISECOND;

    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, WNOHANG) == 0 && g_get_monotonic_time() < deadline)
        g_usleep(2000);
}

/* Wait for the child's report until @deadline. 1 with *result, 0 on
 * timeout, and 1 with EIO when the child died without reporting. */
static int
wait_report(int fd, gint64 deadline, int *result)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
        int n = left_ms > 0 ? poll(&pfd, 1, (int)MIN(left_ms, G_MAXINT)) : 0;

        if (n < 0 && errno == EINTR)
            continue;
        /* A timeout is poll's verdict, not the clock's: it rounds to ms. */
        if (n <= 0)
            return 0;
        if (read(fd, result, sizeof(*result)) != sizeof(*result))
            *result = EIO;
        return 1;
    }
}

int
bounded_write(const char *path, const char *data, const char *undo_path, guint timeout_ms,
              GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
    int report[2], ack[2];
    int result = EIO;
    pid_t pid;

    if (pipe2(report, O_CLOEXEC) < 0) {
        vgpu_error_set_errno(error, errno, "writing %s: cannot create a pipe", path);
        return -1;
    }
    if (pipe2(ack, O_CLOEXEC) < 0) {
        vgpu_error_set_errno(error, errno, "writing %s: cannot create a pipe", path);
        close(report[0]), close(report[1]);
        return -1;
    }
    if ((pid = fork()) < 0) {
        vgpu_error_set_errno(error, errno, "writing %s: cannot fork", path);
        close(report[0]), close(report[1]), close(ack[0]), close(ack[1]);
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        close(ack[1]);
        writer_child(path, data, undo_path, report[1], ack[0]);
    }
    close(report[1]);
    close(ack[0]);
    if (!wait_report(report[0], deadline, &result)) {
        close(report[0]);
        close(ack[1]);
        /* With an undo path the child must live on to undo; it is reaped
         * by init once we exit. */
        if (!undo_path)
            kill_and_reap(pid);
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_TIMEOUT,
                    "writing %s: no answer within %u ms", path, timeout_ms);
        return -1;
    }
    /* Answered (or died without answering): the child ends at once. */
    if (undo_path && result == 0 && write(ack[1], "a", 1) != 1)
        result = EIO;
    close(report[0]);
    close(ack[1]);
    waitpid(pid, NULL, 0);
    if (result != 0) {
        vgpu_error_set_errno(error, result, "writing %s", path);
        return -1;
    }
    return 0;
}
