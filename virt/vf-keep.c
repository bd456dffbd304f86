/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keeping stopped domains' whole-VF hostdevs on VFs that can take them. */
#include "vf-keep-priv.h"
#include "device-kind.h"
#include "domain-xml.h"
#include "host-scan.h"
#include "ledger.h"
#include "vf-choice.h"
#include "vgpu-error.h"
#include "virt-util.h"

#include <stdlib.h>
#include <string.h>

char *
vf_keep_move_describe(const VfKeepMove *m)
{
    if (!m->vf && m->unknown)
        return g_strdup_printf("domain '%s': vGPU %s (%s): %s%s%s", m->domain, m->uuid,
                               m->label, m->unknown, m->old ? "; it stays on " : "",
                               m->old ? m->old : "");
    if (!m->vf)
        return g_strdup_printf("domain '%s': vGPU %s (%s): no VF on this host can take it "
                               "now (%s)%s%s", m->domain, m->uuid, m->label, m->why,
                               m->old ? "; it stays on " : "", m->old ? m->old : "");
    return g_strdup_printf("domain '%s': vGPU %s (%s) now uses VF %s%s%s: %s", m->domain,
                           m->uuid, m->label, m->vf, m->old ? ", not " : "",
                           m->old ? m->old : "", m->why);
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
    vf_context_clear(&kp->ctx);
    g_clear_pointer(&kp->held, g_hash_table_unref);
    g_clear_pointer(&kp->claimed, g_hash_table_unref);
    g_clear_pointer(&kp->hand, g_hash_table_unref);
    g_clear_pointer(&kp->pending, g_ptr_array_unref);
    g_clear_pointer(&kp->doms, g_ptr_array_unref);
}

void
vf_keep_result_clear(VfKeepResult *res)
{
    g_clear_pointer(&res->moves, g_ptr_array_unref);
    g_clear_pointer(&res->stuck, g_ptr_array_unref);
    g_clear_pointer(&res->whole_vf, g_ptr_array_unref);
    g_clear_pointer(&res->failed, g_ptr_array_unref);
}

/* What keeping @vf for @req consumes (the same-size rule of its GPU): the
 * first type that fits the request and the VF can take now. */
static void
keep_note_claim(Host *host, const HostParent *vf, const VgpuRequest *req)
{
    g_autoptr(GPtrArray) types = req->gpu ? g_ptr_array_ref(vf->types)
                                          : host_parent_request_types(vf, req);
    const HostType *t = NULL;

    if (host_find_device(host, vf->addr))
        return;
    for (guint i = 0; i < types->len && !t; i++)
        if (((const HostType *)g_ptr_array_index(types, i))->available != 0)
            t = g_ptr_array_index(types, i);
    if (!t)
        vf_keep_note_used(host, vf->addr);
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
    if (!vf || !vf->kind->vf)
        return g_strdup_printf("%s is no whole VF on this host", req->vf);
    if ((s = g_hash_table_lookup(kp->claimed, vf->addr)))
        return g_strdup_printf("stopped domain '%s' names VF %s too", s, vf->addr);
    if ((s = g_hash_table_lookup(kp->held, vf->addr)))
        return g_strdup_printf("VF %s is held by %s", vf->addr, s);
    if ((s = g_hash_table_lookup(kp->hand, vf->addr)))
        return g_strdup_printf("stopped domain '%s' names VF %s in a hostdev of its own",
                               s, vf->addr);
    owner = ledger_list_find_parent(kp->ledgers, vf->kind->name, vf->addr, &d);
    if (owner && g_strcmp0(owner->domain_uuid, kd->uuid) != 0)
        return g_strdup_printf("VF %s is held by domain '%s'", vf->addr,
                               owner->domain_name ? owner->domain_name : owner->domain_uuid);
    if (dev && !owner && dev->type && *dev->type)
        return g_strdup_printf("VF %s has vGPU type %s, set outside vgpu-hook", vf->addr,
                               dev->type);
    if ((why = vf_choice_mismatch(c, vf, req)))
        return why;
    if ((why = placement_parent_refusal(vf, req, c->rules))) {
        g_autofree char *refusal = why;

        return g_strdup_printf("VF %s: %s", vf->addr, refusal);
    }
    return g_strdup_printf("VF %s cannot take %s now (its GPU holds vGPUs of another size, "
                           "or is full)", vf->addr, vgpu_request_label(req));
}

