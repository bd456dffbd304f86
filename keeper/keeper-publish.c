/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* On a Pacemaker node the vGPU capacity Pacemaker places by must follow
 * starts and stops (vgpuctl cluster publish, cli/cluster-capacity.h).
 * Where Pacemaker is not installed this costs one PATH lookup per batch of
 * events; where it is installed but not running, vgpuctl --if-cluster
 * returns quietly. */
#include <stdio.h>

#include "keeper.h"
#include "vgpu-log.h"

void
keeper_publish_due(Keeper *k)
{
    k->publish_due = TRUE;
    virEventUpdateTimeout(k->work_timer, 0);
}

void
keeper_publish(Keeper *k)
{
    g_autofree char *crm_node = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = { k->vgpuctl, "cluster", "publish", "--if-cluster", NULL };

    if (!k->publish_due)
        return;
    k->publish_due = FALSE;
    if (k->dry_run || !(crm_node = g_find_program_in_path("crm_node")))
        return;
    /* Not waited for: a first publish sets dozens of attributes, one
     * crm_attribute each, and the event loop must keep answering libvirt's
     * keepalive meanwhile. vgpuctl takes a lock, so a later run reads the
     * host after an earlier one wrote: the newest figures are written last.
     * It says its own failures on stderr, which the unit's journal keeps. */
    /* What --once printed must not reach the pipe twice: a forked child
     * that flushes at exit (valgrind's do) would write it again. */
    fflush(NULL);
    if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                       &error))
        vgpu_log(LOG_ERR, "publishing vGPU capacity to Pacemaker: %s", error->message);
}
