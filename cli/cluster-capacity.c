/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl cluster publish and need: the figures. */
#include "cluster-capacity.h"
#include "device-kind.h"
#include "gpu-view.h"
#include "host-scan.h"
#include "ledger.h"
#include "vf-choice.h"
#include "vgpu-error.h"
#include "virt-conn.h"

#include <stdlib.h>
#include <string.h>

void
cluster_attr_free(ClusterAttr *a)
{
    g_free(a->name);
    g_free(a);
}

char *
cluster_attr_name(const char *prefix, const char *name)
{
    char *s = g_strdup_printf("vgpu-%s%s", prefix, name);

    for (char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
            *p = '_';
    return s;
}

static void
cluster_add(GHashTable *by_name, GPtrArray *out, char *name, gint64 n, gboolean utilization)
{
    ClusterAttr *a = g_hash_table_lookup(by_name, name);

    if (a) {
        a->value += n;
        g_free(name);
        return;
    }
    a = g_new0(ClusterAttr, 1);
    a->name = name;
    a->value = n;
    a->utilization = utilization;
    g_hash_table_insert(by_name, a->name, a);
    g_ptr_array_add(out, a);
}

/* The running domains, by UUID: TRUE for a transient one (Pacemaker
 * started it), FALSE for a persistent one. */
static GHashTable *
cluster_domains(virConnectPtr conn, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    GHashTable *set;

    if (n < 0) {
        virt_error(error, "listing running domains");
        return NULL;
    }
    set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(doms[i], uuid) == 0)
            g_hash_table_insert(set, g_strdup(uuid),
                                GINT_TO_POINTER(virDomainIsPersistent(doms[i]) == 0));
        virDomainFree(doms[i]);
    }
    free(doms);
    return set;
}

static int
attr_cmp(gconstpointer a, gconstpointer b)
{
    const ClusterAttr *x = *(const ClusterAttr *const *)a, *y = *(const ClusterAttr *const *)b;

    if (x->utilization != y->utilization)
        return x->utilization ? -1 : 1;
    return strcmp(x->name, y->name);
}

GPtrArray *
cluster_capacity(virConnectPtr conn, const VgpuConfig *cfg, GError **error)
{
    g_autoptr(Host) host = NULL;
    g_autoptr(GPtrArray) ledgers = NULL;
    g_autoptr(GPtrArray) gpus = NULL;
    g_autoptr(GHashTable) ours = NULL;
    g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *out;

    if (!(ledgers = ledger_load_all(cfg->state_dir, NULL, error)) ||
        !(host = host_scan(cfg->sysfs_root, NULL, error)) ||
        !(ours = cluster_domains(conn, error)))
        return NULL;
    device_kind_note_ledgers(host, ledgers);
    vf_choice_note_capacity(host);
    cli_host_name_plain_vfs(host, cfg->pci_ids_path);
    gpus = cli_gpus_collect(host);
    out = g_ptr_array_new_with_free_func((GDestroyNotify)cluster_attr_free);
    /* Free now, per profile, as vgpuctl types counts it. */
    for (guint i = 0; i < gpus->len; i++) {
        const CliGpu *gpu = g_ptr_array_index(gpus, i);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

        for (guint p = 0; p < gpu->parents->len; p++) {
            const HostParent *parent = g_ptr_array_index(gpu->parents, p);

            for (guint k = 0; k < parent->types->len; k++) {
                const HostType *t = g_ptr_array_index(parent->types, k);
                int n;

                if (!g_hash_table_add(seen, t->id))
                    continue;
                n = cli_gpu_free_count(host, gpu, t->id);
                cluster_add(by_name, out, cluster_attr_name("", host_type_short_name(t)),
                            MAX(n, 0), TRUE);
            }
        }
        cluster_add(by_name, out, cluster_attr_name("model-", gpu->model), 1, FALSE);
    }
    /* Plus what the cluster's own domains hold here, and what domains no
     * longer running still hold: the hook is releasing it (a stop's event
     * can come before the release ends, and no later event would say). */
    for (guint i = 0; i < ledgers->len; i++) {
        const Ledger *l = g_ptr_array_index(ledgers, i);
        gpointer transient;

        if (g_hash_table_lookup_extended(ours, l->domain_uuid, NULL, &transient) &&
            !GPOINTER_TO_INT(transient))
            continue;
        for (guint k = 0; k < l->devices->len; k++) {
            const LedgerDevice *d = g_ptr_array_index(l->devices, k);
            const DeviceKind *kind = device_kind_of(d);
            const HostDevice *dev = host_find_device(host,
                                                    device_kind_device_id(kind, d->uuid, d->parent));

            /* Whatever its record's state: one being removed is mid-release. */
            if (dev)
                cluster_add(by_name, out,
                            cluster_attr_name("", host_device_type_name(host, dev)), 1, TRUE);
        }
    }
    g_ptr_array_sort(out, attr_cmp);
    return out;
}

GPtrArray *
cluster_need(const Host *host, const VgpuDomain *vd, GPtrArray *unplaced, GError **error)
{
    g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)cluster_attr_free);

    for (guint i = 0; i < vd->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(vd->requests, i);
        const char *profile = req->profile;

        for (guint p = 0; !profile && req->type && p < host->parents->len; p++) {
            const HostType *t = host_parent_find_type(g_ptr_array_index(host->parents, p),
                                                      req->type);
            if (t)
                profile = host_type_short_name(t);
        }
        if (!profile && !req->type && req->gpu) {
            g_ptr_array_add(unplaced, g_strdup(req->gpu));
            continue;
        }
        if (!profile) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND,
                        "vGPU device %u (%s): no GPU on this host offers it, so its profile "
                        "is not known here; run this on a node with that GPU", req->index,
                        vgpu_request_label(req));
            return NULL;
        }
        cluster_add(by_name, out, cluster_attr_name("", profile), 1, TRUE);
    }
    g_ptr_array_sort(out, attr_cmp);
    return g_steal_pointer(&out);
}
