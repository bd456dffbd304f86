/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migrate begin, mdev requests: refuse at once when no parent here can take
 * the type now. A refusal at migrate begin gets no release call, so
 * nothing is made or recorded; but it comes before any memory is copied,
 * while one at prepare begin comes after the source has started sending.
 * The device state QEMU carries is per vGPU type: a request by need
 * (framebuffer=, series=) could be sized differently here, so one is
 * refused, saying so, rather than grown or shrunk in flight. */
#include "hook.h"
#include "device-kind.h"
#include "placement.h"
#include "vgpu-error.h"
#include "vgpu-log.h"

/* Does some candidate parent offer one instance now (read, not counted)? */
static gboolean
migrate_type_room(const VgpuConfig *cfg, GPtrArray *cands, GPtrArray *refusals)
{
    for (guint i = 0; i < cands->len; i++) {
        const PlacementCandidate *c = cands->pdata[i];
        g_autoptr(GError) err = NULL;
        int avail = c->parent->kind->available(cfg->sysfs_root, c->parent->addr, c->type->id,
                                               &err);

        if (avail > 0)
            return TRUE;
        if (avail < 0 && !g_error_matches(err, VGPU_SYSFS_ERROR, ENOENT))
            g_ptr_array_add(refusals, g_strdup(err->message));
    }
    return FALSE;
}

/* Does the host make mdevs at all? Where its GPUs give whole VFs only, a
 * request without its VF hostdev is prepare's to refuse, saying what to add. */
static gboolean
migrate_type_mdev_host(const Host *host)
{
    for (guint i = 0; i < host->parents->len; i++)
        if (!((const HostParent *)host->parents->pdata[i])->kind->vf)
            return TRUE;
    return FALSE;
}

int
hook_migrate_type_check(const VgpuConfig *cfg, const VgpuDomain *dom, const Host *host,
                        const PlacementRules *rules, GError **error)
{
    if (!migrate_type_mdev_host(host))
        return 0;
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(dom->requests, i);
        g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) cands = NULL;
        g_autofree char *why = NULL;

        /* Whole VFs: hook-migrate.c re-points them. A device already here
         * with this UUID: prepare's reuse rules decide. */
        if (req->vf || req->gpu || host_find_device(host, req->uuid))
            continue;
        if (vgpu_request_is_need(req)) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "domain '%s': vGPU device %u asks for %s, and the type the source "
                        "runs cannot be known here (the domain names no type id), so this "
                        "host could size it differently: name the profile or type, or "
                        "stop the domain and start it here", dom->name, req->index, req->label);
            return -1;
        }
        cands = placement_choose(host, req, rules, refusals);
        if (migrate_type_room(cfg, cands, refusals))
            continue;
        why = placement_explain(host, req, refusals);
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_NO_CAPACITY,
                    "domain '%s' cannot move here: no GPU here can take vGPU device %u (%s) "
                    "now: %s", dom->name, req->index, vgpu_request_label(req), why);
        return -1;
    }
    return 0;
}
