/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The whole-VF choice (vf-choice.c) on hand-built hosts: which VF a
 * request gets, what refuses the one a hostdev names, and that what
 * differs between backends comes from their VfBackend. */
#include "vf-choice.h"
#include "device-kind.h"

#include <glib/gstdio.h>
#include <string.h>

#define SELF "11111111-1111-4111-8111-111111111111"
#define OTHER "22222222-2222-4222-8222-222222222222"

/* A GPU on bus @bus with @nvfs VFs of @kind, on NUMA node @numa. A typed
 * VF offers A40-2Q; a plain VF its own id. */
static void
add_gpu(Host *h, const DeviceKind *kind, const char *bus, guint nvfs, int numa)
{
    g_autofree char *gpu = g_strdup_printf("0000:%s:00.0", bus);

    for (guint i = 0; i < nvfs; i++) {
        HostParent *p = g_new0(HostParent, 1);
        HostType *t = g_new0(HostType, 1);

        p->addr = g_strdup_printf("0000:%s:00.%u", bus, i + 4);
        p->gpu = g_strdup(gpu);
        p->is_vf = TRUE;
        p->numa_node = numa;
        p->kind = kind;
        p->model = g_strdup(device_kind_by_gpu(kind) ? "1002:74a1" : "10de:2235");
        p->types = g_ptr_array_new_with_free_func((GDestroyNotify)host_type_free);
        t->id = g_strdup(device_kind_by_gpu(kind) ? "vf-1002-74b5" : "nvidia-558");
        t->name = g_strdup(device_kind_by_gpu(kind) ? "MI300X VF" : "NVIDIA A40-2Q");
        t->max_instance = device_kind_by_gpu(kind) ? 1 : 24;
        t->available = 1;
        g_ptr_array_add(p->types, t);
        g_ptr_array_add(h->parents, p);
    }
}

static VgpuRequest *
req_new(const char *type, const char *gpu, const char *vf)
{
    VgpuRequest *r = g_new0(VgpuRequest, 1);

    r->uuid = g_strdup("4b20d080-1b54-4048-85b3-a6a62d165c01");
    r->type = g_strdup(type);
    r->gpu = g_strdup(gpu);
    r->vf = g_strdup(vf);
    r->numa = -1;
    return r;
}

/* A ledger of domain @domain holding VF @addr of @kind. */
static Ledger *
ledger_holding(const char *domain, const char *name, const DeviceKind *kind, const char *addr,
               const char *type)
{
    g_autofree char *dir = g_dir_make_tmp("vgpu-ledger-XXXXXX", NULL);
    Ledger *l = ledger_load(dir, domain, name, NULL);
    const char *uuid = "9b20d080-1b54-4048-85b3-a6a62d165c09";

    g_assert_nonnull(l);
    ledger_set(l, uuid, addr, type, LEDGER_CREATED);
    ledger_set_kind(l, uuid, kind->ledger_name);
    g_rmdir(dir);
    return l;
}

typedef struct {
    Host *host;
    GPtrArray *ledgers;
    PciNames *names;
    PlacementRules rules;
    VfChoice c;
} Fixture;

static void
fixture_init(Fixture *f)
{
    f->host = host_new("/nonexistent");
    f->ledgers = g_ptr_array_new_with_free_func((GDestroyNotify)ledger_free);
    f->names = pci_names_new("/nonexistent/pci.ids");
    f->rules = (PlacementRules){ .policy = VGPU_PLACEMENT_PACK, .numa_fallback = TRUE };
    f->c = (VfChoice){ .rules = &f->rules, .names = f->names, .ledgers = f->ledgers,
                       .domain_uuid = SELF };
}

static void
fixture_clear(Fixture *f)
{
    host_free(f->host);
    g_ptr_array_unref(f->ledgers);
    pci_names_free(f->names);
}

/* pack: the busiest GPU; spread: the idlest; a VF a ledger holds never. */
static void
test_find_policy(void)
{
    Fixture f;
    g_autoptr(VgpuRequest) req = req_new("nvidia-558", NULL, NULL);
    const HostParent *vf;

    fixture_init(&f);
    add_gpu(f.host, &device_kind_nvvf, "41", 4, 0);
    add_gpu(f.host, &device_kind_nvvf, "81", 4, 0);
    device_kind_nvvf.note_made(f.host, "0000:81:00.4", "0000:81:00.4", "nvidia-558");
    vf = vf_choice_find(&f.c, f.host, req);
    g_assert_nonnull(vf);
    g_assert_cmpstr(vf->gpu, ==, "0000:81:00.0");
    g_assert_cmpstr(vf->addr, !=, "0000:81:00.4");
    f.rules.policy = VGPU_PLACEMENT_SPREAD;
    vf = vf_choice_find(&f.c, f.host, req);
    g_assert_cmpstr(vf->gpu, ==, "0000:41:00.0");
    fixture_clear(&f);
}

/* The domain's NUMA nodes outrank pack; c->exclude is never taken and
 * c->avoid only when nothing else is free. */
