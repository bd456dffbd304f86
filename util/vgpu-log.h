/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decisions go to the journal, written to it explicitly (GLib's journald
 * writer: under libvirtd stderr is not the journal), with fields of our own
 * so that `journalctl VGPU_UUID=…` finds a device's whole life; where there
 * is no journal (no /run/systemd/journal/socket), to syslog (ident
 * "vgpu-hook"). vgpu-hook(8) lists the fields. vgpuctl and tests may also
 * mirror lines to stderr. The hook's stderr is reserved for the one-line
 * error libvirt shows the user, so the hook never mirrors. A test build
 * (make TESTHOOKS=1) also appends each line to $VGPU_TEST_LOG when set. */
#pragma once

#include <glib.h>
#include <syslog.h>

/* What one line is about, as journal fields; NULL members are left out.
 * Domain and domain UUID fall back to vgpu_log_domain's. */
typedef struct {
    const char *code;         /* VGPU_CODE: created, removed, refused, ... */
    const char *domain;       /* VGPU_DOMAIN */
    const char *domain_uuid;  /* VGPU_DOMAIN_UUID */
    const char *uuid;         /* VGPU_UUID: the vGPU's (the request's for a whole VF) */
    const char *type;         /* VGPU_TYPE: its type id (nvidia-558) */
    const char *parent;       /* VGPU_PARENT: the device an mdev is made on */
    const char *vf;           /* VGPU_VF: a whole VF given to the domain */
    /* more VGPU_UUID values, NULL-terminated (one line about many devices) */
    const char *const *uuids;
} VgpuLogEvent;

void vgpu_log_open(const char *ident, gboolean mirror_stderr);
/* The domain and hook call ("prepare begin") every later line is about
 * (the hook: one per process). NULL clears. */
void vgpu_log_domain(const char *name, const char *uuid, const char *hook_call);
void vgpu_log(int priority, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void vgpu_log_event(int priority, const VgpuLogEvent *ev, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
