/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placement on synthetic hosts: no I/O. */
#include "placement.h"
#include "device-kind.h"
#include "mig.h"
#include "vf-choice.h"
#include "host-builder.h"

#include <string.h>

static VgpuRequest *
req_new(const char *profile, const char *type)
{
    VgpuRequest *r = g_new0(VgpuRequest, 1);

    r->uuid = g_strdup("4b20d080-1b54-4048-85b3-a6a62d165c01");
    r->profile = g_strdup(profile);
    r->type = g_strdup(type);
    r->numa = -1;
    return r;
}

/* The candidates' parent addresses, space separated. */
static char *
cand_addrs(GPtrArray *cands)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < cands->len; i++) {
        const PlacementCandidate *c = cands->pdata[i];

        g_string_append_printf(s, "%s%s", i ? " " : "", c->parent->addr);
    }
    return g_string_free(s, FALSE);
}

/* The candidates' GPU buses ("41 e8 41"), for ordering checks. */
static char *
cand_gpus(GPtrArray *cands)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < cands->len; i++) {
        const PlacementCandidate *c = cands->pdata[i];

        g_string_append_printf(s, "%s%.2s", i ? " " : "", c->parent->gpu + 5);
    }
    return g_string_free(s, FALSE);
}

#define PACK_RULES { .policy = VGPU_PLACEMENT_PACK }
#define SPREAD_RULES { .policy = VGPU_PLACEMENT_SPREAD }

static void
test_pack_fills_one_gpu_first(void)
{
    g_autoptr(Host) h = hb_a40s("41:3 e8:3");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL;
    g_autoptr(GPtrArray) c2 = NULL;
    g_autofree char *s1 = NULL;
    g_autofree char *s2 = NULL;

    c1 = placement_choose(h, req, &rules, refusals);
    s1 = cand_addrs(c1);
    g_assert_cmpstr(s1, ==, "0000:41:00.4 0000:41:00.5 0000:41:00.6 "
                            "0000:e8:00.4 0000:e8:00.5 0000:e8:00.6");
    g_assert_cmpstr(((PlacementCandidate *)c1->pdata[0])->type->id, ==, "nvidia-558");
    g_assert_cmpuint(refusals->len, ==, 0);

    /* Once e8 hosts a 2Q, pack fills e8 before opening 41. */
    hb_a40_place(h, "e8", 1, "nvidia-558");
    c2 = placement_choose(h, req, &rules, refusals);
    s2 = cand_addrs(c2);
    g_assert_cmpstr(s2, ==, "0000:e8:00.4 0000:e8:00.6 "
                            "0000:41:00.4 0000:41:00.5 0000:41:00.6");
    g_assert_cmpuint(refusals->len, ==, 0);
}

static void
test_pack_prefers_gpu_with_most_of_the_profile(void)
{
    g_autoptr(Host) h = hb_a40s("41:4 81:4 e8:4");
    g_autoptr(VgpuRequest) req = req_new("nvidia a40-2q", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) c = NULL;
    g_autofree char *s = NULL;

    hb_a40_place(h, "41", 0, "nvidia-558");
    hb_a40_place(h, "e8", 0, "nvidia-558");
    hb_a40_place(h, "e8", 1, "nvidia-558");
    c = placement_choose(h, req, &rules, NULL);
    s = cand_gpus(c);
    g_assert_cmpstr(s, ==, "e8 e8 41 41 41 81 81 81 81");
}

static VgpuRequest *
need_new(char series, guint64 mb)
{
    VgpuRequest *r = req_new(NULL, NULL);

    vgpu_request_set_need(r, series, mb);
    return r;
}

/* By need: the smallest size of the series that fits, sizes from the name
 * when there is no description; 1B is series B, never a Q answer. */
static void
test_need_smallest_size(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2");
    g_autoptr(VgpuRequest) q1 = need_new('Q', 1024);
    g_autoptr(VgpuRequest) q3 = need_new('Q', 3 * 1024);
    g_autoptr(VgpuRequest) q5 = need_new('Q', 5 * 1024);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL, c3 = NULL, c5 = NULL;
    g_autofree char *why = NULL;

    c1 = placement_choose(h, q1, &rules, NULL);
    c3 = placement_choose(h, q3, &rules, NULL);
    g_assert_cmpuint(c1->len, ==, 4);
    g_assert_cmpstr(((PlacementCandidate *)c1->pdata[0])->type->id, ==, "nvidia-558");
    g_assert_cmpuint(c3->len, ==, 4);
    g_assert_cmpstr(((PlacementCandidate *)c3->pdata[0])->type->id, ==, "nvidia-559");
    c5 = placement_choose(h, q5, &rules, refusals);
    g_assert_cmpuint(c5->len, ==, 0);
    why = placement_explain(h, q5, refusals);
    g_assert_cmpstr(why, ==, "nothing on this host is a Q profile with at least 5G "
                             "(offered: A40-1B, A40-2Q, A40-4Q)");
}

/* A size with no room gives way to the next size, and pack puts that on
 * the GPU already hosting it. */
static void
test_need_next_size_packs(void)
{
    g_autoptr(Host) h = hb_a40s("41:3 81:3 e8:3");
    g_autoptr(VgpuRequest) q2 = need_new('Q', 2 * 1024);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) c = NULL;
    g_autofree char *s = NULL;

    hb_a40_place(h, "41", 0, "nvidia-557");   /* 1B: 2Q cannot go there */
    hb_a40_place(h, "81", 0, "nvidia-559");   /* 4Q */
    hb_a40_place(h, "e8", 0, "nvidia-559");
    hb_a40_place(h, "e8", 1, "nvidia-559");
    c = placement_choose(h, q2, &rules, NULL);
    s = cand_gpus(c);
    g_assert_cmpstr(s, ==, "e8 81 81");
    g_assert_cmpstr(((PlacementCandidate *)c->pdata[0])->type->id, ==, "nvidia-559");
    /* A 2Q on a free GPU beats packing 4Q: the smallest size comes first. */
    hb_add_a40(h, "c1", 1, 0);
    g_clear_pointer(&c, g_ptr_array_unref);
    c = placement_choose(h, q2, &rules, NULL);
    g_assert_cmpuint(c->len, ==, 1);
    g_assert_cmpstr(((PlacementCandidate *)c->pdata[0])->type->id, ==, "nvidia-558");
}

