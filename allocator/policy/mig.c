/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
    const char *model = NULL;   /* of a vendor-specific GPU: its VFs may list nothing */

    s->free = g_ptr_array_new_with_free_func(mig_free_free);
    s->fitting = g_ptr_array_new();
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];
        gboolean free_vf, all_sliced_zero = TRUE, any_sliced = FALSE;

        if (strcmp(p->gpu, gpu) != 0)
            continue;
        if (p->kind && p->kind->vf)
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
                    note_free(s, inst, (guint)t->available, p->kind && p->kind->vf);
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
    /* An mdev parent lists every type; a vendor-specific VF only what it
     * takes now, so its GPU's model tells whether MIG applies. */
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
