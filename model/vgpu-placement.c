/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vgpu-placement.h"
#include "vgpu-error.h"

int
vgpu_placement_parse(const char *value, VgpuPlacement *out, GError **error)
{
    if (g_strcmp0(value, "pack") == 0) {
        *out = VGPU_PLACEMENT_PACK;
    } else if (g_strcmp0(value, "spread") == 0) {
        *out = VGPU_PLACEMENT_SPREAD;
    } else {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "placement '%s' is not known (use 'pack' or 'spread')", value ? value : "");
        return -1;
    }
    return 0;
}

const char *
vgpu_placement_name(VgpuPlacement p)
{
    switch (p) {
    case VGPU_PLACEMENT_PACK: return "pack";
    case VGPU_PLACEMENT_SPREAD: return "spread";
    case VGPU_PLACEMENT_DEFAULT: break;
    }
    return "default";
}