static GArray *
nodes_of(guint n)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(guint));

    g_array_append_val(a, n);
    return a;
}

/* The domain's NUMA node outranks pack; with fallback the other GPUs
 * follow, without it they are refused with a reason. */
static void
test_domain_numa(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2@1");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    g_autoptr(VgpuRequest) own = req_new("A40-2Q", NULL);
    g_autoptr(GArray) node1 = nodes_of(1);
    PlacementRules rules = { .policy = VGPU_PLACEMENT_PACK, .domain_nodes = node1,
                             .numa_fallback = TRUE };
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL, c2 = NULL, c3 = NULL, c4 = NULL;
    g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *why = NULL, *remote = NULL;

    hb_a40_place(h, "41", 0, "nvidia-558");     /* pack alone would pick 41 */
    c1 = placement_choose(h, req, &rules, NULL);
    s1 = cand_gpus(c1);
    g_assert_cmpstr(s1, ==, "e8 e8 41");
    g_assert_false(placement_is_remote(((PlacementCandidate *)c1->pdata[0])->parent, req, &rules));
    g_assert_true(placement_is_remote(((PlacementCandidate *)c1->pdata[2])->parent, req, &rules));
    own->numa = 0;                            /* the request's own numa wins */
    c2 = placement_choose(h, own, &rules, NULL);
    s2 = cand_gpus(c2);
    g_assert_cmpstr(s2, ==, "41");
    /* Node 1 full of another profile: fallback, or a refusal. */
    hb_a40_place(h, "e8", 0, "nvidia-559");
    c3 = placement_choose(h, req, &rules, NULL);
    s3 = cand_gpus(c3);
    g_assert_cmpstr(s3, ==, "41");
    remote = placement_remote_reason(h, req, &rules, c3->pdata[0]);
    g_assert_cmpstr(remote, ==, "GPU 0000:e8:00.0 holds A40-4Q vGPUs");
    rules.numa_fallback = FALSE;
    c4 = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c4->len, ==, 0);
    why = placement_explain(h, req, refusals);
    g_assert_cmpstr(why, ==, "no GPU can take A40-2Q: 0000:41:00.0 is on NUMA node 0, not on "
                             "node(s) 1 where the domain runs (numa_fallback=false); "
                             "GPU 0000:e8:00.0 holds A40-4Q vGPUs");
}

/* The request's parent on node 1, the domain on node 0 whose GPU is
 * empty: the parent is what keeps node 0's GPU out, not a lack of room. */
static void
test_parent_off_domain_nodes(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2@1");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    g_autoptr(GArray) node0 = nodes_of(0);
    PlacementRules rules = { .policy = VGPU_PLACEMENT_PACK, .domain_nodes = node0,
                             .numa_fallback = TRUE };
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL, c2 = NULL, c3 = NULL;
    g_autofree char *s1 = NULL, *remote = NULL, *why = NULL, *none = NULL;
    req->parent = g_strdup("0000:e8:00.0");
    c1 = placement_choose(h, req, &rules, NULL);
    s1 = cand_gpus(c1);
    g_assert_cmpstr(s1, ==, "e8 e8");
    g_assert_true(placement_is_remote(((PlacementCandidate *)c1->pdata[0])->parent, req, &rules));
    remote = placement_remote_reason(h, req, &rules, c1->pdata[0]);
    g_assert_cmpstr(remote, ==, "0000:41:00.0 is not the requested parent 0000:e8:00.0");
    rules.numa_fallback = FALSE;
    c2 = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c2->len, ==, 0);
    why = placement_explain(h, req, refusals);
    g_assert_cmpstr(why, ==, "no GPU can take A40-2Q: 0000:41:00.0 is not the requested parent "
                             "0000:e8:00.0; 0000:e8:00.0 is on NUMA node 1, not on node(s) 0 "
                             "where the domain runs (numa_fallback=false)");
    /* No GPU at all on the domain's node offers it. */
    g_free(req->parent);
    req->parent = NULL;
    rules.numa_fallback = TRUE;
    g_ptr_array_remove_range(h->parents, 0, 2);
    c3 = placement_choose(h, req, &rules, NULL);
    none = placement_remote_reason(h, req, &rules, c3->pdata[0]);
    g_assert_cmpstr(none, ==, "no GPU there offers A40-2Q");
}

/* Each GPU is named for the rule that really excluded it: a VF the config
 * lists is not its whole GPU, a free VF a rule left out makes "no free
 * VF" untrue, and a GPU on another node is out for its node whatever the
 * config says of one of its VFs. */
static void
test_rule_attribution(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2@1");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    char *deny_vf[] = { (char *)"0000:41:00.4", NULL };
    char *allow_vf[] = { (char *)"0000:41:00.5", NULL };
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL, c2 = NULL, c3 = NULL;
    g_autofree char *w1 = NULL, *w2 = NULL;

    hb_a40_place(h, "41", 1, "nvidia-558");      /* 0000:41:00.5 busy, 0000:41:00.4 free */

    rules.deny = deny_vf;
    req->numa = 0;
    c1 = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c1->len, ==, 0);
    g_assert_cmpuint(refusals->len, ==, 2);
    g_assert_cmpstr(refusals->pdata[0], ==, "0000:41:00.4 is denied by config; "
                                            "no other free VF on 0000:41:00.0");
    g_assert_cmpstr(refusals->pdata[1], ==, "0000:e8:00.0 is on NUMA node 1, not 0");
    g_ptr_array_set_size(refusals, 0);

    req->numa = 1;                             /* node 1: 41 is out for its node */
    c2 = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "0000:41:00.0 is on NUMA node 0, not 1");
    g_ptr_array_set_size(refusals, 0);
    req->numa = -1;
    w1 = placement_parent_refusal(host_find_parent(h, "0000:41:00.4"), req, &rules);
    g_assert_cmpstr(w1, ==, "0000:41:00.4 is denied by config");

    rules.deny = NULL;
    rules.allow = allow_vf;
    c3 = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c3->len, ==, 0);
    g_assert_cmpuint(refusals->len, ==, 2);
    g_assert_cmpstr(refusals->pdata[0], ==, "0000:41:00.4 is not in the config's allow list; "
                                            "no other free VF on 0000:41:00.0");
    g_assert_cmpstr(refusals->pdata[1], ==, "0000:e8:00.0 is not in the config's allow list");
    w2 = placement_parent_refusal(host_find_parent(h, "0000:41:00.4"), req, &rules);
    g_assert_cmpstr(w2, ==, "0000:41:00.4 is not in the config's allow list");
}

