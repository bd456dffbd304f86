/* Keeping stopped domains' whole-VF hostdevs on VFs that can take them. */
#include "vf-keep.h"
#include "device-kind.h"
#include "domain-xml.h"
#include "host-scan.h"
#include "ledger.h"
#include "vf-choice.h"
#include "vgpu-error.h"
#include "virt-util.h"

#include <stdlib.h>
#include <string.h>

/* A stopped persistent domain with vGPU metadata, as read. */
typedef struct {
    char *uuid;
    char *name;
    char *xml;               /* its definition: the write compares against it */
    VgpuDomain *vd;
    GHashTable *points;      /* request uuid -> XmlVfPoint*: the change to write */
    GPtrArray *moves;        /* char*: what changes and why, one per request */
} KeepDomain;

/* A request whose VF must be chosen (again). */
typedef struct {
    KeepDomain *kd;
    const VgpuRequest *req;
    char *why;               /* why its VF does not do */
} Pending;

typedef struct {
    const VgpuConfig *cfg;
    Host *host;              /* running domains' VFs and the ones stopped domains keep */
    Host *host_run;          /* running domains' VFs only; read when needed */
    GPtrArray *ledgers;
    PciNames *names;
    PlacementRules rules;
    GHashTable *held;        /* VF -> who holds it: "running domain 'a'" */
    GHashTable *claimed;     /* VF -> the stopped domain that keeps it */
    GHashTable *hand;        /* VF -> a stopped domain naming it in a hostdev not ours */
    GPtrArray *doms;         /* KeepDomain*, by UUID */
    GPtrArray *pending;      /* Pending* */
} KeepPass;

static void
keep_domain_free(KeepDomain *kd)
{
    g_free(kd->uuid);
    g_free(kd->name);
    g_free(kd->xml);
    xml_domain_free(kd->vd);
    g_hash_table_unref(kd->points);
    g_ptr_array_unref(kd->moves);
    g_free(kd);
}

static void
pending_free(Pending *p)
{
    g_free(p->why);
    g_free(p);
}

static void
keep_pass_clear(KeepPass *kp)
{
    g_clear_pointer(&kp->host, host_free);
    g_clear_pointer(&kp->host_run, host_free);
    g_clear_pointer(&kp->ledgers, g_ptr_array_unref);
    g_clear_pointer(&kp->names, pci_names_free);
    g_clear_pointer(&kp->held, g_hash_table_unref);
    g_clear_pointer(&kp->claimed, g_hash_table_unref);
    g_clear_pointer(&kp->hand, g_hash_table_unref);
    g_clear_pointer(&kp->pending, g_ptr_array_unref);
    g_clear_pointer(&kp->doms, g_ptr_array_unref);
}

void
vf_keep_result_clear(VfKeepResult *res)
{
    g_clear_pointer(&res->changes, g_ptr_array_unref);
    g_clear_pointer(&res->stuck, g_ptr_array_unref);
}

static gint
keep_domain_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp((*(KeepDomain *const *)a)->uuid, (*(KeepDomain *const *)b)->uuid);
}

/* Read every domain: running ones for what they hold, stopped persistent
 * ones for what they name. */
static int
keep_read_domains(KeepPass *kp, virConnectPtr conn, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);

    if (n < 0) {
        virt_error(error, "listing domains");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        int active = virDomainIsActive(doms[i]);
        char *raw = NULL;
        g_autofree char *xml = NULL;
        g_autoptr(VgpuDomain) vd = NULL;

        if (active > 0 && (raw = virDomainGetXMLDesc(doms[i], 0))) {
            xml = g_strdup(raw);
            free(raw);
        } else if (active == 0 && virDomainIsPersistent(doms[i]) == 1) {
            xml = virt_inactive_xml(doms[i], NULL);
        }
        /* Gone meanwhile, or metadata the hook refuses anyway: nothing to keep. */
        if (!xml || !(vd = xml_domain_parse(xml, strlen(xml), NULL))) {
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
            char uuid[VIR_UUID_STRING_BUFLEN];

            kd->uuid = g_strdup(virDomainGetUUIDString(doms[i], uuid) == 0 ? uuid : vd->uuid);
            kd->name = g_strdup(name);
            kd->xml = g_steal_pointer(&xml);
            kd->vd = g_steal_pointer(&vd);
            kd->points = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify)xml_vf_point_free);
            kd->moves = g_ptr_array_new_with_free_func(g_free);
            g_ptr_array_add(kp->doms, kd);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    g_ptr_array_sort(kp->doms, keep_domain_cmp);
    return 0;
}

