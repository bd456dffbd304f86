/* Looking things up in a scanned host, and freeing it (host-scan.c builds
 * it, with each array owning its elements). */
#include "host.h"

#include <string.h>

void
host_free(Host *host)
{
    if (!host)
        return;
    g_free(host->root);
    g_ptr_array_unref(host->parents);
    g_ptr_array_unref(host->mdevs);
    g_free(host);
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

const HostMdev *
host_find_mdev(const Host *host, const char *uuid)
{
    for (guint i = 0; i < host->mdevs->len; i++) {
        const HostMdev *m = g_ptr_array_index(host->mdevs, i);

        if (g_ascii_strcasecmp(m->uuid, uuid) == 0)
            return m;
    }
    return NULL;
}

guint
host_gpu_mdev_count(const Host *host, const char *gpu, const char *type)
{
    guint n = 0;

    for (guint i = 0; i < host->mdevs->len; i++) {
        const HostMdev *m = g_ptr_array_index(host->mdevs, i);
        const HostParent *p = host_find_parent(host, m->parent);
        /* An mdev whose parent left the mdev bus still sits on its device. */
        const char *its_gpu = p ? p->gpu : m->parent;

        if (strcmp(its_gpu, gpu) == 0 && (!type || strcmp(m->type, type) == 0))
            n++;
    }
    return n;
}

static gint
compare_mdev_uuid(gconstpointer a, gconstpointer b)
{
    return strcmp((*(HostMdev *const *)a)->uuid, (*(HostMdev *const *)b)->uuid);
}

void
host_note_created(Host *host, const char *uuid, const char *parent_addr, const char *type_id)
{
    HostParent *parent = host_find_parent(host, parent_addr);
    HostType *type = parent ? host_parent_find_type(parent, type_id) : NULL;
    HostMdev *m = g_new0(HostMdev, 1);

    m->uuid = g_strdup(uuid);
    m->parent = g_strdup(parent_addr);
    m->type = g_strdup(type_id);
    g_ptr_array_add(host->mdevs, m);
    g_ptr_array_sort(host->mdevs, compare_mdev_uuid);
    if (type && type->available > 0)
        type->available--;
}