static void
test_mig(void)
{
    g_autoptr(Host) h = hb_new();
    g_autoptr(VgpuRequest) r20 = req_new("A100-3-20C", NULL);
    g_autoptr(VgpuRequest) r4 = req_new("A100-4C", NULL);
    g_autoptr(VgpuRequest) r5 = req_new("A100-1-5C", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) ref20 = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) ref4 = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c20 = NULL, c4 = NULL, c5 = NULL;
    g_autoptr(MigState) st = NULL;
    g_autofree char *why20 = NULL, *why4 = NULL, *has = NULL;

    hb_add_a100(h, "17", 3, 0, TRUE, 7, 0);
    hb_add_a100(h, "65", 3, 1, FALSE, 0, 0);
    c20 = placement_choose(h, r20, &rules, ref20);
    g_assert_cmpuint(c20->len, ==, 0);
    why20 = placement_explain(h, r20, ref20);
    g_assert_cmpstr(why20, ==, "no GPU can take A100-3-20C: GPU 0000:17:00.0 has no free 3g.20gb "
                    "GPU instance for A100-3-20C (free: 1g.5gb x7; create one: nvidia-smi mig "
                    "-i 0000:17:00.0 -cgi 3g.20gb); GPU 0000:65:00.0 is not in MIG mode, so "
                    "MIG-backed A100-3-20C cannot go there (nvidia-smi -i 0000:65:00.0 -mig 1, "
                    "then nvidia-smi mig -i 0000:65:00.0 -cgi 3g.20gb)");
    c4 = placement_choose(h, r4, &rules, ref4);
    g_assert_cmpuint(c4->len, ==, 3);
    g_assert_cmpstr(((PlacementCandidate *)c4->pdata[0])->parent->gpu, ==, "0000:65:00.0");
    g_clear_pointer(&c4, g_ptr_array_unref);
    /* 65 full of 4C now: the time-sliced refusal on 17 says MIG is on. */
    for (guint i = 0; i < h->parents->len; i++) {
        HostParent *p = h->parents->pdata[i];

        if (g_str_equal(p->gpu, "0000:65:00.0"))
            ((HostType *)p->types->pdata[0])->available = 0;
    }
    c4 = placement_choose(h, r4, &rules, ref4);
    why4 = placement_explain(h, r4, ref4);
    g_assert_nonnull(strstr(why4, "GPU 0000:17:00.0 is in MIG mode: time-sliced A100-4C cannot "
                                  "go there, MIG-backed profiles can"));
    st = mig_gpu_state(h, "0000:17:00.0");
    g_assert_cmpint(st->mode, ==, MIG_ON);
    has = mig_state_free_text(st);
    g_assert_cmpstr(has, ==, "1g.5gb x7");
    g_assert_cmpuint(st->fitting->len, ==, 1);
    g_clear_pointer(&st, mig_state_free);
    g_clear_pointer(&has, g_free);
    /* Every instance taken, as the driver then reads: a MIG-backed vGPU
     * in use still tells MIG mode. */
    for (guint i = 0; i < h->parents->len; i++) {
        HostParent *p = h->parents->pdata[i];

        for (guint t = 0; t < p->types->len && g_str_equal(p->gpu, "0000:17:00.0"); t++)
            ((HostType *)p->types->pdata[t])->available = 0;
    }
    hb_add_mdev(h, "0000:17:00.4", "nvidia-480");
    st = mig_gpu_state(h, "0000:17:00.0");
    g_assert_cmpint(st->mode, ==, MIG_ON);
    has = mig_state_free_text(st);
    g_assert_cmpstr(has, ==, "none");
    c5 = placement_choose(h, r5, &rules, NULL);
    g_assert_cmpuint(c5->len, ==, 0);
    g_assert_null(mig_gpu_state(h, "0000:99:00.0"));
}

/* A need that matches a time-sliced and a MIG-backed type of one size
 * (A100-20C, A100-3-20C): on a GPU in MIG mode the refusal speaks of the
 * GPU instance that would make room, not of the time-sliced type. */
static void
test_need_mig_reason(void)
{
    g_autoptr(Host) h = hb_new();
    g_autoptr(VgpuRequest) q20 = need_new('C', 20 * 1024);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c = NULL;
    g_autofree char *why = NULL;

    hb_add_a100(h, "17", 2, 0, TRUE, 7, 0);
    for (guint i = 0; i < h->parents->len; i++) {
        HostParent *p = h->parents->pdata[i];
        HostType *t = hb_add_type(p, "nvidia-474", "NVIDIA A100-20C", 2, 0);

        /* listed before the MIG-backed types, as the driver lists them */
        g_ptr_array_steal_index(p->types, p->types->len - 1);
        g_ptr_array_insert(p->types, 0, t);
    }
    c = placement_choose(h, q20, &rules, refusals);
    g_assert_cmpuint(c->len, ==, 0);
    why = placement_explain(h, q20, refusals);
    g_assert_cmpstr(why, ==, "no GPU can take a C profile with at least 20G: GPU 0000:17:00.0 "
                    "has no free 3g.20gb GPU instance for A100-3-20C (free: 1g.5gb x7; create "
                    "one: nvidia-smi mig -i 0000:17:00.0 -cgi 3g.20gb)");
}

/* An H100 in the vendor-specific mode: @nvfs VFs of the nvidia-vf kind,
 * each listing @listed ("id=name", as creatable_vgpu_types does: no count)
 * unless @held says it holds a type (then it lists nothing). */
