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
    g_free(req);
}

const char *
vgpu_request_label(const VgpuRequest *req)
{
    return req->profile ? req->profile : req->type;
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
