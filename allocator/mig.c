#include "mig.h"
#include "device-kind.h"
#include "profile.h"

#include <string.h>

void
mig_state_free(MigState *s)
{
    if (!s)
        return;
    g_ptr_array_unref(s->free);
    g_ptr_array_unref(s->fitting);
    g_free(s);
}

static void
mig_free_free(gpointer p)
{
    MigFree *f = p;

    g_free(f->instance);
    g_free(f);
}

char *
mig_type_instance(const HostType *type)
{
    return profile_mig_instance(host_type_short_name(type));
}

static gboolean
parent_is_free(const Host *host, const HostParent *p)
{
    for (guint i = 0; i < host->devices->len; i++) {
        if (strcmp(((const HostDevice *)host->devices->pdata[i])->parent, p->addr) == 0)
            return FALSE;
    }
    return TRUE;
}

static void
note_free(MigState *s, const char *instance, guint count, gboolean at_least)
{
    MigFree *f;

    for (guint i = 0; i < s->free->len; i++) {
        f = s->free->pdata[i];
        if (strcmp(f->instance, instance) == 0) {
            f->count = MAX(f->count, count);
            return;
        }
    }
    f = g_new0(MigFree, 1);
    f->instance = g_strdup(instance);
    f->count = count;
    f->at_least = at_least;
    g_ptr_array_add(s->free, f);
}

static int
compare_free(gconstpointer a, gconstpointer b)
{
    return strcmp((*(const MigFree *const *)a)->instance, (*(const MigFree *const *)b)->instance);
}

/* The type @d holds, as its parent lists it or, for a vendor-specific VF
 * (which lists nothing once it has a type), as a parent of the same model
 * lists that id. NULL when nothing lists it now. */
static const HostType *
device_type(const Host *host, const HostDevice *d)
{
    const HostType *t = host_device_type(host, d);
    const HostParent *own = host_find_parent(host, d->parent);

    for (guint i = 0; !t && own && *own->model && i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];

        if (strcmp(p->model, own->model) == 0)
            t = host_parent_find_type(p, d->type);
    }
    return t;
}

/* A parent of PCI model @model lists or holds a MIG-backed type: GPUs of
 * that model can run MIG, also one whose VFs list nothing now. */
static gboolean
model_has_mig(const Host *host, const char *model)
{
    if (!*model)
        return FALSE;
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];

        if (strcmp(p->model, model) != 0)
            continue;
        for (guint j = 0; j < p->types->len; j++) {
            g_autofree char *inst = mig_type_instance(p->types->pdata[j]);

            if (inst)
                return TRUE;
        }
    }
    for (guint i = 0; i < host->devices->len; i++) {
        const HostDevice *d = host->devices->pdata[i];
        const HostParent *own = host_find_parent(host, d->parent);
        const HostType *t = own && strcmp(own->model, model) == 0 ? device_type(host, d) : NULL;
        g_autofree char *inst = t ? mig_type_instance(t) : NULL;

        if (inst)
            return TRUE;
    }
    return FALSE;
}

/* What the devices on @gpu say: a MIG-backed vGPU means MIG is on, a
 * time-sliced one that it is off. */
static MigMode
mode_from_devices(const Host *host, const char *gpu)
{
    for (guint i = 0; i < host->devices->len; i++) {
        const HostDevice *d = host->devices->pdata[i];
        const HostType *t;
        g_autofree char *inst = NULL;

        if (strcmp(host_device_gpu(host, d), gpu) != 0 || !(t = device_type(host, d)))
            continue;
        inst = mig_type_instance(t);
        return inst ? MIG_ON : MIG_OFF;
    }
    return MIG_UNKNOWN;
}

