/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The placement policy a domain or the config asks for. */
#pragma once

#include <glib.h>

typedef enum {
    VGPU_PLACEMENT_DEFAULT = 0,   /* take the config's policy */
    VGPU_PLACEMENT_PACK,
    VGPU_PLACEMENT_SPREAD,
} VgpuPlacement;

/* "pack" or "spread"; -1 with @error for anything else. */
int vgpu_placement_parse(const char *value, VgpuPlacement *out, GError **error);
const char *vgpu_placement_name(VgpuPlacement p);
