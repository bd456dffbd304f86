/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vgpu-log.h"

#include <stdio.h>
#include <stdlib.h>

static gboolean log_mirror;
static const char *log_ident = "vgpu-hook";

void
vgpu_log_open(const char *ident, gboolean mirror_stderr)
{
    openlog(ident, LOG_PID, LOG_DAEMON);
    log_ident = ident;
    log_mirror = mirror_stderr;
}

void
vgpu_log(int priority, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    syslog(priority, "%s", msg);
    if (log_mirror)
        fprintf(stderr, "%s: %s\n", log_ident, msg);
#ifdef VGPU_TEST_HOOKS
    /* Test builds only: the hook tier reads what went to syslog here. */
    const char *copy = getenv("VGPU_TEST_LOG");
    FILE *f = copy && *copy ? fopen(copy, "ae") : NULL;

    if (f) {
        fprintf(f, "<%d> %s\n", priority, msg);
        fclose(f);
    }
#endif
}
