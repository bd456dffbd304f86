/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The NUMA nodes a domain runs on, from what its XML binds: its memory's
 * nodes, else the nodes of the CPUs its vCPUs are pinned to, which only
 * the host can tell (devices/system/node/node<N>/cpulist). */
#pragma once

#include <glib.h>

/* *@nodes (guint, sorted) for a domain binding memory to @mem_nodes or
 * pinning vCPUs to @cpus (either may be NULL); NULL when it binds neither,
 * or when no listed node holds one of its CPUs. -1 with @error when the
 * host's node list cannot be read. */
int numa_domain_nodes(const char *root, const GArray *mem_nodes, const GArray *cpus,
                      GArray **nodes, GError **error);