/* A VF nothing shows as used yet but someone holds: a device on it, so
 * that no choice takes it. */
static void
keep_note_used(Host *host, const char *addr)
{
    if (!host_find_device(host, addr))
        host_add_device(host, addr, addr, "");
}

/* This host's VFs with what running domains hold marked used. */
static Host *
keep_scan(KeepPass *kp, GError **error)
{
    Host *host = host_scan(kp->cfg->sysfs_root, NULL, error);
    GHashTableIter it;
    gpointer addr;

    if (!host)
        return NULL;
    device_kind_note_ledgers(host, kp->ledgers);
    g_hash_table_iter_init(&it, kp->held);
    while (g_hash_table_iter_next(&it, &addr, NULL)) {
        const HostParent *vf = host_find_parent(host, addr);

        if (vf && vf->kind->named_by_hostdev)
            keep_note_used(host, addr);
    }
    return host;
}

/* What keeping @vf for @req consumes (the same-size rule of its GPU). */
static void
keep_note_claim(Host *host, const HostParent *vf, const VgpuRequest *req)
{
    g_autoptr(GPtrArray) types = req->gpu ? g_ptr_array_ref(vf->types)
                                          : host_parent_matching_types(vf, req->type,
                                                                       req->profile);
    const HostType *t = types->len ? g_ptr_array_index(types, 0) : NULL;

    if (host_find_device(host, vf->addr))
        return;
    if (!t)
        keep_note_used(host, vf->addr);
    else
        vf->kind->note_made(host, vf->addr, vf->addr, t->id);
}

/* Why @req (of @kd) cannot keep the VF it names, in a few words. */
static char *
keep_why(KeepPass *kp, const VfChoice *c, const KeepDomain *kd, const VgpuRequest *req)
{
    const HostParent *vf = req->vf ? host_find_parent(kp->host, req->vf) : NULL;
    const HostDevice *dev = vf ? host_find_device(kp->host, vf->addr) : NULL;
    const LedgerDevice *d = NULL;
    const Ledger *owner;
    const char *s;
    char *why;

    if (!req->vf)
        return g_strdup("it had no VF");
    if (!vf || !vf->kind->named_by_hostdev)
        return g_strdup_printf("%s is no whole VF on this host", req->vf);
    if ((s = g_hash_table_lookup(kp->claimed, vf->addr)))
        return g_strdup_printf("stopped domain '%s' names VF %s too", s, vf->addr);
    if ((s = g_hash_table_lookup(kp->held, vf->addr)))
        return g_strdup_printf("VF %s is held by %s", vf->addr, s);
    owner = ledger_list_find_parent(kp->ledgers, vf->kind->name, vf->addr, &d);
    if (owner && g_strcmp0(owner->domain_uuid, kd->uuid) != 0)
        return g_strdup_printf("VF %s is held by domain '%s'", vf->addr,
                               owner->domain_name ? owner->domain_name : owner->domain_uuid);
    if (dev && !owner && dev->type && *dev->type)
        return g_strdup_printf("VF %s has vGPU type %s, set outside vgpu-hook", vf->addr,
                               dev->type);
    if ((why = vf_choice_mismatch(c, vf, req)))
        return why;
    if ((why = placement_parent_refusal(vf, req, c->rules)))
        return g_strdup_printf("VF %s: %s", vf->addr, why);
    return g_strdup_printf("VF %s cannot take %s now (its GPU holds vGPUs of another size, "
                           "or is full)", vf->addr, vgpu_request_label(req));
}

static void
keep_point(KeepPass *kp, KeepDomain *kd, const VgpuRequest *req, const HostParent *vf,
           const char *why)
{
    XmlVfPoint *p = g_new0(XmlVfPoint, 1);

    p->addr = g_strdup(vf->addr);
    p->managed = vf->kind == &device_kind_plainvf;
    g_hash_table_replace(kd->points, g_strdup(req->uuid), p);
    g_ptr_array_add(kd->moves, g_strdup_printf("vGPU %s (%s) now uses VF %s%s%s: %s", req->uuid,
                                               vgpu_request_label(req), vf->addr,
                                               req->vf ? ", not " : "",
                                               req->vf ? req->vf : "", why));
}

/* Phase one: each request keeps the VF it names when it can take it and
 * no stopped domain earlier in UUID order keeps it. */
