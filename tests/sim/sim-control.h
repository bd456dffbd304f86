/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-control.h: the test-facing files under vgpu-sim/ (control, stats,
 * mdevs, faults) and the dispatch of every attribute read and write.
 */
#pragma once

#include <sys/types.h>

#include "sim-model.h"

/* Content of a readable attribute, or NULL with -errno in *err; *len is
 * its size (binary attributes such as a PCI config space hold NULs). */
char *sim_attr_show(SimHost *host, SimNode *node, int *err, size_t *len);

/* One write() to an attribute: the byte count or -errno. */
ssize_t sim_attr_store(SimHost *host, SimNode *node, const char *buf, size_t len);
