/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for xml/vgpu-request.c: field validators and UUID derivation. */
#include "vgpu-request.h"
#include "vgpu-error.h"
#include "vgpu-validate.h"

#include <string.h>

#define UUID_A "4b20d080-1b54-4048-85b3-a6a62d165c01"

static void
assert_invalid(GError *err, const char *phrase)
{
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_INVALID);
    if (!strstr(err->message, phrase))
        g_error("message \"%s\" lacks \"%s\"", err->message, phrase);
    g_assert_null(strchr(err->message, '\n'));
}

static void
test_uuid(void)
{
    const char *bad[] = {
        "", "not-a-uuid", "4b20d080-1b54-4048-85b3-a6a62d165c0",
        "4b20d080-1b54-4048-85b3-a6a62d165c011", "{4b20d080-1b54-4048-85b3-a6a62d165c01}",
        "4b20d0801b54404885b3a6a62d165c01", "4b20d080-1b54-4048-85b3-a6a62d165c0g",
        "4b20d080_1b54-4048-85b3-a6a62d165c01", " 4b20d080-1b54-4048-85b3-a6a62d165c0",
    };
    g_autofree char *lower = NULL;
    g_autofree char *upper = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(vgpu_validate_uuid("uuid", UUID_A, &lower, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(lower, ==, UUID_A);
    g_assert_cmpint(vgpu_validate_uuid("uuid", "4B20D080-1B54-4048-85B3-A6A62D165C01", &upper, NULL), ==, 0);
    g_assert_cmpstr(upper, ==, UUID_A);
    g_assert_cmpint(vgpu_validate_uuid("uuid", UUID_A, NULL, NULL), ==, 0);

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        char *out = NULL;
        g_autofree char *expect = g_strdup_printf("my field '%s' is not a UUID (expected "
                                                  "8-4-4-4-12 hex digits)", bad[i]);

        g_assert_cmpint(vgpu_validate_uuid("my field", bad[i], &out, &e), ==, -1);
        g_assert_null(out);
        assert_invalid(e, expect);
    }
    g_assert_cmpint(vgpu_validate_uuid("uuid", NULL, NULL, &err), ==, -1);
    assert_invalid(err, "uuid '' is not a UUID");
}

static void
test_type_id(void)
{
    const char *good[] = { "nvidia-558", "i915-GVTg_V5_4", "mtty-1", "mtty-2", "a.b+c", "9x" };
    const char *bad[] = { "..", "a/b", "", "../nvidia-558", "nvidia-558/..", "/nvidia-558",
                          "-x", ".hidden", "_x", "a..b", "a b", "nvidia-558\n", "a\\b",
                          "caf\xc3\xa9" };
    g_autofree char *max = g_strnfill(64, 'a');
    g_autofree char *too_long = g_strnfill(65, 'a');
    g_autoptr(GError) err = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_assert_cmpint(vgpu_validate_type_id(good[i], &err), ==, 0);
        g_assert_no_error(err);
    }
    g_assert_cmpint(vgpu_validate_type_id(max, NULL), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *expect = g_strdup_printf("type '%s' is not a valid mdev type id",
                                                  bad[i]);

        g_assert_cmpint(vgpu_validate_type_id(bad[i], &e), ==, -1);
        g_assert_error(e, VGPU_ERROR, VGPU_ERROR_INVALID);
        g_assert_true(g_str_has_prefix(e->message, expect));
    }
    g_assert_cmpint(vgpu_validate_type_id(too_long, NULL), ==, -1);
    g_assert_cmpint(vgpu_validate_type_id(NULL, &err), ==, -1);
    assert_invalid(err, "type '' is not a valid mdev type id");
}

static void
test_profile(void)
{
    const char *good[] = { "A40-2Q", "GRID A40-4C", "NVIDIA A100-1-5C", "GVTg_V5_4", "x" };
    const char *bad[] = { "", " A40", "../A40", "A40/2Q", "/etc/passwd", "A40\\2Q", "A40:2Q",
                          "-A40" };
    g_autofree char *max = g_strnfill(64, 'Q');
    g_autofree char *too_long = g_strnfill(65, 'Q');

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
        g_assert_cmpint(vgpu_validate_profile(good[i], NULL), ==, 0);
    g_assert_cmpint(vgpu_validate_profile(max, NULL), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *expect = g_strdup_printf("profile '%s' is not a valid profile name",
                                                  bad[i]);

        g_assert_cmpint(vgpu_validate_profile(bad[i], &e), ==, -1);
        assert_invalid(e, expect);
    }
    g_assert_cmpint(vgpu_validate_profile(too_long, NULL), ==, -1);
    g_assert_cmpint(vgpu_validate_profile(NULL, NULL), ==, -1);
}