static void
keep_claim(KeepPass *kp, VfChoice *c)
{
    for (guint i = 0; i < kp->doms->len; i++) {
        KeepDomain *kd = g_ptr_array_index(kp->doms, i);

        c->domain_uuid = kd->uuid;
        for (guint r = 0; r < kd->vd->requests->len; r++) {
            const VgpuRequest *orig = g_ptr_array_index(kd->vd->requests, r);
            g_autofree char *type_owned = NULL;
            VgpuRequest req = vf_choice_view(orig, &type_owned);
            const HostParent *cur = orig->vf ? host_find_parent(kp->host, orig->vf) : NULL;
            Pending *p;

            if (!vf_choice_wanted(kp->host, &req))
                continue;
            if (cur && !g_hash_table_contains(kp->claimed, cur->addr) &&
                !g_hash_table_contains(kp->held, cur->addr) &&
                vf_choice_usable(c, kp->host, cur, &req)) {
                g_hash_table_insert(kp->claimed, g_strdup(cur->addr), g_strdup(kd->name));
                keep_note_claim(kp->host, cur, &req);
                continue;
            }
            p = g_new0(Pending, 1);
            p->kd = kd;
            p->req = orig;
            p->why = keep_why(kp, c, kd, &req);
            g_ptr_array_add(kp->pending, p);
        }
    }
}

/* A VF for @req when none is free: one another stopped domain names
 * (whoever starts first takes it), from what running domains hold alone.
 * Its own VF, when only that sharing is wrong with it, stays. */
static const HostParent *
keep_share(KeepPass *kp, VfChoice *c, const VgpuRequest *req, gboolean *stays,
           GError **error)
{
    g_autoptr(GHashTable) avoid = g_hash_table_new(g_str_hash, g_str_equal);
    const HostParent *cur;
    GHashTableIter it;
    gpointer addr;

    *stays = FALSE;
    if (!kp->host_run && !(kp->host_run = keep_scan(kp, error)))
        return NULL;
    cur = req->vf ? host_find_parent(kp->host_run, req->vf) : NULL;
    if (cur && !g_hash_table_contains(kp->held, cur->addr) &&
        vf_choice_usable(c, kp->host_run, cur, req)) {
        *stays = TRUE;
        return NULL;
    }
    g_hash_table_iter_init(&it, kp->claimed);
    while (g_hash_table_iter_next(&it, &addr, NULL))
        g_hash_table_add(avoid, addr);
    g_hash_table_iter_init(&it, kp->hand);
    while (g_hash_table_iter_next(&it, &addr, NULL))
        g_hash_table_add(avoid, addr);
    c->avoid = avoid;
    cur = vf_choice_find(c, kp->host_run, req);
    c->avoid = kp->hand;
    return cur;
}

