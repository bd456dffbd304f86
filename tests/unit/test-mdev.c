/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mdev create/remove/lookup against a plain directory tree. The kernel's
 * semantics (EEXIST, blocking remove, EBUSY) are exercised against the
 * FUSE simulator by the integration tests. */
#include "fakehost.h"
#include "host-lock.h"
#include "mdev.h"
#include "vgpu-error.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* A bound for writes that are not meant to time out: a test asserts what
 * happens, not how fast (fork + write under valgrind on a loaded machine
 * can take seconds). */
#define NO_TIMEOUT_MS 60000

#define U1 "4b20d080-1b54-4048-85b3-a6a62d165c01"
#define U2 "4b20d080-1b54-4048-85b3-a6a62d165c02"
#define VF "0000:e8:00.4"
#define VFDIR "devices/pci0000:00/" VF

static FakeHost *
build(void)
{
    FakeHost *fh = fake_host_new();

    fake_add_pf(fh, "0000:e8:00.0", "0x2235\n", 0, FALSE);
    fake_add_vf(fh, "0000:e8:00.0", VF, 0, 0);
    fake_add_type(fh, VF, "nvidia-558", "NVIDIA A40-2Q", NULL, 1);
    fake_add_virtual_parent(fh, "mtty");
    fake_add_type(fh, "mtty", "mtty-2", "Dual port serial", NULL, 1);
    fake_add_mdev(fh, "mtty", "mtty-2", U2);
    return fh;
}

static void
test_lookup(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;
    g_autofree char *parent = NULL;
    g_autofree char *type = NULL;

    fake_add_mdev(fh, VF, "nvidia-558", U1);
    g_assert_cmpint(mdev_lookup(fh->root, U1, &parent, &type, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(parent, ==, VF);
    g_assert_cmpstr(type, ==, "nvidia-558");
    g_clear_pointer(&parent, g_free);
    g_clear_pointer(&type, g_free);
    g_assert_cmpint(mdev_lookup(fh->root, U2, &parent, &type, &err), ==, 0);
    g_assert_cmpstr(parent, ==, "mtty");
    g_assert_cmpstr(type, ==, "mtty-2");
    g_assert_cmpint(mdev_lookup(fh->root, U2, NULL, NULL, &err), ==, 0);
}

static void
test_lookup_missing(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;
    g_autofree char *parent = NULL;

    g_assert_cmpint(mdev_lookup(fh->root, U1, &parent, NULL, &err), ==, -1);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_NOT_FOUND);
    g_assert_cmpstr(err->message, ==, "mdev " U1 " does not exist");
    g_assert_null(parent);
}

static void
test_create_missing_create_file(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(mdev_create(fh->root, VF, "nvidia-999", U1, NO_TIMEOUT_MS, &err), ==, -1);
    g_assert_error(err, VGPU_SYSFS_ERROR, ENOENT);
    g_assert_cmpstr(err->message, ==, "creating " U1 " of type nvidia-999 on " VF
                                      ": No such file or directory");
}

static void
test_create_writes_uuid_once(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;
    g_autofree char *create = fake_path(fh, VFDIR "/mdev_supported_types/nvidia-558/create");
    g_autofree char *written = NULL;
    gsize len = 0;

    /* a plain file takes the write, but no device appears */
    g_assert_cmpint(mdev_create(fh->root, VF, "nvidia-558", U1, NO_TIMEOUT_MS, &err), ==, -1);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_PENDING);
    g_assert_nonnull(strstr(err->message, "creating " U1 " of type nvidia-558 on " VF
                                          ": created but "));
    g_assert_nonnull(strstr(err->message, "bus/mdev/devices/" U1 " did not appear"));
    g_assert_true(g_file_get_contents(create, &written, &len, NULL));
    g_assert_cmpuint(len, ==, 37);
    g_assert_cmpstr(written, ==, U1 "\n");
    g_clear_error(&err);

    /* when the device is there afterwards, it is success */
    fake_add_mdev(fh, VF, "nvidia-558", U1);
    g_assert_cmpint(mdev_create(fh->root, VF, "nvidia-558", U1, NO_TIMEOUT_MS, &err), ==, 0);
    g_assert_no_error(err);
}

