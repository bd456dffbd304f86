/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What vgpu-keeper's whole-VF pass reads: every domain (what running
 * ones hold, what stopped ones name) and the host. */
#include "vf-keep-priv.h"
#include "device-kind.h"
#include "numa-map.h"
#include "vf-choice.h"
#include "virt-util.h"

#include <stdlib.h>
#include <string.h>

void
vf_keep_domain_free(KeepDomain *kd)
{
    g_free(kd->uuid);
    g_free(kd->name);
    g_free(kd->xml);
    xml_domain_free(kd->vd);
    if (kd->nodes)
        g_array_unref(kd->nodes);
    g_hash_table_unref(kd->points);
    g_ptr_array_unref(kd->moves);
    g_free(kd);
}

void
vf_keep_move_free(VfKeepMove *m)
{
    g_free(m->domain);
    g_free(m->uuid);
    g_free(m->label);
    g_free(m->vf);
    g_free(m->old);
    g_free(m->why);
    g_free(m->unknown);
    g_free(m);
}

VfKeepMove *
vf_keep_move_new(const KeepDomain *kd, const VgpuRequest *req, const char *vf, const char *why)
{
    VfKeepMove *m = g_new0(VfKeepMove, 1);

    m->domain = g_strdup(kd->name);
    m->uuid = g_strdup(req->uuid);
    m->label = g_strdup(vgpu_request_label(req));
    m->vf = g_strdup(vf);
    m->old = g_strdup(req->vf);
    m->why = g_strdup(why);
    return m;
}

/* By UUID; vf_keep_domain's domain first, so that it keeps its VF. */
static gint
keep_domain_cmp(gconstpointer a, gconstpointer b, gpointer only)
{
    const char *ua = (*(KeepDomain *const *)a)->uuid, *ub = (*(KeepDomain *const *)b)->uuid;

    if (only && (!strcmp(ua, only) || !strcmp(ub, only)))
        return strcmp(ua, only) == 0 ? -1 : 1;
    return strcmp(ua, ub);
}

/* @dom's XML as the pass needs it: a running domain's live XML (what it
 * holds), a stopped persistent one's definition. NULL, with no @error:
 * nothing to read (undefined meanwhile, or an inactive transient domain). */
static char *
keep_read_one(virDomainPtr dom, const char *name, int active, GError **error)
{
    g_autofree char *what = NULL;
    GError *err = NULL;
    char *xml;
    int persistent = 1;

    if (active > 0) {
        what = g_strdup_printf("running domain '%s': reading its live XML", name);
        xml = virt_domain_xml(dom, virt_test_fault_flag("vfkeep-read-live"), what, &err);
    } else if ((persistent = virDomainIsPersistent(dom)) == 1) {
        what = g_strdup_printf("stopped domain '%s': reading its definition", name);
        xml = virt_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, what, &err);
    } else {
        if (persistent < 0)
            virt_error(&err, "stopped domain '%s': asking whether it is persistent", name);
        xml = NULL;
    }
    if (err && !virt_error_is_gone(err))
        g_propagate_error(error, g_steal_pointer(&err));
    g_clear_error(&err);
    return xml;
}

/* Read every domain: running ones for what they hold, stopped persistent
 * ones for what they name. -1 when one of them cannot be read: what it
 * holds or names is unknown, and the pass decides nothing without it. */
