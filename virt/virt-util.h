/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt helpers vgpuctl and vgpu-keeper share: a GError from
 * libvirt's last error, and the persistent definition as our string. */
#pragma once

#include <glib.h>
#include <stdarg.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/* Silence libvirt's default error printer: vgpuctl and vgpu-keeper report
 * errors themselves, one line each (virt_error). Call once, first. */
void virt_quiet_errors(void);
/* The libvirt URI to connect to: @given (-c/--connect), else
 * LIBVIRT_DEFAULT_URI, else qemu:///system, like virsh. */
const char *virt_uri(const char *given);

/* A libvirt failure: the code is libvirt's virErrorNumber, so that a
 * caller can tell a domain undefined meanwhile (VIR_ERR_NO_DOMAIN) from a
 * real failure. */
#define VIRT_ERROR virt_error_quark()
GQuark virt_error_quark(void);

/* Set @error (VIRT_ERROR) to "@fmt: <libvirt's last error>". libvirt
 * resets its last error at the start of every public call (even
 * virDomainGetName): call this right after the call that failed, with no
 * virXxx() call in between, nor in its arguments. */
void virt_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void virt_verror(GError **error, const char *fmt, va_list ap) G_GNUC_PRINTF(2, 0);
/* Was @error libvirt saying the domain does not exist (undefined meanwhile)? */
gboolean virt_error_is_gone(const GError *error);

/* The persistent definition, with secrets (so that writing it back loses
 * nothing): VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE. g_free() it. */
char *virt_inactive_xml(virDomainPtr dom, GError **error);
/* virDomainGetXMLDesc(@flags) as our string; @error says "@what: why". */
char *virt_domain_xml(virDomainPtr dom, unsigned int flags, const char *what, GError **error);

/* Test builds (TESTHOOKS=1) stop the process with SIGKILL at the step
 * VGPU_TEST_STOP_AT names, with SIGSTOP (once, until SIGCONT) at the one
 * VGPU_TEST_PAUSE_AT names. Nothing in a production build. */
#ifdef VGPU_TEST_HOOKS
void virt_test_point(const char *step);
#else
# define virt_test_point(step) do { } while (0)
#endif

/* Test builds: the first time VGPU_TEST_FAIL_AT names @step, a flag no
 * libvirt call accepts, for the call made at that step: libvirt itself
 * fails it, with its own error. 0 otherwise, and always in a production
 * build. */
#ifdef VGPU_TEST_HOOKS
unsigned int virt_test_fault_flag(const char *step);
#else
# define virt_test_fault_flag(step) 0u
#endif
