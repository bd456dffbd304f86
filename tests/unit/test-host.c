/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host_scan on fake sysfs trees. */
#include "fakehost.h"
#include "host-scan.h"
#include "vgpu-error.h"
#include "vgpu-request.h"

#define A40_2Q_DESC "num_heads=4, frl_config=60, framebuffer=2048M, " \
                    "max_resolution=7680x4320, max_instance=24\n"
#define A40_4Q_DESC "num_heads=4, frl_config=60, framebuffer=4096M, " \
                    "max_resolution=7680x4320, max_instance=12\n"
#define U1 "4b20d080-1b54-4048-85b3-a6a62d165c01"
#define U2 "0aa0d080-1b54-4048-85b3-a6a62d165c02"

/* Two A40s with two VFs each (one on NUMA node 1, with a 2Q vGPU), a P40
 * in time-sliced mode, and the mtty sample driver. */
static FakeHost *
build_host(void)
{
    FakeHost *fh = fake_host_new();
    const char *vfs[] = { "0000:41:00.4", "0000:41:00.5", "0000:e8:00.4", "0000:e8:00.5" };

    fake_add_pf(fh, "0000:41:00.0", "0x2235\n", 0, FALSE);
    fake_add_pf(fh, "0000:e8:00.0", "0x2235\n", 1, FALSE);
    for (guint i = 0; i < G_N_ELEMENTS(vfs); i++) {
        const char *pf = i < 2 ? "0000:41:00.0" : "0000:e8:00.0";

        fake_add_vf(fh, pf, vfs[i], i % 2, i < 2 ? 0 : 1);
        fake_add_type(fh, vfs[i], "nvidia-558", "NVIDIA A40-2Q", A40_2Q_DESC,
                      vfs[i][5] == 'e' && i == 2 ? 0 : 1);
        fake_add_type(fh, vfs[i], "nvidia-559", "NVIDIA A40-4Q", A40_4Q_DESC,
                      vfs[i][5] == 'e' ? 0 : 1);
    }
    fake_add_mdev(fh, "0000:e8:00.4", "nvidia-558", U1);

    fake_add_pf(fh, "0000:3b:00.0", "0x1b38\n", -1, TRUE);
    fake_add_type(fh, "0000:3b:00.0", "nvidia-46", "GRID P40-1Q",
                  "num_heads=4, frl_config=60, framebuffer=1024M, max_resolution=5120x2880, "
                  "max_instance=24\n", 24);

    fake_add_virtual_parent(fh, "mtty");
    fake_add_type(fh, "mtty", "mtty-1", "Single port serial", NULL, 24);
    fake_add_type(fh, "mtty", "mtty-2", "Dual port serial", NULL, 12);
    fake_add_mdev(fh, "mtty", "mtty-2", U2);
    return fh;
}