static void
keep_point(KeepPass *kp, KeepDomain *kd, const VgpuRequest *req, const HostParent *vf,
           const char *why)
{
    XmlVfPoint *p = g_new0(XmlVfPoint, 1);

    p->addr = g_strdup(vf->addr);
    p->managed = vf->kind->vf->managed;
    g_hash_table_replace(kd->points, g_strdup(req->uuid), p);
    g_ptr_array_add(kd->moves, vf_keep_move_new(kd, req, vf->addr, why));
}

/* Phase one: each request keeps the VF it names when it can take it and
 * no stopped domain earlier in UUID order keeps it. */
static void
keep_claim(KeepPass *kp, VfChoice *c, VfKeepResult *res)
{
    g_autoptr(GHashTable) wanted = g_hash_table_new(g_direct_hash, g_direct_equal);

    /* Which requests a whole VF serves, asked of the host as it is, before
     * any claim changes what it can take. */
    for (guint i = 0; i < kp->doms->len; i++) {
        KeepDomain *kd = g_ptr_array_index(kp->doms, i);

        for (guint r = 0; r < kd->vd->requests->len; r++) {
            const VgpuRequest *orig = g_ptr_array_index(kd->vd->requests, r);
            g_autofree char *type_owned = NULL;
            VgpuRequest req = vf_choice_view(orig, &type_owned);

            c->rules = &kd->rules;
            if (vf_keep_serves(c, kp->host, kd->vd, &req))
                g_hash_table_add(wanted, (gpointer)orig);
        }
    }
    for (guint i = 0; i < kp->doms->len; i++) {
        KeepDomain *kd = g_ptr_array_index(kp->doms, i);

        c->domain_uuid = kd->uuid;
        c->rules = &kd->rules;
        for (guint r = 0; r < kd->vd->requests->len; r++) {
            const VgpuRequest *orig = g_ptr_array_index(kd->vd->requests, r);
            g_autofree char *type_owned = NULL;
            VgpuRequest req = vf_choice_view(orig, &type_owned);
            const HostParent *cur = orig->vf ? host_find_parent(kp->host, orig->vf) : NULL;
            Pending *p;

            if (!g_hash_table_contains(wanted, orig))
                continue;
            if (kp->only && strcmp(kd->uuid, kp->only) == 0 &&
                VF_KEEP_ASKED(kp->only_reqs, orig->uuid))
                g_ptr_array_add(res->whole_vf, g_strdup(orig->uuid));
            /* A VF a stopped domain's hand-written hostdev names is kept
             * only if phase two finds no other (it is never chosen first). */
            if (cur && !g_hash_table_contains(kp->claimed, cur->addr) &&
                !g_hash_table_contains(kp->held, cur->addr) &&
                !g_hash_table_contains(kp->hand, cur->addr) &&
                vf_choice_usable(c, kp->host, cur, &req)) {
                g_hash_table_insert(kp->claimed, g_strdup(cur->addr), g_strdup(kd->name));
                keep_note_claim(kp->host, cur, &req);
                continue;
            }
            p = g_new0(Pending, 1);
            p->kd = kd;
            p->req = orig;
            p->why = keep_why(kp, c, kd, &req);
            /* vgpuctl changes what it was asked about, but takes no VF a
             * more constrained request waiting elsewhere would get from
             * the keeper's own pass: one sync at a time (sync --all)
             * ends where the keeper would. */
            p->reserve = kp->only && (strcmp(kd->uuid, kp->only) != 0 ||
                                      !VF_KEEP_ASKED(kp->only_reqs, orig->uuid));
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
    if (!kp->host_run && !(kp->host_run = vf_keep_scan(kp, error)))
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

/* The VFs @kd's other hostdevs name (its other requests', those given in
 * this pass, hand-written ones): libvirt refuses one VF in two hostdevs of
 * a domain, so @req is never pointed at them. */
static GHashTable *
keep_own_vfs(const KeepDomain *kd, const VgpuRequest *req)
{
    GHashTable *own = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer point;

    for (guint k = 0; k < kd->vd->pci_addrs->len; k++)
        if (g_strcmp0(g_ptr_array_index(kd->vd->pci_addrs, k), req->vf) != 0)
            g_hash_table_add(own, g_ptr_array_index(kd->vd->pci_addrs, k));
    g_hash_table_iter_init(&it, kd->points);
    while (g_hash_table_iter_next(&it, NULL, &point))
        g_hash_table_add(own, ((XmlVfPoint *)point)->addr);
    return own;
}

/* The undecided request (of kp->pending) to decide next: the one the
 * fewest VFs could take now, then the fewest on its NUMA nodes, so that a
 * request with a single fit (a NUMA pin, parent=, a rarer GPU) is not
 * left without it by one that could have taken another; the first in
 * UUID order on a tie, so that passes agree. Counted again after each
 * choice: a claim changes what the others can take. */
static guint
keep_next(KeepPass *kp, VfChoice *c, const gboolean *decided)
{
    guint next = G_MAXUINT, next_all = 0, next_local = 0;

    for (guint i = 0; i < kp->pending->len; i++) {
        Pending *p = g_ptr_array_index(kp->pending, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest req = vf_choice_view(p->req, &type_owned);
        g_autoptr(GHashTable) own = NULL;
        guint all, local;

        if (decided[i])
            continue;
        own = keep_own_vfs(p->kd, p->req);
        c->domain_uuid = p->kd->uuid;
        c->rules = &p->kd->rules;
        c->avoid = kp->hand;
        c->exclude = own;
        all = vf_choice_count(c, kp->host, &req, &local);
        c->exclude = NULL;
        if (next == G_MAXUINT || all < next_all || (all == next_all && local < next_local)) {
            next = i;
            next_all = all;
            next_local = local;
        }
    }
    return next;
}

/* Phase two: a VF for every request that could not keep its own, the most
 * constrained first (keep_next). */
static int
keep_choose(KeepPass *kp, VfChoice *c, VfKeepResult *res, GError **error)
{
    g_autofree gboolean *decided = g_new0(gboolean, kp->pending->len);
    guint i;

    while ((i = keep_next(kp, c, decided)) != G_MAXUINT) {
        Pending *p = g_ptr_array_index(kp->pending, i);
        g_autofree char *type_owned = NULL;
        VgpuRequest req = vf_choice_view(p->req, &type_owned);
        g_autoptr(GHashTable) own = keep_own_vfs(p->kd, p->req);
        const HostParent *vf;
        gboolean stays = FALSE;

        decided[i] = TRUE;
        c->domain_uuid = p->kd->uuid;
        c->rules = &p->kd->rules;
        c->avoid = kp->hand;
        c->exclude = own;
        if ((vf = vf_choice_find(c, kp->host, &req))) {
            c->exclude = NULL;
            g_hash_table_insert(kp->claimed, g_strdup(vf->addr), g_strdup(p->kd->name));
            keep_note_claim(kp->host, vf, &req);
            /* Its own VF again: the one a hand-written hostdev names too,
             * and no other is free. Nothing to write. */
            if (g_strcmp0(vf->addr, p->req->vf) != 0 && !p->reserve)
                keep_point(kp, p->kd, p->req, vf, p->why);
            continue;
        }
        c->exclude = NULL;
        if (p->reserve)
            continue;
        c->exclude = own;
        vf = keep_share(kp, c, &req, &stays, error);
        c->exclude = NULL;
        if (!vf && !stays && !kp->host_run)
            return -1;
        if (vf && g_strcmp0(vf->addr, p->req->vf) != 0) {
            g_autofree char *why = g_strdup_printf("%s; no VF is free, VF %s is named by a "
                                                   "stopped domain too", p->why, vf->addr);
            keep_point(kp, p->kd, p->req, vf, why);
        } else if (!stays) {
            VfKeepMove *m = vf_keep_move_new(p->kd, p->req, NULL, p->why);

            /* Not a matter of room: no GPU here is what it names. */
            m->unknown = vf_choice_gpu_unknown(c, kp->host, &req);
            g_ptr_array_add(res->stuck, m);
        }
    }
    return 0;
}

typedef enum {
    KEEP_WRITTEN,   /* written (or, dry run, would be) */
    KEEP_RACED,     /* changed, started or undefined since it was read: start over */
    KEEP_FAILED,    /* libvirt failed (@error): left alone this pass */
} KeepWrite;

/* A libvirt failure in keep_write: the domain undefined meanwhile is a
 * change like any other; anything else is libvirt's, said as it is. */
static KeepWrite
keep_write_failed(GError *err, GError **error)
{
    if (virt_error_is_gone(err)) {
        g_error_free(err);
        return KEEP_RACED;
    }
    g_propagate_error(error, err);
    return KEEP_FAILED;
}

/* Write @kd's points if its definition is still the one read and it is
 * still stopped. */
static KeepWrite
keep_write(virConnectPtr conn, KeepDomain *kd, gboolean dry_run, VfKeepResult *res,
           GError **error)
{
    g_autofree char *updated = NULL, *again = NULL, *what = NULL;
    virDomainPtr dom, defined;
    GError *err = NULL;
    int active;

    if (!dry_run) {
        if (!(updated = xml_domain_point_vfs(kd->xml, strlen(kd->xml), kd->points, error)))
            return KEEP_FAILED;
        virt_test_point("vfkeep-before-compare");
        /* Each libvirt error is taken right after its call: the next
         * call (virDomainFree too) would reset it. */
        if (!(dom = virDomainLookupByUUIDString(conn, kd->uuid))) {
            virt_error(&err, "domain '%s': looking it up to re-point its whole VFs", kd->name);
            return keep_write_failed(err, error);
        }
        /* libvirt has no compare-and-swap on a definition: compare right
         * before the write, and only while it is stopped (a domain that
         * started took the VF it named; the next pass sees that). */
        if (!kd->running && (active = virDomainIsActive(dom)) != 0) {
            if (active < 0)
                virt_error(&err, "domain '%s': asking whether it runs, to re-point its whole "
                           "VFs", kd->name);
            virDomainFree(dom);
            return err ? keep_write_failed(err, error) : KEEP_RACED;
        }
        what = g_strdup_printf("domain '%s': reading its definition again before re-pointing "
                               "its whole VFs", kd->name);
        again = virt_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE |
                                     virt_test_fault_flag("vfkeep-compare-read"), what, &err);
        if (!again || strcmp(again, kd->xml) != 0) {
            virDomainFree(dom);
            return err ? keep_write_failed(err, error) : KEEP_RACED;
        }
        virt_test_point("vfkeep-before-define");
        defined = virDomainDefineXML(conn, updated);
        if (!defined) {
            virt_error(error, "domain '%s': defining it with its whole-VF hostdevs re-pointed",
                       kd->name);
            virDomainFree(dom);
            return KEEP_FAILED;
        }
        virDomainFree(dom);
        virDomainFree(defined);
        virt_test_point("vfkeep-after-define");
        res->redefinitions++;
    }
    while (kd->moves->len)
        g_ptr_array_add(res->moves, g_ptr_array_steal_index(kd->moves, 0));
    return KEEP_WRITTEN;
}

/* Does @kd take a VF that a domain still to be written (not in @done)
 * names now? */
static gboolean
keep_takes_unwritten(const KeepPass *kp, const KeepDomain *kd, GHashTable *done)
{
    GHashTableIter it;
    gpointer point;

    g_hash_table_iter_init(&it, kd->points);
    while (g_hash_table_iter_next(&it, NULL, &point)) {
        for (guint i = 0; i < kp->doms->len; i++) {
            const KeepDomain *other = g_ptr_array_index(kp->doms, i);

            if (other != kd && g_hash_table_size(other->points) > 0 &&
                !g_hash_table_contains(done, other) &&
                g_ptr_array_find_with_equal_func(other->vd->pci_addrs,
                                                 ((XmlVfPoint *)point)->addr, g_str_equal,
                                                 NULL))
                return TRUE;
        }
    }
    return FALSE;
}

/* Why @kd is not written: a VF it would take is one a domain left as it
 * is still names (@kept: VF -> that domain). NULL: none. */
static char *
keep_takes_kept(const KeepDomain *kd, GHashTable *kept)
{
    GHashTableIter it;
    gpointer point;
    const char *other;

    g_hash_table_iter_init(&it, kd->points);
    while (g_hash_table_iter_next(&it, NULL, &point))
        if ((other = g_hash_table_lookup(kept, ((XmlVfPoint *)point)->addr)))
            return g_strdup_printf("domain '%s': not re-pointed at VF %s, which domain '%s' "
                                   "still names (it was not re-pointed either)", kd->name,
                                   ((XmlVfPoint *)point)->addr, other);
    return NULL;
}

/* The VFs @kd names stay named: into @kept. */
static void
keep_left(const KeepDomain *kd, GHashTable *kept)
{
    for (guint k = 0; k < kd->vd->pci_addrs->len; k++)
        g_hash_table_replace(kept, g_strdup(g_ptr_array_index(kd->vd->pci_addrs, k)),
                             g_strdup(kd->name));
}

/* keep_write for keep_write_all: @kd is not written at a VF that a domain
 * left as it is still names (@kept: VF -> its name); a failure is said in
 * res->failed, and @kd's VFs go into @kept. FALSE with @error:
 * vf_keep_domain (@only) failed. */
static gboolean
keep_write_listed(virConnectPtr conn, KeepDomain *kd, gboolean only, gboolean dry_run,
                  GHashTable *kept, gboolean *raced, VfKeepResult *res, GError **error)
{
    g_autofree char *taken = keep_takes_kept(kd, kept);
    GError *err = NULL;

    if (taken) {
        g_ptr_array_add(res->failed, g_steal_pointer(&taken));
        keep_left(kd, kept);
        return TRUE;
    }
    switch (keep_write(conn, kd, dry_run, res, &err)) {
    case KEEP_WRITTEN:
        break;
    case KEEP_RACED:
        *raced = TRUE;
        break;
    case KEEP_FAILED:
        if (only) {
            g_propagate_error(error, err);
            return FALSE;
        }
        g_ptr_array_add(res->failed, g_strdup(err->message));
        g_error_free(err);
        keep_left(kd, kept);
        break;
    }
    return TRUE;
}

/* Write every domain the pass re-points. A domain libvirt fails to write
 * keeps what it named, and the next pass tries it again; the others are
 * written, but none at a VF it still names (both would name it, with a
 * free one left unused): a domain that takes a VF another one gives up is
 * written after it (where each takes the next one's, in UUID order). FALSE
 * with @error: vf_keep_domain (@only) failed. */
static gboolean
keep_write_all(virConnectPtr conn, const KeepPass *kp, gboolean only, gboolean dry_run,
               gboolean *raced, VfKeepResult *res, GError **error)
{
    g_autoptr(GHashTable) done = g_hash_table_new(NULL, NULL);
    g_autoptr(GHashTable) kept = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    for (;;) {
        KeepDomain *next = NULL, *first = NULL;

        for (guint i = 0; i < kp->doms->len && !next; i++) {
            KeepDomain *kd = g_ptr_array_index(kp->doms, i);

            if (g_hash_table_size(kd->points) == 0 || g_hash_table_contains(done, kd))
                continue;
            if (!first)
                first = kd;
            if (!keep_takes_unwritten(kp, kd, done))
                next = kd;
        }
        if (!first)
            return TRUE;
        if (!next)
            next = first;
        g_hash_table_add(done, next);
        if (!keep_write_listed(conn, next, only, dry_run, kept, raced, res, error))
            return FALSE;
    }
}

/* vf_keep_domain is all or nothing: one request no VF can take fails it. */
static gboolean
keep_only_fails(const VfKeepResult *res, GError **error)
{
    const VfKeepMove *m;
    g_autofree char *stays = NULL;

    if (res->stuck->len == 0)
        return FALSE;
    m = g_ptr_array_index(res->stuck, 0);
    if (m->unknown) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "domain '%s': vGPU %s (%s): %s%s%s",
                    m->domain, m->uuid, m->label, m->unknown, m->old ? "; it stays on " : "",
                    m->old ? m->old : "");
        return TRUE;
    }
    /* Why the VF it names does not do (who holds it), as the keeper logs. */
    if (m->old)
        stays = g_strdup_printf(" (%s); it stays on %s", m->why, m->old);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY,
                "domain '%s': vGPU %s (%s): no free VF on this host fits it%s", m->domain,
                m->uuid, m->label, stays ? stays : "");
    return TRUE;
}