MigState *
mig_gpu_state(const Host *host, const char *gpu)
{
    g_autoptr(MigState) s = g_new0(MigState, 1);
    gboolean capable = FALSE, sliced_room = FALSE, sliced_none = FALSE, mig_room = FALSE;
    g_autoptr(GHashTable) fit = g_hash_table_new(g_str_hash, g_str_equal);
    const char *model = NULL;

    s->free = g_ptr_array_new_with_free_func(mig_free_free);
    s->fitting = g_ptr_array_new();
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];
        gboolean free_vf, all_sliced_zero = TRUE, any_sliced = FALSE;

        if (strcmp(p->gpu, gpu) != 0)
            continue;
        model = p->model;
        free_vf = parent_is_free(host, p);
        for (guint j = 0; j < p->types->len; j++) {
            const HostType *t = p->types->pdata[j];
            g_autofree char *inst = mig_type_instance(t);

            capable |= inst != NULL;
            if (!free_vf || t->available < 0)
                continue;
            if (inst) {
                if (t->available > 0) {
                    mig_room = TRUE;
                    /* A vendor-specific VF lists the type, no count. */
                    note_free(s, inst, (guint)t->available, p->kind && p->kind->named_by_hostdev);
                    if (g_hash_table_add(fit, t->id))
                        g_ptr_array_add(s->fitting, (gpointer)t);
                }
            } else {
                any_sliced = TRUE;
                all_sliced_zero &= t->available == 0;
                sliced_room |= t->available > 0;
            }
        }
        sliced_none |= free_vf && any_sliced && all_sliced_zero;
    }
    s->mode = mode_from_devices(host, gpu);
    if (!capable && !(model && (s->mode == MIG_ON || model_has_mig(host, model))))
        return NULL;
    if (s->mode == MIG_UNKNOWN) {
        /* A free VF of a GPU in neither state would offer a time-sliced
         * type: none offered means MIG is on. */
        if (mig_room || (sliced_none && !sliced_room))
            s->mode = MIG_ON;
        else if (sliced_room)
            s->mode = MIG_OFF;
    }
    g_ptr_array_sort(s->free, compare_free);
    return g_steal_pointer(&s);
}

char *
mig_state_free_text(const MigState *s)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < s->free->len; i++) {
        const MigFree *f = s->free->pdata[i];

        if (f->at_least)
            g_string_append_printf(out, "%s%s", i ? ", " : "", f->instance);
        else
            g_string_append_printf(out, "%s%s x%u", i ? ", " : "", f->instance, f->count);
    }
    if (out->len == 0)
        g_string_append(out, "none");
    return g_string_free(out, FALSE);
}

static gboolean
state_has_free(const MigState *st, const char *instance)
{
    for (guint i = 0; i < st->free->len; i++) {
        if (strcmp(((const MigFree *)st->free->pdata[i])->instance, instance) == 0)
            return TRUE;
    }
    return FALSE;
}

char *
mig_gpu_refusal(const Host *host, const char *gpu, const char *name)
{
    g_autoptr(MigState) st = mig_gpu_state(host, gpu);
    const char *shortname = profile_short_name(name);
    g_autofree char *inst = profile_mig_instance(shortname);
    g_autofree char *has = NULL;

    if (!st)
        return NULL;
    if (!inst && st->mode == MIG_ON)
        return g_strdup_printf("GPU %s is in MIG mode: time-sliced %s cannot go there, "
                               "MIG-backed profiles can (after destroying its GPU instances, "
                               "nvidia-smi -i %s -mig 0 turns MIG off)", gpu, shortname, gpu);
    if (!inst)
        return NULL;
    if (st->mode == MIG_OFF)
        return g_strdup_printf("GPU %s is not in MIG mode, so MIG-backed %s cannot go there "
                               "(nvidia-smi -i %s -mig 1, then nvidia-smi mig -i %s -cgi %s)",
                               gpu, shortname, gpu, gpu, inst);
    if (state_has_free(st, inst))
        return NULL;
    has = mig_state_free_text(st);
    return g_strdup_printf("GPU %s has no free %s GPU instance for %s (free: %s; create one: "
                           "nvidia-smi mig -i %s -cgi %s)", gpu, inst, shortname, has, gpu, inst);
}

/* "H100" of "H100-3-40C" and of "H100-4C": the board an NVIDIA name is for. */
static char *
name_board(const char *shortname)
{
    g_autofree char *inst = profile_mig_instance(shortname);
    const char *end = strrchr(shortname, '-');

    if (end && inst) {
        const char *p = end;

        while (p > shortname && p[-1] != '-')
            p--;
        end = p > shortname ? p - 1 : NULL;
    }
    return end ? g_strndup(shortname, (gsize)(end - shortname)) : NULL;
}

/* Is @shortname for the board of @gpu (as any parent of its model names
 * its types)? A request for another board's profile is no MIG matter. */