static void
test_find_numa_avoid_exclude(void)
{
    Fixture f;
    g_autoptr(VgpuRequest) req = req_new("nvidia-558", NULL, NULL);
    g_autoptr(GArray) nodes = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GHashTable) avoid = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) exclude = g_hash_table_new(g_str_hash, g_str_equal);
    guint node = 1, local = 0;

    fixture_init(&f);
    add_gpu(f.host, &device_kind_nvvf, "41", 2, 0);
    add_gpu(f.host, &device_kind_nvvf, "81", 1, 1);
    device_kind_nvvf.note_made(f.host, "0000:41:00.4", "0000:41:00.4", "nvidia-558");
    g_array_append_val(nodes, node);
    f.rules.domain_nodes = nodes;
    g_assert_cmpstr(vf_choice_find(&f.c, f.host, req)->addr, ==, "0000:81:00.4");
    g_assert_cmpuint(vf_choice_count(&f.c, f.host, req, &local), ==, 2);
    g_assert_cmpuint(local, ==, 1);
    g_hash_table_add(avoid, (gpointer)"0000:81:00.4");
    f.c.avoid = avoid;
    g_assert_cmpstr(vf_choice_find(&f.c, f.host, req)->addr, ==, "0000:41:00.5");
    g_hash_table_add(exclude, (gpointer)"0000:41:00.5");
    f.c.exclude = exclude;
    g_assert_cmpstr(vf_choice_find(&f.c, f.host, req)->addr, ==, "0000:81:00.4");
    g_hash_table_add(exclude, (gpointer)"0000:81:00.4");
    g_assert_null(vf_choice_find(&f.c, f.host, req));
    fixture_clear(&f);
}

/* A plain VF is free until a ledger holds it: sysfs cannot say. */
static void
test_find_plain_ledger_reserves(void)
{
    Fixture f;
    g_autoptr(VgpuRequest) req = req_new(NULL, "1002:74a1", NULL);

    fixture_init(&f);
    add_gpu(f.host, &device_kind_plainvf, "c1", 2, 0);
    g_ptr_array_add(f.ledgers, ledger_holding(OTHER, "b", &device_kind_plainvf,
                                              "0000:c1:00.4", "vf-1002-74b5"));
    g_assert_cmpstr(vf_choice_find(&f.c, f.host, req)->addr, ==, "0000:c1:00.5");
    g_ptr_array_add(f.ledgers, ledger_holding(OTHER, "b", &device_kind_plainvf,
                                              "0000:c1:00.5", "vf-1002-74b5"));
    g_assert_null(vf_choice_find(&f.c, f.host, req));
    fixture_clear(&f);
}

/* What refuses a named VF, in the hook's words, each from the backend. */
static void
test_refusal(void)
{
    Fixture f;
    g_autoptr(VgpuRequest) typed = req_new("nvidia-558", NULL, "0000:41:00.4");
    g_autoptr(VgpuRequest) by_gpu = req_new(NULL, "A40", "0000:41:00.4");
    g_autofree char *none = NULL, *gpu = NULL, *managed = NULL, *taken = NULL, *set = NULL;
    g_autofree char *ok = NULL;

    fixture_init(&f);
    add_gpu(f.host, &device_kind_nvvf, "41", 2, 0);
    none = vf_choice_refusal(&f.c, f.host, "0000:99:00.4", typed, "a");
    g_assert_cmpstr(none, ==, "its hostdev names 0000:99:00.4, which is no VF that takes a "
                    "vGPU type on this host");
    gpu = vf_choice_refusal(&f.c, f.host, "0000:41:00.4", by_gpu, "a");
    g_assert_cmpstr(gpu, ==, "VF 0000:41:00.4 takes a vGPU type; ask for it with profile= or "
                    "type=, not gpu=");
    typed->vf_managed = TRUE;
    managed = vf_choice_refusal(&f.c, f.host, "0000:41:00.4", typed, "a");
    g_assert_true(g_str_has_prefix(managed, "its hostdev names NVIDIA vendor-specific VF "
                                   "0000:41:00.4 with managed='yes'"));
    typed->vf_managed = FALSE;
    g_assert_null(ok = vf_choice_refusal(&f.c, f.host, "0000:41:00.4", typed, "a"));
    device_kind_nvvf.note_made(f.host, "0000:41:00.4", "0000:41:00.4", "nvidia-558");
    set = vf_choice_refusal(&f.c, f.host, "0000:41:00.4", typed, "a");
    g_assert_cmpstr(set, ==, "VF 0000:41:00.4 already has vGPU type nvidia-558, which vgpu-hook "
                    "did not set for this domain; clear it (write 0 to its "
                    "nvidia/current_vgpu_type) or run 'vgpuctl sync a'");
    g_ptr_array_add(f.ledgers, ledger_holding(OTHER, "b", &device_kind_nvvf, "0000:41:00.4",
                                              "nvidia-558"));
    taken = vf_choice_refusal(&f.c, f.host, "0000:41:00.4", typed, "a");
    g_assert_cmpstr(taken, ==, "VF 0000:41:00.4 is taken by domain 'b'; run 'vgpuctl sync a' "
                    "to point 'a' at a free VF");
    fixture_clear(&f);
}

