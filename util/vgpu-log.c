/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vgpu-log.h"

#include <stdio.h>
#include <stdlib.h>

static gboolean log_mirror;
static const char *log_ident = "vgpu-hook";
static char *log_dom_name, *log_dom_uuid, *log_hook_call;

void
vgpu_log_open(const char *ident, gboolean mirror_stderr)
{
    openlog(ident, LOG_PID, LOG_DAEMON);
    log_ident = ident;
    log_mirror = mirror_stderr;
}

void
vgpu_log_domain(const char *name, const char *uuid, const char *hook_call)
{
    g_free(log_dom_name);
    g_free(log_dom_uuid);
    g_free(log_hook_call);
    log_dom_name = g_strdup(name);
    log_dom_uuid = g_strdup(uuid);
    log_hook_call = g_strdup(hook_call);
}

static void
add_field(GArray *fields, const char *key, const char *value)
{
    GLogField f = { key, value, -1 };

    if (value && *value)
        g_array_append_val(fields, f);
}

/* GLib's journald writer talks the journal's native protocol; its levels
 * have no NOTICE, so PRIORITY is given as a field and the level it is
 * passed is not used for anything else. No journal (the socket is
 * missing or refuses): syslog, which has no fields. */
static void
log_write(int priority, const VgpuLogEvent *ev, const char *msg)
{
    g_autoptr(GArray) fields = g_array_new(FALSE, FALSE, sizeof(GLogField));
    char prio[2] = { (char)('0' + (priority & 7)), 0 };

    add_field(fields, "MESSAGE", msg);
    add_field(fields, "PRIORITY", prio);
    add_field(fields, "SYSLOG_IDENTIFIER", log_ident);
    add_field(fields, "SYSLOG_FACILITY", "3");   /* daemon, as openlog says */
    add_field(fields, "VGPU_CODE", ev ? ev->code : NULL);
    add_field(fields, "VGPU_DOMAIN", ev && ev->domain ? ev->domain : log_dom_name);
    add_field(fields, "VGPU_DOMAIN_UUID",
              ev && ev->domain_uuid ? ev->domain_uuid : log_dom_uuid);
    add_field(fields, "VGPU_HOOK_CALL", log_hook_call);
    if (ev) {
        add_field(fields, "VGPU_UUID", ev->uuid);
        for (guint i = 0; ev->uuids && ev->uuids[i]; i++)
            add_field(fields, "VGPU_UUID", ev->uuids[i]);
        add_field(fields, "VGPU_TYPE", ev->type);
        add_field(fields, "VGPU_PARENT", ev->parent);
        add_field(fields, "VGPU_VF", ev->vf);
    }
    if (g_log_writer_journald(G_LOG_LEVEL_MESSAGE, (const GLogField *)fields->data, fields->len,
                              NULL) != G_LOG_WRITER_HANDLED)
        syslog(priority, "%s", msg);
}

static void
log_line(int priority, const VgpuLogEvent *ev, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    log_write(priority, ev, msg);
    if (log_mirror)
        fprintf(stderr, "%s: %s\n", log_ident, msg);
#ifdef VGPU_TEST_HOOKS
    /* Test builds only: the hook tier reads what was logged here. */
    const char *copy = getenv("VGPU_TEST_LOG");
    FILE *f = copy && *copy ? fopen(copy, "ae") : NULL;

    if (f) {
        fprintf(f, "<%d> %s\n", priority, msg);
        fclose(f);
    }
#endif
}

void
vgpu_log(int priority, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_line(priority, NULL, fmt, ap);
    va_end(ap);
}

void
vgpu_log_event(int priority, const VgpuLogEvent *ev, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_line(priority, ev, fmt, ap);
    va_end(ap);
}
