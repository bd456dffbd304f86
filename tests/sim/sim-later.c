/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-later.c: what a driver does by itself after a delay (an mdev that
 * appears late, an mdev the driver removes once the VM let go). One thread
 * per pending action; it waits on the host's condition, so it takes the
 * lock only to run, and ends early when the mount goes away.
 */
#include "sim-model.h"

#define SIM_LATER_POLL_MS 100

typedef struct {
    SimHost *host;
    gint64 due;
    SimLaterFn fn;
    SimLaterArgs args;
} SimLater;

static bool
sim_later_cancelled(SimHost *host)
{
    return host->freeing || (host->stopping && host->stopping());
}

static gpointer
sim_later_run(gpointer data)
{
    SimLater *l = data;
    SimHost *host = l->host;

    g_mutex_lock(&host->lock);
    for (;;) {
        gint64 now = g_get_monotonic_time();

        if (sim_later_cancelled(host) || now >= l->due)
            break;
        g_cond_wait_until(&host->changed, &host->lock,
                          MIN(l->due, now + SIM_LATER_POLL_MS * G_TIME_SPAN_MILLISECOND));
    }
    if (!sim_later_cancelled(host))
        l->fn(host, &l->args);
    g_mutex_unlock(&host->lock);
    g_free(l);
    return NULL;
}

void
sim_later(SimHost *host, unsigned delay_ms, SimLaterFn fn, const SimLaterArgs *args)
{
    SimLater *l = g_new0(SimLater, 1);

    l->host = host;
    l->due = g_get_monotonic_time() + (gint64)delay_ms * G_TIME_SPAN_MILLISECOND;
    l->fn = fn;
    l->args = *args;
    g_ptr_array_add(host->later, g_thread_new("sim-later", sim_later_run, l));
}

void
sim_later_join(SimHost *host)
{
    g_mutex_lock(&host->lock);
    host->freeing = true;
    g_cond_broadcast(&host->changed);
    g_mutex_unlock(&host->lock);
    for (guint i = 0; i < host->later->len; i++)
        g_thread_join(g_ptr_array_index(host->later, i));
    g_ptr_array_set_size(host->later, 0);
}