static void
add_h100_vfio(Host *h, const char *bus, guint nvfs, const char *listed, const char *held)
{
    g_autofree char *gpu = g_strdup_printf("0000:%s:00.0", bus);

    for (guint i = 0; i < nvfs; i++) {
        g_autofree char *addr = hb_vf_addr(bus, i);
        HostParent *p = hb_add_parent(h, addr, gpu, 0);
        g_auto(GStrv) items = g_strsplit(listed ? listed : "", ",", -1);

        p->kind = &device_kind_nvvf;
        g_free(p->model);
        p->model = g_strdup("10de:2331");
        if (held && i == 0) {
            host_add_device(h, addr, addr, held);
            continue;
        }
        for (char **it = items; *it && **it; it++) {
            g_auto(GStrv) kv = g_strsplit(*it, "=", 2);

            hb_add_type(p, kv[0], kv[1], -1, 1);
        }
    }
}

static void
test_mig_vendor_specific(void)
{
    g_autoptr(Host) h = hb_new();
    g_autoptr(VgpuRequest) r40 = req_new("H100-3-40C", NULL);
    g_autoptr(VgpuRequest) r4 = req_new("H100-4C", NULL);
    g_autoptr(VgpuRequest) by_id = req_new(NULL, "nvidia-1060");
    g_autoptr(VgpuRequest) other = req_new("A40-2Q", NULL);
    g_autoptr(MigState) a = NULL, b = NULL;
    g_autofree char *has = NULL, *why40 = NULL, *why4 = NULL, *why_id = NULL;
    g_autofree char *why_other = NULL, *a0 = hb_vf_addr("41", 0), *a1 = hb_vf_addr("41", 1);
    g_autoptr(VgpuRequest) need5 = NULL, need30 = NULL;
    g_autofree char *why_need = NULL;
    HostParent *p1;

    add_h100_vfio(h, "41", 3, "nvidia-1060=NVIDIA H100-1-10C", NULL);
    /* c1 full: its first VF holds a 3-40C, which no VF lists any more. */
    add_h100_vfio(h, "c1", 3, NULL, "nvidia-1063");
    a = mig_gpu_state(h, "0000:41:00.0");
    g_assert_nonnull(a);
    g_assert_cmpint(a->mode, ==, MIG_ON);
    has = mig_state_free_text(a);
    g_assert_cmpstr(has, ==, "1g.10gb");
    g_assert_true(((MigFree *)a->free->pdata[0])->at_least);
    g_assert_cmpuint(a->fitting->len, ==, 1);
    /* Known MIG-capable by its model, though it lists nothing now. */
    b = mig_gpu_state(h, "0000:c1:00.0");
    g_assert_nonnull(b);
    g_assert_cmpint(b->mode, ==, MIG_UNKNOWN);
    g_assert_cmpuint(b->free->len, ==, 0);

    why40 = mig_vf_refusal(h, "0000:c1:00.0", r40);
    g_assert_cmpstr(why40, ==, "GPU 0000:c1:00.0 has no free 3g.40gb GPU instance for "
                    "H100-3-40C (free: none; create one: nvidia-smi mig -i 0000:c1:00.0 -cgi "
                    "3g.40gb); GPU 0000:41:00.0 has no free 3g.40gb GPU instance for H100-3-40C "
                    "(free: 1g.10gb; create one: nvidia-smi mig -i 0000:41:00.0 -cgi 3g.40gb)");
    why4 = mig_vf_refusal(h, "0000:41:00.0", r4);
    g_assert_nonnull(strstr(why4, "GPU 0000:41:00.0 is in MIG mode: time-sliced H100-4C"));
    /* By type id: named as 41's VFs list it; 41 has a free instance. */
    why_id = mig_vf_refusal(h, "0000:c1:00.0", by_id);
    g_assert_cmpstr(why_id, ==, "GPU 0000:c1:00.0 has no free 1g.10gb GPU instance for "
                    "H100-1-10C (free: none; create one: nvidia-smi mig -i 0000:c1:00.0 -cgi "
                    "1g.10gb); GPU 0000:41:00.0 has a free 1g.10gb GPU instance");
    /* Another board's profile is no MIG matter; neither is a free size. */
    why_other = mig_vf_refusal(h, "0000:41:00.0", other);
    g_assert_null(why_other);
    g_assert_null(mig_vf_refusal(h, "0000:41:00.0", by_id));
    /* A need stands for the smallest MIG-backed type a VF lists that fits
     * it; with none listed, nothing tells a size. */
    need5 = need_new('C', 5 * 1024);
    why_need = mig_vf_refusal(h, "0000:c1:00.0", need5);
    g_assert_cmpstr(why_need, ==, "GPU 0000:c1:00.0 has no free 1g.10gb GPU instance for "
                    "H100-1-10C (free: none; create one: nvidia-smi mig -i 0000:c1:00.0 -cgi "
                    "1g.10gb); GPU 0000:41:00.0 has a free 1g.10gb GPU instance");
    need30 = need_new('C', 30 * 1024);
    g_assert_null(mig_vf_refusal(h, "0000:c1:00.0", need30));

    /* A MIG-backed vGPU made: its VF offers nothing, the others keep the
     * type (sizes mix; how many are left the driver does not show). */
    device_kind_nvvf.note_made(h, a0, a0, "nvidia-1060");
    p1 = host_find_parent(h, a1);
    g_assert_cmpint(((HostType *)host_find_parent(h, a0)->types->pdata[0])->available, ==, 0);
    g_assert_cmpint(((HostType *)p1->types->pdata[0])->available, ==, 1);
}

/* Every VF busy or listing nothing: nothing tells MIG state, but a
 * MIG-backed name still says the size it needs; a time-sliced one says
 * nothing MIG. */
static void
test_mig_vendor_specific_silent(void)
{
    g_autoptr(Host) h = hb_new();
    g_autoptr(VgpuRequest) r40 = req_new("H100-3-40C", NULL);
    g_autoptr(VgpuRequest) r4 = req_new("H100-4C", NULL);
    g_autofree char *why40 = NULL;

    add_h100_vfio(h, "c1", 3, NULL, "nvidia-1063");
    g_assert_null(mig_gpu_state(h, "0000:c1:00.0"));
    why40 = mig_vf_refusal(h, "0000:c1:00.0", r40);
    g_assert_cmpstr(why40, ==, "GPU 0000:c1:00.0 has no free 3g.40gb GPU instance for "
                    "H100-3-40C (its free VFs list no vGPU type now; create one: nvidia-smi mig "
                    "-i 0000:c1:00.0 -cgi 3g.40gb)");
    g_assert_null(mig_vf_refusal(h, "0000:c1:00.0", r4));
}

