/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpu-keeper: keeps every persistent domain with vGPU metadata ready to
 * start, so that writing only the metadata (virsh define, virsh metadata
 * --set, virt-manager's XML editor) needs no second command, and keeps the
 * whole VFs stopped domains name free to take them (virt/vf-keep.h).
 *
 * One thread, libvirt's default event loop (virEventRegisterDefaultImpl,
 * virEventRunDefaultImpl): libvirt's own events, keepalive and close
 * callback need it, and its timers and fd watches are all the keeper needs
 * besides (signals arrive on a signalfd watched by the same loop). Events
 * only queue domains; a zero-delay timer then syncs the queue, so that a
 * burst of events for one domain costs one read, and no libvirt call is
 * made from inside libvirt's dispatch of an event. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "keeper-status.h"
#include "vgpu-config.h"

#define KEEPER_PROGRAM "vgpu-keeper"
/* Reconnection: from 0.25 s, doubling, to 5 min. A host with the keeper
 * enabled and no daemon at all (none installed) then costs one attempt per
 * 5 min, and a failure is logged once, not per attempt. */
#define KEEPER_BACKOFF_MIN_MS 250
#define KEEPER_BACKOFF_MAX_MS (5 * 60 * 1000)
#define KEEPER_RECHECK_S 60     /* whole-VF check without an event (a type set by hand) */

typedef struct {
    const char *uri;
    const char *state_dir;
    const char *sysfs_root;     /* scanned at each sync: whole-VF requests get no mdev hostdev */
    const VgpuConfig *cfg;
    gboolean once;
    gboolean dry_run;
    guint recheck_s;            /* 0: no periodic whole-VF check */

    virConnectPtr conn;         /* NULL while disconnected */
    int lifecycle_cb;           /* event callback ids, -1 when none */
    int metadata_cb;
    int work_timer;             /* fires when @pending is not empty */
    int reconnect_timer;
    int recheck_timer;
    guint backoff_ms;           /* the next reconnection's delay */
    guint backoff_min_ms;       /* KEEPER_BACKOFF_*; a test build may set them */
    guint backoff_max_ms;
    guint failed_attempts;      /* since the last connection */
    char *down_why;             /* the failure logged since then; NULL: none */
    gboolean trace_attempts;    /* test build: each failed attempt on stderr */

    GHashTable *pending;        /* domain uuid -> why it is queued */
    char *vf_due;               /* why a whole-VF pass is due (the events); NULL: none */
    guint vf_due_events;        /* how many events vf_due stands for */
    gboolean vf_host;           /* the last whole read of the host found whole VFs */
    GHashTable *stuck;          /* lines last logged about requests no VF can take */
    KeeperStatus status;
    guint failures;             /* domains a pass could not sync */
    gboolean quit;
    const char *vgpuctl;        /* runs "cluster publish" where Pacemaker is installed */
    gboolean publish_due;       /* a domain started or stopped since the last publish */
} Keeper;

/* keeper-conn.c: connect, register for events, reconnect with backoff,
 * and a full pass after every (re)connection. */
int keeper_connect(Keeper *k, GError **error);
void keeper_disconnect(Keeper *k);
void keeper_schedule_reconnect(Keeper *k);

/* keeper-work.c: what the keeper does to domains. */
void keeper_queue(Keeper *k, virDomainPtr dom, const char *why);
/* Some domain started, stopped, was defined or undefined: the whole-VF
 * invariant is checked once the queue runs. */
void keeper_queue_vf(Keeper *k, const char *why);
/* The whole-VF invariant over every domain (virt/vf-keep.c). */
void keeper_vf_pass(Keeper *k, const char *why);
void keeper_run_queue(Keeper *k);
/* Every persistent domain. -1 when libvirt could not list them. */
int keeper_full_pass(Keeper *k, const char *why);
void keeper_status_save(Keeper *k);

/* keeper-publish.c: Pacemaker's node utilization follows starts and stops. */
void keeper_publish_due(Keeper *k);
/* Runs the queued publish, if any, and only where crm_node is installed. */
void keeper_publish(Keeper *k);
