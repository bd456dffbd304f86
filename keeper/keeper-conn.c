/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keeper's libvirt connection: events in, reconnection with backoff
 * when the daemon goes away, a full pass after every connection (what was
 * defined meanwhile raised no event we could see). */
#include "keeper.h"
#include "vgpu-error.h"
#include "vgpu-log.h"
#include "vgpu-request.h"
#include "virt-util.h"

#include <libvirt/virterror.h>
#include <stdio.h>
#include <string.h>

static const char *
defined_detail(int detail)
{
    switch (detail) {
    case VIR_DOMAIN_EVENT_DEFINED_ADDED:         return "defined";
    case VIR_DOMAIN_EVENT_DEFINED_UPDATED:       return "definition updated";
    case VIR_DOMAIN_EVENT_DEFINED_RENAMED:       return "renamed";
    case VIR_DOMAIN_EVENT_DEFINED_FROM_SNAPSHOT: return "defined from a snapshot";
    }
    return "defined";
}

static const char *
lifecycle_name(int event)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED:   return "defined";
    case VIR_DOMAIN_EVENT_UNDEFINED: return "undefined";
    case VIR_DOMAIN_EVENT_STARTED:   return "started";
    case VIR_DOMAIN_EVENT_STOPPED:   return "stopped";
    }
    return NULL;
}

static int
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    Keeper *k = opaque;
    const char *what = lifecycle_name(event);
    g_autofree char *why = NULL, *vf_why = NULL;

    /* mdev requests only need their <hostdev> in the definition, which
     * only a definition can lose. What whole VFs stopped domains may name
     * changes whenever any domain (ours or not) starts, stops, or is
     * defined or undefined. */
    if (!what)
        return 0;
    if (event == VIR_DOMAIN_EVENT_DEFINED) {
        why = g_strdup_printf("event: %s", defined_detail(detail));
        keeper_queue(k, dom, why);
    }
    vf_why = g_strdup_printf("event: domain '%s' %s", virDomainGetName(dom), what);
    keeper_queue_vf(k, vf_why);
    if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_STOPPED)
        keeper_publish_due(k);
    return 0;
}

/* virsh metadata --config --set and virDomainSetMetadata raise this, not
 * DEFINED. */
static void
on_metadata(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri, void *opaque)
{
    if (type == VIR_DOMAIN_METADATA_ELEMENT && nsuri && strcmp(nsuri, VGPU_XML_NS) == 0) {
        keeper_queue(opaque, dom, "event: vGPU metadata changed");
        keeper_queue_vf(opaque, "event: vGPU metadata changed");
    }
}

static const char *
close_reason(int reason)
{
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR:     return "error";
    case VIR_CONNECT_CLOSE_REASON_EOF:       return "the daemon went away";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE: return "keepalive timeout";
    case VIR_CONNECT_CLOSE_REASON_CLIENT:    return "closed";
    }
    return "unknown reason";
}

static void
on_close(virConnectPtr conn, int reason, void *opaque)
{
    Keeper *k = opaque;

    vgpu_log_event(LOG_WARNING, &(VgpuLogEvent){ .code = "disconnected" }, "lost the connection to %s (%s); reconnecting", k->uri,
             close_reason(reason));
    /* The connection is released from the timer, not from its own
     * callback. */
    k->status.connected = FALSE;
    keeper_status_save(k);
    keeper_schedule_reconnect(k);
}

void
keeper_disconnect(Keeper *k)
{
    if (!k->conn)
        return;
    /* Errors are expected on a connection that is already dead. */
    if (k->lifecycle_cb >= 0)
        virConnectDomainEventDeregisterAny(k->conn, k->lifecycle_cb);
    if (k->metadata_cb >= 0)
        virConnectDomainEventDeregisterAny(k->conn, k->metadata_cb);
    virConnectUnregisterCloseCallback(k->conn, on_close);
    virConnectClose(k->conn);
    k->conn = NULL;
    k->lifecycle_cb = k->metadata_cb = -1;
    k->status.connected = FALSE;
}

int
keeper_connect(Keeper *k, GError **error)
{
    if (!(k->conn = virConnectOpen(k->uri))) {
        virt_error(error, "cannot connect to libvirt at %s", k->uri);
        return -1;
    }
    if (!k->once) {
        /* A daemon that hangs (rather than exits) is noticed too. */
        if (virConnectSetKeepAlive(k->conn, 5, 3) < 0 ||
            virConnectRegisterCloseCallback(k->conn, on_close, k, NULL) < 0 ||
            (k->lifecycle_cb = virConnectDomainEventRegisterAny(
                 k->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                 VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), k, NULL)) < 0 ||
            (k->metadata_cb = virConnectDomainEventRegisterAny(
                 k->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                 VIR_DOMAIN_EVENT_CALLBACK(on_metadata), k, NULL)) < 0) {
            virt_error(error, "registering for events on %s", k->uri);
            keeper_disconnect(k);
            return -1;
        }
    }
    k->status.connected = TRUE;
    keeper_status_save(k);
    return 0;
}

/* "250 ms", "2 s", "5 min": for the log line. */
static char *
duration(guint ms)
{
    if (ms && ms % 60000 == 0)
        return g_strdup_printf("%u min", ms / 60000);
    if (ms && ms % 1000 == 0)
        return g_strdup_printf("%u s", ms / 1000);
    return g_strdup_printf("%u ms", ms);
}

/* A failed attempt. The first failure of an outage is logged, then only a
 * different reason: a host with no daemon at all would otherwise fill the
 * journal with one line per attempt, for ever. */
static void
connect_failed(Keeper *k, const GError *error)
{
    k->failed_attempts++;
    k->backoff_ms = CLAMP(k->backoff_ms * 2, k->backoff_min_ms, k->backoff_max_ms);
    if (g_strcmp0(k->down_why, error->message) != 0) {
        g_autofree char *next = duration(k->backoff_ms), *most = duration(k->backoff_max_ms);

        vgpu_log_event(LOG_WARNING, &(VgpuLogEvent){ .code = "connect-failed" }, "%s; next attempt in %s, then less often, down to one every %s "
                 "(logged again only when this changes)", error->message, next, most);
        g_free(k->down_why);
        k->down_why = g_strdup(error->message);
    }
    if (k->trace_attempts)
        fprintf(stderr, "test: attempt %u failed, next in %u ms\n", k->failed_attempts, k->backoff_ms);
    keeper_schedule_reconnect(k);
}

static void
on_reconnect_timer(int timer, void *opaque)
{
    Keeper *k = opaque;
    g_autoptr(GError) error = NULL;

    virEventUpdateTimeout(k->reconnect_timer, -1);
    keeper_disconnect(k);
    if (keeper_connect(k, &error) < 0) {
        connect_failed(k, error);
        return;
    }
    if (k->failed_attempts)
        vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "connected" }, "connected to %s after %u failed attempt(s)", k->uri, k->failed_attempts);
    else
        vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "connected" }, "connected to %s", k->uri);
    k->backoff_ms = k->backoff_min_ms;
    k->failed_attempts = 0;
    g_clear_pointer(&k->down_why, g_free);
    keeper_full_pass(k, "full pass after connecting");
}

void
keeper_schedule_reconnect(Keeper *k)
{
    if (k->reconnect_timer < 0)
        k->reconnect_timer = virEventAddTimeout(-1, on_reconnect_timer, k, NULL);
    virEventUpdateTimeout(k->reconnect_timer, (int)k->backoff_ms);
}
