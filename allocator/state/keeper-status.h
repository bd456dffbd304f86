/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keeper's status file, STATE_DIR/keeper.status: what `vgpuctl status`
 * shows about vgpu-keeper. The keeper rewrites it atomically (a temporary
 * file renamed over it) whenever something it reports changes; readers
 * never see half a file. A GKeyFile, group [keeper]:
 *
 *   pid=1234               the keeper process
 *   uri=qemu:///system
 *   dry_run=false
 *   started=2026-11-30T02:00:00.000000Z   (UTC, ISO 8601)
 *   connected=true         to libvirt, now
 *   last_pass=...          the last full pass over every persistent domain
 *   passes=3
 *   redefinitions=12       definitions it wrote since it started
 *   last_change=...        when it last wrote one
 *   last_change_what=domain 'vm1': added <hostdev> for A40-2Q vGPU ...
 *   stopped=...            set when it exited cleanly
 *
 * Whether it runs is not taken from the file alone: the pid must be alive
 * and be a vgpu-keeper (a SIGKILLed keeper leaves no "stopped"). */
#pragma once

#include <glib.h>

#define KEEPER_STATUS_FILE "keeper.status"

typedef struct {
    gint64 pid;
    char *uri;
    gboolean dry_run;
    char *started;
    gboolean connected;
    char *last_pass;
    guint64 passes;
    guint64 redefinitions;
    char *last_change;
    char *last_change_what;
    char *stopped;
} KeeperStatus;

void keeper_status_clear(KeeperStatus *st);
void keeper_status_free(KeeperStatus *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KeeperStatus, keeper_status_free)

/* Now, UTC, in the file's format. */
char *keeper_status_now(void);

int keeper_status_write(const char *state_dir, const KeeperStatus *st, GError **error);

/* NULL with VGPU_ERROR_NOT_FOUND when no keeper ever wrote one. */
KeeperStatus *keeper_status_read(const char *state_dir, GError **error);

/* The process the file names is alive and is vgpu-keeper. */
gboolean keeper_status_running(const KeeperStatus *st);

/* One line for people: "running (pid 12, connected to URI), 3
 * redefinitions, last change at T: WHAT" / "not running (stopped at T)" /
 * "not running (never started on this host)". */
char *keeper_status_describe(const char *state_dir);
