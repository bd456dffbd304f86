/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fake sysfs tree in a temporary directory, laid out like the kernel's
 * (device directories under devices/, relative symlinks from class/ and
 * bus/), for the allocator's unit tests. Header-only: every test is its own
 * binary. */
#pragma once

#include <errno.h>
#include <ftw.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *root;
} FakeHost;

static inline FakeHost *
fake_host_new(void)
{
    FakeHost *fh = g_new0(FakeHost, 1);
    g_autoptr(GError) err = NULL;

    fh->root = g_dir_make_tmp("vgpu-fake-XXXXXX", &err);
    g_assert_no_error(err);
    return fh;
}

static inline int
fake_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static inline void
fake_rm_rf(const char *path)
{
    nftw(path, fake_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void
fake_host_free(FakeHost *fh)
{
    if (!fh)
        return;
    fake_rm_rf(fh->root);
    g_free(fh->root);
    g_free(fh);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeHost, fake_host_free)

static inline char *
fake_path(FakeHost *fh, const char *rel)
{
    return g_build_filename(fh->root, rel, NULL);
}

static inline void
fake_mkdir(FakeHost *fh, const char *rel)
{
    g_autofree char *p = fake_path(fh, rel);

    g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
}

static inline void
fake_write(FakeHost *fh, const char *rel, const char *content)
{
    g_autofree char *p = fake_path(fh, rel);
    g_autofree char *dir = g_path_get_dirname(p);
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_file_set_contents(p, content, -1, &err);
    g_assert_no_error(err);
}

static inline void
fake_unlink(FakeHost *fh, const char *rel)
{
    g_autofree char *p = fake_path(fh, rel);

    g_assert_cmpint(unlink(p), ==, 0);
}

static inline void
fake_link(FakeHost *fh, const char *rel, const char *target)
{
    g_autofree char *p = fake_path(fh, rel);
    g_autofree char *dir = g_path_get_dirname(p);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_cmpint(symlink(target, p), ==, 0);
}

/* Where a device lives under devices/: PCI functions under a root port,
 * anything else (mtty) as a virtual device. */
static inline char *
fake_dev_dir(const char *addr)
{
    if (strchr(addr, ':'))
        return g_strdup_printf("devices/pci0000:00/%s", addr);
    return g_strdup_printf("devices/virtual/%s/%s", addr, addr);
}

static inline void
fake_add_pci(FakeHost *fh, const char *addr, const char *vendor, const char *device, int numa)
{
    g_autofree char *dir = fake_dev_dir(addr);
    g_autofree char *f = NULL;
    g_autofree char *link = g_strdup_printf("bus/pci/devices/%s", addr);
    g_autofree char *target = g_strdup_printf("../../../%s", dir);
    g_autofree char *num = g_strdup_printf("%d\n", numa);

    g_free(f); f = g_strdup_printf("%s/vendor", dir);
    fake_write(fh, f, vendor);
    g_free(f); f = g_strdup_printf("%s/device", dir);
    fake_write(fh, f, device);
    g_free(f); f = g_strdup_printf("%s/numa_node", dir);
    fake_write(fh, f, num);
    fake_link(fh, link, target);
}

static inline void
fake_add_mdev_parent(FakeHost *fh, const char *addr)
{
    g_autofree char *dir = fake_dev_dir(addr);
    g_autofree char *link = g_strdup_printf("class/mdev_bus/%s", addr);
    g_autofree char *target = g_strdup_printf("../../%s", dir);
    g_autofree char *types = g_strdup_printf("%s/mdev_supported_types", dir);

    fake_mkdir(fh, types);
    fake_link(fh, link, target);
}

/* A physical GPU; @parent: whether it is itself an mdev parent
 * (time-sliced vGPU) rather than only the PF of its VFs. */
static inline void
fake_add_pf(FakeHost *fh, const char *addr, const char *device, int numa, gboolean parent)
{
    fake_add_pci(fh, addr, "0x10de\n", device, numa);
    if (parent)
        fake_add_mdev_parent(fh, addr);
}

static inline void
fake_add_vf(FakeHost *fh, const char *pf, const char *vf, guint index, int numa)
{
    g_autofree char *vfdir = fake_dev_dir(vf);
    g_autofree char *pfdir = fake_dev_dir(pf);
    g_autofree char *physfn = g_strdup_printf("%s/physfn", vfdir);
    g_autofree char *physfn_target = g_strdup_printf("../%s", pf);
    g_autofree char *virtfn = g_strdup_printf("%s/virtfn%u", pfdir, index);
    g_autofree char *virtfn_target = g_strdup_printf("../%s", vf);

    /* VFs have their own device id: the model must come from the PF. */
    fake_add_pci(fh, vf, "0x10de\n", "0x0000\n", numa);
    fake_link(fh, physfn, physfn_target);
    fake_link(fh, virtfn, virtfn_target);
    fake_add_mdev_parent(fh, vf);
}

static inline void
fake_add_virtual_parent(FakeHost *fh, const char *name)
{
    fake_add_mdev_parent(fh, name);
}

/* @name / @description NULL: no such file (as drivers without one). */
static inline void
fake_add_type(FakeHost *fh, const char *parent, const char *id, const char *name,
              const char *description, int available)
{
    g_autofree char *dir = fake_dev_dir(parent);
    g_autofree char *tdir = g_strdup_printf("%s/mdev_supported_types/%s", dir, id);
    g_autofree char *f = NULL;
    g_autofree char *avail = g_strdup_printf("%d\n", available);

    if (name) {
        g_autofree char *line = g_strdup_printf("%s\n", name);

        g_free(f); f = g_strdup_printf("%s/name", tdir);
        fake_write(fh, f, line);
    }
    if (description) {
        g_free(f); f = g_strdup_printf("%s/description", tdir);
        fake_write(fh, f, description);
    }
    g_free(f); f = g_strdup_printf("%s/available_instances", tdir);
    fake_write(fh, f, avail);
    g_free(f); f = g_strdup_printf("%s/device_api", tdir);
    fake_write(fh, f, "vfio-pci\n");
    g_free(f); f = g_strdup_printf("%s/create", tdir);
    fake_write(fh, f, "");
    g_free(f); f = g_strdup_printf("%s/devices", tdir);
    fake_mkdir(fh, f);
}

static inline void
fake_add_mdev(FakeHost *fh, const char *parent, const char *type, const char *uuid)
{
    g_autofree char *dir = fake_dev_dir(parent);
    g_autofree char *mdir = g_strdup_printf("%s/%s", dir, uuid);
    g_autofree char *f = NULL;
    g_autofree char *t = NULL;

    g_free(f); f = g_strdup_printf("%s/remove", mdir);
    fake_write(fh, f, "");
    g_free(f); f = g_strdup_printf("%s/mdev_type", mdir);
    g_free(t); t = g_strdup_printf("../mdev_supported_types/%s", type);
    fake_link(fh, f, t);
    g_free(f); f = g_strdup_printf("bus/mdev/devices/%s", uuid);
    g_free(t); t = g_strdup_printf("../../../%s", mdir);
    fake_link(fh, f, t);
    g_free(f); f = g_strdup_printf("%s/mdev_supported_types/%s/devices/%s", dir, type, uuid);
    g_free(t); t = g_strdup_printf("../../../%s", uuid);
    fake_link(fh, f, t);
}