/* One attempt. FALSE with no @error: a definition changed under us. */
static gboolean
keep_attempt(virConnectPtr conn, const VgpuConfig *cfg, const char *only, GHashTable *only_reqs,
             gboolean dry_run, VfKeepResult *res, GError **error)
{
    KeepPass kp = { .cfg = cfg, .only = only, .only_reqs = only_reqs };
    VfChoice c = { 0 };
    gboolean raced = FALSE, ok = FALSE, failed = FALSE;

    kp.held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.claimed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.hand = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kp.doms = g_ptr_array_new_with_free_func((GDestroyNotify)vf_keep_domain_free);
    kp.pending = g_ptr_array_new_with_free_func((GDestroyNotify)pending_free);
    vf_context_init(&kp.ctx, cfg, NULL, NULL, NULL);
    /* What an earlier attempt wrote stays written, and listed. */
    g_ptr_array_set_size(res->stuck, 0);
    g_ptr_array_set_size(res->whole_vf, 0);
    g_ptr_array_set_size(res->failed, 0);
    if (only && !vf_keep_only_wants_vf(conn, cfg, only, only_reqs, error, &failed)) {
        ok = !failed;   /* mdev requests only: nothing here to do */
        goto out;
    }
    /* Ledgers before the host: a release clears a VF's type before it
     * drops its record, so a type read without its record is not one a
     * release is clearing (read the other way round, it looked set
     * outside vgpu-hook and the stopped domain was re-pointed). Domains
     * last: one that starts in between is held by its live XML at least.
     * Where the host has no whole VF there is nothing to keep (and
     * libvirt is not asked). */
    if (!(kp.ledgers = ledger_load_all(cfg->state_dir, NULL, error)) ||
        !(kp.host = host_scan(cfg->sysfs_root, NULL, error)))
        goto out;
    virt_test_point("vfkeep-host-read");
    res->host_read = TRUE;
    for (guint i = 0; i < kp.host->parents->len; i++)
        res->host_has_vfs |= ((HostParent *)g_ptr_array_index(kp.host->parents, i))
                                 ->kind->vf != NULL;
    if (!res->host_has_vfs) {
        if (only)
            vf_keep_no_vfs(conn, only, only_reqs, res);
        ok = !(only && keep_only_fails(res, error));
        goto out;
    }
    /* libpci ends the process on a database it cannot parse: not the
     * keeper's, which says so at each pass until it is mended. */
    if (pci_names_check(cfg->pci_ids_path, error) < 0 ||
        vf_keep_read_domains(&kp, conn, error) < 0)
        goto out;
    vf_keep_note_held(&kp, kp.host);
    c = kp.ctx.vf;
    c.ledgers = kp.ledgers;
    keep_claim(&kp, &c, res);
    if (keep_choose(&kp, &c, res, error) < 0)
        goto out;
    if (only && keep_only_fails(res, error))
        goto out;
    if (!keep_write_all(conn, &kp, only != NULL, dry_run, &raced, res, error))
        goto out;
    ok = !raced;
out:
    keep_pass_clear(&kp);
    return ok;
}

