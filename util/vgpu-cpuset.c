/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vgpu-cpuset.h"
#include "vgpu-error.h"

#include <string.h>

static int
compare_uint(gconstpointer a, gconstpointer b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;

    return x < y ? -1 : x > y;
}

/* One number of @s at *p, advancing it. */
static gboolean
read_number(const char **p, guint *out)
{
    guint64 v = 0;
    const char *s = *p;

    if (!g_ascii_isdigit(*s))
        return FALSE;
    while (g_ascii_isdigit(*s)) {
        v = v * 10 + (*s++ - '0');
        if (v > VGPU_CPUSET_MAX)
            return FALSE;
    }
    *p = s;
    *out = (guint)v;
    return TRUE;
}

int
vgpu_cpuset_parse(const char *field, const char *value, GArray **set, GError **error)
{
    g_autofree gboolean *in = g_new0(gboolean, VGPU_CPUSET_MAX + 1);
    g_auto(GStrv) items = g_strsplit(value, ",", -1);
    GArray *out;

    if (!*items)
        goto bad;       /* "" */
    for (char **it = items; *it; it++) {
        const char *p = g_strstrip(*it);
        gboolean exclude = *p == '^';
        guint lo, hi;

        if (exclude)
            p++;
        if (!read_number(&p, &lo))
            goto bad;
        hi = lo;
        if (*p == '-' && !exclude) {
            p++;
            if (!read_number(&p, &hi) || hi < lo)
                goto bad;
        }
        if (*p)
            goto bad;
        for (guint n = lo; n <= hi; n++)
            in[n] = !exclude;
    }
    out = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint n = 0; n <= VGPU_CPUSET_MAX; n++) {
        if (in[n])
            g_array_append_val(out, n);
    }
    *set = out;
    return 0;
bad:
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "%s '%s' is not a list of numbers and ranges from 0 to %d "
                "(e.g. 0-3,^2,8)", field, value, VGPU_CPUSET_MAX);
    return -1;
}

gboolean
vgpu_cpuset_contains(const GArray *set, guint n)
{
    for (guint i = 0; set && i < set->len; i++) {
        if (g_array_index(set, guint, i) == n)
            return TRUE;
    }
    return FALSE;
}

void
vgpu_cpuset_merge(GArray *into, const GArray *from)
{
    for (guint i = 0; from && i < from->len; i++) {
        guint n = g_array_index(from, guint, i);

        if (!vgpu_cpuset_contains(into, n))
            g_array_append_val(into, n);
    }
    g_array_sort(into, compare_uint);
}

char *
vgpu_cpuset_format(const GArray *set)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; set && i < set->len; i++)
        g_string_append_printf(s, "%s%u", i ? "," : "", g_array_index(set, guint, i));
    return g_string_free(s, FALSE);
}
