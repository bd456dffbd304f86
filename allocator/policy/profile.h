/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Matching a user's profile ("A40-2Q") against a type's name file
 * ("NVIDIA A40-2Q"). */
#pragma once

#include <glib.h>

/* Case-insensitive, vendor prefix ("NVIDIA ", "GRID ", "Intel ") optional
 * on either side, spaces and '_' alike. FALSE when either is NULL. */
gboolean profile_equal(const char *a, const char *b);
/* @name without its vendor words ("NVIDIA A40-2Q" -> "A40-2Q"), pointing
 * into @name. */
const char *profile_short_name(const char *name);
/* Framebuffer and series from an NVIDIA name's last part: "A40-8Q" is 8G
 * of series Q, "A100-3-20C" 20G of C. *plain is FALSE for a variant with
 * more letters ("A100-1-5CME": media engines). FALSE when the name has
 * no such part (GVTg_V5_4, mtty): its size is not known. */
gboolean profile_size_series(const char *name, guint64 *mb, char *series, gboolean *plain);
/* The GPU instance profile a MIG-backed type takes, from its name
 * ("A100-3-20C" -> "3g.20gb", "A100-1-5CME" -> "1g.5gb+me"); NULL for a
 * time-sliced name ("A100-20C") or any other. */
char *profile_mig_instance(const char *name);