static void
test_one_profile_per_gpu(void)
{
    g_autoptr(Host) h = hb_a40s("67:32 e8:2");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c = NULL;
    g_autofree char *s = NULL;

    hb_a40_place(h, "67", 3, "nvidia-559");
    c = placement_choose(h, req, &rules, refusals);
    s = cand_addrs(c);
    g_assert_cmpstr(s, ==, "0000:e8:00.4 0000:e8:00.5");
    /* one line for 32 VFs */
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "GPU 0000:67:00.0 holds A40-4Q vGPUs");
}

static void
test_all_instances_in_use(void)
{
    g_autoptr(Host) h = hb_a40s("e8:32@1");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c = NULL;
    g_autofree char *why = NULL;

    for (guint i = 0; i < 24; i++)
        hb_a40_place(h, "e8", i, "nvidia-558");
    c = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c->len, ==, 0);
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "all 24 A40-2Q instances in use on 0000:e8:00.0");
    why = placement_explain(h, req, refusals);
    g_assert_cmpstr(why, ==,
                    "no GPU can take A40-2Q: all 24 A40-2Q instances in use on 0000:e8:00.0");
}

static void
test_no_free_vf(void)
{
    g_autoptr(Host) h = hb_a40s("e8:2");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c = NULL;

    hb_a40_place(h, "e8", 0, "nvidia-558");
    hb_a40_place(h, "e8", 1, "nvidia-558");
    c = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c->len, ==, 0);
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "no free VF on 0000:e8:00.0");
}

static void
test_spread_alternates(void)
{
    g_autoptr(Host) h = hb_a40s("41:3 e8:3");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    PlacementRules rules = SPREAD_RULES;
    g_autoptr(GPtrArray) c = NULL;
    g_autoptr(GPtrArray) c2 = NULL;
    g_autofree char *s = NULL;
    g_autofree char *s2 = NULL;

    hb_a40_place(h, "41", 0, "nvidia-558");
    c = placement_choose(h, req, &rules, NULL);
    s = cand_addrs(c);
    /* e8 is the less loaded: it comes first, then they alternate */
    g_assert_cmpstr(s, ==, "0000:e8:00.4 0000:41:00.5 0000:e8:00.5 0000:41:00.6 0000:e8:00.6");

    /* the request's own placement overrides the config's */
    rules.policy = VGPU_PLACEMENT_PACK;
    req->placement = VGPU_PLACEMENT_SPREAD;
    c2 = placement_choose(h, req, &rules, NULL);
    s2 = cand_addrs(c2);
    g_assert_cmpstr(s2, ==, s);
}

static void
test_parent_restriction(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL;
    g_autoptr(GPtrArray) c2 = NULL;
    g_autoptr(GPtrArray) c3 = NULL;
    g_autoptr(GPtrArray) c4 = NULL;
    g_autofree char *s1 = NULL;
    g_autofree char *s2 = NULL;
    g_autofree char *why = NULL;

    hb_a40_place(h, "41", 0, "nvidia-558");  /* pack would pick 41 */

    req->parent = g_strdup("0000:e8:00.0");   /* a PF: any of its VFs */
    c1 = placement_choose(h, req, &rules, refusals);
    s1 = cand_addrs(c1);
    g_assert_cmpstr(s1, ==, "0000:e8:00.4 0000:e8:00.5");
    /* The other GPU is out because of the parent, and says so. */
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "0000:41:00.0 is not the requested parent "
                                            "0000:e8:00.0");
    g_ptr_array_set_size(refusals, 0);

    g_free(req->parent);
    req->parent = g_strdup("0000:e8:00.5");   /* one VF */
    c2 = placement_choose(h, req, &rules, refusals);
    s2 = cand_addrs(c2);
    g_assert_cmpstr(s2, ==, "0000:e8:00.5");
    g_ptr_array_set_size(refusals, 0);

    g_free(req->parent);
    req->parent = g_strdup("0000:41:00.4");   /* a VF that holds a vGPU */
    c3 = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c3->len, ==, 0);
    g_assert_cmpuint(refusals->len, ==, 2);
    g_assert_cmpstr(refusals->pdata[0], ==, "0000:e8:00.0 is not the requested parent "
                                            "0000:41:00.4");
    g_assert_cmpstr(refusals->pdata[1], ==, "VF 0000:41:00.4 already holds a vGPU");
    g_ptr_array_set_size(refusals, 0);

    g_free(req->parent);
    req->parent = g_strdup("0000:99:00.0");
    c4 = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c4->len, ==, 0);
    g_assert_cmpuint(refusals->len, ==, 1);
    why = placement_explain(h, req, refusals);
    g_assert_cmpstr(why, ==, "no GPU can take A40-2Q: the requested parent 0000:99:00.0 "
                             "is not an mdev parent on this host");
}

static void
test_numa(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2@1");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c = NULL;
    g_autoptr(GPtrArray) c2 = NULL;
    g_autofree char *s = NULL;
    g_autofree char *why = NULL;

    req->numa = 1;
    c = placement_choose(h, req, &rules, refusals);
    s = cand_gpus(c);
    g_assert_cmpstr(s, ==, "e8 e8");
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "0000:41:00.0 is on NUMA node 0, not 1");

    g_ptr_array_set_size(refusals, 0);
    req->numa = 2;
    c2 = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c2->len, ==, 0);
    why = placement_explain(h, req, refusals);
    g_assert_cmpstr(why, ==, "no GPU can take A40-2Q: 0000:41:00.0 is on NUMA node 0, not 2; "
                             "0000:e8:00.0 is on NUMA node 1, not 2");
}

