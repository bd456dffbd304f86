/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sentences that say MIG is why a GPU cannot take a profile, from
 * what mig_gpu_state() reads (pure): the size needed, what the GPU has,
 * the nvidia-smi line; for a vendor-specific VF, also what the other
 * GPUs have, so that the user knows where 'vgpuctl sync' can point it. */
#include "mig.h"
#include "device-kind.h"
#include "profile.h"

#include <string.h>

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
        gboolean busy = FALSE;

        for (guint k = 0; k < host->devices->len && !busy; k++)
            busy = strcmp(((const HostDevice *)host->devices->pdata[k])->parent, p->addr) == 0;
        if (strcmp(p->gpu, gpu) != 0 || busy)
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

/* A need names no type: the smallest MIG-backed type some VF lists that
 * fits it stands for it, so the refusal can name a GPU instance size.
 * NULL when no VF lists one (then nothing tells the size). */
static const char *
need_mig_name(const Host *host, const VgpuRequest *req)
{
    const HostType *best = NULL;

    for (guint i = 0; vgpu_request_is_need(req) && i < host->parents->len; i++) {
        const HostParent *p = host->parents->pdata[i];

        for (guint j = 0; j < p->types->len; j++) {
            const HostType *t = p->types->pdata[j];
            g_autofree char *inst = mig_type_instance(t);

            if (inst && host_type_fits_request(t, req) &&
                (!best || host_type_framebuffer_mb(t) < host_type_framebuffer_mb(best)))
                best = t;
        }
    }
    return best ? best->name : NULL;
}

char *
mig_vf_refusal(const Host *host, const char *gpu, const VgpuRequest *req)
{
    const char *name = req->profile ? req->profile
                       : req->type ? type_name(host, gpu, req->type) : need_mig_name(host, req);
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
        if (!device_kind_typed_vf(p->kind) || !g_hash_table_add(seen, p->gpu))
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
