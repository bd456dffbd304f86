/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysfs path builders. */
#include "sysfs-path.h"
#include "vgpu-error.h"

#define R "/tmp/sys"

static void
test_paths(void)
{
    struct { char *got; const char *want; } cases[] = {
        { sysfs_path_mdev_bus(R), R "/class/mdev_bus" },
        { sysfs_path_parent(R, "0000:e8:00.4", NULL), R "/class/mdev_bus/0000:e8:00.4" },
        { sysfs_path_parent_file(R, "0000:e8:00.4", "physfn", NULL),
          R "/class/mdev_bus/0000:e8:00.4/physfn" },
        { sysfs_path_types(R, "mtty", NULL), R "/class/mdev_bus/mtty/mdev_supported_types" },
        { sysfs_path_type(R, "mtty", "mtty-1", NULL), R "/class/mdev_bus/mtty/mdev_supported_types/mtty-1" },
        { sysfs_path_type_file(R, "0000:e8:00.4", "nvidia-558", "create", NULL),
          R "/class/mdev_bus/0000:e8:00.4/mdev_supported_types/nvidia-558/create" },
        { sysfs_path_mdev_devices(R), R "/bus/mdev/devices" },
        { sysfs_path_mdev(R, "4b20d080-1b54-4048-85b3-a6a62d165c01", NULL),
          R "/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01" },
        { sysfs_path_mdev_file(R, "4b20d080-1b54-4048-85b3-a6a62d165c01", "remove", NULL),
          R "/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01/remove" },
        { sysfs_path_pci_device(R, "0000:e8:00.0", NULL), R "/bus/pci/devices/0000:e8:00.0" },
        { sysfs_path_pci_file(R, "0000:e8:00.0", "vendor", NULL), R "/bus/pci/devices/0000:e8:00.0/vendor" },
        { sysfs_path_mdev_bus("/"), "/class/mdev_bus" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_cmpstr(cases[i].got, ==, cases[i].want);
        g_free(cases[i].got);
    }
}

static void
test_component_ok(void)
{
    g_autofree char *long_name = g_strnfill(256, 'a');
    g_autofree char *max_name = g_strnfill(255, 'a');

    g_assert_true(sysfs_component_ok("0000:e8:00.4"));
    g_assert_true(sysfs_component_ok("i915-GVTg_V5_4"));
    g_assert_true(sysfs_component_ok("..."));
    g_assert_true(sysfs_component_ok(max_name));
    g_assert_false(sysfs_component_ok(NULL));
    g_assert_false(sysfs_component_ok(""));
    g_assert_false(sysfs_component_ok("."));
    g_assert_false(sysfs_component_ok(".."));
    g_assert_false(sysfs_component_ok("a/b"));
    g_assert_false(sysfs_component_ok("/"));
    g_assert_false(sysfs_component_ok("a\nb"));
    g_assert_false(sysfs_component_ok("caf\xc3\xa9"));
    g_assert_false(sysfs_component_ok(long_name));
}

/* A bad component is a real error in every build: no g_return_if_fail
 * (compiled out by G_DISABLE_CHECKS, and a CRITICAL on the hook's
 * stderr), but NULL and an error naming it. */
static void
test_refusal(void)
{
    struct { char *got; const char *message; } cases[3];
    GError *errs[3] = { NULL, NULL, NULL };

    cases[0].got = sysfs_path_type_file(R, "mtty", "../../../etc", "create", &errs[0]);
    cases[0].message = "'../../../etc' is not a safe sysfs path component";
    cases[1].got = sysfs_path_mdev(R, "..", &errs[1]);
    cases[1].message = "'..' is not a safe sysfs path component";
    cases[2].got = sysfs_path_pci_file(R, "0000:e8:00.0", "a/b", &errs[2]);
    cases[2].message = "'a/b' is not a safe sysfs path component";
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_null(cases[i].got);
        g_assert_error(errs[i], VGPU_ERROR, VGPU_ERROR_INVALID);
        g_assert_cmpstr(errs[i]->message, ==, cases[i].message);
        g_clear_error(&errs[i]);
    }
    g_assert_null(sysfs_path_parent(R, NULL, NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sysfs-path/paths", test_paths);
    g_test_add_func("/sysfs-path/component-ok", test_component_ok);
    g_test_add_func("/sysfs-path/refusal", test_refusal);
    return g_test_run();
}
