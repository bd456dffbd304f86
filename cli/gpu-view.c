/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host seen per physical GPU. */
#include "gpu-view.h"
#include "device-kind.h"
#include "pci-name.h"
#include "mig.h"

#include <string.h>

void
cli_gpu_free(CliGpu *gpu)
{
    if (!gpu)
        return;
    g_free(gpu->model);
    g_ptr_array_unref(gpu->parents);
    g_free(gpu);
}

/* "A40" from "NVIDIA A40-2Q": the board is what comes before the first
 * '-' of a type's short name. Names without one (GVT-g, mtty) say nothing
 * about the board. */
static char *
model_from_types(const HostParent *p)
{
    /* A plain VF's one type is named after its GPU (cli_host_name_plain_vfs). */
    if (device_kind_by_gpu(p->kind) && p->types->len)
        return g_strdup(((const HostType *)g_ptr_array_index(p->types, 0))->name);
    for (guint i = 0; i < p->types->len; i++) {
        const char *name = host_type_short_name(g_ptr_array_index(p->types, i));
        const char *dash = strchr(name, '-');

        if (dash && dash > name)
            return g_strndup(name, dash - name);
    }
    return NULL;
}

CliGpu *
cli_gpus_find(GPtrArray *gpus, const char *gpu_addr)
{
    for (guint i = 0; i < gpus->len; i++) {
        CliGpu *g = g_ptr_array_index(gpus, i);

        if (strcmp(g->addr, gpu_addr) == 0)
            return g;
    }
    return NULL;
}

static int
compare_gpus(gconstpointer a, gconstpointer b)
{
    return strcmp((*(CliGpu *const *)a)->addr, (*(CliGpu *const *)b)->addr);
}

GPtrArray *
cli_gpus_collect(const Host *host)
{
    GPtrArray *gpus = g_ptr_array_new_with_free_func((GDestroyNotify)cli_gpu_free);

    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(host->parents, i);
        CliGpu *g = cli_gpus_find(gpus, p->gpu);
        gboolean used = FALSE;

        if (!g) {
            g = g_new0(CliGpu, 1);
            g->addr = p->gpu;
            g->numa_node = p->numa_node;
            g->parents = g_ptr_array_new();
            g_ptr_array_add(gpus, g);
        }
        g_ptr_array_add(g->parents, (gpointer)p);
        if (!g->model)
            g->model = model_from_types(p);
        for (guint j = 0; j < host->devices->len && !used; j++)
            used = strcmp(((const HostDevice *)g_ptr_array_index(host->devices, j))->parent,
                          p->addr) == 0;
        if (p->is_vf) {
            g->vfs_total++;
            g->vfs_in_use += used;
        }
    }
    for (guint i = 0; i < gpus->len; i++) {
        CliGpu *g = g_ptr_array_index(gpus, i);
        const HostParent *first = g_ptr_array_index(g->parents, 0);

        if (!g->model)
            g->model = g_strdup(*first->model ? first->model : "-");
        g->mdevs = host_gpu_device_count(host, g->addr, NULL);
    }
    g_ptr_array_sort(gpus, compare_gpus);
    return gpus;
}

const HostType *
cli_gpu_find_type(const CliGpu *gpu, const char *type_id)
{
    for (guint i = 0; i < gpu->parents->len; i++) {
        const HostType *t = host_parent_find_type(g_ptr_array_index(gpu->parents, i), type_id);

        if (t)
            return t;
    }
    return NULL;
}

int
cli_gpu_free_count(const Host *host, const CliGpu *gpu, const char *type_id)
{
    guint free_vfs = 0, other = 0;
    int max_instance = -1;
    guint mig_free = G_MAXUINT;    /* a MIG-backed type: the free instances of its size */

    for (guint i = 0; i < gpu->parents->len; i++) {
        const HostParent *p = g_ptr_array_index(gpu->parents, i);
        const HostType *t = host_parent_find_type(p, type_id);

        if (!t)
            continue;
        if (t->available < 0)
            return -1;
        if (t->max_instance >= 0)
            max_instance = t->max_instance;
        if (p->is_vf && mig_free == G_MAXUINT) {
            g_autofree char *inst = mig_type_instance(t);

            if (inst)
                mig_free = 0;
        }
        if (p->is_vf && mig_free != G_MAXUINT)
            mig_free = MAX(mig_free, (guint)t->available);
        if (p->is_vf)
            free_vfs += t->available > 0;   /* a VF holds at most one vGPU */
        else
            other += (guint)t->available;
    }
    if (free_vfs > 0 && max_instance >= 0) {
        guint used = host_gpu_device_count(host, gpu->addr, type_id);
        guint room = (guint)max_instance > used ? (guint)max_instance - used : 0;

        free_vfs = MIN(free_vfs, room);
    }
    free_vfs = MIN(free_vfs, mig_free);
    return (int)MIN(free_vfs + other, (guint)G_MAXINT);
}

void
cli_host_name_plain_vfs(Host *host, const char *ids_path)
{
    g_autoptr(PciNames) names = NULL;

    for (guint i = 0; i < host->parents->len; i++) {
        HostParent *p = g_ptr_array_index(host->parents, i);

        if (!device_kind_by_gpu(p->kind))
            continue;
        if (!names)
            names = pci_names_new(ids_path);
        for (guint k = 0; k < p->types->len; k++) {
            HostType *t = g_ptr_array_index(p->types, k);

            g_free(t->name);
            t->name = pci_names_device(names, p->model);
        }
    }
}