static gboolean
gpu_takes_board(const Host *host, const char *gpu, const char *shortname)
{
    g_autofree char *want = name_board(shortname);
    const char *model = NULL;

    for (guint i = 0; !model && i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];

        if (strcmp(p->gpu, gpu) == 0)
            model = p->model;
    }
    for (guint i = 0; want && model && i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];

        if (strcmp(p->model, model) != 0)
            continue;
        for (guint j = 0; j < p->types->len; j++) {
            g_autofree char *board = name_board(host_type_short_name(p->types->pdata[j]));

            if (board && g_ascii_strcasecmp(board, want) == 0)
                return TRUE;
        }
    }
    return FALSE;
}

/* The name of type id @type_id as a parent of @gpu's PCI model lists it
 * (a vendor-specific VF with a type lists nothing); @gpu NULL: any
 * parent. NULL when none does. */
static const char *
type_name(const Host *host, const char *gpu, const char *type_id)
{
    const char *model = NULL;

    for (guint i = 0; gpu && !model && i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];

        if (strcmp(p->gpu, gpu) == 0)
            model = p->model;
    }
    for (guint i = 0; type_id && i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];
        const HostType *t;

        if ((!gpu || strcmp(p->gpu, gpu) == 0 || (model && *model && !strcmp(p->model, model))) &&
            (t = host_parent_find_type(p, type_id)))
            return t->name;
    }
    return NULL;
}

/* @gpu has a free VF and none of its free VFs lists a type: all a
 * vendor-specific GPU shows once every GPU instance is in use (or its
 * time-sliced capacity is). */
static gboolean
gpu_lists_nothing(const Host *host, const char *gpu)
{
    gboolean any_free = FALSE;

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];

        if (strcmp(p->gpu, gpu) != 0 || !parent_is_free(host, p))
            continue;
        any_free = TRUE;
        for (guint j = 0; j < p->types->len; j++) {
            if (((const HostType *)p->types->pdata[j])->available != 0)
                return FALSE;
        }
    }
    return any_free;
}

/* MIG's reason for @gpu, or, where nothing on the host tells its MIG
 * state (every VF of its model busy or listing nothing), what the
 * MIG-backed name alone says: the size it needs, which @gpu does not
 * offer now. */
static char *
gpu_refusal(const Host *host, const char *gpu, const char *shortname, const char *inst)
{
    g_autoptr(MigState) st = mig_gpu_state(host, gpu);

    if (st || !inst || !gpu_lists_nothing(host, gpu))
        return st && gpu_takes_board(host, gpu, shortname)
               ? mig_gpu_refusal(host, gpu, shortname) : NULL;
    return g_strdup_printf("GPU %s has no free %s GPU instance for %s (its free VFs list no "
                           "vGPU type now; create one: nvidia-smi mig -i %s -cgi %s)", gpu, inst,
                           shortname, gpu, inst);
}

char *
mig_vf_refusal(const Host *host, const char *gpu, const VgpuRequest *req)
{
    const char *name = req->profile ? req->profile : type_name(host, gpu, req->type);
    const char *shortname = name ? profile_short_name(name) : NULL;
    g_autofree char *inst = shortname ? profile_mig_instance(shortname) : NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GString) out = g_string_new(NULL);

    if (!shortname || req->gpu)
        return NULL;
    if (gpu) {
        g_autofree char *own = gpu_refusal(host, gpu, shortname, inst);

        if (!own)
            return NULL;
        g_string_append(out, own);
        g_hash_table_add(seen, (gpointer)gpu);
    }
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];
        g_autoptr(MigState) st = NULL;
        g_autofree char *why = NULL;

        /* the VFs that take a vGPU type; a plain VF has none to offer */
        if (p->kind != &device_kind_nvvf || !g_hash_table_add(seen, p->gpu))
            continue;
        st = mig_gpu_state(host, p->gpu);
        if (st && inst && st->mode != MIG_OFF && state_has_free(st, inst) &&
            gpu_takes_board(host, p->gpu, shortname))
            why = g_strdup_printf("GPU %s has a free %s GPU instance", p->gpu, inst);
        else
            why = gpu_refusal(host, p->gpu, shortname, inst);
        if (why)
            g_string_append_printf(out, "%s%s", out->len ? "; " : "", why);
    }
    return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}
