/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "numa-map.h"
#include "sysfs-io.h"
#include "sysfs-path.h"
#include "vgpu-cpuset.h"
#include "vgpu-error.h"

#include <stdlib.h>
#include <string.h>

/* "node12" -> 12; FALSE for "online", "possible" and the like. */
static gboolean
node_number(const char *name, guint *n)
{
    const char *digits = name + 4;

    if (!g_str_has_prefix(name, "node") || !*digits ||
        strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 4)
        return FALSE;
    *n = (guint)atoi(digits);
    return TRUE;
}

static int
nodes_of_cpus(const char *root, const GArray *cpus, GArray *nodes, GError **error)
{
    g_autofree char *dir = sysfs_path_numa_nodes(root);
    g_autoptr(GPtrArray) names = sysfs_list_dir(dir, error);

    if (!names)
        return -1;
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *path = NULL, *text = NULL;
        g_autoptr(GArray) node_cpus = NULL;
        guint n;

        if (!node_number(name, &n))
            continue;
        if (!(path = sysfs_path_numa_node_file(root, name, "cpulist", error)) ||
            !(text = sysfs_read_attr(path, error)) ||
            vgpu_cpuset_parse(path, text, &node_cpus, error) < 0)
            return -1;
        for (guint j = 0; j < cpus->len; j++) {
            if (vgpu_cpuset_contains(node_cpus, g_array_index(cpus, guint, j))) {
                g_array_append_val(nodes, n);
                break;
            }
        }
    }
    return 0;
}

int
numa_domain_nodes(const char *root, const GArray *mem_nodes, const GArray *cpus,
                  GArray **nodes, GError **error)
{
    g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(guint));

    *nodes = NULL;
    if (mem_nodes && mem_nodes->len > 0)
        vgpu_cpuset_merge(out, mem_nodes);
    else if (cpus && cpus->len > 0 && nodes_of_cpus(root, cpus, out, error) < 0)
        return -1;
    vgpu_cpuset_merge(out, NULL);   /* sorted */
    if (out->len > 0)
        *nodes = g_steal_pointer(&out);
    return 0;
}