static int
keep_run(virConnectPtr conn, const VgpuConfig *cfg, const char *only, GHashTable *only_reqs,
         gboolean dry_run, VfKeepResult *res, GError **error)
{
    memset(res, 0, sizeof(*res));
    res->moves = g_ptr_array_new_with_free_func((GDestroyNotify)vf_keep_move_free);
    res->stuck = g_ptr_array_new_with_free_func((GDestroyNotify)vf_keep_move_free);
    res->whole_vf = g_ptr_array_new_with_free_func(g_free);
    res->failed = g_ptr_array_new_with_free_func(g_free);
    while (res->attempts < VF_KEEP_ATTEMPTS) {
        GError *err = NULL;

        res->attempts++;
        if (keep_attempt(conn, cfg, only, only_reqs, dry_run, res, &err))
            return 0;
        if (err) {
            g_propagate_error(error, err);
            return -1;
        }
    }
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE,
                "whole VFs: definitions changed while they were being re-pointed, %u times in "
                "a row; left as they are", res->attempts);
    return -1;
}

int
vf_keep_pass(virConnectPtr conn, const VgpuConfig *cfg, gboolean dry_run,
             VfKeepResult *res, GError **error)
{
    return keep_run(conn, cfg, NULL, NULL, dry_run, res, error);
}

int
vf_keep_domain(virConnectPtr conn, const VgpuConfig *cfg, const char *uuid,
               GHashTable *requests, VfKeepResult *res, GError **error)
{
    return keep_run(conn, cfg, uuid, requests, FALSE, res, error);
}
