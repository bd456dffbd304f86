/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Matching a user's profile ("A40-2Q") against a type's name file
 * ("NVIDIA A40-2Q"). Users copy names from nvidia-smi, from the driver's
 * name file or from NVIDIA's documentation, which disagree on case, on the
 * vendor prefix and on spaces vs '_' (KubeVirt turns spaces into '_'). */
#include "profile.h"

#include <string.h>

static const char *const vendor_prefixes[] = { "nvidia", "grid", "intel" };

static gboolean
is_space_like(char c)
{
    return c == ' ' || c == '_';
}

/* Pointer past one leading vendor word and its separator ("NVIDIA A40-2Q"
 * -> "A40-2Q"), into @name itself. A name that is only a vendor word is
 * kept whole: it is the whole name, not a prefix. */
static const char *
skip_vendor_prefix(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(vendor_prefixes); i++) {
        size_t len = strlen(vendor_prefixes[i]);

        if (g_ascii_strncasecmp(name, vendor_prefixes[i], len) == 0 &&
            is_space_like(name[len]) && name[len + 1] && !is_space_like(name[len + 1]))
            return name + len + 1;
    }
    return name;
}

/* Lowercase, '_' as ' ', without surrounding blanks or vendor words
 * ("NVIDIA GRID_P40-1Q" -> "p40-1q"). '-' is significant: "A40-2Q" and
 * "A40 2Q" are different spellings on purpose. */
static char *
profile_normalize(const char *name)
{
    g_autofree char *low = g_ascii_strdown(name, -1);
    const char *p;

    for (char *c = low; *c; c++) {
        if (*c == '_')
            *c = ' ';
    }
    g_strstrip(low);
    p = low;
    for (const char *next = skip_vendor_prefix(p); next != p; next = skip_vendor_prefix(p))
        p = next;
    return g_strdup(p);
}

gboolean
profile_equal(const char *a, const char *b)
{
    g_autofree char *na = NULL;
    g_autofree char *nb = NULL;

    if (!a || !b)
        return FALSE;
    na = profile_normalize(a);
    nb = profile_normalize(b);
    return *na && strcmp(na, nb) == 0;
}

const char *
profile_short_name(const char *name)
{
    const char *p = name;

    for (const char *next = skip_vendor_prefix(p); next != p; next = skip_vendor_prefix(p))
        p = next;
    return p;
}

gboolean
profile_size_series(const char *name, guint64 *mb, char *series, gboolean *plain)
{
    const char *p = name ? strrchr(name, '-') : NULL;
    const char *digits, *letters;
    guint64 gb;

    if (!p)
        return FALSE;
    digits = p + 1;
    letters = digits + strspn(digits, "0123456789");
    if (letters == digits || letters - digits > 4 || !g_ascii_isupper(*letters))
        return FALSE;
    for (const char *c = letters; *c; c++) {
        if (!g_ascii_isupper(*c))
            return FALSE;
    }
    gb = g_ascii_strtoull(digits, NULL, 10);
    if (gb == 0)
        return FALSE;
    if (mb)
        *mb = gb * 1024;
    if (series)
        *series = *letters;
    if (plain)
        *plain = letters[1] == '\0';
    return TRUE;
}

char *
profile_mig_instance(const char *name)
{
    g_auto(GStrv) parts = name ? g_strsplit(name, "-", -1) : NULL;
    guint n = parts ? g_strv_length(parts) : 0;
    const char *slices, *last, *suffix;
    gsize gb_len;

    if (n < 3)
        return NULL;
    slices = parts[n - 2];
    last = parts[n - 1];
    gb_len = strspn(last, "0123456789");
    if (!*slices || strspn(slices, "0123456789") != strlen(slices) || strlen(slices) > 1 ||
        gb_len == 0 || gb_len > 3 || !g_ascii_isupper(last[gb_len]))
        return NULL;
    suffix = last + gb_len + 1;
    /* [U] how the variants map to GPU instance profiles: ME is "+me",
     * MEALL "+me.all", GFX "+gfx"; NOME takes a plain instance. */
    if (!*suffix || g_str_equal(suffix, "NOME"))
        return g_strdup_printf("%sg.%.*sgb", slices, (int)gb_len, last);
    if (g_str_equal(suffix, "ME") || g_str_equal(suffix, "MEALL") || g_str_equal(suffix, "GFX")) {
        g_autofree char *low = g_ascii_strdown(suffix, -1);

        return g_strdup_printf("%sg.%.*sgb+%s", slices, (int)gb_len, last,
                               g_str_equal(suffix, "MEALL") ? "me.all" : low);
    }
    return NULL;
}
