/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl types: what the host offers, one line per profile across GPUs. */
#include "cli.h"
#include "device-kind.h"
#include "gpu-view.h"
#include "ledger.h"
#include "host-scan.h"
#include "json-out.h"
#include "mig.h"
#include "table.h"
#include "vgpu-request.h"
#include "vgpu-validate.h"
#include "vf-choice.h"

#include <stdio.h>
#include <string.h>

static const char *const profile_columns[] = { "PROFILE", "TYPE", "FRAMEBUFFER", "MAX/GPU", "FREE",
                                               "FREE ON", NULL };
static const char *const mig_columns[] = { "GPU", "MODEL", "NODE", "MIG", "FREE GPU INSTANCES",
                                           "MIG PROFILES THAT FIT NOW", NULL };
static const char *const *const types_tables[] = { profile_columns, mig_columns, NULL };

/* One profile on one physical GPU. */
typedef struct {
    const CliGpu *gpu;
    const HostType *type;
    int free;                /* -1 unknown */
    guint used;              /* mdevs of this type on the GPU */
} ProfileOnGpu;

/* One profile ("A40-2Q") across GPUs; its type id can differ per model. */
typedef struct {
    const char *name;
    GPtrArray *on_gpus;      /* ProfileOnGpu* */
    int free;                /* sum; -1 when some GPU's is unknown */
} Profile;

static void
profile_free(gpointer p)
{
    Profile *prof = p;

    g_ptr_array_unref(prof->on_gpus);
    g_free(prof);
}

static int
compare_profiles(gconstpointer a, gconstpointer b)
{
    const Profile *pa = *(const Profile *const *)a;
    const Profile *pb = *(const Profile *const *)b;
    g_autofree char *ka = g_utf8_collate_key_for_filename(pa->name, -1);
    g_autofree char *kb = g_utf8_collate_key_for_filename(pb->name, -1);

    return strcmp(ka, kb);
}

static void
add_gpu_type(GHashTable *by_name, GPtrArray *profiles, const Host *host, const CliGpu *gpu,
             const HostType *t)
{
    const char *name = host_type_short_name(t);
    ProfileOnGpu *on;
    Profile *prof;

    if (!(prof = g_hash_table_lookup(by_name, name))) {
        prof = g_new0(Profile, 1);
        prof->name = name;
        prof->on_gpus = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(by_name, (gpointer)name, prof);
        g_ptr_array_add(profiles, prof);
    }
    on = g_new0(ProfileOnGpu, 1);
    on->gpu = gpu;
    on->type = t;
    on->free = cli_gpu_free_count(host, gpu, t->id);
    on->used = host_gpu_device_count(host, gpu->addr, t->id);
    g_ptr_array_add(prof->on_gpus, on);
    prof->free = prof->free < 0 || on->free < 0 ? -1 : prof->free + on->free;
}

static void
add_gpu_types(GHashTable *by_name, GPtrArray *profiles, const Host *host, const CliGpu *gpu)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < gpu->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(gpu->parents, i);

        for (guint j = 0; j < p->types->len; j++) {
            const HostType *t = g_ptr_array_index(p->types, j);

            if (g_hash_table_add(seen, t->id))
                add_gpu_type(by_name, profiles, host, gpu, t);
        }
    }
    /* A full vendor-specific GPU lists nothing: what it holds still counts
     * (0 free, its maximum), named as its model's other VFs list it. */
    for (guint i = 0; i < host->devices->len; i++) {
        const HostDevice *d = g_ptr_array_index(host->devices, i);
        const HostType *t;

        if (strcmp(host_device_gpu(host, d), gpu->addr) == 0 &&
            (t = host_device_type(host, d)) && g_hash_table_add(seen, t->id))
            add_gpu_type(by_name, profiles, host, gpu, t);
    }
}

/* Comma-separated distinct values of one field over the GPUs. */
static char *
distinct_join(const Profile *prof, char *(*field)(const ProfileOnGpu *on))
{
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < prof->on_gpus->len; i++) {
        char *v = field(g_ptr_array_index(prof->on_gpus, i));

        if (g_ptr_array_find_with_equal_func(seen, v, g_str_equal, NULL))
            g_free(v);
        else
            g_ptr_array_add(seen, v);
    }
    g_ptr_array_add(seen, NULL);
    return g_strjoinv(",", (char **)seen->pdata);
}

static char *
field_type(const ProfileOnGpu *on)
{
    return g_strdup(on->type->id);
}

static char *
field_max(const ProfileOnGpu *on)
{
    return on->type->max_instance >= 0 ? g_strdup_printf("%d", on->type->max_instance)
                                       : g_strdup("-");
}

