/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-faults.h: injected failures and latency, set by the scenario's
 * [faults] group and changed at run time through vgpu-sim/control.
 */
#pragma once

#include <glib.h>

typedef struct {
    int create_errno;            /* errno of an injected create failure */
    unsigned create_fail_every;  /* every Nth create fails (0: off) */
    unsigned create_fail_at;     /* the Kth create fails (0: off) */
    unsigned creates;            /* creates that reached the driver */
    unsigned remove_ebusy;       /* this many removes fail with EBUSY */
    unsigned clear_ignored;      /* this many "0 > current_vgpu_type" succeed
                                    but leave the type (the VF was not ready) */
    unsigned set_ignored;        /* this many type writes succeed but leave
                                    the VF without a type (for the read-back) */
    unsigned latency_ms;         /* added to every create and remove */
    unsigned read_latency_ms;    /* added to each attribute read at offset 0 */
    unsigned create_appear_ms;   /* a create succeeds, its device shows this late */
} SimFaults;

void sim_faults_init(SimFaults *faults);

/* Sets KEY to VALUE; false (and a message) when either is not understood. */
gboolean sim_faults_set(SimFaults *faults, const char *key, const char *value, GError **error);

/* Counts one create reaching the driver: 0, or the errno to fail it with. */
int sim_faults_on_create(SimFaults *faults);

/* 0, or EBUSY while remove_ebusy lasts. */
int sim_faults_on_remove(SimFaults *faults);

char *sim_faults_format(const SimFaults *faults);

/* "EIO" -> EIO, "5" -> 5; -1 when unknown. */
int sim_errno_from_name(const char *name);
const char *sim_errno_name(int err);
