/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the host from sysfs: every device kind adds what it sees. */
#pragma once

#include <glib.h>
#include "host.h"

/* Scan sysfs under @root. When @requests (VgpuRequest*) is non-NULL, only
 * types matching one of them get their availability read (others stay
 * -1): the hook reads what it needs, not the whole parents x types matrix.
 * A host offering nothing is an empty host, not an error. */
Host *host_scan(const char *root, const GPtrArray *requests, GError **error);
