/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reconnect begin (libvirtd restarted while the domain runs): compare the
 * ledger with sysfs and say what differs. Changes nothing: the domain is
 * running on these devices. */
#include "hook.h"
#include "device-kind.h"
#include "ledger.h"
#include "vgpu-error.h"
#include "vgpu-log.h"

/* What the request's device is now: by the ledger's kind and id when the
 * ledger has it, by the VF its hostdev names for a whole VF, else by UUID. */
static int
reconnect_lookup(const VgpuConfig *cfg, const VgpuRequest *req, const LedgerDevice *d,
                 char **parent, char **type, GError **error)
{
    if (d) {
        const DeviceKind *kind = device_kind_of(d);

        return kind->lookup(cfg->sysfs_root, device_kind_device_id(kind, d->uuid, d->parent),
                            parent, type, error);
    }
    if (req->vf)
        return device_kind_lookup_vf(cfg->sysfs_root, req->vf, parent, type, error);
    return device_kind_lookup(cfg->sysfs_root, req->uuid, NULL, parent, type, error);
}

/* A ledger device no request names: its metadata was removed while the
 * domain ran (virsh metadata --live --remove). Still the domain's, and
 * release end gives it back. */
static void
reconnect_unasked(const VgpuConfig *cfg, const VgpuDomain *dom, const LedgerDevice *d)
{
    const DeviceKind *kind = device_kind_of(d);
    g_autofree char *parent = NULL, *type = NULL;
    VgpuLogEvent ev = { .code = "reconnect-unasked", .uuid = d->uuid, .type = d->type };

    *(kind->vf ? &ev.vf : &ev.parent) = d->parent;
    if (kind->lookup(cfg->sysfs_root, device_kind_device_id(kind, d->uuid, d->parent),
                     &parent, &type, NULL) < 0)
        vgpu_log_event(LOG_WARNING, &ev, "domain '%s': reconnect: ledger holds %s (%s on %s), which the "
                 "domain no longer asks for and which is missing from sysfs", dom->name,
                 d->uuid, d->type, d->parent);
    else
        vgpu_log_event(LOG_WARNING, &ev, "domain '%s': reconnect: ledger holds %s (%s on %s, present), "
                 "which the domain no longer asks for (its metadata was removed?); "
                 "release end gives it back", dom->name, d->uuid, type, parent);
}

void
hook_reconnect(const VgpuConfig *cfg, const VgpuDomain *dom)
{
    g_autoptr(Ledger) ledger = NULL;
    g_autoptr(GError) err = NULL;

    if (!dom->uuid)
        return;
    if (!(ledger = ledger_load(cfg->state_dir, dom->uuid, dom->name, &err))) {
        vgpu_log(LOG_ERR, "domain '%s': reconnect: %s", dom->name, err->message);
        return;
    }
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *req = dom->requests->pdata[i];
        const LedgerDevice *d = ledger_find(ledger, req->uuid);
        g_autofree char *parent = NULL, *type = NULL;
        g_autoptr(GError) lerr = NULL;
        VgpuLogEvent ev = { .uuid = req->uuid };

        if (reconnect_lookup(cfg, req, d, &parent, &type, &lerr) < 0) {
            ev.code = "reconnect-missing";
            vgpu_log_event(LOG_WARNING, &ev, "domain '%s': reconnect: vGPU %s is missing from sysfs%s",
                     dom->name, req->uuid, d ? " although the ledger records it" : "");
        } else if (!d) {
            ev = (VgpuLogEvent){ "reconnect-not-ours", .uuid = req->uuid, .type = type,
                                 .parent = parent };
            vgpu_log_event(LOG_INFO, &ev, "domain '%s': reconnect: %s (%s on %s) present, not created "
                     "by vgpu-hook", dom->name, req->uuid, type, parent);
        } else if (g_strcmp0(parent, d->parent) || g_strcmp0(type, d->type)) {
            ev = (VgpuLogEvent){ "reconnect-changed", .uuid = req->uuid, .type = type,
                                 .parent = parent };
            vgpu_log_event(LOG_WARNING, &ev, "domain '%s': reconnect: %s is %s on %s, ledger says %s on %s",
                     dom->name, req->uuid, type, parent, d->type, d->parent);
        } else {
            ev = (VgpuLogEvent){ "reconnect-ok", .uuid = req->uuid, .type = type,
                                 .parent = parent };
            vgpu_log_event(LOG_INFO, &ev, "domain '%s': reconnect: %s (%s on %s) ok",
                     dom->name, req->uuid, type, parent);
        }
    }
    for (guint i = 0; i < ledger->devices->len; i++) {
        const LedgerDevice *d = ledger->devices->pdata[i];
        gboolean asked = FALSE;

        for (guint j = 0; j < dom->requests->len && !asked; j++)
            asked = g_strcmp0(((VgpuRequest *)dom->requests->pdata[j])->uuid, d->uuid) == 0;
        if (!asked)
            reconnect_unasked(cfg, dom, d);
    }
}