static char *
field_framebuffer(const ProfileOnGpu *on)
{
    /* A vendor-specific type has no description: its name says it. */
    guint64 mb = host_type_framebuffer_mb(on->type);

    if (mb == 0)
        return g_strdup("-");
    if (mb % 1024 == 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT "G", mb / 1024);
    return g_strdup_printf("%" G_GUINT64_FORMAT "M", mb);
}

static char *
free_text(int n)
{
    return n < 0 ? g_strdup("?") : g_strdup_printf("%d", n);
}

/* Whether it printed anything. */
static gboolean
print_table(GPtrArray *profiles, gboolean all)
{
    g_autoptr(CliTable) t = cli_table_newv(profile_columns);

    for (guint i = 0; i < profiles->len; i++) {
        const Profile *prof = g_ptr_array_index(profiles, i);
        g_autofree char *types = distinct_join(prof, field_type);
        g_autofree char *max = distinct_join(prof, field_max);
        g_autofree char *fb = distinct_join(prof, field_framebuffer);
        g_autofree char *free_s = free_text(prof->free);
        g_autoptr(GString) where = g_string_new(NULL);

        if (!all && prof->free == 0)
            continue;
        for (guint j = 0; j < prof->on_gpus->len; j++) {
            const ProfileOnGpu *on = g_ptr_array_index(prof->on_gpus, j);

            g_autofree char *n = free_text(on->free);

            if (on->free != 0)
                g_string_append_printf(where, "%s%s (%s)", where->len ? ", " : "",
                                       on->gpu->addr, n);
        }
        cli_table_add(t, prof->name, types, fb, max, free_s, where->str);
    }
    if (!cli_table_shown(t))
        return FALSE;
    if (cli_table_rows(t) == 0) {
        printf(all ? "No mdev types on this host.\n"
                   : "No free vGPU on this host ('vgpuctl types --all' lists every type).\n");
        return TRUE;
    }
    cli_table_print(t, stdout, 0);
    return TRUE;
}

/* MIG per GPU: mode, free GPU instances by size, the MIG-backed profiles
 * a free VF takes now. Only GPUs that offer MIG-backed profiles. */
static void
print_mig_table(const Host *host, GPtrArray *gpus, gboolean after_table)
{
    g_autoptr(CliTable) t = cli_table_newv(mig_columns);

    for (guint i = 0; i < gpus->len; i++) {
        const CliGpu *g = g_ptr_array_index(gpus, i);
        g_autoptr(MigState) st = mig_gpu_state(host, g->addr);
        g_autofree char *node = NULL, *has = NULL;
        g_autoptr(GString) fit = g_string_new(NULL);

        if (!st)
            continue;
        node = g->numa_node >= 0 ? g_strdup_printf("%d", g->numa_node) : g_strdup("-");
        has = mig_state_free_text(st);
        for (guint k = 0; k < st->fitting->len; k++)
            g_string_append_printf(fit, "%s%s", k ? ", " : "",
                                   host_type_short_name(st->fitting->pdata[k]));
        cli_table_add(t, g->addr, g->model, node,
                      st->mode == MIG_ON ? "on" : st->mode == MIG_OFF ? "off" : "?", has,
                      fit->len ? fit->str : "-");
    }
    if (cli_table_rows(t) == 0 || !cli_table_shown(t))
        return;
    if (after_table)
        printf("\n");
    cli_table_print(t, stdout, 0);
}

static void
json_mig(JsonOut *j, const Host *host, GPtrArray *gpus)
{
    json_key(j, "mig");
    json_begin_array(j);
    for (guint i = 0; i < gpus->len; i++) {
        const CliGpu *g = g_ptr_array_index(gpus, i);
        g_autoptr(MigState) st = mig_gpu_state(host, g->addr);

        if (!st)
            continue;
        json_begin_object(j);
        json_member_string(j, "gpu", g->addr);
        json_key(j, "mig_mode");
        if (st->mode == MIG_UNKNOWN)
            json_null(j);
        else
            json_bool(j, st->mode == MIG_ON);
        json_key(j, "free_gpu_instances");
        json_begin_object(j);
        for (guint k = 0; k < st->free->len; k++) {
            const MigFree *f = st->free->pdata[k];

            /* null: some free, the driver shows no count (mig.h) */
            json_key(j, f->instance);
            if (f->at_least)
                json_null(j);
            else
                json_int(j, f->count);
        }
        json_end_object(j);
        json_key(j, "fitting_profiles");
        json_begin_array(j);
        for (guint k = 0; k < st->fitting->len; k++)
            json_string(j, host_type_short_name(st->fitting->pdata[k]));
        json_end_array(j);
        json_end_object(j);
    }
    json_end_array(j);
}