static void
test_allow_deny(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    char *deny_pf[] = { (char *)"0000:e8:00.0", NULL };
    char *deny_vf[] = { (char *)"0000:41:00.4", NULL };
    char *allow[] = { (char *)"0000:e8:00.0", NULL };
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL;
    g_autoptr(GPtrArray) c2 = NULL;
    g_autoptr(GPtrArray) c3 = NULL;
    g_autofree char *s1 = NULL;
    g_autofree char *s2 = NULL;
    g_autofree char *s3 = NULL;


    rules.deny = deny_pf;
    c1 = placement_choose(h, req, &rules, refusals);
    s1 = cand_addrs(c1);
    g_assert_cmpstr(s1, ==, "0000:41:00.4 0000:41:00.5");
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "0000:e8:00.0 is denied by config");

    g_ptr_array_set_size(refusals, 0);
    rules.deny = deny_vf;
    c2 = placement_choose(h, req, &rules, refusals);
    s2 = cand_addrs(c2);
    g_assert_cmpstr(s2, ==, "0000:41:00.5 0000:e8:00.4 0000:e8:00.5");
    g_assert_cmpuint(refusals->len, ==, 0);

    rules.deny = NULL;
    rules.allow = allow;
    c3 = placement_choose(h, req, &rules, refusals);
    s3 = cand_addrs(c3);
    g_assert_cmpstr(s3, ==, "0000:e8:00.4 0000:e8:00.5");
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "0000:41:00.0 is not in the config's allow list");
}

static void
test_explain_unknown_profile(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2");
    g_autoptr(VgpuRequest) req = req_new("A40-3Z", NULL);
    g_autoptr(VgpuRequest) by_id = req_new(NULL, "nvidia-999");
    g_autoptr(VgpuRequest) id_and_name = req_new("A40-4Q", "nvidia-558");
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c = NULL;
    g_autofree char *w1 = NULL;
    g_autofree char *w2 = NULL;
    g_autofree char *w3 = NULL;

    c = placement_choose(h, req, &rules, refusals);
    g_assert_cmpuint(c->len, ==, 0);
    g_assert_cmpuint(refusals->len, ==, 0);
    w1 = placement_explain(h, req, refusals);
    g_assert_cmpstr(w1, ==, "no type matching profile 'A40-3Z' on this host "
                            "(offered: A40-1B, A40-2Q, A40-4Q)");
    w2 = placement_explain(h, by_id, refusals);
    g_assert_cmpstr(w2, ==, "no type 'nvidia-999' on this host");
    w3 = placement_explain(h, id_and_name, refusals);
    g_assert_cmpstr(w3, ==, "type 'nvidia-558' on this host is not profile 'A40-4Q'");
}

static void
test_explain_caps_offered_list(void)
{
    g_autoptr(Host) h = hb_new();
    g_autoptr(Host) empty = hb_new();
    g_autoptr(VgpuRequest) req = req_new("A40-3Z", NULL);
    HostParent *p = hb_add_parent(h, "0000:e8:00.4", "0000:e8:00.0", 0);
    g_autofree char *why = NULL;
    g_autofree char *why_empty = NULL;

    for (guint i = 1; i <= 20; i++) {
        g_autofree char *id = g_strdup_printf("nvidia-%u", 600 + i);
        g_autofree char *name = g_strdup_printf("NVIDIA A40-%uQ", i);

        hb_add_type(p, id, name, 1, 1);
    }
    why = placement_explain(h, req, NULL);
    g_assert_cmpstr(why, ==, "no type matching profile 'A40-3Z' on this host (offered: "
                             "A40-1Q, A40-2Q, A40-3Q, A40-4Q, A40-5Q, A40-6Q, A40-7Q, "
                             "A40-8Q, A40-9Q, A40-10Q, A40-11Q, A40-12Q, …)");
    why_empty = placement_explain(empty, req, NULL);
    g_assert_cmpstr(why_empty, ==,
                    "no type matching profile 'A40-3Z' on this host (it offers no mdev types)");
}

/* Pre-Ampere: the GPU itself is the parent; one type per GPU. */
static void
test_time_sliced(void)
{
    g_autoptr(Host) h = hb_new();
    g_autoptr(VgpuRequest) q1 = req_new("P40-1Q", NULL);
    g_autoptr(VgpuRequest) q2 = req_new("GRID P40-2Q", NULL);
    PlacementRules pack = PACK_RULES;
    PlacementRules spread = SPREAD_RULES;
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL;
    g_autoptr(GPtrArray) c2 = NULL;
    g_autoptr(GPtrArray) c3 = NULL;
    g_autofree char *s1 = NULL;
    g_autofree char *s2 = NULL;
    g_autofree char *s3 = NULL;
    g_autofree char *why = NULL;
    HostParent *a = hb_add_parent(h, "0000:3b:00.0", "0000:3b:00.0", 0);
    HostParent *b = hb_add_parent(h, "0000:5e:00.0", "0000:5e:00.0", 0);

    hb_add_type(a, "nvidia-46", "GRID P40-1Q", 24, 24);
    hb_add_type(a, "nvidia-47", "GRID P40-2Q", 12, 12);
    hb_add_type(b, "nvidia-46", "GRID P40-1Q", 24, 21);
    hb_add_type(b, "nvidia-47", "GRID P40-2Q", 12, 0);
    for (guint i = 0; i < 3; i++)
        hb_add_mdev(h, "0000:5e:00.0", "nvidia-46");

    c1 = placement_choose(h, q1, &pack, refusals);
    s1 = cand_addrs(c1);
    g_assert_cmpstr(s1, ==, "0000:5e:00.0 0000:3b:00.0");
    c2 = placement_choose(h, q1, &spread, refusals);
    s2 = cand_addrs(c2);
    g_assert_cmpstr(s2, ==, "0000:3b:00.0 0000:5e:00.0");
    g_assert_cmpuint(refusals->len, ==, 0);

    c3 = placement_choose(h, q2, &pack, refusals);
    s3 = cand_addrs(c3);
    g_assert_cmpstr(s3, ==, "0000:3b:00.0");
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "GPU 0000:5e:00.0 holds P40-1Q vGPUs");

    /* and when both are taken */
    ((HostType *)a->types->pdata[1])->available = 0;
    g_ptr_array_set_size(refusals, 0);
    hb_add_mdev(h, "0000:3b:00.0", "nvidia-46");
    g_ptr_array_unref(placement_choose(h, q2, &pack, refusals));
    why = placement_explain(h, q2, refusals);
    g_assert_cmpstr(why, ==, "no GPU can take GRID P40-2Q: GPU 0000:3b:00.0 holds P40-1Q vGPUs; "
                             "GPU 0000:5e:00.0 holds P40-1Q vGPUs");
}