static void
test_remove_missing_is_success(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(mdev_remove(fh->root, U1, 3, 10, NO_TIMEOUT_MS, &err), ==, 0);
    g_assert_no_error(err);
}

static void
test_remove_device_stays(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;
    g_autofree char *remove = fake_path(fh, "devices/virtual/mtty/mtty/" U2 "/remove");
    g_autofree char *written = NULL;

    /* the write succeeds each time, the device never goes */
    g_assert_cmpint(mdev_remove(fh->root, U2, 2, 10, NO_TIMEOUT_MS, &err), ==, -1);
    g_assert_error(err, VGPU_SYSFS_ERROR, EBUSY);
    g_assert_cmpstr(err->message, ==, "removing " U2 ": still present after 3 tries");
    g_assert_true(g_file_get_contents(remove, &written, NULL, NULL));
    g_assert_cmpstr(written, ==, "1");
}

static void
test_remove_without_remove_file(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;

    fake_unlink(fh, "devices/virtual/mtty/mtty/" U2 "/remove");
    g_assert_cmpint(mdev_remove(fh->root, U2, 0, 10, NO_TIMEOUT_MS, &err), ==, -1);
    g_assert_error(err, VGPU_SYSFS_ERROR, ENOENT);
    g_assert_cmpstr(err->message, ==, "removing " U2 ": No such file or directory");
}

/* The PIDs of our children, space-separated; "" when there are none. */
static const char *
children_of_this_process(void)
{
    static char *text;
    g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/children", (int)getpid(),
                                            (int)getpid());

    g_clear_pointer(&text, g_free);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        g_error("reading %s failed", path);
    return g_strstrip(text);
}

/* A remove that blocks (kernel >= 5.19 while a VM holds the device): a
 * FIFO nobody reads blocks the writer's open. */
static void
test_remove_blocked_times_out(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;
    g_autofree char *remove = fake_path(fh, "devices/virtual/mtty/mtty/" U2 "/remove");
    gint64 start, waited_ms;

    fake_unlink(fh, "devices/virtual/mtty/mtty/" U2 "/remove");
    g_assert_cmpint(mkfifo(remove, 0600), ==, 0);
    start = g_get_monotonic_time();
    g_assert_cmpint(mdev_remove(fh->root, U2, 5, 10, 200, &err), ==, -1);
    waited_ms = (g_get_monotonic_time() - start) / 1000;
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_TIMEOUT);
    g_assert_cmpstr(err->message, ==,
                    "removing " U2 ": the driver did not release it within 200 ms");
    /* It waited for the bound (how much longer is the machine's load). */
    g_assert_cmpint(waited_ms, >=, 190);
    /* The writer it killed is reaped, not left a zombie. */
    g_assert_cmpstr(children_of_this_process(), ==, "");
}

typedef struct {
    char *fifo;
    char *bus_entry;
} Remover;

/* Plays the driver: takes the "1", then the device is gone. */
static gpointer
remover_thread(gpointer data)
{
    Remover *r = data;
    char buf[8] = { 0 };
    int fd = open(r->fifo, O_RDONLY);

    if (fd >= 0) {
        if (read(fd, buf, sizeof(buf) - 1) > 0 && strcmp(buf, "1") == 0)
            unlink(r->bus_entry);
        close(fd);
    }
    return NULL;
}

static void
test_remove_succeeds(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;
    Remover r = {
        .fifo = fake_path(fh, "devices/virtual/mtty/mtty/" U2 "/remove"),
        .bus_entry = fake_path(fh, "bus/mdev/devices/" U2),
    };
    GThread *t;

    fake_unlink(fh, "devices/virtual/mtty/mtty/" U2 "/remove");
    g_assert_cmpint(mkfifo(r.fifo, 0600), ==, 0);
    t = g_thread_new("remover", remover_thread, &r);
    g_assert_cmpint(mdev_remove(fh->root, U2, 3, 10, NO_TIMEOUT_MS, &err), ==, 0);
    g_assert_no_error(err);
    g_thread_join(t);
    g_assert_false(g_file_test(r.bus_entry, G_FILE_TEST_EXISTS));
    g_free(r.fifo);
    g_free(r.bus_entry);
}

typedef struct {
    char *fifo;
    char *lock;
    gboolean child_seen;
    gboolean child_has_lock;
} Inspector;

