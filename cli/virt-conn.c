/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt connection and the few domain queries vgpuctl needs. */
#include "virt-conn.h"
#include "virt-util.h"
#include "vgpu-error.h"

#include <stdlib.h>

const char *
cli_virt_uri(const CliOptions *opts)
{
    return virt_uri(opts->uri);
}

virConnectPtr
cli_virt_open(const CliOptions *opts, GError **error)
{
    const char *uri = cli_virt_uri(opts);
    virConnectPtr conn = virConnectOpen(uri);

    if (!conn)
        virt_error(error, "cannot connect to libvirt at %s", uri);
    return conn;
}

virDomainPtr
cli_virt_domain(virConnectPtr conn, const char *name, GError **error)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    char *end = NULL;
    long id;

    if (dom)
        return dom;
    if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN) {
        virt_error(error, "looking up domain '%s'", name);
        return NULL;
    }
    if ((dom = virDomainLookupByUUIDString(conn, name)))
        return dom;
    id = strtol(name, &end, 10);
    if (*name && !*end && id >= 0 && id <= G_MAXINT && (dom = virDomainLookupByID(conn, (int)id)))
        return dom;
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND,
                "no domain '%s' (looked up by name, UUID and id)", name);
    return NULL;
}

char *
cli_virt_inactive_xml(virDomainPtr dom, GError **error)
{
    return virt_inactive_xml(dom, error);
}

const char *
cli_domain_state_name(CliDomainState state)
{
    switch (state) {
    case CLI_DOMAIN_RUNNING:   return "running";
    case CLI_DOMAIN_SHUTOFF:   return "shut off";
    case CLI_DOMAIN_UNDEFINED: return "undefined";
    case CLI_DOMAIN_UNKNOWN:   break;
    }
    return "unknown";
}

/* One query, shared by the caller and its thread; the last to let go
 * frees it, so a caller that stops waiting leaves nothing dangling. */
typedef struct {
    gint refs;
    virConnectPtr conn;
    char *uuid;
    GMutex lock;
    GCond cond;
    gboolean done;
    CliDomainState state;
    char *name;
} StateQuery;

static void
state_query_unref(StateQuery *q)
{
    if (!g_atomic_int_dec_and_test(&q->refs))
        return;
    virConnectClose(q->conn);
    g_free(q->uuid);
    g_free(q->name);
    g_mutex_clear(&q->lock);
    g_cond_clear(&q->cond);
    g_free(q);
}

static gpointer
state_query_run(gpointer data)
{
    StateQuery *q = data;
    virDomainPtr dom = virDomainLookupByUUIDString(q->conn, q->uuid);
    CliDomainState state = CLI_DOMAIN_UNKNOWN;
    char *name = NULL;

    if (!dom) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
            state = CLI_DOMAIN_UNDEFINED;
    } else {
        int active = virDomainIsActive(dom);

        state = active > 0 ? CLI_DOMAIN_RUNNING : active == 0 ? CLI_DOMAIN_SHUTOFF
                                                               : CLI_DOMAIN_UNKNOWN;
        name = g_strdup(virDomainGetName(dom));
        virDomainFree(dom);
    }
    g_mutex_lock(&q->lock);
    q->state = state;
    q->name = name;
    q->done = TRUE;
    g_cond_signal(&q->cond);
    g_mutex_unlock(&q->lock);
    state_query_unref(q);
    return NULL;
}

CliDomainState
cli_virt_domain_state(virConnectPtr conn, const char *uuid, guint timeout_ms, char **name)
{
    StateQuery *q = g_new0(StateQuery, 1);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
    CliDomainState state;
    gboolean done;
    GThread *thread;

    q->refs = 2;
    q->conn = conn;
    virConnectRef(conn);
    q->uuid = g_strdup(uuid);
    g_mutex_init(&q->lock);
    g_cond_init(&q->cond);
    thread = g_thread_new("vgpuctl-query", state_query_run, q);
    g_mutex_lock(&q->lock);
    while (!q->done) {
        if (!g_cond_wait_until(&q->cond, &q->lock, deadline))
            break;
    }
    done = q->done;
    state = done ? q->state : CLI_DOMAIN_UNKNOWN;
    if (name)
        *name = done ? g_strdup(q->name) : NULL;
    g_mutex_unlock(&q->lock);
    if (done)
        g_thread_join(thread);
    else
        g_thread_unref(thread);   /* still waiting for libvirt: let it finish alone */
    state_query_unref(q);
    return state;
}
