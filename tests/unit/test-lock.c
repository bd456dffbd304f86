/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host-wide lock. */
#include "fakehost.h"
#include "host-lock.h"
#include "vgpu-error.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void
test_acquire_release(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = g_build_filename(fh->root, "run", "vgpu-hook", NULL);
    g_autofree char *lock = g_build_filename(dir, "lock", NULL);
    g_autoptr(GError) err = NULL;
    struct stat st;
    int fd = host_lock_acquire(dir, 1000, &err);
    int fd2;

    g_assert_no_error(err);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(stat(dir, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);
    g_assert_cmpint(stat(lock, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    host_lock_release(fd);
    fd2 = host_lock_acquire(dir, 1000, &err);
    g_assert_no_error(err);
    g_assert_cmpint(fd2, >=, 0);
    host_lock_release(fd2);
    host_lock_release(-1);   /* harmless */
}

/* flock belongs to the open file: a second acquire, even in this
 * process, waits like another hook would. */
static void
test_second_acquire_times_out(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    int fd = host_lock_acquire(fh->root, 1000, &err);
    gint64 start = g_get_monotonic_time();
    int fd2 = host_lock_acquire(fh->root, 150, &err);
    gint64 waited_ms = (g_get_monotonic_time() - start) / 1000;
    g_autofree char *want = g_strdup_printf("host lock %s/lock still held by another "
                                            "vgpu-hook after 150 ms", fh->root);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fd2, ==, -1);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_LOCK);
    g_assert_cmpstr(err->message, ==, want);
    /* It waited; how long beyond the bound is the machine's load, not
     * the lock's behaviour. */
    g_assert_cmpint(waited_ms, >=, 140);
    host_lock_release(fd);
}

static void
test_child_waits_for_parent(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    int fd = host_lock_acquire(fh->root, 1000, &err);
    int status = 0;
    pid_t pid;

    g_assert_cmpint(fd, >=, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        GError *e = NULL;
        int cfd = host_lock_acquire(fh->root, 100, &e);

        _exit(cfd == -1 && g_error_matches(e, VGPU_ERROR, VGPU_ERROR_LOCK) ? 0 : 1);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    host_lock_release(fd);
}

static void
test_dead_holder_releases(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    int pipefd[2];
    char c = 0;
    int status;
    int fd;
    pid_t pid;

    g_assert_cmpint(pipe(pipefd), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        int cfd = host_lock_acquire(fh->root, 1000, NULL);

        close(pipefd[0]);
        if (write(pipefd[1], cfd >= 0 ? "y" : "n", 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    close(pipefd[1]);
    g_assert_cmpint(read(pipefd[0], &c, 1), ==, 1);
    close(pipefd[0]);
    g_assert_cmpint(c, ==, 'y');

    fd = host_lock_acquire(fh->root, 50, &err);
    g_assert_cmpint(fd, ==, -1);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_LOCK);
    g_clear_error(&err);

    kill(pid, SIGKILL);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    fd = host_lock_acquire(fh->root, 1000, &err);
    g_assert_no_error(err);
    g_assert_cmpint(fd, >=, 0);
    host_lock_release(fd);
}

static void
test_unusable_state_dir(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = g_build_filename(fh->root, "afile", "state", NULL);
    g_autoptr(GError) err = NULL;

    fake_write(fh, "afile", "x");
    g_assert_cmpint(host_lock_acquire(dir, 100, &err), ==, -1);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_STATE);
    g_assert_nonnull(strstr(err->message, "cannot create state directory "));
    g_assert_nonnull(strstr(err->message, "afile/state: Not a directory"));
}

/* The hook acts as root on what the state directory holds. */
static void
test_untrusted_state_dir(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = g_build_filename(fh->root, "state", NULL);
    g_autoptr(GError) err = NULL;
    struct stat st;
    int fd = host_lock_acquire(dir, 100, &err);

    g_assert_cmpint(fd, >=, 0);
    host_lock_release(fd);
    g_assert_cmpint(stat(dir, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0700);
    g_assert_cmpint(chmod(dir, 0775), ==, 0);
    g_assert_cmpint(host_lock_acquire(dir, 100, &err), ==, -1);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_STATE);
    g_assert_nonnull(strstr(err->message, "/state is writable by group or others (mode 0775); "
                                          "refusing to trust it"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/lock/untrusted-state-dir", test_untrusted_state_dir);
    g_test_add_func("/lock/acquire-release", test_acquire_release);
    g_test_add_func("/lock/second-acquire-times-out", test_second_acquire_times_out);
    g_test_add_func("/lock/child-waits", test_child_waits_for_parent);
    g_test_add_func("/lock/dead-holder", test_dead_holder_releases);
    g_test_add_func("/lock/unusable-state-dir", test_unusable_state_dir);
    return g_test_run();
}