int
vf_keep_read_domains(KeepPass *kp, virConnectPtr conn, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);
    GError *first = NULL;

    if (n < 0) {
        virt_error(error, "listing domains");
        return -1;
    }
    virt_test_point("vfkeep-domains-listed");
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        int active = virDomainIsActive(doms[i]);
        char uuid[VIR_UUID_STRING_BUFLEN];
        gboolean running = FALSE;
        g_autofree char *xml = NULL;
        g_autoptr(VgpuDomain) vd = NULL;
        GError *err = NULL;

        if (active < 0) {
            virt_error(&err, "domain '%s': asking whether it runs", name);
        } else if (virDomainGetUUIDString(doms[i], uuid) < 0) {
            virt_error(&err, "domain '%s': reading its UUID", name);
        } else {
            /* vgpuctl sync of a running domain: its definition, for its
             * next start; what it holds now it gives back before then. */
            if (active > 0 && g_strcmp0(kp->only, uuid) == 0) {
                running = TRUE;
                active = 0;
            }
            xml = keep_read_one(doms[i], name, active, &err);
        }
        if (err) {
            if (virt_error_is_gone(err) || first)
                g_error_free(err);
            else
                first = err;
        }
        /* Gone meanwhile, unreadable (the pass fails below), or metadata
         * the hook refuses anyway: nothing to keep; but what a running
         * domain holds it holds (metadata set with --live is not checked
         * by anyone). */
        if (!xml || !(vd = xml_domain_parse(xml, strlen(xml), NULL))) {
            g_autoptr(GPtrArray) addrs = xml && active > 0 ?
                                         xml_domain_pci_addrs(xml, strlen(xml), NULL) : NULL;

            for (guint k = 0; addrs && k < addrs->len; k++)
                g_hash_table_insert(kp->held, g_strdup(g_ptr_array_index(addrs, k)),
                                    g_strdup_printf("running domain '%s'", name));
            virDomainFree(doms[i]);
            continue;
        }
        for (guint k = 0; k < vd->pci_addrs->len; k++) {
            const char *addr = g_ptr_array_index(vd->pci_addrs, k);
            gboolean ours = FALSE;

            for (guint r = 0; r < vd->requests->len; r++)
                ours |= g_strcmp0(((VgpuRequest *)g_ptr_array_index(vd->requests, r))->vf,
                                  addr) == 0;
            if (active > 0)
                g_hash_table_insert(kp->held, g_strdup(addr),
                                    g_strdup_printf("running domain '%s'", name));
            else if (!ours)
                g_hash_table_insert(kp->hand, g_strdup(addr), g_strdup(name));
        }
        if (active == 0 && vd->requests->len > 0) {
            KeepDomain *kd = g_new0(KeepDomain, 1);

            kd->uuid = g_strdup(uuid);
            kd->running = running;
            kd->name = g_strdup(name);
            kd->xml = g_steal_pointer(&xml);
            kd->vd = g_steal_pointer(&vd);
            /* Unknown nodes weigh nothing, as in the hook. */
            if (numa_domain_nodes(kp->cfg->sysfs_root, kd->vd->mem_nodes, kd->vd->cpus,
                                  &kd->nodes, NULL) < 0)
                kd->nodes = NULL;
            kd->rules = kp->ctx.rules;
            kd->rules.domain_nodes = kd->nodes;
            kd->points = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify)xml_vf_point_free);
            kd->moves = g_ptr_array_new_with_free_func((GDestroyNotify)vf_keep_move_free);
            g_ptr_array_add(kp->doms, kd);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    if (first) {
        g_propagate_prefixed_error(error, first, "whole VFs: nothing re-pointed this pass, "
                                   "a domain could not be read: ");
        return -1;
    }
    g_ptr_array_sort_with_data(kp->doms, keep_domain_cmp, (gpointer)kp->only);
    return 0;
}

gboolean
vf_keep_serves(const VfChoice *c, const Host *host, const VgpuDomain *vd,
               const VgpuRequest *req)
{
    gboolean mdev_hostdev = FALSE;

    /* The hook takes the VF a hostdev names whatever the rules rank first
     * now (vgpuctl check says so): a VF it names is kept or re-pointed,
     * never left for another domain to be pointed at too. */
    if (req->vf)
        return TRUE;
    for (guint i = 0; i < vd->mdev_hostdevs->len; i++)
        mdev_hostdev |= strcmp(g_ptr_array_index(vd->mdev_hostdevs, i), req->uuid) == 0;
    return vf_choice_serves(c, host, req, mdev_hostdev);
}

/* A VF nothing shows as used yet but someone holds: a device on it, so
 * that no choice takes it. */
void
vf_keep_note_used(Host *host, const char *addr)
{
    if (!host_find_device(host, addr))
        host_add_device(host, addr, addr, "");
}

