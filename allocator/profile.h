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
