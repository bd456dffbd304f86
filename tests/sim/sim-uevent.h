/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-uevent.h: each simulated device's uevent file.
 */
#pragma once

#include "sim-model.h"

/* DIR/uevent for the device at DIR; OWNER names the mdev for an mdev. */
void sim_uevent_add(SimHost *host, const char *dir, const SimAttrOwner *owner);

char *sim_uevent_show(SimHost *host, SimNode *node);
