/* mdev create/remove/lookup against a plain directory tree. The kernel's
 * semantics (EEXIST, blocking remove, EBUSY) are exercised against the
 * FUSE simulator by the integration tests. */
#include "fakehost.h"
#include "host-lock.h"
#include "mdev.h"
#include "vgpu-error.h"

#include <fcntl.h>
#include <sys/stat.h>

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

    g_assert_cmpint(mdev_create(fh->root, VF, "nvidia-999", U1, 5000, &err), ==, -1);
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
    g_assert_cmpint(mdev_create(fh->root, VF, "nvidia-558", U1, 5000, &err), ==, -1);
    g_assert_error(err, VGPU_SYSFS_ERROR, EIO);
    g_assert_nonnull(strstr(err->message, "creating " U1 " of type nvidia-558 on " VF
                                          ": created but "));
    g_assert_nonnull(strstr(err->message, "bus/mdev/devices/" U1 " did not appear"));
    g_assert_true(g_file_get_contents(create, &written, &len, NULL));
    g_assert_cmpuint(len, ==, 37);
    g_assert_cmpstr(written, ==, U1 "\n");
    g_clear_error(&err);

    /* when the device is there afterwards, it is success */
    fake_add_mdev(fh, VF, "nvidia-558", U1);
    g_assert_cmpint(mdev_create(fh->root, VF, "nvidia-558", U1, 5000, &err), ==, 0);
    g_assert_no_error(err);
}

static void
test_remove_missing_is_success(void)
{
    g_autoptr(FakeHost) fh = build();
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(mdev_remove(fh->root, U1, 3, 10, 1000, &err), ==, 0);
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
    g_assert_cmpint(mdev_remove(fh->root, U2, 2, 10, 1000, &err), ==, -1);
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
    g_assert_cmpint(mdev_remove(fh->root, U2, 0, 10, 1000, &err), ==, -1);
    g_assert_error(err, VGPU_SYSFS_ERROR, ENOENT);
    g_assert_cmpstr(err->message, ==, "removing " U2 ": No such file or directory");
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
    /* not retried: one bounded wait */
    g_assert_cmpint(waited_ms, >=, 190);
    g_assert_cmpint(waited_ms, <, 3000);
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
    g_assert_cmpint(mdev_remove(fh->root, U2, 3, 10, 5000, &err), ==, 0);
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

/* Finds the remove writer (blocked opening the FIFO), looks at its open
 * files, then lets it finish. */
static gpointer
inspector_thread(gpointer data)
{
    Inspector *in = data;
    g_autofree char *children_path = g_strdup_printf("/proc/%d/task/%d/children",
                                                     (int)getpid(), (int)getpid());
    g_autofree char *children = NULL;
    char buf[8];
    int fd;

    for (int i = 0; i < 200 && !in->child_seen; i++) {
        g_usleep(10000);
        g_clear_pointer(&children, g_free);
        if (g_file_get_contents(children_path, &children, NULL, NULL) && *g_strstrip(children))
            in->child_seen = TRUE;
    }
    if (in->child_seen) {
        g_autofree char *fd_dir = g_strdup_printf("/proc/%s/fd", children);
        g_autoptr(GDir) dir = g_dir_open(fd_dir, 0, NULL);
        const char *name;

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
    int lock = host_lock_acquire(state, 1000, &err);
    GThread *t;

    g_assert_cmpint(lock, >=, 0);
    fake_unlink(fh, "devices/virtual/mtty/mtty/" U2 "/remove");
    g_assert_cmpint(mkfifo(in.fifo, 0600), ==, 0);
    t = g_thread_new("inspector", inspector_thread, &in);
    /* the device stays (nobody removes it): the outcome is an error */
    mdev_remove(fh->root, U2, 0, 10, 5000, &err);
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