static char *
element(const char *uuid, const char *addr, gboolean managed)
{
    return g_strdup_printf("[%s %s %s]", uuid, addr, managed ? "yes" : "no");
}

/* Each request with no hostdev gets its own free VF, managed= as its
 * backend says; one no VF here can ever serve is said apart. */
static void
test_advise(void)
{
    Fixture f;
    g_autoptr(GPtrArray) reqs = g_ptr_array_new_with_free_func((GDestroyNotify)vgpu_request_free);
    g_autoptr(GArray) advice = NULL;
    g_autofree char *text = NULL, *refusal = NULL;
    VgpuRequest *a = req_new(NULL, "1002:74a1", NULL), *b = req_new(NULL, "1002:74a1", NULL);
    VgpuRequest *c = req_new("nvidia-558", NULL, NULL);

    fixture_init(&f);
    add_gpu(f.host, &device_kind_plainvf, "c1", 2, 0);
    add_gpu(f.host, &device_kind_nvvf, "41", 1, 0);
    b->index = 1;
    c->index = 2;
    g_free(b->uuid);
    b->uuid = g_strdup("5b20d080-1b54-4048-85b3-a6a62d165c02");
    g_free(c->uuid);
    c->uuid = g_strdup("6b20d080-1b54-4048-85b3-a6a62d165c03");
    g_ptr_array_add(reqs, a);
    g_ptr_array_add(reqs, b);
    g_ptr_array_add(reqs, c);
    advice = vf_choice_advise(&f.c, f.host, reqs, NULL, NULL);
    g_assert_cmpuint(advice->len, ==, 3);
    g_assert_cmpstr(g_array_index(advice, VfAdvice, 0).vf->addr, ==, "0000:c1:00.4");
    g_assert_true(g_array_index(advice, VfAdvice, 0).managed);
    g_assert_cmpstr(g_array_index(advice, VfAdvice, 1).vf->addr, ==, "0000:c1:00.5");
    g_assert_cmpstr(g_array_index(advice, VfAdvice, 2).vf->addr, ==, "0000:41:00.4");
    g_assert_false(g_array_index(advice, VfAdvice, 2).managed);
    g_assert_null(refusal = vf_choice_advice_refusal(advice, "d"));
    text = vf_choice_advice_text(f.host, advice, "d", element);
    g_assert_nonnull(strstr(text, "[4b20d080-1b54-4048-85b3-a6a62d165c01 0000:c1:00.4 yes] "
                                  "[5b20d080-1b54-4048-85b3-a6a62d165c02 0000:c1:00.5 yes] "
                                  "[6b20d080-1b54-4048-85b3-a6a62d165c03 0000:41:00.4 no]"));
    fixture_clear(&f);
}

/* gpu= naming no GPU here is no lack of room. */
static void
test_gpu_unknown(void)
{
    Fixture f;
    g_autoptr(VgpuRequest) req = req_new(NULL, "10de:2235", NULL);
    g_autofree char *why = NULL;

    fixture_init(&f);
    add_gpu(f.host, &device_kind_nvvf, "41", 1, 0);
    why = vf_choice_gpu_unknown(&f.c, f.host, req);
    g_assert_nonnull(why);
    g_assert_true(g_str_has_prefix(why, "'10de:2235' here is "));
    g_assert_nonnull(strstr(why, "which gives vGPUs of a type, not whole VFs"));
    fixture_clear(&f);
}

/* One context per call: the config's rules with the domain's nodes. */
static void
test_context(void)
{
    g_autoptr(VgpuConfig) cfg = vgpu_config_load("/nonexistent/vgpu-hook.conf", NULL);
    g_autoptr(GArray) nodes = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GPtrArray) ledgers = g_ptr_array_new();
    g_auto(VfContext) ctx = { 0 };

    cfg->placement = VGPU_PLACEMENT_SPREAD;
    cfg->numa_fallback = FALSE;
    vf_context_init(&ctx, cfg, nodes, ledgers, SELF);
    g_assert_cmpint(ctx.rules.policy, ==, VGPU_PLACEMENT_SPREAD);
    g_assert_false(ctx.rules.numa_fallback);
    g_assert_true(ctx.rules.domain_nodes == nodes);
    g_assert_true(ctx.vf.rules == &ctx.rules);
    g_assert_true(ctx.vf.ledgers == ledgers);
    g_assert_nonnull(ctx.vf.names);
    g_assert_cmpstr(ctx.vf.domain_uuid, ==, SELF);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vf-choice/find/policy", test_find_policy);
    g_test_add_func("/vf-choice/find/numa-avoid-exclude", test_find_numa_avoid_exclude);
    g_test_add_func("/vf-choice/find/plain-ledger-reserves", test_find_plain_ledger_reserves);
    g_test_add_func("/vf-choice/refusal", test_refusal);
    g_test_add_func("/vf-choice/advise", test_advise);
    g_test_add_func("/vf-choice/gpu-unknown", test_gpu_unknown);
    g_test_add_func("/vf-choice/context", test_context);
    return g_test_run();
}
