/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl detach: remove vGPU(s) from a domain's persistent definition,
 * the hostdevs first, then the metadata. */
#include "cli.h"
#include "domain-xml.h"
#include "edit-target.h"
#include "vgpu-error.h"
#include "vgpu-metadata.h"
#include "vgpu-validate.h"
#include "virt-conn.h"

#include <stdio.h>
#include <string.h>

static gboolean
detach_hostdev(EditTarget *t, const char *uuid, GError **error)
{
    g_autofree char *hostdev = xml_hostdev_element(uuid);

    if (virDomainDetachDeviceFlags(t->dom, hostdev, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        virt_error(error, "domain '%s': removing the <hostdev> for %s", t->name, uuid);
        return FALSE;
    }
    t->changed = TRUE;
    return TRUE;
}

int
cmd_detach(CliOptions *opts, int argc, char **argv)
{
    gboolean all = FALSE;
    const GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Remove every vGPU of the domain", NULL },
        { NULL },
    };
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func((GDestroyNotify)cli_device_free);
    g_autoptr(GPtrArray) removed = g_ptr_array_new();   /* const VgpuRequest* */
    g_autoptr(GError) error = NULL;
    g_autofree char *uuid = NULL;
    EditTarget t = { 0 };
    int rc = 1;

    if (!cli_parse_options(opts, "detach", "DOMAIN [UUID | --all]",
                           "Remove vGPU(s) from the persistent definition of DOMAIN: the "
                           "metadata and the matching <hostdev>.", entries, &argc, &argv))
        return 1;
    if (argc < 2 || argc > 3 || (argc == 3 && all)) {
        cli_error("detach: expected DOMAIN and either a vGPU UUID or --all "
                  "(see 'vgpuctl detach --help')");
        return 1;
    }
    if (argc == 3 && vgpu_validate_uuid("UUID", argv[2], &uuid, &error) < 0)
        return cli_fail("detach", error);
    if (!(conn = cli_virt_open(opts, &error)))
        return cli_fail("detach", error);
    if (!edit_target_open(&t, conn, argv[1], &error))
        goto out;
    if (t.vd->requests->len == 0) {
        g_set_error(&error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "domain '%s' has no vGPU", t.name);
        goto out;
    }
    if (!uuid && !all && t.vd->requests->len > 1) {
        g_set_error(&error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s' has %u vGPUs: name one UUID or give --all", t.name,
                    t.vd->requests->len);
        goto out;
    }
    for (guint i = 0; i < t.vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(t.vd->requests, i);

        if (!uuid || strcmp(req->uuid, uuid) == 0)
            g_ptr_array_add(removed, (gpointer)req);
        else
            g_ptr_array_add(keep, cli_device_from_request(req, keep->len));
    }
    if (removed->len == 0) {
        g_set_error(&error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND,
                    "domain '%s' has no vGPU %s in its metadata", t.name, uuid);
        goto out;
    }
    for (guint i = 0; i < removed->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(removed, i);

        if (xml_domain_request_has_hostdev(t.vd, req) && !detach_hostdev(&t, req->uuid, &error))
            goto out;
    }
    if (!edit_target_set_metadata(&t, keep, &error))
        goto out;
    for (guint i = 0; i < removed->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(removed, i);

        printf("Removed %s vGPU %s from domain '%s'.\n", vgpu_request_label(req), req->uuid,
               t.name);
    }
    edit_target_note_running(&t);
    rc = 0;
out:
    if (rc != 0 && error)
        rc = edit_target_fail(&t, "detach", error);
    edit_target_clear(&t);
    return rc;
}
