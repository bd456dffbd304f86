/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Adding the <hostdev> a domain's vGPU metadata lacks, through libvirt. */
#include "domain-sync.h"
#include "domain-xml.h"
#include "host-scan.h"
#include "vf-choice.h"
#include "vgpu-error.h"
#include "virt-util.h"

#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>


void
domain_sync_result_clear(DomainSyncResult *res)
{
    g_clear_pointer(&res->name, g_free);
    g_clear_pointer(&res->added, g_ptr_array_unref);
}

/* The persistent definition with its secrets, so that defining the
 * modified text loses nothing. */
static char *
read_definition(virDomainPtr dom, const char *name, GError **error)
{
    g_autofree char *what = g_strdup_printf("domain '%s': reading the definition", name);

    return virt_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, what, error);
}

/* One read-modify-compare-define attempt. FALSE with no @error: the
 * definition changed between the reads, try again. */
static gboolean
sync_attempt(virDomainPtr dom, const char *sysfs_root, gboolean dry_run,
             DomainSyncResult *res, GError **error)
{
    g_autoptr(GHashTable) whole_vf = NULL;
    g_autoptr(Host) host = NULL;
    gboolean lacking = FALSE;
    g_autofree char *xml = NULL, *again = NULL, *updated = NULL;
    g_autoptr(VgpuDomain) vd = NULL;
    virDomainPtr defined;
    guint added = 0;

    if (!(xml = read_definition(dom, res->name, error)))
        return FALSE;
    if (!(vd = xml_domain_parse(xml, strlen(xml), error)))
        return FALSE;   /* the reader's message names the domain */
    res->requests = vd->requests->len;
    g_ptr_array_set_size(res->added, 0);
    if (vd->requests->len == 0) {
        res->outcome = DOMAIN_SYNC_NOT_OURS;
        return TRUE;
    }
    /* gpu=, or a type only VFs offer here: its PCI hostdev names a VF of
     * this host, which vgpuctl sync chooses; an mdev one would be wrong. */
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);
        lacking |= !req->gpu && !xml_domain_request_has_hostdev(vd, req);
    }
    /* Only then is the host read: a sync of a domain in order stays cheap. */
    if (lacking && sysfs_root && !(host = host_scan(sysfs_root, vd->requests, error)))
        return FALSE;
    whole_vf = vf_choice_requests(host, vd->requests);
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);

        if (!g_hash_table_contains(whole_vf, req->uuid) &&
            !xml_domain_request_has_hostdev(vd, req))
            g_ptr_array_add(res->added, g_strdup_printf("%s vGPU %s", vgpu_request_label(req),
                                                        req->uuid));
    }
    if (res->added->len == 0) {
        res->outcome = DOMAIN_SYNC_IN_ORDER;
        return TRUE;
    }
    if (dry_run) {
        res->outcome = DOMAIN_SYNC_WOULD_CHANGE;
        return TRUE;
    }
    if (!(updated = xml_domain_add_hostdevs_except(xml, strlen(xml), whole_vf, &added, error)))
        return FALSE;
    virt_test_point("sync-before-compare");
    /* libvirt has no compare-and-swap on a definition: the closest is to
     * compare right before the write, so that an edit saved meanwhile
     * (virsh edit, virt-manager) is never overwritten with what we read
     * before it. */
    if (!(again = read_definition(dom, res->name, error)))
        return FALSE;
    if (strcmp(xml, again) != 0)
        return FALSE;
    virt_test_point("sync-before-define");
    if (!(defined = virDomainDefineXML(virDomainGetConnect(dom), updated))) {
        virt_error(error, "domain '%s': defining it with the added <hostdev>", res->name);
        return FALSE;
    }
    virDomainFree(defined);
    virt_test_point("sync-after-define");
    res->outcome = DOMAIN_SYNC_CHANGED;
    return TRUE;
}

int
domain_sync(virDomainPtr dom, const char *sysfs_root, gboolean dry_run, DomainSyncResult *res, GError **error)
{
    int persistent;

    memset(res, 0, sizeof(*res));
    res->name = g_strdup(virDomainGetName(dom));
    res->added = g_ptr_array_new_with_free_func(g_free);
    if ((persistent = virDomainIsPersistent(dom)) < 0) {
        virt_error(error, "domain '%s': asking whether it is persistent", res->name);
        return -1;
    }
    if (!persistent) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "domain '%s' is transient: it has no persistent definition to edit",
                    res->name);
        return -1;
    }
    res->running = virDomainIsActive(dom) > 0;
    while (res->attempts < DOMAIN_SYNC_ATTEMPTS) {
        GError *err = NULL;

        res->attempts++;
        if (sync_attempt(dom, sysfs_root, dry_run, res, &err))
            return 0;
        if (err) {
            g_propagate_error(error, err);
            return -1;
        }
    }
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE,
                "domain '%s': its definition changed while the <hostdev> was being added, "
                "%u times in a row; left as it is", res->name, res->attempts);
    return -1;
}