static void
print_json(GPtrArray *profiles, gboolean all, const Host *host, GPtrArray *gpus)
{
    g_autoptr(JsonOut) j = json_out_new();

    json_begin_object(j);
    json_key(j, "profiles");
    json_begin_array(j);
    for (guint i = 0; i < profiles->len; i++) {
        const Profile *prof = g_ptr_array_index(profiles, i);
        const HostType *first = ((ProfileOnGpu *)g_ptr_array_index(prof->on_gpus, 0))->type;

        if (!all && prof->free == 0)
            continue;
        json_begin_object(j);
        json_member_string(j, "profile", prof->name);
        json_member_string(j, "name", first->name);
        json_member_int(j, "framebuffer_mb", (gint64)host_type_framebuffer_mb(first));
        json_key(j, "free");
        if (prof->free >= 0)
            json_int(j, prof->free);
        else
            json_null(j);
        json_key(j, "gpus");
        json_begin_array(j);
        for (guint k = 0; k < prof->on_gpus->len; k++) {
            const ProfileOnGpu *on = g_ptr_array_index(prof->on_gpus, k);

            json_begin_object(j);
            json_member_string(j, "gpu", on->gpu->addr);
            json_member_string(j, "model", on->gpu->model);
            json_member_string(j, "type", on->type->id);
            json_key(j, "max_instance");
            if (on->type->max_instance >= 0)
                json_int(j, on->type->max_instance);
            else
                json_null(j);
            json_member_int(j, "used", on->used);
            json_key(j, "free");
            if (on->free >= 0)
                json_int(j, on->free);
            else
                json_null(j);
            json_end_object(j);
        }
        json_end_array(j);
        json_end_object(j);
    }
    json_end_array(j);
    json_mig(j, host, gpus);
    json_end_object(j);
    json_out_print(j);
}

/* --gpu: a GPU's address, or one of its parents' (a VF names its GPU). */
static const CliGpu *
find_gpu_arg(GPtrArray *gpus, const char *arg)
{
    g_autofree char *norm = NULL;
    const char *want = arg;

    if (vgpu_validate_pci_addr("--gpu", arg, &norm, NULL) == 0)
        want = norm;
    for (guint i = 0; i < gpus->len; i++) {
        const CliGpu *g = g_ptr_array_index(gpus, i);

        if (strcmp(g->addr, want) == 0)
            return g;
        for (guint k = 0; k < g->parents->len; k++) {
            if (strcmp(((const HostParent *)g_ptr_array_index(g->parents, k))->addr, want) == 0)
                return g;
        }
    }
    return NULL;
}

int
cmd_types(CliOptions *opts, int argc, char **argv)
{
    gboolean all = FALSE;
    g_autofree char *gpu_arg = NULL;
    const GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Include types with no free instance", NULL },
        { "gpu", 'g', 0, G_OPTION_ARG_STRING, &gpu_arg, "Only this physical GPU (PCI address)",
          "ADDR" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json, "Print JSON", NULL },
        { NULL },
    };
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(Host) host = NULL;
    g_autoptr(GPtrArray) gpus = NULL;
    g_autoptr(GPtrArray) shown = NULL;    /* --gpu: that one */
    g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func(profile_free);
    g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) ledgers = NULL;
    gboolean hidden;

    if (!cli_parse_table_options(opts, "types", NULL,
                                 "The vGPU profiles this host offers, grouped across GPUs, with "
                                 "how many more each GPU can take now.", entries, types_tables,
                                 &argc, &argv))
        return 1;
    if (argc > 1) {
        cli_error("types: unexpected argument '%s'", argv[1]);
        return 1;
    }
    if (!(cfg = cli_config_load(opts, &error)))
        return cli_fail(NULL, error);
    if (!(host = host_scan(cfg->sysfs_root, NULL, &error)))
        return cli_fail("types", error);
    if (!(ledgers = cli_ledgers_for_view(cfg, "types", "a whole VF (gpu=) given to a domain "
                                         "may count as free", NULL, &hidden, &error)))
        return cli_fail("types", error);
    device_kind_note_ledgers(host, ledgers);
    vf_choice_note_capacity(host);
    cli_host_name_plain_vfs(host, cfg->pci_ids_path);
    gpus = cli_gpus_collect(host);
    if (gpu_arg) {
        const CliGpu *g = find_gpu_arg(gpus, gpu_arg);

        if (!g) {
            cli_error("types: no GPU or mdev parent '%s' on this host", gpu_arg);
            return 1;
        }
        add_gpu_types(by_name, profiles, host, g);
        shown = g_ptr_array_new();
        g_ptr_array_add(shown, (gpointer)g);
    } else {
        for (guint i = 0; i < gpus->len; i++)
            add_gpu_types(by_name, profiles, host, g_ptr_array_index(gpus, i));
    }
    g_ptr_array_sort(profiles, compare_profiles);
    if (opts->json) {
        print_json(profiles, all, host, shown ? shown : gpus);
    } else {
        gboolean printed = print_table(profiles, all);

        print_mig_table(host, shown ? shown : gpus, printed);
    }
    return 0;
}