/* TRUE when @pid is blocked in open(): the writer waiting for a reader of
 * the FIFO, past fork() and past the closing of inherited descriptors. A
 * zombie, or a child still running toward its open, is not. */
static gboolean
blocked_in_open(const char *pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%s/syscall", pid);
    g_autofree char *text = NULL;
    char *end;
    long nr;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    nr = strtol(text, &end, 10);
    if (end == text)
        return FALSE;      /* "running", or a zombie's nothing */
#ifdef SYS_open
    if (nr == SYS_open)
        return TRUE;
#endif
    return nr == SYS_openat;
}

static char *
find_blocked_writer(void)
{
    g_auto(GStrv) pids = g_strsplit(children_of_this_process(), " ", -1);

    for (guint i = 0; pids[i]; i++) {
        if (*pids[i] && blocked_in_open(pids[i]))
            return g_strdup(pids[i]);
    }
    return NULL;
}

/* Waits for the remove writer to block opening the FIFO, looks at its
 * open files, then lets it finish. */
static gpointer
inspector_thread(gpointer data)
{
    Inspector *in = data;
    g_autofree char *pid = NULL;
    char buf[8];
    int fd;

    /* A bound on tries, not a timing claim: the writer gets 60 s to get
     * there before the test gives up on it. */
    for (int i = 0; i < 6000 && !pid; i++) {
        g_usleep(10000);
        pid = find_blocked_writer();
    }
    if (pid) {
        g_autofree char *fd_dir = g_strdup_printf("/proc/%s/fd", pid);
        g_autoptr(GDir) dir = g_dir_open(fd_dir, 0, NULL);
        const char *name;

        in->child_seen = dir != NULL;
        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *link = g_build_filename(fd_dir, name, NULL);
            g_autofree char *target = g_file_read_link(link, NULL);

            if (g_strcmp0(target, in->lock) == 0)
                in->child_has_lock = TRUE;
        }
    }
    fd = open(in->fifo, O_RDONLY);
    if (fd >= 0) {
        if (read(fd, buf, sizeof(buf)) < 0)
            in->child_seen = FALSE;
        close(fd);
    }
    return NULL;
}

/* A writer stuck in the kernel must not hold the host lock for us. */
static void
test_remove_writer_does_not_inherit_lock(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;
    Inspector in = {
        .fifo = fake_path(fh, "devices/virtual/mtty/mtty/" U2 "/remove"),
        .lock = fake_path(fh, "state/lock"),
    };
    g_autofree char *state = fake_path(fh, "state");
    int lock = host_lock_acquire(state, NO_TIMEOUT_MS, &err);
    GThread *t;

    g_assert_cmpint(lock, >=, 0);
    fake_unlink(fh, "devices/virtual/mtty/mtty/" U2 "/remove");
    g_assert_cmpint(mkfifo(in.fifo, 0600), ==, 0);
    t = g_thread_new("inspector", inspector_thread, &in);
    /* the device stays (nobody removes it): the outcome is an error */
    mdev_remove(fh->root, U2, 0, 10, NO_TIMEOUT_MS, &err);
    g_thread_join(t);
    g_assert_true(in.child_seen);
    g_assert_false(in.child_has_lock);
    host_lock_release(lock);
    g_free(in.fifo);
    g_free(in.lock);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mdev/lookup", test_lookup);
    g_test_add_func("/mdev/lookup-missing", test_lookup_missing);
    g_test_add_func("/mdev/create/missing-create-file", test_create_missing_create_file);
    g_test_add_func("/mdev/create/writes-uuid-once", test_create_writes_uuid_once);
    g_test_add_func("/mdev/remove/missing-is-success", test_remove_missing_is_success);
    g_test_add_func("/mdev/remove/device-stays", test_remove_device_stays);
    g_test_add_func("/mdev/remove/no-remove-file", test_remove_without_remove_file);
    g_test_add_func("/mdev/remove/blocked-times-out", test_remove_blocked_times_out);
    g_test_add_func("/mdev/remove/succeeds", test_remove_succeeds);
    g_test_add_func("/mdev/remove/writer-without-lock", test_remove_writer_does_not_inherit_lock);
    return g_test_run();
}
