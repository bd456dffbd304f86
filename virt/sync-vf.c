/* Pointing whole-VF requests at VFs that can serve them, for vgpuctl
 * sync (and vgpu-keeper): the one implementation both run. */
#include "sync-vf.h"
#include "device-kind.h"
#include "host-scan.h"
#include "ledger.h"
#include "numa-map.h"
#include "vf-choice.h"
#include "vgpu-error.h"
#include "virt-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VFs named by the whole-VF hostdevs of every other persistent domain. */
static GHashTable *
sync_vf_named_elsewhere(virConnectPtr conn, const char *self_uuid, GError **error)
{
    GHashTable *named = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);

    if (n < 0) {
        virt_error(error, "listing domains");
        g_hash_table_unref(named);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        g_autofree char *xml = virt_inactive_xml(doms[i], NULL);
        g_autoptr(VgpuDomain) vd = xml ? xml_domain_parse(xml, strlen(xml), NULL) : NULL;

        for (guint k = 0; vd && g_strcmp0(vd->uuid, self_uuid) && k < vd->requests->len; k++) {
            const VgpuRequest *req = g_ptr_array_index(vd->requests, k);
            if (req->vf)
                g_hash_table_add(named, g_strdup(req->vf));
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    return named;
}

static gboolean
sync_vf_has_mdev_hostdev(const VgpuDomain *vd, const char *uuid)
{
    for (guint i = 0; i < vd->mdev_hostdevs->len; i++)
        if (strcmp(g_ptr_array_index(vd->mdev_hostdevs, i), uuid) == 0)
            return TRUE;
    return FALSE;
}

static gboolean
sync_vf_device(virDomainPtr dom, const char *elem, gboolean attach, gboolean *changed,
               const char *name, GError **error)
{
    int rc = attach ? virDomainAttachDeviceFlags(dom, elem, VIR_DOMAIN_AFFECT_CONFIG)
                    : virDomainDetachDeviceFlags(dom, elem, VIR_DOMAIN_AFFECT_CONFIG);

    if (rc < 0) {
        virt_error(error, "domain '%s': %s %s", name, attach ? "adding" : "removing", elem);
        return FALSE;
    }
    *changed = TRUE;
    return TRUE;
}

int
sync_vf_domain(const VgpuConfig *cfg, virDomainPtr dom, const char *name,
               const VgpuDomain *vd, GHashTable *vf_requests, gboolean *changed,
               GError **error)
{
    g_autoptr(Host) host = host_scan(cfg->sysfs_root, NULL, error);
    g_autoptr(GPtrArray) ledgers = NULL;
    g_autoptr(GHashTable) avoid = NULL;
    g_autoptr(PciNames) names = pci_names_new(cfg->pci_ids_path);
    PlacementRules rules = placement_rules_from_config(cfg);
    VfChoice c = { .rules = &rules, .names = names, .domain_uuid = vd->uuid };
    g_autoptr(GArray) nodes = NULL;
    int pointed = 0;

    if (!host || !(ledgers = ledger_load_all(cfg->state_dir, NULL, error)) ||
        numa_domain_nodes(cfg->sysfs_root, vd->mem_nodes, vd->cpus, &nodes, error) < 0)
        return -1;
    rules.domain_nodes = nodes;   /* the hook's choice of kind weighs them too */
    device_kind_note_ledgers(host, ledgers);
    c.ledgers = ledgers;
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *orig = g_ptr_array_index(vd->requests, i);
        g_autofree char *type_owned = NULL, *old = NULL, *elem = NULL;
        VgpuRequest req = vf_choice_view(orig, &type_owned);
        HostParent *cur = orig->vf ? host_find_parent(host, orig->vf) : NULL;
        const HostParent *vf;

        if (!vf_choice_serves(&c, host, &req, sync_vf_has_mdev_hostdev(vd, orig->uuid)))
            continue;
        g_hash_table_add(vf_requests, orig->uuid);
        if (cur && vf_choice_usable(&c, host, cur, &req)) {
            if (!host_find_device(host, cur->addr) && cur->types->len)
                cur->kind->note_made(host, cur->addr, cur->addr,
                                     ((HostType *)g_ptr_array_index(cur->types, 0))->id);
            continue;
        }
        if (!avoid && !(avoid = sync_vf_named_elsewhere(virDomainGetConnect(dom), vd->uuid,
                                                        error)))
            return -1;
        c.avoid = avoid;
        if (!(vf = vf_choice_find(&c, host, &req))) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY,
                        "domain '%s': vGPU %s (%s): no free VF on this host fits it%s%s",
                        name, orig->uuid, vgpu_request_label(orig),
                        orig->vf ? "; it stays on " : "", orig->vf ? orig->vf : "");
            return -1;
        }
        if (orig->vf) {
            old = xml_vf_hostdev_element(orig->uuid, orig->vf, FALSE);
            if (!sync_vf_device(dom, old, FALSE, changed, name, error))
                return -1;
        } else if (sync_vf_has_mdev_hostdev(vd, orig->uuid)) {
            old = xml_hostdev_element(orig->uuid);
            if (!sync_vf_device(dom, old, FALSE, changed, name, error))
                return -1;
        }
        elem = xml_vf_hostdev_element(orig->uuid, vf->addr, vf->kind == &device_kind_plainvf);
        if (!sync_vf_device(dom, elem, TRUE, changed, name, error))
            return -1;
        printf("Domain '%s': vGPU %s (%s) now uses VF %s%s%s.\n", name, orig->uuid,
               vgpu_request_label(orig), vf->addr, orig->vf ? ", not " : "",
               orig->vf ? orig->vf : "");
        if (vf->types->len)
            vf->kind->note_made(host, vf->addr, vf->addr,
                                ((HostType *)g_ptr_array_index(vf->types, 0))->id);
        pointed++;
    }
    return pointed;
}