static void
test_scan_full(void)
{
    g_autoptr(FakeHost) fh = build_host();
    g_autoptr(GError) err = NULL;
    g_autoptr(Host) host = host_scan(fh->root, NULL, &err);
    HostParent *p;
    HostType *t;

    g_assert_no_error(err);
    g_assert_nonnull(host);
    g_assert_cmpuint(host->parents->len, ==, 6);
    /* sorted by addr */
    g_assert_cmpstr(((HostParent *)host->parents->pdata[0])->addr, ==, "0000:3b:00.0");
    g_assert_cmpstr(((HostParent *)host->parents->pdata[1])->addr, ==, "0000:41:00.4");
    g_assert_cmpstr(((HostParent *)host->parents->pdata[4])->addr, ==, "0000:e8:00.5");
    g_assert_cmpstr(((HostParent *)host->parents->pdata[5])->addr, ==, "mtty");

    p = host_find_parent(host, "0000:e8:00.4");
    g_assert_nonnull(p);
    g_assert_true(p->is_vf);
    g_assert_cmpstr(p->gpu, ==, "0000:e8:00.0");
    g_assert_cmpint(p->numa_node, ==, 1);
    g_assert_cmpstr(p->model, ==, "10de:2235");
    g_assert_cmpuint(p->types->len, ==, 2);
    t = host_parent_find_type(p, "nvidia-558");
    g_assert_nonnull(t);
    g_assert_cmpstr(t->name, ==, "NVIDIA A40-2Q");
    g_assert_true(g_str_has_prefix(t->description, "num_heads=4"));
    g_assert_cmpuint(t->framebuffer_mb, ==, 2048);
    g_assert_cmpint(t->max_instance, ==, 24);
    g_assert_cmpint(t->available, ==, 0);
    t = host_parent_find_type(p, "nvidia-559");
    g_assert_cmpuint(t->framebuffer_mb, ==, 4096);
    g_assert_cmpint(t->max_instance, ==, 12);
    g_assert_null(host_parent_find_type(p, "nvidia-999"));

    p = host_find_parent(host, "0000:41:00.5");
    g_assert_cmpstr(p->gpu, ==, "0000:41:00.0");
    g_assert_cmpint(p->numa_node, ==, 0);
    g_assert_cmpint(host_parent_find_type(p, "nvidia-558")->available, ==, 1);

    p = host_find_parent(host, "0000:3b:00.0");
    g_assert_false(p->is_vf);
    g_assert_cmpstr(p->gpu, ==, "0000:3b:00.0");
    g_assert_cmpint(p->numa_node, ==, -1);
    g_assert_cmpstr(p->model, ==, "10de:1b38");
    t = host_parent_find_type(p, "nvidia-46");
    g_assert_cmpstr(t->name, ==, "GRID P40-1Q");
    g_assert_cmpuint(t->framebuffer_mb, ==, 1024);
    g_assert_cmpint(t->available, ==, 24);

    p = host_find_parent(host, "mtty");
    g_assert_false(p->is_vf);
    g_assert_cmpstr(p->gpu, ==, "mtty");
    g_assert_cmpstr(p->model, ==, "");
    g_assert_cmpint(p->numa_node, ==, -1);
    t = host_parent_find_type(p, "mtty-1");
    g_assert_cmpstr(t->name, ==, "Single port serial");
    g_assert_null(t->description);
    g_assert_cmpuint(t->framebuffer_mb, ==, 0);
    g_assert_cmpint(t->max_instance, ==, -1);
    g_assert_cmpint(t->available, ==, 24);

    g_assert_cmpuint(host->devices->len, ==, 2);
    /* sorted by uuid */
    g_assert_cmpstr(((HostDevice *)host->devices->pdata[0])->uuid, ==, U2);
    g_assert_cmpstr(((HostDevice *)host->devices->pdata[0])->parent, ==, "mtty");
    g_assert_cmpstr(((HostDevice *)host->devices->pdata[0])->type, ==, "mtty-2");
    g_assert_cmpstr(host_find_device(host, U1)->parent, ==, "0000:e8:00.4");
    g_assert_cmpstr(host_find_device(host, U1)->type, ==, "nvidia-558");
    g_assert_null(host_find_device(host, "11111111-1111-1111-1111-111111111111"));

    g_assert_cmpuint(host_gpu_device_count(host, "0000:e8:00.0", NULL), ==, 1);
    g_assert_cmpuint(host_gpu_device_count(host, "0000:e8:00.0", "nvidia-558"), ==, 1);
    g_assert_cmpuint(host_gpu_device_count(host, "0000:e8:00.0", "nvidia-559"), ==, 0);
    g_assert_cmpuint(host_gpu_device_count(host, "0000:41:00.0", NULL), ==, 0);
    g_assert_cmpuint(host_gpu_device_count(host, "mtty", NULL), ==, 1);
}

static VgpuRequest *
request(const char *profile, const char *type)
{
    VgpuRequest *r = g_new0(VgpuRequest, 1);

    r->uuid = g_strdup(U1);
    r->profile = g_strdup(profile);
    r->type = g_strdup(type);
    r->numa = -1;
    return r;
}

static void
test_scan_reads_only_requested_availability(void)
{
    g_autoptr(FakeHost) fh = build_host();
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) reqs = g_ptr_array_new_with_free_func((GDestroyNotify)vgpu_request_free);
    g_autoptr(Host) host = NULL;
    HostParent *p;

    g_ptr_array_add(reqs, request("a40-2q", NULL));
    g_ptr_array_add(reqs, request(NULL, "mtty-2"));
    host = host_scan(fh->root, reqs, &err);
    g_assert_no_error(err);
    p = host_find_parent(host, "0000:41:00.4");
    g_assert_cmpint(host_parent_find_type(p, "nvidia-558")->available, ==, 1);
    g_assert_cmpint(host_parent_find_type(p, "nvidia-559")->available, ==, -1);
    /* names and descriptions are still there for messages */
    g_assert_cmpstr(host_parent_find_type(p, "nvidia-559")->name, ==, "NVIDIA A40-4Q");
    p = host_find_parent(host, "0000:3b:00.0");
    g_assert_cmpint(host_parent_find_type(p, "nvidia-46")->available, ==, -1);
    p = host_find_parent(host, "mtty");
    g_assert_cmpint(host_parent_find_type(p, "mtty-1")->available, ==, -1);
    g_assert_cmpint(host_parent_find_type(p, "mtty-2")->available, ==, 12);
}

static void
test_scan_empty_request_list_reads_nothing(void)
{
    g_autoptr(FakeHost) fh = build_host();
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) reqs = g_ptr_array_new();
    g_autoptr(Host) host = host_scan(fh->root, reqs, &err);

    g_assert_no_error(err);
    for (guint i = 0; i < host->parents->len; i++) {
        HostParent *p = host->parents->pdata[i];

        for (guint j = 0; j < p->types->len; j++)
            g_assert_cmpint(((HostType *)p->types->pdata[j])->available, ==, -1);
    }
}

