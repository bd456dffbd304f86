/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpu-hook.conf. */
#include "fakehost.h"
#include "vgpu-config.h"
#include "vgpu-error.h"

#include <stdlib.h>

static VgpuConfig *
load_text(FakeHost *fh, const char *text, GError **err)
{
    g_autofree char *path = g_build_filename(fh->root, "vgpu-hook.conf", NULL);

    fake_write(fh, "vgpu-hook.conf", text);
    return vgpu_config_load(path, err);
}

static void
expect_error(const char *text, const char *phrase)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(VgpuConfig) cfg = load_text(fh, text, &err);
    g_autofree char *prefix = g_strdup_printf("%s/vgpu-hook.conf: ", fh->root);

    g_assert_null(cfg);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_INVALID);
    if (!g_str_has_prefix(err->message, prefix) || !strstr(err->message, phrase) ||
        strchr(err->message, '\n'))
        g_error("for %s: unexpected message: %s", text, err->message);
}

static void
test_defaults(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *path = g_build_filename(fh->root, "missing.conf", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(VgpuConfig) cfg = vgpu_config_load(path, &err);
    g_autoptr(VgpuConfig) empty = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(cfg->sysfs_root, ==, "/sys");
    g_assert_cmpstr(cfg->state_dir, ==, "/run/vgpu-hook");
    g_assert_cmpint(cfg->placement, ==, VGPU_PLACEMENT_PACK);
    g_assert_true(cfg->numa_fallback);
    g_assert_null(cfg->allow);
    g_assert_null(cfg->deny);
    g_assert_cmpuint(cfg->lock_timeout_ms, ==, 30000);
    g_assert_cmpuint(cfg->remove_retries, ==, 10);
    g_assert_cmpuint(cfg->remove_retry_delay_ms, ==, 500);
    g_assert_cmpuint(cfg->remove_timeout_ms, ==, 15000);
    g_assert_cmpuint(cfg->create_attempts, ==, 4);
    g_assert_cmpuint(cfg->release_wait_ms, ==, 10000);

    empty = load_text(fh, "# nothing set\n[vgpu-hook]\n", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(empty->state_dir, ==, "/run/vgpu-hook");
    g_assert_cmpuint(empty->create_attempts, ==, 4);
}

static void
test_full(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(VgpuConfig) cfg = load_text(fh,
        "# test\n"
        "[vgpu-hook]\n"
        "sysfs_root = /tmp/sim/sys\n"
        "state_dir=/tmp/state\n"
        "placement = spread\n"
        "allow = 0000:E8:00.0, 41:00.0;0000:81:00.4\n"
        "deny = 0000:e8:00.7\n"
        "lock_timeout_ms = 2500\n"
        "remove_retries = 0\n"
        "remove_retry_delay_ms = 100\n"
        "remove_timeout_ms = 3000\n"
        "create_attempts = 64\n"
        "numa_fallback = false\n", &err);

    g_assert_no_error(err);
    g_assert_cmpstr(cfg->sysfs_root, ==, "/tmp/sim/sys");
    g_assert_cmpstr(cfg->state_dir, ==, "/tmp/state");
    g_assert_cmpint(cfg->placement, ==, VGPU_PLACEMENT_SPREAD);
    g_assert_false(cfg->numa_fallback);
    g_assert_cmpuint(g_strv_length(cfg->allow), ==, 3);
    g_assert_cmpstr(cfg->allow[0], ==, "0000:e8:00.0");
    g_assert_cmpstr(cfg->allow[1], ==, "0000:41:00.0");
    g_assert_cmpstr(cfg->allow[2], ==, "0000:81:00.4");
    g_assert_cmpuint(g_strv_length(cfg->deny), ==, 1);
    g_assert_cmpstr(cfg->deny[0], ==, "0000:e8:00.7");
    g_assert_cmpuint(cfg->lock_timeout_ms, ==, 2500);
    g_assert_cmpuint(cfg->remove_retries, ==, 0);
    g_assert_cmpuint(cfg->remove_retry_delay_ms, ==, 100);
    g_assert_cmpuint(cfg->remove_timeout_ms, ==, 3000);
    g_assert_cmpuint(cfg->create_attempts, ==, 64);
}

static void
test_errors(void)
{
    expect_error("[vgpu-hook]\nplacement=packed\n",
                 "key placement: placement 'packed' is not known (use 'pack' or 'spread')");
    expect_error("[vgpu-hook]\nnuma_fallback=no\n",
                 "key numa_fallback: 'no' is not true or false");
    expect_error("[vgpu-hook]\nalow=0000:e8:00.0\n", "unknown key 'alow' in [vgpu-hook]");
    expect_error("[vgpu-hooks]\n", "unknown group [vgpu-hooks]");
    expect_error("[vgpu-hook]\n[extra]\nx=1\n", "unknown group [extra]");
    expect_error("[vgpu-hook]\nallow=0000:e8:00.0,e8:00\n",
                 "key allow: address 'e8:00' is not a PCI address");
    expect_error("[vgpu-hook]\ndeny=mtty\n", "key deny: address 'mtty' is not a PCI address");
    expect_error("[vgpu-hook]\nstate_dir=run/vgpu\n",
                 "key state_dir: 'run/vgpu' is not an absolute path");
    expect_error("[vgpu-hook]\nsysfs_root=\n", "key sysfs_root: '' is not an absolute path");
    expect_error("[vgpu-hook]\nlock_timeout_ms=0\n",
                 "key lock_timeout_ms: '0' is not a number from 1 to 600000");
    expect_error("[vgpu-hook]\ncreate_attempts=65\n",
                 "key create_attempts: '65' is not a number from 1 to 64");
    expect_error("[vgpu-hook]\nremove_retries=-1\n", "key remove_retries: '-1'");
    expect_error("[vgpu-hook]\nremove_timeout_ms=5s\n", "key remove_timeout_ms: '5s'");
    expect_error("[vgpu-hook]\nstate_dir=/run/../etc\n",
                 "key state_dir: '/run/../etc' has a '..' component (allowed: an absolute path "
                 "without '..', not '/')");
    expect_error("[vgpu-hook]\nsysfs_root=/\n", "key sysfs_root: '/' is the root directory");
    expect_error("not a key file\n", "");
}

/* Every number key, just outside each end of its range: a one-line error
 * naming the file (checked by expect_error), the key and the range. */
static void
test_every_number_range(void)
{
    static const struct { const char *key; guint min, max; } keys[] = {
        { "lock_timeout_ms", 1, 600000 },
        { "remove_retries", 0, 1000 },
        { "remove_retry_delay_ms", 0, 60000 },
        { "remove_timeout_ms", 1, 600000 },
        { "create_attempts", 1, 64 },
        { "create_timeout_ms", 1, 600000 },
        { "hook_timeout_ms", 100, 3600000 },
        { "release_wait_ms", 0, 600000 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        g_autofree char *range = g_strdup_printf("is not a number from %u to %u",
                                                 keys[i].min, keys[i].max);
        g_autofree char *above = g_strdup_printf("[vgpu-hook]\n%s=%u\n", keys[i].key,
                                                 keys[i].max + 1);
        g_autofree char *below = keys[i].min ? g_strdup_printf("[vgpu-hook]\n%s=%u\n",
                                                               keys[i].key, keys[i].min - 1)
                                             : g_strdup_printf("[vgpu-hook]\n%s=-1\n",
                                                               keys[i].key);
        g_autofree char *what = g_strdup_printf("key %s: ", keys[i].key);
        g_autoptr(FakeHost) fh = fake_host_new();
        g_autoptr(GError) err = NULL;
        g_autofree char *at_max = g_strdup_printf("[vgpu-hook]\n%s=%u\n", keys[i].key,
                                                  keys[i].max);
        g_autoptr(VgpuConfig) ok = load_text(fh, at_max, &err);

        g_assert_no_error(err);
        g_assert_nonnull(ok);
        expect_error(above, what);
        expect_error(above, range);
        expect_error(below, what);
        expect_error(below, range);
    }
}

static void
test_empty_lists(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(VgpuConfig) cfg = load_text(fh, "[vgpu-hook]\nallow=\ndeny= , \n", &err);

    g_assert_no_error(err);
    g_assert_null(cfg->allow);
    g_assert_null(cfg->deny);
}

static void
test_path_from_env(void)
{
    g_unsetenv("VGPU_HOOK_CONF");
    g_assert_cmpstr(vgpu_config_path(), ==, "/etc/libvirt/vgpu-hook.conf");
    g_setenv("VGPU_HOOK_CONF", "/tmp/x.conf", TRUE);
    g_assert_cmpstr(vgpu_config_path(), ==, "/tmp/x.conf");
    g_setenv("VGPU_HOOK_CONF", "", TRUE);
    g_assert_cmpstr(vgpu_config_path(), ==, VGPU_CONFIG_DEFAULT_PATH);
    g_unsetenv("VGPU_HOOK_CONF");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/defaults", test_defaults);
    g_test_add_func("/config/full", test_full);
    g_test_add_func("/config/errors", test_errors);
    g_test_add_func("/config/every-number-range", test_every_number_range);
    g_test_add_func("/config/empty-lists", test_empty_lists);
    g_test_add_func("/config/path-from-env", test_path_from_env);
    return g_test_run();
}
