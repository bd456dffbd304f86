/* Creating, removing and identifying one mdev through sysfs. */
#include "mdev.h"
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "vgpu-error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static gboolean
path_exists(const char *path)
{
    struct stat st;

    /* lstat: the bus entry is a link, and its presence is the answer. */
    return lstat(path, &st) == 0;
}

static int write_bounded(const char *path, const char *data, const char *undo_path,
                         guint timeout_ms, GError **error);

int
sysfs_mdev_create(const char *root, const char *parent, const char *type, const char *uuid,
                  guint timeout_ms, GError **error)
{
    g_autofree char *create = sysfs_path_type_file(root, parent, type, "create");
    g_autofree char *dev = sysfs_path_mdev(root, uuid);
    g_autofree char *undo = sysfs_path_mdev_file(root, uuid, "remove");
    g_autofree char *line = NULL;
    int err;

    if (!create || !dev || !undo) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "creating %s of type %s on %s: invalid name", uuid, type, parent);
        return -1;
    }
    line = g_strdup_printf("%s\n", uuid);
    if ((err = write_bounded(create, line, undo, timeout_ms, error)) == -2)
        return -1;
    if (err == -1) {
        g_set_error(error, VGPU_SYSFS_ERROR, ETIMEDOUT,
                    "creating %s of type %s on %s: the driver did not answer within %u ms",
                    uuid, type, parent, timeout_ms);
        return -1;
    }
    if (err != 0) {
        vgpu_error_set_errno(error, err, "creating %s of type %s on %s", uuid, type, parent);
        return -1;
    }
    if (!path_exists(dev)) {
        g_set_error(error, VGPU_SYSFS_ERROR, EIO,
                    "creating %s of type %s on %s: created but %s did not appear",
                    uuid, type, parent, dev);
        return -1;
    }
    return 0;
}

/* A child stuck in the kernel must not keep our descriptors: above all the
 * host lock's, which would then outlive this process and stall every
 * later hook until the VM lets go of the device. */
static void
close_inherited_fds(int a, int b)
{
    int lo = MIN(a, b), hi = MAX(a, b);

    if (lo > 3)
        close_range(3, (unsigned)lo - 1, 0);
    if (hi > lo + 1)
        close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
    close_range((unsigned)hi + 1, ~0U, 0);
}

/* Write all of @data to @path with ONE write(): one write is one store,
 * and a retry after a partial write would be a second create. */
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
 * the exit status, which tools like valgrind rewrite. When @undo_path is
 * set and the write worked, it waits for the parent to acknowledge the
 * result; a parent that gave up meanwhile (its end of the pipes closed)
 * never learnt of the device, so the child removes it again rather than
 * leave it unowned. */
