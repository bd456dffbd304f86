/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What prepare begin's parts share: the call's state and how a device
 * is recorded. Private to hook-prepare*.c. */
#pragma once

#include "device-kind.h"
#include "hook.h"
#include "ledger.h"
#include "vf-choice.h"

/* A device this call made, for rollback. */
typedef struct {
    char *uuid;              /* the request's: its ledger key */
    char *id;                /* what the kind's unmake takes (device_kind_device_id) */
    const DeviceKind *kind;
} Made;

typedef struct {
    const VgpuConfig *cfg;
    const VgpuDomain *dom;
    Ledger *ledger;
    GPtrArray *ledgers;      /* Ledger*: every domain's, read once under the lock */
    GPtrArray *made;         /* Made* */
    gboolean fresh;          /* the host view was scanned under the lock */
    GArray *nodes;           /* NUMA nodes the domain runs on, or NULL */
    VfContext *ctx;          /* the rules and choice, with nodes and (once read) ledgers */
} Prepare;

/* Record device @uuid of @kind in the domain's ledger, and store it. */
int prepare_record(Prepare *p, const DeviceKind *kind, const char *uuid, const char *parent,
                   const char *type, LedgerState state, GError **error);
/* Remember a device made by this call, for rollback. */
void prepare_made(Prepare *p, const DeviceKind *kind, const char *uuid, const char *id);

/* Requests a whole VF serves (vf_choice_serves: gpu=, or a typed one the
 * placement rules send to a VF GPU) but no <hostdev type='pci'> is tied
 * to: -1 with the one sentence showing the element to add, a free fitting
 * VF filled in (vf_choice_advise, which vgpuctl check shares). 0 when
 * there is none, with @host untouched. */
int prepare_vf_advice(Prepare *p, Host *host, GError **error);

/* A whole-VF request (req->vf set): give the VF its hostdev names the
 * request's type, under the host lock. */
int prepare_vf(Prepare *p, Host *host, const VgpuRequest *req, GError **error);
