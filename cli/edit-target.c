/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EditTarget: a domain's persistent definition as read before an edit,
 * and the calls attach and detach make on it (edit-target.h says why in
 * this order, all or nothing). */
#include "cli.h"
#include "edit-target.h"
#include "vgpu-error.h"
#include "vgpu-metadata.h"
#include "virt-conn.h"

#include <stdio.h>
#include <string.h>

void
edit_target_clear(EditTarget *t)
{
    g_clear_pointer(&t->old_xml, g_free);
    g_clear_pointer(&t->vd, xml_domain_free);
    if (t->dom)
        virDomainFree(t->dom);
    t->dom = NULL;
}

/* Look the domain up and read its persistent definition. */
gboolean
edit_target_open(EditTarget *t, virConnectPtr conn, const char *arg, GError **error)
{
    int persistent;

    if (!(t->dom = cli_virt_domain(conn, arg, error)))
        return FALSE;
    t->name = virDomainGetName(t->dom);
    if ((persistent = virDomainIsPersistent(t->dom)) < 0) {
        virt_error(error, "domain '%s'", t->name);
        return FALSE;
    }
    if (!persistent) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s' is transient: it has no persistent definition to edit", t->name);
        return FALSE;
    }
    t->running = virDomainIsActive(t->dom) > 0;
    if (!(t->old_xml = cli_virt_inactive_xml(t->dom, error)))
        return FALSE;
    t->vd = xml_domain_parse(t->old_xml, strlen(t->old_xml), error);
    return t->vd != NULL;
}

gboolean
edit_target_set_metadata(EditTarget *t, GPtrArray *devices, GError **error)
{
    g_autofree char *element = cli_metadata_element(devices);

    if (virDomainSetMetadata(t->dom, VIR_DOMAIN_METADATA_ELEMENT, element,
                             CLI_METADATA_PREFIX, VGPU_XML_NS, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        virt_error(error, "domain '%s': writing the vGPU metadata", t->name);
        return FALSE;
    }
    t->changed = TRUE;
    return TRUE;
}

void
edit_target_note_running(const EditTarget *t)
{
    if (t->running)
        printf("Domain '%s' is running: the change applies at its next start.\n", t->name);
}

/* Fail with @error after trying to restore the definition. */
int
edit_target_fail(EditTarget *t, const char *command, GError *error)
{
    virDomainPtr again;

    if (t->changed) {
        if ((again = virDomainDefineXML(virDomainGetConnect(t->dom), t->old_xml))) {
            virDomainFree(again);
            cli_error("%s: %s; the definition was restored as it was", command, error->message);
        } else {
            cli_error("%s: %s; restoring the old definition failed too (%s)", command,
                      error->message, virGetLastErrorMessage());
        }
        return 1;
    }
    return cli_fail(command, error);
}

/* A URI naming no host is this machine, whose sysfs we can read. */
gboolean
edit_target_uri_is_local(const char *uri)
{
    const char *p = strstr(uri, "://");

    return p && p[3] == '/';
}