G_GNUC_NORETURN static void
writer_child(const char *path, const char *data, const char *undo_path, int report_fd, int ack_fd)
{
    int result;
    char ack;

    close_inherited_fds(report_fd, ack_fd);
    /* Nor the hook's stdout and stderr: libvirt reads them until EOF, so
     * a writer stuck in the kernel would hold `virsh start` through them. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (null >= 0) {
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

/* Run the write in a child and wait for it at most @timeout_ms. Returns
 * 0 or the write's errno; -1 on timeout; -2 with @error set when the
 * writer could not be run at all. A timed-out writer is left to finish on
 * its own (the kernel's waits here are not killable) and, with
 * @undo_path, to undo what it made. Without one it is killed, which ends
 * at least a wait that can be interrupted. */
static int
write_bounded(const char *path, const char *data, const char *undo_path, guint timeout_ms,
              GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int report[2], ack[2];
    int result = EIO;   /* when the child died before reporting */
    gboolean got = FALSE, timed_out = FALSE;
    pid_t pid;

    if (pipe2(report, O_CLOEXEC) < 0)
        goto no_pipe;
    if (pipe2(ack, O_CLOEXEC) < 0) {
        close(report[0]);
        close(report[1]);
        goto no_pipe;
    }
    if ((pid = fork()) < 0) {
        vgpu_error_set_errno(error, errno, "writing %s: cannot fork", path);
        close(report[0]), close(report[1]), close(ack[0]), close(ack[1]);
        return -2;
    }
    if (pid == 0) {
        close(report[0]);
        close(ack[1]);
        writer_child(path, data, undo_path, report[1], ack[0]);
    }
    close(report[1]);
    close(ack[0]);
    for (;;) {
        struct pollfd pfd = { .fd = report[0], .events = POLLIN };
        gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
        int n = left_ms > 0 ? poll(&pfd, 1, (int)MIN(left_ms, G_MAXINT)) : 0;

        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            got = read(report[0], &result, sizeof(result)) == sizeof(result);
        else
            timed_out = TRUE;   /* from poll itself, not the clock: it rounds to ms */
        break;
    }
    if (!timed_out) {
        /* Answered (or died without answering): the child ends at once. */
        if (got && undo_path && result == 0 && write(ack[1], "a", 1) != 1)
            result = EIO;
        close(report[0]);
        close(ack[1]);
        waitpid(pid, NULL, 0);
        return result;
    }
    if (!undo_path)
        kill(pid, SIGKILL);
    close(report[0]);
    close(ack[1]);
    /* Reap it if it went at once, so a quick exit leaves no zombie. */
    g_usleep(1000);
    waitpid(pid, NULL, WNOHANG);
    return -1;

no_pipe:
    vgpu_error_set_errno(error, errno, "writing %s: cannot create a pipe", path);
    return -2;
}

int
sysfs_mdev_remove(const char *root, const char *uuid, guint retries, guint retry_delay_ms,
                  guint timeout_ms, GError **error)
{
    g_autofree char *dev = sysfs_path_mdev(root, uuid);
    g_autofree char *remove = sysfs_path_mdev_file(root, uuid, "remove");
    int err = 0;

    if (!dev || !remove) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "removing '%s': invalid name", uuid);
        return -1;
    }
    for (guint attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0)
            g_usleep((gulong)retry_delay_ms * 1000);
        if (!path_exists(dev))
            return 0;
        err = write_bounded(remove, "1", NULL, timeout_ms, error);
        if (err == -2)
            return -1;
        if (err == -1) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_TIMEOUT,
                        "removing %s: the driver did not release it within %u ms",
                        uuid, timeout_ms);
            return -1;
        }
        /* ENODEV is the kernel saying the device is gone; ENOENT (no remove
         * file) is only gone if the device went with it. */
        if (err == ENODEV || (err == ENOENT && !path_exists(dev)))
            return 0;
        /* A write that succeeded normally takes the device with it; if the
         * device is still there, look again after the delay. */
        if (err == 0 && !path_exists(dev))
            return 0;
        if (err != 0 && err != EBUSY && err != EAGAIN)
            break;
    }
    if (err == 0) {
        g_set_error(error, VGPU_SYSFS_ERROR, EBUSY,
                    "removing %s: still present after %u tries", uuid, retries + 1);
        return -1;
    }
    if (err == EBUSY || err == EAGAIN)
        vgpu_error_set_errno(error, err, "removing %s (%u tries)", uuid, retries + 1);
    else
        vgpu_error_set_errno(error, err, "removing %s", uuid);
    return -1;
}

int
sysfs_mdev_lookup(const char *root, const char *uuid, char **parent, char **type,
                  GError **error)
{
    g_autofree char *dev = sysfs_path_mdev(root, uuid);
    g_autofree char *type_link = sysfs_path_mdev_file(root, uuid, "mdev_type");
    g_autofree char *target = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *parent_name = NULL;
    g_autofree char *type_name = NULL;
    g_autoptr(GError) local = NULL;

    if (!dev || !type_link) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "mdev '%s': invalid name", uuid);
        return -1;
    }
    if (!(target = sysfs_read_link(dev, &local))) {
        if (sysfs_error_is_absent(local))
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "mdev %s does not exist", uuid);
        else
            g_propagate_error(error, g_steal_pointer(&local));
        return -1;
    }
    /* ".../0000:e8:00.4/<uuid>": the parent is the directory holding it. */
    dir = g_path_get_dirname(target);
    parent_name = g_path_get_basename(dir);
    if (!sysfs_component_ok(parent_name)) {
        g_set_error(error, VGPU_SYSFS_ERROR, EINVAL,
                    "mdev %s: link %s points to '%s', not into a parent device",
                    uuid, dev, target);
        return -1;
    }
    if (!(type_name = sysfs_read_link_name(type_link, error)))
        return -1;
    if (parent)
        *parent = g_steal_pointer(&parent_name);
    if (type)
        *type = g_steal_pointer(&type_name);
    return 0;
}
