/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building the <vgpu:vgpu> metadata element. */
#include "vgpu-metadata.h"

#include <uuid/uuid.h>

void
cli_device_free(CliDevice *d)
{
    if (!d)
        return;
    g_free(d->uuid);
    g_free(d->profile);
    g_free(d->type);
    g_free(d->parent);
    g_free(d->gpu);
    g_free(d);
}

CliDevice *
cli_device_from_request(const VgpuRequest *req, guint new_index)
{
    CliDevice *d = g_new0(CliDevice, 1);

    if (!req->uuid_derived || new_index != req->index)
        d->uuid = g_strdup(req->uuid);
    d->profile = g_strdup(req->profile);
    d->type = g_strdup(req->type);
    d->parent = g_strdup(req->parent);
    d->placement = req->placement;
    d->numa = req->numa;
    /* Rewriting the metadata must keep every attribute it had. */
    d->gpu = g_strdup(req->gpu);
    if (vgpu_request_is_need(req)) {
        d->framebuffer_mb = req->framebuffer_mb;
        d->series = req->series;
    }
    return d;
}

char *
cli_uuid_random(void)
{
    uuid_t u;
    char text[UUID_STR_LEN];

    uuid_generate_random(u);
    uuid_unparse_lower(u, text);
    return g_strdup(text);
}

static void
append_attr(GString *s, const char *name, const char *value)
{
    g_autofree char *escaped = NULL;

    if (!value)
        return;
    escaped = g_markup_escape_text(value, -1);
    g_string_append_printf(s, " %s=\"%s\"", name, escaped);
}

char *
cli_metadata_element(GPtrArray *devices)
{
    g_autoptr(GString) s = NULL;

    if (!devices || devices->len == 0)
        return NULL;
    s = g_string_new("<vgpu>");
    for (guint i = 0; i < devices->len; i++) {
        const CliDevice *d = g_ptr_array_index(devices, i);
        g_autofree char *numa = d->numa >= 0 ? g_strdup_printf("%d", d->numa) : NULL;
        g_autofree char *fb = d->framebuffer_mb ? vgpu_request_format_mb(d->framebuffer_mb)
                                                : NULL;
        char series[2] = { d->series, '\0' };

        g_string_append(s, "<device");
        append_attr(s, "uuid", d->uuid);
        append_attr(s, "profile", d->profile);
        append_attr(s, "type", d->type);
        append_attr(s, "parent", d->parent);
        if (d->placement != VGPU_PLACEMENT_DEFAULT)
            append_attr(s, "placement", vgpu_placement_name(d->placement));
        append_attr(s, "numa", numa);
        append_attr(s, "framebuffer", fb);
        append_attr(s, "series", d->series ? series : NULL);
        append_attr(s, "gpu", d->gpu);
        g_string_append(s, "/>");
    }
    g_string_append(s, "</vgpu>");
    return g_string_free(g_steal_pointer(&s), FALSE);
}
