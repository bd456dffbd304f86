/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vgpu-sort.h"

#include <string.h>

int
vgpu_compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}
