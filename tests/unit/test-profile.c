/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Profile names against type names. */
#include "host.h"
#include "profile.h"

typedef struct {
    const char *type_name;
    const char *profile;
    gboolean match;
} ProfileCase;

static const ProfileCase cases[] = {
    { "NVIDIA A40-2Q", "A40-2Q", TRUE },
    { "NVIDIA A40-2Q", "nvidia a40-2q", TRUE },
    { "NVIDIA A40-2Q", "NVIDIA_A40-2Q", TRUE },
    { "NVIDIA A40-2Q", "a40-2q", TRUE },
    { "A40-2Q", "NVIDIA A40-2Q", TRUE },          /* prefix on the request side only */
    { "GRID P40-1Q", "P40-1Q", TRUE },
    { "GRID P40-1Q", "grid_p40-1q", TRUE },
    { "GVTg_V5_4", "gvtg v5 4", TRUE },
    { "GVTg_V5_4", "Intel GVTg_V5_4", TRUE },
    { "Single port serial", "single_port_serial", TRUE },
    { "Single port serial", "SINGLE PORT SERIAL", TRUE },
    { "NVIDIA H200X-1-18C", "H200X-1-18C", TRUE },
    /* negatives */
    { "NVIDIA A40-2Q", "A40-2", FALSE },          /* a prefix of the name */
    { "NVIDIA A40-12Q", "A40-1Q", FALSE },
    { "NVIDIA A40-1Q", "A40-12Q", FALSE },
    { "NVIDIA A40-2Q", "a40 2q", FALSE },         /* '-' is not a space */
    { "NVIDIA A40-2Q", "A40-2Q2", FALSE },
    { "NVIDIA A40-2Q", "A40-2B", FALSE },
    { "NVIDIA A40-2Q", "NVIDIA", FALSE },
    { "NVIDIA A40-2Q", "", FALSE },
    { "GVTg_V5_4", "GVTg_V5_8", FALSE },
    { "Single port serial", "Dual port serial", FALSE },
    { "Single port serial", "single port", FALSE },
    { "NVIDIA A40-2Q", "AMD A40-2Q", FALSE },     /* only known vendor words */
};

static void
test_profile_table(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        HostType t = { .id = (char *)"nvidia-1", .name = (char *)cases[i].type_name };

        if (host_type_matches_profile(&t, cases[i].profile) != cases[i].match)
            g_error("'%s' vs profile '%s': expected %s", cases[i].type_name, cases[i].profile,
                    cases[i].match ? "a match" : "no match");
    }
}

static void
test_short_name(void)
{
    HostType a = { .name = (char *)"NVIDIA A40-2Q" };
    HostType b = { .name = (char *)"GRID P40-1Q" };
    HostType c = { .name = (char *)"Single port serial" };
    HostType d = { .name = (char *)"NVIDIA" };

    g_assert_cmpstr(host_type_short_name(&a), ==, "A40-2Q");
    g_assert_cmpstr(host_type_short_name(&b), ==, "P40-1Q");
    g_assert_cmpstr(host_type_short_name(&c), ==, "Single port serial");
    g_assert_cmpstr(host_type_short_name(&d), ==, "NVIDIA");
}

static void
test_matching_types(void)
{
    HostType t1 = { .id = (char *)"nvidia-558", .name = (char *)"NVIDIA A40-2Q" };
    HostType t2 = { .id = (char *)"nvidia-559", .name = (char *)"NVIDIA A40-4Q" };
    HostType t3 = { .id = (char *)"nvidia-560", .name = (char *)"NVIDIA A40-2Q" };
    g_autoptr(GPtrArray) types = g_ptr_array_new();
    HostParent p = { .addr = (char *)"0000:e8:00.4", .types = types };
    g_autoptr(GPtrArray) m1 = NULL;
    g_autoptr(GPtrArray) m2 = NULL;
    g_autoptr(GPtrArray) m3 = NULL;
    g_autoptr(GPtrArray) m4 = NULL;
    g_autoptr(GPtrArray) m5 = NULL;

    g_ptr_array_add(types, &t1);
    g_ptr_array_add(types, &t2);
    g_ptr_array_add(types, &t3);
    m1 = host_parent_request_types(&p, &(VgpuRequest){ .type = (char *)"nvidia-559" });
    g_assert_cmpuint(m1->len, ==, 1);
    g_assert_true(m1->pdata[0] == &t2);
    m2 = host_parent_request_types(&p, &(VgpuRequest){ .profile = (char *)"a40-2q" });
    g_assert_cmpuint(m2->len, ==, 2);
    g_assert_true(m2->pdata[0] == &t1 && m2->pdata[1] == &t3);
    m3 = host_parent_request_types(&p, &(VgpuRequest){ .type = (char *)"nvidia-559",
                                                            .profile = (char *)"A40-2Q" });  /* id and name disagree */
    g_assert_cmpuint(m3->len, ==, 0);
    m4 = host_parent_request_types(&p, &(VgpuRequest){ .type = (char *)"nvidia-558",
                                                            .profile = (char *)"A40-2Q" });
    g_assert_cmpuint(m4->len, ==, 1);
    m5 = host_parent_request_types(&p, &(VgpuRequest){ .type = (char *)"nvidia-55" });       /* ids are exact */
    g_assert_cmpuint(m5->len, ==, 0);
}

