/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Orders the project sorts by. */
#pragma once

#include <glib.h>

/* For g_ptr_array_sort() on an array of char*: byte order (strcmp), so a
 * listing reads the same in every locale. */
int vgpu_compare_strings(gconstpointer a, gconstpointer b);
