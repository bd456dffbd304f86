/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host seen per physical GPU, as an administrator thinks of it: an A40
 * with 32 VFs is one line, not 32. Built from a scanned Host. */
#pragma once

#include <glib.h>
#include "host.h"

typedef struct {
    const char *addr;       /* the physical GPU: PF address, or the parent ("mtty") */
    char *model;            /* "A40" (from its types' names), else "10de:2235", else "-" */
    int numa_node;          /* -1 unknown */
    guint vfs_total;        /* VFs on the mdev bus; 0: not SR-IOV */
    guint vfs_in_use;       /* VFs holding an mdev */
    guint mdevs;            /* mdevs on this GPU */
    GPtrArray *parents;     /* const HostParent*, borrowed from the Host */
} CliGpu;

void cli_gpu_free(CliGpu *gpu);

/* Plain VFs (AMD, Intel) carry their GPU's PCI id as type name: show the
 * PCI ID database's name instead (pci_ids_path; NULL: libpci's default). */
void cli_host_name_plain_vfs(Host *host, const char *ids_path);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliGpu, cli_gpu_free)

/* Every physical GPU of @host, by address. */
GPtrArray *cli_gpus_collect(const Host *host);
CliGpu *cli_gpus_find(GPtrArray *gpus, const char *gpu_addr);

/* How many more vGPUs of type @type_id @gpu can take now, by the driver's
 * own figures: a parent that is not a VF counts its available_instances;
 * VFs count one each when free for the type, but never more than the
 * type's max_instance minus those of that type already on the GPU (an A40
 * has 32 VFs and room for 24 x 2Q). -1 when unknown (not read). */
int cli_gpu_free_count(const Host *host, const CliGpu *gpu, const char *type_id);

/* The HostType for @type_id on the first parent of @gpu that offers it. */
const HostType *cli_gpu_find_type(const CliGpu *gpu, const char *type_id);
