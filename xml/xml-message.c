/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xml-message.h"
#include "vgpu-error.h"

int
xml_domain_error(const VgpuDomain *dom, GError **error, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (dom && dom->name)
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "domain '%s': %s", dom->name, msg);
    else
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "domain XML: %s", msg);
    return -1;
}

char *
xml_one_line(const char *s, glong max)
{
    g_autofree char *valid = g_utf8_make_valid(s, -1);
    g_autofree char *head = NULL;

    for (char *p = valid; *p; p++) {
        if ((guchar)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    }
    g_strstrip(valid);
    if (g_utf8_strlen(valid, -1) <= max)
        return g_steal_pointer(&valid);
    head = g_utf8_substring(valid, 0, max - 3);
    return g_strconcat(head, "...", NULL);
}