/* Mark what running domains hold (ledgers, live hostdevs) used on @host. */
void
vf_keep_note_held(KeepPass *kp, Host *host)
{
    GHashTableIter it;
    gpointer addr;

    device_kind_note_ledgers(host, kp->ledgers);
    g_hash_table_iter_init(&it, kp->held);
    while (g_hash_table_iter_next(&it, &addr, NULL)) {
        const HostParent *vf = host_find_parent(host, addr);

        if (vf && vf->kind->vf)
            vf_keep_note_used(host, addr);
    }
}

/* This host's VFs with what running domains hold marked used. */
Host *
vf_keep_scan(KeepPass *kp, GError **error)
{
    Host *host = host_scan(kp->cfg->sysfs_root, NULL, error);

    if (host)
        vf_keep_note_held(kp, host);
    return host;
}

/* vf_keep_domain's cheap first look: does a whole VF serve any request
 * of @only here? gpu= and requests whose PCI hostdev names a VF do; a
 * typed one when the host (its availability read for the domain's types
 * alone) says so. */
gboolean
vf_keep_only_wants_vf(virConnectPtr conn, const VgpuConfig *cfg, const char *only,
                      GHashTable *only_reqs, GError **error, gboolean *failed)
{
    virDomainPtr dom = virDomainLookupByUUIDString(conn, only);
    g_autofree char *xml = dom ? virt_inactive_xml(dom, error) : NULL;
    g_autoptr(VgpuDomain) vd = xml ? xml_domain_parse(xml, strlen(xml), error) : NULL;
    g_autoptr(Host) host = NULL;
    g_autoptr(GArray) nodes = NULL;
    g_auto(VfContext) ctx = { 0 };
    gboolean wanted = FALSE;

    if (!dom)
        virt_error(error, "looking up domain %s", only);
    else
        virDomainFree(dom);
    if (!vd) {
        *failed = TRUE;
        return FALSE;
    }
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);
        wanted |= VF_KEEP_ASKED(only_reqs, req->uuid) && (req->gpu || req->vf);
    }
    if (wanted || vd->requests->len == 0)
        return wanted;
    if (!(host = host_scan(cfg->sysfs_root, vd->requests, error)) ||
        numa_domain_nodes(cfg->sysfs_root, vd->mem_nodes, vd->cpus, &nodes, error) < 0) {
        *failed = TRUE;
        return FALSE;
    }
    vf_context_init(&ctx, cfg, nodes, NULL, NULL);
    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *orig = g_ptr_array_index(vd->requests, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest req = vf_choice_view(orig, &type_owned);

        wanted |= VF_KEEP_ASKED(only_reqs, orig->uuid) &&
                  vf_keep_serves(&ctx.vf, host, vd, &req);
    }
    return wanted;
}

/* A host without whole VFs: only gpu= requests of @only want one, and
 * none can have it. */
void
vf_keep_no_vfs(virConnectPtr conn, const char *only, GHashTable *only_reqs, VfKeepResult *res)
{
    virDomainPtr dom = virDomainLookupByUUIDString(conn, only);
    g_autofree char *xml = dom ? virt_inactive_xml(dom, NULL) : NULL;
    g_autoptr(VgpuDomain) vd = xml ? xml_domain_parse(xml, strlen(xml), NULL) : NULL;

    for (guint i = 0; vd && i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);
        VfKeepMove *m;

        if (!req->gpu || !VF_KEEP_ASKED(only_reqs, req->uuid))
            continue;
        m = g_new0(VfKeepMove, 1);
        m->domain = g_strdup(virDomainGetName(dom));
        m->uuid = g_strdup(req->uuid);
        m->label = g_strdup(vgpu_request_label(req));
        m->old = g_strdup(req->vf);
        m->why = g_strdup("this host has no whole VF");
        g_ptr_array_add(res->stuck, m);
        g_ptr_array_add(res->whole_vf, g_strdup(req->uuid));
    }
    if (dom)
        virDomainFree(dom);
}
