/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Warn about mdev UUIDs that two definitions share (a cloned domain). */
#include "clone-check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The other domain's vGPU requests, parsed as the hook would. */
static VgpuDomain *
read_other(virDomainPtr dom)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = cli_virt_inactive_xml(dom, &error);

    return xml ? xml_domain_parse(xml, strlen(xml), NULL) : NULL;
}

void
cli_warn_shared_uuids(virConnectPtr conn, const VgpuDomain *vd)
{
    virDomainPtr *doms = NULL;
    int n;

    if (vd->requests->len == 0 || (n = virConnectListAllDomains(conn, &doms, 0)) < 0)
        return;
    for (int i = 0; i < n; i++) {
        g_autoptr(VgpuDomain) other = read_other(doms[i]);

        /* Not the domain itself (a define may replace its definition). */
        if (!other || (vd->uuid ? g_strcmp0(other->uuid, vd->uuid) == 0
                                : g_strcmp0(other->name, vd->name) == 0))
            continue;
        for (guint j = 0; j < vd->requests->len; j++) {
            const VgpuRequest *req = vd->requests->pdata[j];

            for (guint k = 0; k < other->requests->len; k++) {
                const VgpuRequest *o = other->requests->pdata[k];

                if (g_ascii_strcasecmp(o->uuid, req->uuid) == 0)
                    printf("Warning: vGPU device %u: mdev UUID %s is also used by domain '%s' "
                           "(a cloned definition?); the two cannot run at once: give one of "
                           "them a UUID of its own (vgpuctl detach, then attach)\n",
                           req->index, req->uuid, other->name ? other->name : "?");
            }
        }
    }
    for (int i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
}
