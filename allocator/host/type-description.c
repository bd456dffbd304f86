/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "type-description.h"

#include <errno.h>
#include <string.h>

/* The number after "@key=" in @desc; @unit gets the character after the
 * digits. */
static gboolean
description_number(const char *desc, const char *key, guint64 *value, char *unit)
{
    size_t klen = strlen(key);

    for (const char *p = strstr(desc, key); p; p = strstr(p + 1, key)) {
        const char *digits = p + klen + 1;
        char *end = NULL;
        guint64 v;

        /* A whole key only: not the tail of "max_framebuffer". */
        if ((p > desc && (g_ascii_isalnum(p[-1]) || p[-1] == '_')) || p[klen] != '=')
            continue;
        if (!g_ascii_isdigit(*digits))
            continue;
        errno = 0;
        v = g_ascii_strtoull(digits, &end, 10);
        if (errno)
            continue;
        *value = v;
        *unit = *end;
        return TRUE;
    }
    return FALSE;
}

guint64
type_description_framebuffer_mb(const char *desc)
{
    guint64 v = 0;
    char unit = 0;

    if (!desc || !description_number(desc, "framebuffer", &v, &unit))
        return 0;
    switch (g_ascii_toupper(unit)) {
    case 'M': return v;
    case 'G': return v <= G_MAXUINT64 / 1024 ? v * 1024 : 0;
    default: return 0;  /* no unit: we would only be guessing */
    }
}

int
type_description_max_instance(const char *desc)
{
    guint64 v = 0;
    char unit = 0;

    if (!desc || !description_number(desc, "max_instance", &v, &unit) || v > G_MAXINT ||
        g_ascii_isalnum(unit))
        return -1;
    return (int)v;
}
