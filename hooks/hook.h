/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hook core: one function per hook call libvirt makes. prepare and
 * release return 0, or -1 with @error set to the one sentence libvirt
 * shows the user; hook-main.c turns that into the exit code
 * (hook-exit.h). reconnect only reports. */
#pragma once

#include <glib.h>
#include "domain-xml.h"
#include "placement.h"
#include "vgpu-config.h"

int hook_prepare(const VgpuConfig *cfg, const VgpuDomain *dom, GError **error);
/* @reason: the shutoff reason libvirt >= 10.5 passes (shutdown,
 * destroyed, crashed, migrated, saved...), NULL when it passed "-". */
int hook_release(const VgpuConfig *cfg, const char *domain_name, const char *reason,
                 const VgpuDomain *dom, GError **error);
void hook_reconnect(const VgpuConfig *cfg, const VgpuDomain *dom);
/* migrate begin (@incoming) / restore begin: *out is the XML to print, or
 * NULL to print nothing (libvirt keeps the XML it has). */
int hook_migrate(const VgpuConfig *cfg, const VgpuDomain *dom, gboolean incoming,
                 const char *xml, size_t len, char **out, GError **error);
/* migrate begin: can each mdev request get its type here now
 * (hook-migrate-type.c)? Reads availability, makes nothing. */
int hook_migrate_type_check(const VgpuConfig *cfg, const VgpuDomain *dom, const Host *host,
                            const PlacementRules *rules, GError **error);

/* Entry point the libc-only front dlopen()s and runs in a child it
 * watches (front-watch.h): @gave_up is where the last-resort timer says it
 * gave up, or -1. */
int vgpu_hook_core_main(int argc, char **argv, const char *xml, size_t len, int gave_up)
    __attribute__((visibility("default")));

/* Test-only crash points: a test build (make TESTHOOKS=1) stops the process
 * with SIGKILL when VGPU_TEST_STOP_AT names the step, so crash recovery can
 * be tested at every step. Compiled out of production builds entirely. */
#ifdef VGPU_TEST_HOOKS
void hook_test_point(const char *step);
# define HOOK_TEST_POINT(step) hook_test_point(step)
#else
# define HOOK_TEST_POINT(step) do { } while (0)
#endif
