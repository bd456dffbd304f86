/* The sysfs path builders. */
#include "sysfs-path.h"

#define R "/tmp/sys"

static void
test_paths(void)
{
    struct { char *got; const char *want; } cases[] = {
        { sysfs_path_mdev_bus(R), R "/class/mdev_bus" },
        { sysfs_path_parent(R, "0000:e8:00.4"), R "/class/mdev_bus/0000:e8:00.4" },
        { sysfs_path_parent_file(R, "0000:e8:00.4", "physfn"),
          R "/class/mdev_bus/0000:e8:00.4/physfn" },
        { sysfs_path_types(R, "mtty"), R "/class/mdev_bus/mtty/mdev_supported_types" },
        { sysfs_path_type(R, "mtty", "mtty-1"), R "/class/mdev_bus/mtty/mdev_supported_types/mtty-1" },
        { sysfs_path_type_file(R, "0000:e8:00.4", "nvidia-558", "create"),
          R "/class/mdev_bus/0000:e8:00.4/mdev_supported_types/nvidia-558/create" },
        { sysfs_path_mdev_devices(R), R "/bus/mdev/devices" },
        { sysfs_path_mdev(R, "4b20d080-1b54-4048-85b3-a6a62d165c01"),
          R "/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01" },
        { sysfs_path_mdev_file(R, "4b20d080-1b54-4048-85b3-a6a62d165c01", "remove"),
          R "/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01/remove" },
        { sysfs_path_pci_device(R, "0000:e8:00.0"), R "/bus/pci/devices/0000:e8:00.0" },
        { sysfs_path_pci_file(R, "0000:e8:00.0", "vendor"), R "/bus/pci/devices/0000:e8:00.0/vendor" },
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

static void
test_refusal(void)
{
    char *p;

    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*sysfs_component_ok*");
    p = sysfs_path_type_file(R, "mtty", "../../../etc", "create");
    g_test_assert_expected_messages();
    g_assert_null(p);

    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*sysfs_component_ok*");
    p = sysfs_path_mdev(R, "..");
    g_test_assert_expected_messages();
    g_assert_null(p);

    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*sysfs_component_ok*");
    p = sysfs_path_pci_file(R, "0000:e8:00.0", "a/b");
    g_test_assert_expected_messages();
    g_assert_null(p);
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