static void
test_pci_addr(void)
{
    const struct { const char *in, *out; } good[] = {
        { "e8:00.4", "0000:e8:00.4" },
        { "0000:E8:00.4", "0000:e8:00.4" },
        { "0001:00:02.0", "0001:00:02.0" },
        { "ffff:ff:1f.7", "ffff:ff:1f.7" },
        { "00:00.0", "0000:00:00.0" },
    };
    const char *bad[] = { "0x00:00.0", "00:1f.8", "0000:e8:00.4/..", "00:20.0", "", "e8:00",
                          "0000:e8:00", "0000-e8:00.4", "g0:00.0", "0000:e8:00.4 ", " e8:00.4",
                          "00000:e8:00.4", "0000:e8.00.4", "../e8:00.4" };

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *norm = NULL;
        g_autoptr(GError) e = NULL;

        g_assert_cmpint(vgpu_validate_pci_addr("parent", good[i].in, &norm, &e), ==, 0);
        g_assert_no_error(e);
        g_assert_cmpstr(norm, ==, good[i].out);
    }
    g_assert_cmpint(vgpu_validate_pci_addr("parent", "e8:00.4", NULL, NULL), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        char *norm = NULL;
        g_autofree char *expect = g_strdup_printf("gpu '%s' is not a PCI address (expected "
                                                  "DDDD:BB:DD.F, e.g. 0000:e8:00.4)", bad[i]);

        g_assert_cmpint(vgpu_validate_pci_addr("gpu", bad[i], &norm, &e), ==, -1);
        g_assert_null(norm);
        assert_invalid(e, expect);
    }
    g_assert_cmpint(vgpu_validate_pci_addr("parent", NULL, NULL, NULL), ==, -1);
}

static void
test_placement(void)
{
    VgpuPlacement p = VGPU_PLACEMENT_DEFAULT;
    const char *bad[] = { "PACK", "fill", "", " pack", "spread " };

    g_assert_cmpint(vgpu_placement_parse("pack", &p, NULL), ==, 0);
    g_assert_cmpint(p, ==, VGPU_PLACEMENT_PACK);
    g_assert_cmpint(vgpu_placement_parse("spread", &p, NULL), ==, 0);
    g_assert_cmpint(p, ==, VGPU_PLACEMENT_SPREAD);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *expect = g_strdup_printf("placement '%s' is not known (use 'pack' or "
                                                  "'spread')", bad[i]);

        p = VGPU_PLACEMENT_SPREAD;
        g_assert_cmpint(vgpu_placement_parse(bad[i], &p, &e), ==, -1);
        g_assert_cmpint(p, ==, VGPU_PLACEMENT_SPREAD);
        assert_invalid(e, expect);
    }
    g_assert_cmpint(vgpu_placement_parse(NULL, &p, NULL), ==, -1);
    g_assert_cmpstr(vgpu_placement_name(VGPU_PLACEMENT_PACK), ==, "pack");
    g_assert_cmpstr(vgpu_placement_name(VGPU_PLACEMENT_SPREAD), ==, "spread");
    g_assert_cmpstr(vgpu_placement_name(VGPU_PLACEMENT_DEFAULT), ==, "default");
}

static void
test_uuid_derive(void)
{
    g_autofree char *d0 = vgpu_request_uuid_derive(UUID_A, 0);
    g_autofree char *d0_again = vgpu_request_uuid_derive(UUID_A, 0);
    g_autofree char *d0_upper = vgpu_request_uuid_derive("4B20D080-1B54-4048-85B3-A6A62D165C01", 0);
    g_autofree char *d1 = vgpu_request_uuid_derive(UUID_A, 1);
    g_autofree char *other = vgpu_request_uuid_derive("c7a5fdbd-edaf-9455-926a-d65c16db1809", 0);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    /* Regression values: SHA-1 name-based UUIDs of "vgpu-hook/device/<index>"
     * in the domain UUID's namespace (RFC 4122 v5; Python's uuid5 agrees). */
    g_assert_cmpstr(d0, ==, "6fe29a83-177e-5dc7-8a73-9c6ea0854e81");
    g_assert_cmpstr(d1, ==, "a8bc93b2-2e94-51de-b16a-be2cf101769a");
    g_assert_cmpstr(other, ==, "08a22175-b8a5-5e89-8e2d-5564c163243d");
    g_assert_cmpstr(d0_again, ==, d0);
    g_assert_cmpstr(d0_upper, ==, d0);
    g_assert_cmpint(vgpu_validate_uuid("derived", d0, NULL, NULL), ==, 0);
    g_assert_cmpint(d0[14], ==, '5');

    for (guint i = 0; i < 256; i++) {
        char *d = vgpu_request_uuid_derive(UUID_A, i);

        g_assert_nonnull(d);
        g_assert_false(g_hash_table_contains(seen, d));
        g_hash_table_add(seen, d);
    }
    g_assert_cmpuint(g_hash_table_size(seen), ==, 256);
    g_assert_null(vgpu_request_uuid_derive("not-a-uuid", 0));
    g_assert_null(vgpu_request_uuid_derive("", 0));
    g_assert_null(vgpu_request_uuid_derive("4b20d080-1b54-4048-85b3-a6a62d165c0", 0));
}

static void
test_label_and_free(void)
{
    g_autoptr(VgpuRequest) req = g_new0(VgpuRequest, 1);

    req->type = g_strdup("nvidia-558");
    g_assert_cmpstr(vgpu_request_label(req), ==, "nvidia-558");
    req->profile = g_strdup("A40-2Q");
    g_assert_cmpstr(vgpu_request_label(req), ==, "A40-2Q");
    vgpu_request_free(NULL);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/request/uuid", test_uuid);
    g_test_add_func("/request/type-id", test_type_id);
    g_test_add_func("/request/profile", test_profile);
    g_test_add_func("/request/pci-addr", test_pci_addr);
    g_test_add_func("/request/placement", test_placement);
    g_test_add_func("/request/uuid-derive", test_uuid_derive);
    g_test_add_func("/request/label-and-free", test_label_and_free);
    return g_test_run();
}
