/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl sync for whole-VF requests: the keeper's own pass
 * (vf-keep.c), for one domain, in vgpuctl's words. */
#include "sync-vf.h"
#include "vf-keep.h"
#include "virt-util.h"

#include <stdio.h>
#include <string.h>

int
sync_vf_domain(const VgpuConfig *cfg, virDomainPtr dom, const char *name,
               const VgpuDomain *vd, GHashTable *vf_requests, gboolean *changed,
               GError **error)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    g_autoptr(GHashTable) asked = g_hash_table_new(g_str_hash, g_str_equal);
    VfKeepResult res = { 0 };
    int rc;

    if (virDomainGetUUIDString(dom, uuid) < 0) {
        virt_error(error, "domain '%s': reading its UUID", name);
        return -1;
    }
    /* Only @vd's requests: attach passes the ones it adds. */
    for (guint i = 0; i < vd->requests->len; i++)
        g_hash_table_add(asked, ((VgpuRequest *)g_ptr_array_index(vd->requests, i))->uuid);
    rc = vf_keep_domain(virDomainGetConnect(dom), cfg, uuid, asked, &res, error);
    *changed |= res.redefinitions > 0;
    for (guint i = 0; i < vd->requests->len; i++) {
        VgpuRequest *req = g_ptr_array_index(vd->requests, i);

        for (guint k = 0; k < res.whole_vf->len; k++)
            if (strcmp(req->uuid, g_ptr_array_index(res.whole_vf, k)) == 0)
                g_hash_table_add(vf_requests, req->uuid);
    }
    for (guint i = 0; rc == 0 && i < res.moves->len; i++) {
        const VfKeepMove *m = g_ptr_array_index(res.moves, i);

        printf("Domain '%s': vGPU %s (%s) now uses VF %s%s%s.\n", name, m->uuid, m->label,
               m->vf, m->old ? ", not " : "", m->old ? m->old : "");
    }
    if (rc == 0)
        rc = (int)res.moves->len;
    vf_keep_result_clear(&res);
    return rc;
}