static void
test_mtty(void)
{
    g_autoptr(Host) h = hb_new();
    g_autoptr(VgpuRequest) req = req_new("single_port_serial", NULL);
    g_autoptr(VgpuRequest) by_id = req_new(NULL, "mtty-1");
    g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) c1 = NULL;
    g_autoptr(GPtrArray) c2 = NULL;
    g_autofree char *why = NULL;
    HostParent *p = hb_add_parent(h, "mtty", "mtty", -1);
    HostType *t = hb_add_type(p, "mtty-1", "Single port serial", -1, 2);

    hb_add_type(p, "mtty-2", "Dual port serial", -1, 1);
    g_free(p->model);
    p->model = g_strdup("");

    req->parent = g_strdup("mtty");
    c1 = placement_choose(h, req, NULL, refusals);
    g_assert_cmpuint(c1->len, ==, 1);
    g_assert_true(((PlacementCandidate *)c1->pdata[0])->type == t);

    t->available = 0;
    c2 = placement_choose(h, by_id, NULL, refusals);
    g_assert_cmpuint(c2->len, ==, 0);
    g_assert_cmpuint(refusals->len, ==, 1);
    g_assert_cmpstr(refusals->pdata[0], ==, "no free instance on mtty");
    why = placement_explain(h, by_id, refusals);
    g_assert_cmpstr(why, ==, "no GPU can take mtty-1: no free instance on mtty");
}

static void
test_unread_availability_is_no_candidate(void)
{
    g_autoptr(Host) h = hb_a40s("e8:2");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    g_autoptr(GPtrArray) c = NULL;

    for (guint i = 0; i < h->parents->len; i++)
        ((HostType *)((HostParent *)h->parents->pdata[i])->types->pdata[1])->available = -1;
    c = placement_choose(h, req, NULL, NULL);
    g_assert_cmpuint(c->len, ==, 0);
}

static void
test_ordering_stable(void)
{
    g_autoptr(Host) h = hb_a40s("e8:2 41:2 81:2");
    g_autoptr(VgpuRequest) req = req_new("A40-1B", NULL);
    PlacementRules rules = PACK_RULES;
    g_autoptr(GPtrArray) c1 = NULL;
    g_autoptr(GPtrArray) c2 = NULL;
    g_autofree char *s1 = NULL;
    g_autofree char *s2 = NULL;
    g_autofree char *g1 = NULL;

    /* GPUs registered out of address order; equal load */
    c1 = placement_choose(h, req, &rules, NULL);
    c2 = placement_choose(h, req, &rules, NULL);
    s1 = cand_addrs(c1);
    s2 = cand_addrs(c2);
    g1 = cand_gpus(c1);
    g_assert_cmpstr(s1, ==, s2);
    g_assert_cmpstr(g1, ==, "41 41 81 81 e8 e8");
}

/* A mixed host: the A40 on bus e8 in mdev mode, the one on 67 in
 * vendor-specific mode (each VF its own parent, no max_instance, the
 * whole-GPU A40-48Q listed while idle). */
static Host *
mixed_host_with(gboolean mdev_gpu)
{
    Host *h = hb_new();

    if (mdev_gpu)
        hb_add_a40(h, "e8", 4, 1);
    hb_add_a40(h, "67", 32, 0);
    for (guint i = 0; i < h->parents->len; i++) {
        HostParent *p = h->parents->pdata[i];

        p->kind = g_str_has_prefix(p->gpu, "0000:67") ? &device_kind_nvvf : &device_kind_mdev;
        if (p->kind != &device_kind_nvvf)
            continue;
        for (guint t = 0; t < p->types->len; t++)
            ((HostType *)p->types->pdata[t])->max_instance = -1;
        hb_add_type(p, "nvidia-566", "NVIDIA A40-48Q", -1, 1);
    }
    return h;
}

static Host *
mixed_host(void)
{
    return mixed_host_with(TRUE);
}

/* The kind follows the GPU the rules rank first. */
static void
test_kind_per_gpu(void)
{
    g_autoptr(Host) h = mixed_host();
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    char *deny[] = { "0000:67:00.0", NULL };
    PlacementRules pack = { .policy = VGPU_PLACEMENT_PACK, .numa_fallback = TRUE };
    PlacementRules spread = pack, denied = pack;
    VfChoice c = { .rules = &pack };

    spread.policy = VGPU_PLACEMENT_SPREAD;
    denied.deny = deny;
    /* both idle: by address, 0000:67 (vendor-specific) first */
    g_assert_true(vf_choice_serves(&c, h, req, FALSE));
    /* an mdev hostdev stays while an mdev fits */
    g_assert_false(vf_choice_serves(&c, h, req, TRUE));
    c.rules = &denied;
    g_assert_false(vf_choice_serves(&c, h, req, FALSE));
    req->numa = 1;
    c.rules = &pack;
    g_assert_false(vf_choice_serves(&c, h, req, FALSE));
    req->numa = -1;
    /* pack goes to the GPU already holding the profile, spread away */
    hb_add_mdev(h, "0000:e8:00.4", "nvidia-558");
    g_assert_false(vf_choice_serves(&c, h, req, FALSE));
    c.rules = &spread;
    g_assert_true(vf_choice_serves(&c, h, req, FALSE));
    /* gpu= is a VF whatever the rules */
    c.rules = &denied;
    g_free(req->profile);
    req->profile = NULL;
    req->gpu = g_strdup("MI300X");
    g_assert_true(vf_choice_serves(&c, h, req, FALSE));
}

