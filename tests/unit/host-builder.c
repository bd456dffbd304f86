/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "host-builder.h"

#include <stdlib.h>
#include <string.h>

Host *
hb_new(void)
{
    return host_new("/nonexistent");
}

Host *
hb_a40s(const char *gpus)
{
    Host *h = hb_new();
    g_auto(GStrv) words = g_strsplit(gpus, " ", -1);

    for (char **w = words; *w; w++) {
        g_auto(GStrv) bus_rest = g_strsplit(*w, ":", 2);
        char *end = NULL;
        guint64 nvfs;
        int numa = 0;

        if (!**w)
            continue;
        g_assert_nonnull(bus_rest[1]);
        nvfs = g_ascii_strtoull(bus_rest[1], &end, 10);
        if (*end == '@')
            numa = atoi(end + 1);
        else
            g_assert_cmpint(*end, ==, '\0');
        hb_add_a40(h, bus_rest[0], nvfs, numa);
    }
    return h;
}

char *
hb_vf_addr(const char *bus, guint i)
{
    return g_strdup_printf("0000:%s:%02x.%u", bus, (4 + i) / 8, (4 + i) % 8);
}

HostParent *
hb_add_parent(Host *h, const char *addr, const char *gpu, int numa)
{
    HostParent *p = g_new0(HostParent, 1);

    p->addr = g_strdup(addr);
    p->gpu = g_strdup(gpu);
    p->is_vf = strcmp(addr, gpu) != 0;
    p->numa_node = numa;
    p->model = g_strdup("10de:2235");
    p->types = g_ptr_array_new_with_free_func((GDestroyNotify)host_type_free);
    g_ptr_array_add(h->parents, p);
    return p;
}

HostType *
hb_add_type(HostParent *p, const char *id, const char *name, int max, int available)
{
    HostType *t = g_new0(HostType, 1);

    t->id = g_strdup(id);
    t->name = g_strdup(name);
    t->max_instance = max;
    t->available = available;
    g_ptr_array_add(p->types, t);
    return t;
}

void
hb_add_mdev(Host *h, const char *parent, const char *type)
{
    g_autofree char *uuid = g_strdup_printf("00000000-0000-4000-8000-%012u", h->devices->len);

    host_add_device(h, uuid, parent, type);
}

static const struct { const char *id, *name; int max; } a40_types[] = {
    { "nvidia-557", "NVIDIA A40-1B", 32 },
    { "nvidia-558", "NVIDIA A40-2Q", 24 },
    { "nvidia-559", "NVIDIA A40-4Q", 12 },
};

void
hb_add_a40(Host *h, const char *bus, guint nvfs, int numa)
{
    g_autofree char *gpu = g_strdup_printf("0000:%s:00.0", bus);

    for (guint i = 0; i < nvfs; i++) {
        g_autofree char *addr = hb_vf_addr(bus, i);
        HostParent *p = hb_add_parent(h, addr, gpu, numa);

        for (guint t = 0; t < G_N_ELEMENTS(a40_types); t++)
            hb_add_type(p, a40_types[t].id, a40_types[t].name, a40_types[t].max, 1);
    }
}

/* What the NVIDIA driver reports: a VF holding a vGPU offers nothing, a
 * GPU holding one type offers no other, a type at max_instance no more. */
static void
a40_recompute(Host *h)
{
    for (guint i = 0; i < h->parents->len; i++) {
        HostParent *p = h->parents->pdata[i];
        gboolean busy = FALSE;

        for (guint j = 0; j < h->devices->len; j++)
            busy |= strcmp(((HostDevice *)h->devices->pdata[j])->parent, p->addr) == 0;
        for (guint t = 0; t < p->types->len; t++) {
            HostType *ty = p->types->pdata[t];
            guint all = host_gpu_device_count(h, p->gpu, NULL);
            guint same = host_gpu_device_count(h, p->gpu, ty->id);

            ty->available = !busy && all == same && same < (guint)ty->max_instance ? 1 : 0;
        }
    }
}

void
hb_a40_place(Host *h, const char *bus, guint vf, const char *type)
{
    g_autofree char *addr = hb_vf_addr(bus, vf);

    hb_add_mdev(h, addr, type);
    a40_recompute(h);
}

void
hb_add_a100(Host *h, const char *bus, guint nvfs, int numa, gboolean mig, int free5, int free20)
{
    g_autofree char *gpu = g_strdup_printf("0000:%s:00.0", bus);

    for (guint i = 0; i < nvfs; i++) {
        g_autofree char *addr = hb_vf_addr(bus, i);
        HostParent *p = hb_add_parent(h, addr, gpu, numa);

        hb_add_type(p, "nvidia-470", "NVIDIA A100-4C", 10, mig ? 0 : 1);
        hb_add_type(p, "nvidia-480", "NVIDIA A100-1-5C", 7, mig ? free5 : 0);
        hb_add_type(p, "nvidia-482", "NVIDIA A100-3-20C", 2, mig ? free20 : 0);
    }
}
