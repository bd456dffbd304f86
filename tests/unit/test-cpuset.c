/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPU and node lists as libvirt and the kernel write them. */
#include "vgpu-cpuset.h"
#include "vgpu-error.h"

static void
test_parse(void)
{
    static const struct { const char *in, *out; } ok[] = {
        { "0", "0" }, { "0-3", "0,1,2,3" }, { "0-3,^2,8", "0,1,3,8" },
        { " 1 , 3-4 ", "1,3,4" }, { "5,5,4", "4,5" }, { "1,^1", "" }, { "8191", "8191" },
    };
    static const char *const bad[] = {
        "", "a", "1-", "-1", "3-1", "1,,2", "^1-3", "8192", "1x", "0x1", "99999999999",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autoptr(GArray) set = NULL;
        g_autoptr(GError) err = NULL;
        g_autofree char *s = NULL;

        g_assert_cmpint(vgpu_cpuset_parse("cpuset", ok[i].in, &set, &err), ==, 0);
        g_assert_no_error(err);
        s = vgpu_cpuset_format(set);
        g_assert_cmpstr(s, ==, ok[i].out);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GArray) set = NULL;
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(vgpu_cpuset_parse("cpuset", bad[i], &set, &err), ==, -1);
        g_assert_error(err, VGPU_ERROR, VGPU_ERROR_INVALID);
        g_assert_nonnull(g_strstr_len(err->message, -1, "is not a list of numbers"));
        g_assert_null(set);
    }
}

static void
test_merge(void)
{
    g_autoptr(GArray) a = NULL, b = NULL;
    g_autofree char *s = NULL;

    g_assert_cmpint(vgpu_cpuset_parse("x", "4,1", &a, NULL), ==, 0);
    g_assert_cmpint(vgpu_cpuset_parse("x", "2,4", &b, NULL), ==, 0);
    vgpu_cpuset_merge(a, b);
    s = vgpu_cpuset_format(a);
    g_assert_cmpstr(s, ==, "1,2,4");
    g_assert_true(vgpu_cpuset_contains(a, 2));
    g_assert_false(vgpu_cpuset_contains(a, 3));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpuset/parse", test_parse);
    g_test_add_func("/cpuset/merge", test_merge);
    return g_test_run();
}
