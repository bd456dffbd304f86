/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "front-watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a child that gave up gets to end on its own before we go. */
#define GAVE_UP_GRACE_MS 200

static void
write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;   /* libvirt stopped reading: nothing left to tell */
        buf += w;
        n -= (size_t)w;
    }
}

/* Copy what @from has now to @to; 0 at EOF. */
static int
relay(int from, int to)
{
    char buf[4096];
    ssize_t r;

    do
        r = read(from, buf, sizeof(buf));
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return 0;
    write_all(to, buf, (size_t)r);
    return 1;
}

static void
child(front_core_fn core, int argc, char **argv, const char *xml, size_t len, pid_t parent,
      const int out[2], const int err[2], const int gave[2], int fail_code)
{
    /* Killed from outside, the hook must not live on in its child. (A
     * failure here exits with the call's failure code: 0 for reconnect.) */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(fail_code);
    close(out[0]), close(err[0]), close(gave[0]);
    if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
        _exit(fail_code);
    close(out[1]), close(err[1]);
    exit(core(argc, argv, xml, len, gave[1]));
}

/* The child's status as our own exit. */
static int
mirror(int status, int fail_code)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    return fail_code;
}

int
front_watch_run(front_core_fn core, int argc, char **argv, const char *xml, size_t len,
                int fail_code)
{
    int out[2], err[2], gave[2], status;
    struct pollfd p[3];
    int open_fds = 3;
    pid_t pid, parent = getpid();

    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(gave, O_CLOEXEC)) {
        fprintf(stderr, "vgpu-hook: cannot create a pipe: %s\n", strerror(errno));
        return fail_code;
    }
    fflush(NULL);
    if ((pid = fork()) < 0) {
        fprintf(stderr, "vgpu-hook: cannot fork: %s\n", strerror(errno));
        return fail_code;
    }
    if (pid == 0)
        child(core, argc, argv, xml, len, parent, out, err, gave, fail_code);
    close(out[1]), close(err[1]), close(gave[1]);
    p[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
    p[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
    p[2] = (struct pollfd){ .fd = gave[0], .events = POLLIN };
    while (open_fds > 0) {
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (p[i].revents && !relay(p[i].fd, i ? STDERR_FILENO : STDOUT_FILENO)) {
                p[i].fd = -1;
                open_fds--;
            }
        }
        if (p[2].revents) {
            char c;

            if (read(gave[0], &c, 1) == 1) {
                /* What it said before giving up is in the pipes already. */
                for (int i = 0; i < 2; i++)
                    while (p[i].fd >= 0 && poll(&p[i], 1, 0) == 1 &&
                           relay(p[i].fd, i ? STDERR_FILENO : STDOUT_FILENO))
                        ;
                for (int ms = 0; ms < GAVE_UP_GRACE_MS; ms += 10) {
                    if (waitpid(pid, &status, WNOHANG) == pid)
                        return mirror(status, fail_code);
                    usleep(10000);
                }
                return fail_code;
            }
            p[2].fd = -1;
            open_fds--;
        }
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail_code;
    return mirror(status, fail_code);
}
