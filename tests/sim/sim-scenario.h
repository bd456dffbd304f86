/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-scenario.h: builds a simulated host from a scenario INI file
 * (format: tests/sim/README.md).
 */
#pragma once

#include "sim-model.h"

/* The host with its sysfs tree and pre-existing mdevs, or NULL + error. */
SimHost *sim_scenario_load(const char *file, GError **error);
