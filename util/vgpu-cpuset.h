/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPU and NUMA node lists as libvirt writes them in a domain ("0-3,^2,8":
 * <vcpu cpuset>, <vcpupin cpuset>, <numatune><memory nodeset>) and as the
 * kernel writes them in sysfs ("0-15,32-47": node<N>/cpulist). */
#pragma once

#include <glib.h>

/* Numbers above this are refused: libvirt's own cpumask limit. */
#define VGPU_CPUSET_MAX 8191

/* Parse @value into *@set (guint, sorted, unique; possibly empty when
 * everything is excluded). -1 with @error naming @field otherwise. */
int vgpu_cpuset_parse(const char *field, const char *value, GArray **set, GError **error);
/* Add each of @from to @into, keeping it sorted and unique. */
void vgpu_cpuset_merge(GArray *into, const GArray *from);
gboolean vgpu_cpuset_contains(const GArray *set, guint n);
/* "0,1" (for messages). */
char *vgpu_cpuset_format(const GArray *set);