/* Phase two: a VF for every request that could not keep its own. */
static int
keep_choose(KeepPass *kp, VfChoice *c, VfKeepResult *res, GError **error)
{
    for (guint i = 0; i < kp->pending->len; i++) {
        Pending *p = g_ptr_array_index(kp->pending, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest req = vf_choice_view(p->req, &type_owned);
        const HostParent *vf;
        gboolean stays = FALSE;

        c->domain_uuid = p->kd->uuid;
        c->avoid = kp->hand;
        if ((vf = vf_choice_find(c, kp->host, &req))) {
            g_hash_table_insert(kp->claimed, g_strdup(vf->addr), g_strdup(p->kd->name));
            keep_note_claim(kp->host, vf, &req);
            keep_point(kp, p->kd, p->req, vf, p->why);
            continue;
        }
        vf = keep_share(kp, c, &req, &stays, error);
        if (!vf && !stays && !kp->host_run)
            return -1;
        if (vf && g_strcmp0(vf->addr, p->req->vf) != 0) {
            g_autofree char *why = g_strdup_printf("%s; no VF is free, VF %s is named by a "
                                                   "stopped domain too", p->why, vf->addr);
            keep_point(kp, p->kd, p->req, vf, why);
        } else if (!stays) {
            g_ptr_array_add(res->stuck, g_strdup_printf(
                "domain '%s': vGPU %s (%s): no VF on this host can take it now (%s)%s%s",
                p->kd->name, p->req->uuid, vgpu_request_label(p->req), p->why,
                p->req->vf ? "; it stays on " : "", p->req->vf ? p->req->vf : ""));
        }
    }
    return 0;
}

/* Write @kd's points if its definition is still the one read and it is
 * still stopped. FALSE with no @error: it changed, the pass starts over. */
static gboolean
keep_write(virConnectPtr conn, KeepDomain *kd, gboolean dry_run, VfKeepResult *res,
           GError **error)
{
    g_autoptr(GPtrArray) moves = g_ptr_array_ref(kd->moves);
    g_autofree char *updated = NULL, *again = NULL, *list = NULL;
    virDomainPtr dom, defined;
    gboolean same;

    g_ptr_array_add(moves, NULL);
    list = g_strjoinv("; ", (char **)moves->pdata);
    g_ptr_array_remove_index(moves, moves->len - 1);
    if (dry_run) {
        g_ptr_array_add(res->changes, g_strdup_printf("domain '%s': would re-point: %s",
                                                      kd->name, list));
        return TRUE;
    }
    if (!(updated = xml_domain_point_vfs(kd->xml, strlen(kd->xml), kd->points, error)))
        return FALSE;
    if (!(dom = virDomainLookupByUUIDString(conn, kd->uuid)))
        return FALSE;   /* undefined meanwhile: the next pass sees it gone */
    /* libvirt has no compare-and-swap on a definition: compare right
     * before the write, and only while it is stopped (a domain that
     * started took the VF it named; the next pass sees that). */
    same = virDomainIsActive(dom) == 0 && (again = virt_inactive_xml(dom, NULL)) &&
           strcmp(again, kd->xml) == 0;
    if (!same) {
        virDomainFree(dom);
        return FALSE;
    }
    virt_test_point("vfkeep-before-define");
    defined = virDomainDefineXML(conn, updated);
    virDomainFree(dom);
    if (!defined) {
        virt_error(error, "domain '%s': defining it with its whole-VF hostdevs re-pointed",
                   kd->name);
        return FALSE;
    }
    virDomainFree(defined);
    virt_test_point("vfkeep-after-define");
    res->redefinitions++;
    g_ptr_array_add(res->changes, g_strdup_printf("domain '%s': %s", kd->name, list));
    return TRUE;
}

/* One attempt. FALSE with no @error: a definition changed under us. */
static gboolean
keep_attempt(virConnectPtr conn, const VgpuConfig *cfg, gboolean dry_run, VfKeepResult *res,
             GError **error)
{
    KeepPass kp = { .cfg = cfg };
    VfChoice c = { 0 };
    gboolean raced = FALSE, ok = FALSE;

    kp.held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.claimed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.hand = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.doms = g_ptr_array_new_with_free_func((GDestroyNotify)keep_domain_free);
    kp.pending = g_ptr_array_new_with_free_func((GDestroyNotify)pending_free);
    kp.rules = placement_rules_from_config(cfg);
    kp.names = pci_names_new(cfg->pci_ids_path);
    /* What an earlier attempt wrote stays written, and listed. */
    g_ptr_array_set_size(res->stuck, 0);
    /* Ledgers before domains: a domain that starts in between is then
     * held by its live XML at least. */
    if (!(kp.ledgers = ledger_load_all(cfg->state_dir, NULL, error)) ||
        keep_read_domains(&kp, conn, error) < 0 || !(kp.host = keep_scan(&kp, error)))
        goto out;
    for (guint i = 0; i < kp.host->parents->len; i++)
        res->host_has_vfs |= ((HostParent *)g_ptr_array_index(kp.host->parents, i))
                                 ->kind->named_by_hostdev;
    c.rules = &kp.rules;
    c.names = kp.names;
    c.ledgers = kp.ledgers;
    keep_claim(&kp, &c);
    if (keep_choose(&kp, &c, res, error) < 0)
        goto out;
    for (guint i = 0; i < kp.doms->len; i++) {
        KeepDomain *kd = g_ptr_array_index(kp.doms, i);
        GError *err = NULL;

        if (g_hash_table_size(kd->points) == 0)
            continue;
        res->domains++;
        if (!keep_write(conn, kd, dry_run, res, &err)) {
            if (err) {
                g_propagate_error(error, err);
                goto out;
            }
            raced = TRUE;
        }
    }
    ok = !raced;
out:
    keep_pass_clear(&kp);
    return ok;
}

int
vf_keep_pass(virConnectPtr conn, const VgpuConfig *cfg, gboolean dry_run,
             VfKeepResult *res, GError **error)
{
    memset(res, 0, sizeof(*res));
    res->changes = g_ptr_array_new_with_free_func(g_free);
    res->stuck = g_ptr_array_new_with_free_func(g_free);
    while (res->attempts < VF_KEEP_ATTEMPTS) {
        GError *err = NULL;

        res->attempts++;
        if (keep_attempt(conn, cfg, dry_run, res, &err))
            return 0;
        if (err) {
            g_propagate_error(error, err);
            return -1;
        }
    }
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE,
                "whole-VF pass: definitions changed while they were being re-pointed, %u "
                "times in a row; the next event tries again", res->attempts);
    return -1;
}
