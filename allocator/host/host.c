/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host model: building it up, freeing it, and the questions every
 * user of it asks (host-scan.c fills it through the device kinds). */
#include "host.h"
#include "pci-name.h"
#include "profile.h"

#include <string.h>

void
host_type_free(HostType *t)
{
    if (!t)
        return;
    g_free(t->id);
    g_free(t->name);
    g_free(t->description);
    g_free(t);
}

void
host_parent_free(HostParent *parent)
{
    if (!parent)
        return;
    g_free(parent->addr);
    g_free(parent->gpu);
    g_free(parent->model);
    if (parent->types)
        g_ptr_array_unref(parent->types);
    g_free(parent);
}

void
host_device_free(HostDevice *dev)
{
    if (!dev)
        return;
    g_free(dev->uuid);
    g_free(dev->parent);
    g_free(dev->type);
    g_free(dev);
}

Host *
host_new(const char *root)
{
    Host *host = g_new0(Host, 1);

    host->root = g_strdup(root);
    host->parents = g_ptr_array_new_with_free_func((GDestroyNotify)host_parent_free);
    host->devices = g_ptr_array_new_with_free_func((GDestroyNotify)host_device_free);
    return host;
}

void
host_free(Host *host)
{
    if (!host)
        return;
    g_free(host->root);
    g_ptr_array_unref(host->parents);
    g_ptr_array_unref(host->devices);
    g_free(host);
}

static gint
compare_device_uuid(gconstpointer a, gconstpointer b)
{
    return strcmp((*(HostDevice *const *)a)->uuid, (*(HostDevice *const *)b)->uuid);
}

HostDevice *
host_add_device(Host *host, const char *uuid, const char *parent, const char *type)
{
    HostDevice *dev = g_new0(HostDevice, 1);

    dev->uuid = g_strdup(uuid);
    dev->parent = g_strdup(parent);
    dev->type = g_strdup(type);
    g_ptr_array_add(host->devices, dev);
    g_ptr_array_sort(host->devices, compare_device_uuid);
    return dev;
}

HostParent *
host_find_parent(const Host *host, const char *addr)
{
    for (guint i = 0; i < host->parents->len; i++) {
        HostParent *p = g_ptr_array_index(host->parents, i);

        if (strcmp(p->addr, addr) == 0)
            return p;
    }
    return NULL;
}

HostType *
host_parent_find_type(const HostParent *parent, const char *type_id)
{
    for (guint i = 0; i < parent->types->len; i++) {
        HostType *t = g_ptr_array_index(parent->types, i);

        if (strcmp(t->id, type_id) == 0)
            return t;
    }
    return NULL;
}

const HostDevice *
host_find_device(const Host *host, const char *uuid)
{
    for (guint i = 0; i < host->devices->len; i++) {
        const HostDevice *d = g_ptr_array_index(host->devices, i);

        if (g_ascii_strcasecmp(d->uuid, uuid) == 0)
            return d;
    }
    return NULL;
}

const char *
host_device_gpu(const Host *host, const HostDevice *dev)
{
    const HostParent *p = host_find_parent(host, dev->parent);

    /* A device whose parent left the bus still sits on its device. */
    return p ? p->gpu : dev->parent;
}

const HostType *
host_device_type(const Host *host, const HostDevice *dev)
{
    const HostParent *p = host_find_parent(host, dev->parent);

    if (!p)
        return NULL;
    if (p->types->len > 0 || !p->is_vf)
        return host_parent_find_type(p, dev->type);
    /* A vendor-specific VF with a type lists nothing; type ids are per GPU
     * model, so another VF of that model that still lists it names it. */
    for (guint i = 0; i < host->parents->len; i++) {
        const HostParent *q = g_ptr_array_index(host->parents, i);
        const HostType *t;

        if (q->kind == p->kind && strcmp(q->model, p->model) == 0 &&
            (t = host_parent_find_type(q, dev->type)))
            return t;
    }
    return NULL;
}

const char *
host_device_type_name(const Host *host, const HostDevice *dev)
{
    const HostType *t = host_device_type(host, dev);

    return t ? host_type_short_name(t) : dev->type;
}

guint
host_gpu_device_count(const Host *host, const char *gpu, const char *type)
{
    guint n = 0;

    for (guint i = 0; i < host->devices->len; i++) {
        const HostDevice *d = g_ptr_array_index(host->devices, i);

        if (strcmp(host_device_gpu(host, d), gpu) == 0 && (!type || strcmp(d->type, type) == 0))
            n++;
    }
    return n;
}

gboolean
host_parent_holds_one_type(const HostParent *parent)
{
    return host_vendor_is_nvidia(parent->model);
}

gboolean
host_type_matches_profile(const HostType *type, const char *profile)
{
    return type && profile_equal(type->name, profile);
}

const char *
host_type_short_name(const HostType *type)
{
    return profile_short_name(type->name);
}

gboolean
host_type_fits(const HostType *type, const char *type_id, const char *profile)
{
    if (type_id)
        return strcmp(type->id, type_id) == 0 &&
               (!profile || host_type_matches_profile(type, profile));
    return profile && host_type_matches_profile(type, profile);
}

guint64
host_type_framebuffer_mb(const HostType *type)
{
    guint64 mb = 0;

    if (type->framebuffer_mb)
        return type->framebuffer_mb;
    profile_size_series(host_type_short_name(type), &mb, NULL, NULL);
    return mb;
}

gboolean
host_type_fits_request(const HostType *type, const VgpuRequest *req)
{
    char series = 0;
    gboolean plain = FALSE;
    guint64 mb;

    if (!vgpu_request_is_need(req))
        return host_type_fits(type, req->type, req->profile);
    /* The series comes from the name alone; a variant ("-5CME") is not
     * what a plain series asks for. */
    if (!profile_size_series(host_type_short_name(type), NULL, &series, &plain) ||
        series != req->series || !plain)
        return FALSE;
    mb = host_type_framebuffer_mb(type);
    return req->framebuffer_exact ? mb == req->framebuffer_mb : mb >= req->framebuffer_mb;
}

GPtrArray *
host_parent_request_types(const HostParent *parent, const VgpuRequest *req)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < parent->types->len; i++) {
        HostType *t = g_ptr_array_index(parent->types, i);

        if (host_type_fits_request(t, req))
            g_ptr_array_add(out, t);
    }
    return out;
}

gboolean
host_device_fits(const Host *host, const HostDevice *dev, const VgpuRequest *req)
{
    const HostType *t = host_device_type(host, dev);

    if (t)
        return host_type_fits_request(t, req);
    /* The type id names one type of the driver; a profile can only be
     * checked against a listed name. */
    return req->type && strcmp(dev->type, req->type) == 0;
}

gboolean
host_vendor_is_nvidia(const char *id)
{
    if (!id)
        return FALSE;
    if (g_str_has_prefix(id, "0x") || g_str_has_prefix(id, "0X"))
        id += 2;
    return g_ascii_strncasecmp(id, "10de", 4) == 0 && (id[4] == '\0' || id[4] == ':' ||
                                                         g_ascii_isspace(id[4]));
}
