/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "host-scan.h"
#include "device-kind.h"

#include <string.h>

static gint
compare_parent_addr(gconstpointer a, gconstpointer b)
{
    return strcmp((*(HostParent *const *)a)->addr, (*(HostParent *const *)b)->addr);
}

Host *
host_scan(const char *root, const GPtrArray *requests, GError **error)
{
    g_autoptr(Host) host = host_new(root);

    for (guint i = 0; device_kinds[i]; i++) {
        if (device_kinds[i]->scan(host, root, requests, error) < 0)
            return NULL;
    }
    g_ptr_array_sort(host->parents, compare_parent_addr);
    return g_steal_pointer(&host);
}
