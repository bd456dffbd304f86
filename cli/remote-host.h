/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A libvirt on another host (-c qemu+ssh://…): vgpuctl cannot read that
 * host's sysfs, so which kind of <hostdev> serves a vGPU there (an mdev,
 * or a whole VF) and which VF is free are that host's to say. libvirt's
 * node-device API shows, remotely, whether the host has GPU VFs given
 * whole at all; only where it has none is an mdev hostdev certain. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include "vgpu-request.h"

typedef struct {
    virConnectPtr conn;
    const char *uri;
    int whole_vfs;          /* -1: not asked yet; 0 none; 1 some */
    char *example;          /* one such VF, "0000:67:00.4" */
    char *unknown;          /* why libvirt could not say; NULL when it could */
} CliRemote;

void cli_remote_clear(CliRemote *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliRemote, cli_remote_clear)

/* May an mdev <hostdev> be written for @req on the host behind r->conn?
 * gpu= never (its VF is chosen from that host's sysfs); a typed request
 * only when the host's node devices show no GPU VF (display or
 * accelerator class) that is not an mdev parent. FALSE with one sentence
 * in @error saying why and that @on_host ("vgpuctl sync vm1") is to be
 * run on that host instead. */
gboolean cli_remote_mdev_ok(CliRemote *r, const VgpuRequest *req, const char *on_host,
                            GError **error);
