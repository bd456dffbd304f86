/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-fs.h: the FUSE file system that serves a simulated host.
 */
#pragma once

#include "sim-model.h"

/* Mounts HOST at MOUNTPOINT and serves it in the foreground until SIGTERM,
 * SIGINT or SIGHUP; unmounts before returning.  Returns an exit status. */
int sim_fs_run(SimHost *host, const char *progname, const char *mountpoint);
