/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vgpu-request.h"

#include <string.h>
#include <uuid/uuid.h>

void
vgpu_request_free(VgpuRequest *req)
{
    if (!req)
        return;
    g_free(req->uuid);
    g_free(req->profile);
    g_free(req->type);
    g_free(req->parent);
    g_free(req->label);
    g_free(req->vf);
    g_free(req->gpu);
    g_free(req);
}

char *
vgpu_request_format_mb(guint64 mb)
{
    if (mb % 1024 == 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT "G", mb / 1024);
    return g_strdup_printf("%" G_GUINT64_FORMAT "M", mb);
}

void
vgpu_request_set_need(VgpuRequest *req, char series, guint64 framebuffer_mb)
{
    g_autofree char *size = vgpu_request_format_mb(framebuffer_mb);

    req->series = series;
    req->framebuffer_mb = framebuffer_mb;
    g_free(req->label);
    req->label = g_strdup_printf("a %c profile with at least %s", series, size);
}

gboolean
vgpu_request_is_need(const VgpuRequest *req)
{
    return req->series != '\0';
}

const char *
vgpu_request_label(const VgpuRequest *req)
{
    if (req->profile)
        return req->profile;
    if (req->type)
        return req->type;
    return req->gpu ? req->gpu : req->label;
}

char *
vgpu_request_uuid_derive(const char *domain_uuid, guint index)
{
    uuid_t ns, out;
    char name[64];
    char str[37];

    if (!domain_uuid || uuid_parse(domain_uuid, ns) < 0)
        return NULL;
    g_snprintf(name, sizeof(name), "vgpu-hook/device/%u", index);
    uuid_generate_sha1(out, ns, name, strlen(name));
    uuid_unparse_lower(out, str);
    return g_strdup(str);
}

char *
vgpu_request_advice_add(const char *elements, const char *extra, const char *domain)
{
    return g_strdup_printf("add to <devices>: %s%s (or run: vgpuctl sync %s)", elements,
                           extra ? extra : "", domain ? domain : "DOMAIN");
}

char *
vgpu_request_advice_missing(const char *domain, guint n, gboolean whole_vf, const char *add)
{
    return g_strdup_printf("domain '%s' asks for %u %svGPU(s) with no matching <hostdev> in its "
                           "definition; %s", domain, n, whole_vf ? "whole-VF " : "", add);
}
