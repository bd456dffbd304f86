/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validators for every untrusted value that can reach a sysfs path, a
 * ledger file name or a message: one place says what a UUID, a type id,
 * a profile and a PCI address may look like. */
#include "vgpu-validate.h"
#include "vgpu-error.h"

#include <string.h>
#include <uuid/uuid.h>

int
vgpu_validate_uuid(const char *field, const char *value, char **canonical, GError **error)
{
    uuid_t u;
    char out[37];

    /* uuid_parse alone accepts only the 36-char form, but be explicit: a
     * UUID reaches sysfs paths and the create file verbatim. */
    if (!value || strlen(value) != 36 || uuid_parse(value, u) < 0) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "%s '%s' is not a UUID (expected 8-4-4-4-12 hex digits)",
                    field, value ? value : "");
        return -1;
    }
    uuid_unparse_lower(u, out);
    if (canonical)
        *canonical = g_strdup(out);
    return 0;
}

static gboolean
chars_in(const char *s, const char *extra)
{
    for (; *s; s++) {
        if (!g_ascii_isalnum(*s) && !strchr(extra, *s))
            return FALSE;
    }
    return TRUE;
}

int
vgpu_validate_type_id(const char *value, GError **error)
{
    /* Kernel type ids are "<driver>-<group>": nvidia-558, i915-GVTg_V5_4,
     * mtty-1. Anything that could walk a path is refused. */
    if (!value || !*value || strlen(value) > 64 || !g_ascii_isalnum(value[0]) ||
        !chars_in(value, "_.+-") || strstr(value, "..")) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "type '%s' is not a valid mdev type id (letters, digits, '_', '-', '.', '+'; "
                    "e.g. nvidia-558)", value ? value : "");
        return -1;
    }
    return 0;
}

int
vgpu_validate_gpu_name(const char *value, GError **error)
{
    if (!value || !*value || strlen(value) > 64 || !g_ascii_isalnum(value[0]) ||
        !chars_in(value, " _.+-:[]()/")) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "gpu '%s' is not a GPU model name or PCI id (letters, digits, spaces and "
                    "'_.+-:[]()/'; e.g. MI300X or 1002:74a1)", value ? value : "");
        return -1;
    }
    return 0;
}

int
vgpu_validate_profile(const char *value, GError **error)
{
    if (!value || !*value || strlen(value) > 64 || !g_ascii_isalnum(value[0]) ||
        !chars_in(value, " _.+-")) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "profile '%s' is not a valid profile name (letters, digits, spaces, "
                    "'_', '-', '.', '+'; e.g. A40-2Q)", value ? value : "");
        return -1;
    }
    return 0;
}

static gboolean
hex_at(const char *s, size_t from, size_t n)
{
    for (size_t i = from; i < from + n; i++) {
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    }
    return TRUE;
}

int
vgpu_validate_pci_addr(const char *field, const char *value, char **normalized, GError **error)
{
    /* Strict positional parse: "DDDD:BB:DD.F" or "BB:DD.F". */
    g_autofree char *full = NULL;
    gboolean ok = FALSE;

    if (value && strlen(value) == 7)
        full = g_strconcat("0000:", value, NULL);
    else if (value && strlen(value) == 12)
        full = g_strdup(value);
    if (full && hex_at(full, 0, 4) && full[4] == ':' && hex_at(full, 5, 2) && full[7] == ':' &&
        hex_at(full, 8, 2) && full[10] == '.' && full[11] >= '0' && full[11] <= '7' &&
        g_ascii_xdigit_value(full[8]) <= 1)
        ok = TRUE;
    if (!ok) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "%s '%s' is not a PCI address (expected DDDD:BB:DD.F, e.g. 0000:e8:00.4)",
                    field, value ? value : "");
        return -1;
    }
    if (normalized)
        *normalized = g_ascii_strdown(full, -1);
    return 0;
}


/* At most 1 TiB: no GPU comes near, and the number stays far from overflow. */
#define SIZE_MAX_MB (1024ULL * 1024)

int
vgpu_validate_size_mb(const char *field, const char *value, guint64 *mb, GError **error)
{
    gsize len = strlen(value);
    gsize digits = strspn(value, "0123456789");
    guint64 v, scale;

    if (len < 2 || digits == 0 || digits > 7 || digits != len - 1)
        goto bad;
    switch (g_ascii_toupper(value[len - 1])) {
    case 'M': scale = 1; break;
    case 'G': scale = 1024; break;
    case 'T': scale = 1024 * 1024; break;
    default: goto bad;
    }
    v = g_ascii_strtoull(value, NULL, 10) * scale;
    if (v == 0 || v > SIZE_MAX_MB)
        goto bad;
    *mb = v;
    return 0;
bad:
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "%s '%s' is not a size: a number with a unit M, G or T, from 1M to 1T "
                "(e.g. 8G)", field, value);
    return -1;
}

int
vgpu_validate_series(const char *field, const char *value, char *series, GError **error)
{
    /* NVIDIA's vGPU series: A (apps), B (virtual PC), C (compute), Q
     * (workstation). */
    if (strlen(value) != 1 || !strchr("ABCQ", g_ascii_toupper(value[0]))) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "%s '%s' is not an NVIDIA vGPU series: one letter of A, B, C, Q", field,
                    value);
        return -1;
    }
    *series = g_ascii_toupper(value[0]);
    return 0;
}
