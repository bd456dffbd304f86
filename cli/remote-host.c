/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a remote libvirt shows of its host's GPUs (node devices). */
#include "remote-host.h"
#include "vgpu-error.h"
#include "virt-conn.h"
#include "xml-safe-read.h"

#include <stdlib.h>
#include <string.h>

void
cli_remote_clear(CliRemote *r)
{
    g_clear_pointer(&r->example, g_free);
    g_clear_pointer(&r->unknown, g_free);
    r->whole_vfs = -1;
}

/* A VF (it has a phys_function) of a display (0x03) or processing
 * accelerator (0x12, MI300X) class that libvirt shows no mdev types on:
 * what the hook would give whole. */
static gboolean
remote_is_whole_vf(const char *xml)
{
    g_autoptr(xmlDoc) doc = xml_safe_read(xml, strlen(xml), NULL);
    g_autoptr(xmlXPathContext) ctx = doc ? xmlXPathNewContext(doc) : NULL;
    g_autoptr(xmlXPathObject) hit = NULL;

    if (!ctx)
        return FALSE;
    hit = xmlXPathEvalExpression(
        (const xmlChar *)"/device/capability[@type='pci']"
        "[starts-with(normalize-space(class), '0x03') or "
        " starts-with(normalize-space(class), '0x12')]"
        "[capability[@type='phys_function']][not(capability[@type='mdev_types'])]", ctx);
    return hit && hit->nodesetval && hit->nodesetval->nodeNr > 0;
}

static void
remote_ask(CliRemote *r)
{
    virNodeDevicePtr *devs = NULL;
    int n = virConnectListAllNodeDevices(r->conn, &devs,
                                         VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV);

    r->whole_vfs = 0;
    if (n < 0) {
        r->unknown = g_strdup(virGetLastErrorMessage());
        return;
    }
    for (int i = 0; i < n; i++) {
        char *xml = r->whole_vfs ? NULL : virNodeDeviceGetXMLDesc(devs[i], 0);

        if (xml && remote_is_whole_vf(xml)) {
            r->whole_vfs = 1;
            r->example = g_strdup(virNodeDeviceGetName(devs[i]));
        }
        free(xml);
        virNodeDeviceFree(devs[i]);
    }
    free(devs);
}

gboolean
cli_remote_mdev_ok(CliRemote *r, const VgpuRequest *req, const char *on_host, GError **error)
{
    /* A request not made yet (attach) has no UUID to name. */
    g_autofree char *what = req->uuid ? g_strdup_printf("vGPU %s (%s)", req->uuid,
                                                        vgpu_request_label(req))
                                      : g_strdup_printf("the new %s vGPU", vgpu_request_label(req));

    if (req->gpu) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "%s is a whole VF, and only the host behind %s can choose a free one from "
                    "its sysfs; run '%s' on that host", what, r->uri, on_host);
        return FALSE;
    }
    if (r->whole_vfs < 0)
        remote_ask(r);
    if (r->unknown) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "libvirt at %s cannot list the host's PCI devices (%s), so whether %s needs "
                    "an mdev or a whole-VF <hostdev> there is unknown; run '%s' on that host",
                    r->uri, r->unknown, what, on_host);
        return FALSE;
    }
    if (r->whole_vfs) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "the host behind %s has GPU VFs given whole (%s), so only its sysfs can "
                    "tell whether %s needs an mdev or a VF <hostdev>, and which VF is free; "
                    "run '%s' on that host", r->uri, r->example, what, on_host);
        return FALSE;
    }
    return TRUE;
}