/* A vendor-specific GPU's maximum: framebuffer over size, one per VF. */
static void
test_vf_capacity(void)
{
    g_autoptr(Host) h = mixed_host();
    const HostParent *vf = host_find_parent(h, "0000:67:00.4");
    const HostParent *mdev = host_find_parent(h, "0000:e8:00.4");

    vf_choice_note_capacity(h);
    g_assert_cmpint(host_parent_find_type(vf, "nvidia-557")->max_instance, ==, 32); /* 1B: VFs */
    g_assert_cmpint(host_parent_find_type(vf, "nvidia-558")->max_instance, ==, 24); /* 48/2 */
    g_assert_cmpint(host_parent_find_type(vf, "nvidia-559")->max_instance, ==, 12);
    g_assert_cmpint(host_parent_find_type(vf, "nvidia-566")->max_instance, ==, 1);
    /* the driver's own figure is kept */
    g_assert_cmpint(host_parent_find_type(mdev, "nvidia-558")->max_instance, ==, 24);
}

/* The GPU holds vGPUs, so its VFs list only that size: the mdev-mode GPU
 * of the same model still tells the maximum; with none, it is unknown,
 * not 1. */
static void
test_vf_capacity_unknown(void)
{
    for (int mdev_gpu = 1; mdev_gpu >= 0; mdev_gpu--) {
        g_autoptr(Host) h = mixed_host_with(mdev_gpu);
        const HostParent *vf = host_find_parent(h, "0000:67:00.4");

        hb_add_mdev(h, "0000:67:00.5", "nvidia-558");
        for (guint i = 0; i < h->parents->len; i++) {
            HostParent *p = h->parents->pdata[i];

            /* The same-size rule: 2Q alone (1B, 2Q, 4Q, 48Q before). */
            if (p->kind == &device_kind_nvvf) {
                g_ptr_array_remove_range(p->types, 2, p->types->len - 2);
                g_ptr_array_remove_index(p->types, 0);
            }
        }
        vf_choice_note_capacity(h);
        g_assert_cmpint(host_parent_find_type(vf, "nvidia-558")->max_instance, ==,
                        mdev_gpu ? 24 : -1);
    }
}

/* How constrained a whole-VF request is: the VFs it could take, and of
 * them those on its domain's nodes, without the excluded and avoided ones. */
static void
test_vf_count(void)
{
    g_autoptr(Host) h = hb_a40s("41:2 e8:2@1");
    g_autoptr(VgpuRequest) req = req_new("A40-2Q", NULL);
    g_autoptr(GArray) node0 = nodes_of(0);
    g_autoptr(GHashTable) exclude = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) avoid = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree char *a41 = NULL, *ae8 = NULL;
    PlacementRules rules = { .policy = VGPU_PLACEMENT_PACK, .numa_fallback = TRUE };
    VfChoice c = { .rules = &rules };
    guint local = 99;

    for (guint i = 0; i < h->parents->len; i++)
        ((HostParent *)h->parents->pdata[i])->kind = &device_kind_nvvf;
    g_assert_cmpuint(vf_choice_count(&c, h, req, &local), ==, 4);
    g_assert_cmpuint(local, ==, 4);
    rules.domain_nodes = node0;                 /* a soft pin: all four, two local */
    g_assert_cmpuint(vf_choice_count(&c, h, req, &local), ==, 4);
    g_assert_cmpuint(local, ==, 2);
    rules.numa_fallback = FALSE;                /* a hard one: two */
    g_assert_cmpuint(vf_choice_count(&c, h, req, &local), ==, 2);
    g_assert_cmpuint(local, ==, 2);
    rules.numa_fallback = TRUE;
    rules.domain_nodes = NULL;
    req->numa = 1;                              /* the request's own numa is hard */
    g_assert_cmpuint(vf_choice_count(&c, h, req, &local), ==, 2);
    g_assert_cmpuint(local, ==, 2);
    req->numa = -1;
    a41 = hb_vf_addr("41", 0);
    ae8 = hb_vf_addr("e8", 1);
    g_hash_table_add(exclude, a41);
    g_hash_table_add(avoid, ae8);
    c.exclude = exclude;
    c.avoid = avoid;
    rules.domain_nodes = node0;
    g_assert_cmpuint(vf_choice_count(&c, h, req, &local), ==, 2);
    g_assert_cmpuint(local, ==, 1);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/placement/pack/fills-one-gpu-first", test_pack_fills_one_gpu_first);
    g_test_add_func("/placement/pack/most-of-profile-first", test_pack_prefers_gpu_with_most_of_the_profile);
    g_test_add_func("/placement/refusal/one-profile-per-gpu", test_one_profile_per_gpu);
    g_test_add_func("/placement/refusal/all-in-use", test_all_instances_in_use);
    g_test_add_func("/placement/refusal/no-free-vf", test_no_free_vf);
    g_test_add_func("/placement/spread/alternates", test_spread_alternates);
    g_test_add_func("/placement/parent", test_parent_restriction);
    g_test_add_func("/placement/numa", test_numa);
    g_test_add_func("/placement/allow-deny", test_allow_deny);
    g_test_add_func("/placement/explain/unknown-profile", test_explain_unknown_profile);
    g_test_add_func("/placement/explain/offered-cap", test_explain_caps_offered_list);
    g_test_add_func("/placement/time-sliced", test_time_sliced);
    g_test_add_func("/placement/mtty", test_mtty);
    g_test_add_func("/placement/unread-availability", test_unread_availability_is_no_candidate);
    g_test_add_func("/placement/ordering-stable", test_ordering_stable);
    g_test_add_func("/placement/need/smallest-size", test_need_smallest_size);
    g_test_add_func("/placement/need/next-size-packs", test_need_next_size_packs);
    g_test_add_func("/placement/domain-numa", test_domain_numa);
    g_test_add_func("/placement/refusal/parent-off-domain-nodes", test_parent_off_domain_nodes);
    g_test_add_func("/placement/refusal/rule-attribution", test_rule_attribution);
    g_test_add_func("/placement/mig", test_mig);
    g_test_add_func("/placement/need/mig-reason", test_need_mig_reason);
    g_test_add_func("/placement/mig-vendor-specific", test_mig_vendor_specific);
    g_test_add_func("/placement/mig-vendor-specific-silent", test_mig_vendor_specific_silent);
    g_test_add_func("/placement/kind-per-gpu", test_kind_per_gpu);
    g_test_add_func("/placement/vf-capacity", test_vf_capacity);
    g_test_add_func("/placement/vf-capacity-unknown", test_vf_capacity_unknown);
    g_test_add_func("/placement/vf-count", test_vf_count);
    return g_test_run();
}
