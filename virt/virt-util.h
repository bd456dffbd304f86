/* The libvirt helpers vgpuctl and vgpu-keeper share: a GError from
 * libvirt's last error, and the persistent definition as our string. */
#pragma once

#include <glib.h>
#include <stdarg.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/* Set @error to "@fmt: <libvirt's last error>". */
void virt_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void virt_verror(GError **error, const char *fmt, va_list ap) G_GNUC_PRINTF(2, 0);

/* The persistent definition, with secrets (so that writing it back loses
 * nothing): VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE. g_free() it. */
char *virt_inactive_xml(virDomainPtr dom, GError **error);

/* Test builds (TESTHOOKS=1) stop the process with SIGKILL at the step
 * VGPU_TEST_STOP_AT names, with SIGSTOP (once, until SIGCONT) at the one
 * VGPU_TEST_PAUSE_AT names. Nothing in a production build. */
#ifdef VGPU_TEST_HOOKS
void virt_test_point(const char *step);
#else
# define virt_test_point(step) do { } while (0)
#endif