static void
test_scan_shares_names_per_model(void)
{
    g_autoptr(FakeHost) fh = build_host();
    g_autoptr(GError) err = NULL;
    g_autoptr(Host) host = NULL;
    g_autofree char *dir = fake_dev_dir("0000:e8:00.5");
    g_autofree char *name = g_strdup_printf("%s/mdev_supported_types/nvidia-559/name", dir);
    g_autofree char *desc = g_strdup_printf("%s/mdev_supported_types/nvidia-559/description", dir);

    /* Same model as 0000:41:00.4, read first: this VF's files are not read
     * at all, so removing them changes nothing. */
    fake_unlink(fh, name);
    fake_unlink(fh, desc);
    host = host_scan(fh->root, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(host_parent_find_type(host_find_parent(host, "0000:e8:00.5"),
                                          "nvidia-559")->name, ==, "NVIDIA A40-4Q");
    g_assert_cmpint(host_parent_find_type(host_find_parent(host, "0000:e8:00.5"),
                                          "nvidia-559")->max_instance, ==, 12);
}

static void
test_scan_type_without_name_uses_id(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(Host) host = NULL;
    HostType *t;

    fake_add_virtual_parent(fh, "mbochs");
    fake_add_type(fh, "mbochs", "mbochs-1", NULL, "64 MB\n", 3);
    host = host_scan(fh->root, NULL, &err);
    g_assert_no_error(err);
    t = host_parent_find_type(host_find_parent(host, "mbochs"), "mbochs-1");
    g_assert_cmpstr(t->name, ==, "mbochs-1");
    g_assert_cmpstr(t->description, ==, "64 MB");
    g_assert_cmpint(t->available, ==, 3);
}

static void
test_scan_empty_host(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(Host) host = host_scan(fh->root, NULL, &err);
    g_autoptr(Host) host2 = NULL;

    g_assert_no_error(err);
    g_assert_cmpuint(host->parents->len, ==, 0);
    g_assert_cmpuint(host->devices->len, ==, 0);
    g_assert_cmpstr(host->root, ==, fh->root);

    /* an empty mdev_bus and no mdev bus devices either */
    fake_mkdir(fh, "class/mdev_bus");
    fake_mkdir(fh, "bus/mdev/devices");
    host2 = host_scan(fh->root, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(host2->parents->len, ==, 0);
}

static void
test_scan_bad_available(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(Host) host = NULL;

    fake_add_virtual_parent(fh, "mtty");
    fake_add_type(fh, "mtty", "mtty-1", "Single port serial", NULL, 2);
    fake_write(fh, "devices/virtual/mtty/mtty/mdev_supported_types/mtty-1/available_instances",
               "lots\n");
    host = host_scan(fh->root, NULL, &err);
    g_assert_null(host);
    g_assert_error(err, VGPU_SYSFS_ERROR, EINVAL);
    g_assert_nonnull(strstr(err->message, "mtty-1/available_instances: unexpected content 'lots'"));
}

static void
test_scan_description_parsing(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(Host) host = NULL;
    HostParent *p;

    fake_add_virtual_parent(fh, "x");
    fake_add_type(fh, "x", "x-1", "one", "max_framebuffer=9M, framebuffer=1G,max_instance=7", 1);
    fake_add_type(fh, "x", "x-2", "two", "low_gm_size: 128MB\nhigh_gm_size: 512MB\n", 1);
    fake_add_type(fh, "x", "x-3", "three", "framebuffer=12, xmax_instance=3", 1);
    host = host_scan(fh->root, NULL, &err);
    g_assert_no_error(err);
    p = host_find_parent(host, "x");
    g_assert_cmpuint(host_parent_find_type(p, "x-1")->framebuffer_mb, ==, 1024);
    g_assert_cmpint(host_parent_find_type(p, "x-1")->max_instance, ==, 7);
    g_assert_cmpuint(host_parent_find_type(p, "x-2")->framebuffer_mb, ==, 0);
    g_assert_cmpint(host_parent_find_type(p, "x-2")->max_instance, ==, -1);
    g_assert_cmpuint(host_parent_find_type(p, "x-3")->framebuffer_mb, ==, 0);
    g_assert_cmpint(host_parent_find_type(p, "x-3")->max_instance, ==, -1);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/host/scan/full", test_scan_full);
    g_test_add_func("/host/scan/requested-availability-only", test_scan_reads_only_requested_availability);
    g_test_add_func("/host/scan/empty-request-list", test_scan_empty_request_list_reads_nothing);
    g_test_add_func("/host/scan/names-shared-per-model", test_scan_shares_names_per_model);
    g_test_add_func("/host/scan/type-without-name", test_scan_type_without_name_uses_id);
    g_test_add_func("/host/scan/empty-host", test_scan_empty_host);
    g_test_add_func("/host/scan/bad-available", test_scan_bad_available);
    g_test_add_func("/host/scan/description", test_scan_description_parsing);
    return g_test_run();
}