static void
test_size_series(void)
{
    guint64 mb = 0;
    char series = 0;
    gboolean plain = FALSE;

    g_assert_true(profile_size_series("A40-8Q", &mb, &series, &plain));
    g_assert_true(mb == 8192 && series == 'Q' && plain);
    g_assert_true(profile_size_series("A100-3-20C", &mb, &series, &plain));
    g_assert_true(mb == 20480 && series == 'C' && plain);
    g_assert_true(profile_size_series("A100-1-5CME", &mb, &series, &plain));
    g_assert_true(mb == 5120 && series == 'C' && !plain);
    g_assert_false(profile_size_series("GVTg_V5_4", NULL, NULL, NULL));
    g_assert_false(profile_size_series("Single port serial", NULL, NULL, NULL));
    g_assert_false(profile_size_series("A40-0Q", NULL, NULL, NULL));
    g_assert_false(profile_size_series("A40-Q", NULL, NULL, NULL));
}

/* By need: series from the name, size from the description first; a
 * variant (-5CME) is not a plain C. */
static void
test_fits_need(void)
{
    HostType q8 = { .id = (char *)"nvidia-562", .name = (char *)"NVIDIA A40-8Q" };
    HostType q8desc = { .id = (char *)"x", .name = (char *)"NVIDIA A40-8Q",
                        .framebuffer_mb = 4096 };
    HostType cme = { .id = (char *)"nvidia-700", .name = (char *)"NVIDIA A100-1-5CME" };
    HostType c5 = { .id = (char *)"nvidia-699", .name = (char *)"NVIDIA A100-1-5C" };
    VgpuRequest need = { .numa = -1 };

    vgpu_request_set_need(&need, 'Q', 8192);
    g_assert_true(host_type_fits_request(&q8, &need));
    g_assert_false(host_type_fits_request(&q8desc, &need));   /* the description wins */
    need.framebuffer_exact = TRUE;
    need.framebuffer_mb = 16384;
    g_assert_false(host_type_fits_request(&q8, &need));
    vgpu_request_set_need(&need, 'C', 4096);
    need.framebuffer_exact = FALSE;
    g_assert_true(host_type_fits_request(&c5, &need));
    g_assert_false(host_type_fits_request(&cme, &need));
    g_assert_false(host_type_fits_request(&q8, &need));
    g_free(need.label);
}

static void
test_mig_instance(void)
{
    static const struct { const char *name, *gi; } mig_cases[] = {
        { "A100-3-20C", "3g.20gb" }, { "A100-1-5CME", "1g.5gb+me" }, { "A100D-7-80C", "7g.80gb" },
        { "H100-1-10C", "1g.10gb" }, { "NVIDIA H200X-1-18C", "1g.18gb" },
        { "A100-40C", NULL }, { "A40-8Q", NULL }, { "GVTg_V5_4", NULL }, { "A100-12-5C", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(mig_cases); i++) {
        g_autofree char *gi = profile_mig_instance(profile_short_name(mig_cases[i].name));

        g_assert_cmpstr(gi, ==, mig_cases[i].gi);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/profile/table", test_profile_table);
    g_test_add_func("/profile/short-name", test_short_name);
    g_test_add_func("/profile/matching-types", test_matching_types);
    g_test_add_func("/profile/size-series", test_size_series);
    g_test_add_func("/profile/fits-need", test_fits_need);
    g_test_add_func("/profile/mig-instance", test_mig_instance);
    return g_test_run();
}
