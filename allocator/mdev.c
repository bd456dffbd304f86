/* Creating, removing and identifying one mdev through sysfs. */
#include "mdev.h"
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "vgpu-error.h"

#include <errno.h>
#include <fcntl.h>
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

int
sysfs_mdev_create(const char *root, const char *parent, const char *type, const char *uuid,
                  GError **error)
{
    g_autofree char *create = sysfs_path_type_file(root, parent, type, "create");
    g_autofree char *dev = sysfs_path_mdev(root, uuid);
    g_autofree char *line = NULL;
    size_t len;
    ssize_t n;
    int fd;

    if (!create || !dev) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "creating %s of type %s on %s: invalid name", uuid, type, parent);
        return -1;
    }
    line = g_strdup_printf("%s\n", uuid);
    len = strlen(line);
    if ((fd = open(create, O_WRONLY | O_CLOEXEC)) < 0) {
        vgpu_error_set_errno(error, errno, "creating %s of type %s on %s", uuid, type, parent);
        return -1;
    }
    /* One write is one store: the kernel parses the whole buffer, so it
     * must not be split (and a retry after a partial write would be a
     * second create). */
    do {
        n = write(fd, line, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int saved = errno;

        close(fd);
        vgpu_error_set_errno(error, saved, "creating %s of type %s on %s", uuid, type, parent);
        return -1;
    }
    close(fd);
    if ((size_t)n != len) {
        g_set_error(error, VGPU_SYSFS_ERROR, EIO,
                    "creating %s of type %s on %s: the driver took %zd of %zu bytes",
                    uuid, type, parent, n, len);
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

/* The child's whole life: async-signal-safe calls only. It is the one that
 * may hang in the kernel, not us. The errno goes through a pipe, not the
 * exit status, which tools like valgrind rewrite. */
/* A child stuck in the kernel must not keep our descriptors: above all the
 * host lock's, which would then outlive this process and stall every
 * later hook until the VM lets go of the device. */
static void
close_inherited_fds(int keep)
{
    if (keep > 3)
        close_range(3, (unsigned)keep - 1, 0);
    close_range(keep < 3 ? 3 : (unsigned)keep + 1, ~0U, 0);
}

G_GNUC_NORETURN static void
remove_child(const char *path, int report_fd)
{
    int fd;
    int result = 0;
    ssize_t n = -1;

    close_inherited_fds(report_fd);
    fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd >= 0) {
        do {
            n = write(fd, "1", 1);
        } while (n < 0 && errno == EINTR);
    }
    if (fd < 0 || n < 0)
        result = errno;
    if (write(report_fd, &result, sizeof(result)) != sizeof(result))
        _exit(1);
    _exit(0);
}

/* Outcome of one remove write: 0 or an errno; -1 on timeout; -2 with
 * @error set when the writer could not be run at all. */
static int
remove_write_bounded(const char *path, guint timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    gulong sleep_us = 500;
    int result = EIO;   /* when the child died before reporting */
    int status;
    int report[2];
    pid_t pid;

    if (pipe2(report, O_CLOEXEC) < 0) {
        vgpu_error_set_errno(error, errno, "removing: cannot create a pipe");
        return -2;
    }
    if ((pid = fork()) < 0) {
        vgpu_error_set_errno(error, errno, "removing: cannot fork");
        close(report[0]);
        close(report[1]);
        return -2;
    }
    if (pid == 0) {
        close(report[0]);
        remove_child(path, report[1]);
    }
    close(report[1]);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            vgpu_error_set_errno(error, errno, "removing: waiting for the writer");
            close(report[0]);
            return -2;
        }
        if (g_get_monotonic_time() >= deadline) {
            /* The kernel's wait for the VM to let go is not killable; the
             * child stays until it returns, and is not waited for. Reap it
             * only if it went at once, so a quick exit leaves no zombie. */
            kill(pid, SIGKILL);
            close(report[0]);
            g_usleep(1000);
            waitpid(pid, &status, WNOHANG);
            return -1;
        }
        g_usleep(sleep_us);
        sleep_us = MIN(sleep_us * 2, 10000);
    }
    if (read(report[0], &result, sizeof(result)) != sizeof(result))
        result = EIO;
    close(report[0]);
    return result;
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
        err = remove_write_bounded(remove, timeout_ms, error);
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
