/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Synthetic hosts for the unit tier: a Host as the scan would leave it,
 * built in memory (no sysfs behind it), so that a test states the host it
 * needs in a line. VFs of GPU bus BB are 0000:BB:00.4 onwards, as the
 * simulator numbers them. */
#pragma once

#include "host.h"

/* An empty host. */
Host *hb_new(void);
/* A host of A40s in mdev mode from @gpus, one word per GPU: "BUS:VFS" or
 * "BUS:VFS@NODE" (NUMA node, default 0); "41:3 e8:2@1" is an A40 on bus
 * 41 with 3 VFs on node 0 and one on bus e8 with 2 VFs on node 1. */
Host *hb_a40s(const char *gpus);

/* Address of VF @i of the GPU on bus @bus (0000:BB:SS.F). */
char *hb_vf_addr(const char *bus, guint i);
/* An mdev parent @addr of GPU @gpu (itself when @addr is @gpu), no types. */
HostParent *hb_add_parent(Host *h, const char *addr, const char *gpu, int numa);
HostType *hb_add_type(HostParent *p, const char *id, const char *name, int max, int available);
/* A device of @type on @parent, numbered by how many the host holds. */
void hb_add_mdev(Host *h, const char *parent, const char *type);

/* An A40 in mdev mode: @nvfs VFs on bus @bus, each offering 1B, 2Q, 4Q. */
void hb_add_a40(Host *h, const char *bus, guint nvfs, int numa);
/* An A40-driver vGPU of @type on VF @vf of bus @bus; every A40 VF's
 * available_instances then reads as the driver would report it. */
void hb_a40_place(Host *h, const char *bus, guint vf, const char *type);
/* An A100: @nvfs VFs offering a time-sliced 4C and the MIG-backed 1-5C
 * and 3-20C, as the driver reads with @free5 free 1g.5gb and @free20 free
 * 3g.20gb instances in MIG mode (time-sliced: 0). */
void hb_add_a100(Host *h, const char *bus, guint nvfs, int numa, gboolean mig,
                 int free5, int free20);
