/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt helpers shared by vgpuctl and vgpu-keeper. */
#include "virt-util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(virt-error-quark, virt_error)

static void
quiet_error_handler(void *data, virErrorPtr err)
{
}

void
virt_quiet_errors(void)
{
    virSetErrorFunc(NULL, quiet_error_handler);
}

const char *
virt_uri(const char *given)
{
    const char *env = g_getenv("LIBVIRT_DEFAULT_URI");

    if (given && *given)
        return given;
    if (env && *env)
        return env;
    return "qemu:///system";
}

void
virt_verror(GError **error, const char *fmt, va_list ap)
{
    /* Neither reads reset the last error; nothing else comes first. */
    int code = virGetLastErrorCode();
    const char *why = virGetLastErrorMessage();
    g_autofree char *what = g_strdup_vprintf(fmt, ap);

    g_set_error(error, VIRT_ERROR, code, "%s: %s", what,
                why && *why ? why : "unknown libvirt error");
}

void
virt_error(GError **error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    virt_verror(error, fmt, ap);
    va_end(ap);
}

gboolean
virt_error_is_gone(const GError *error)
{
    return g_error_matches(error, VIRT_ERROR, VIR_ERR_NO_DOMAIN);
}

char *
virt_domain_xml(virDomainPtr dom, unsigned int flags, const char *what, GError **error)
{
    char *raw = virDomainGetXMLDesc(dom, flags);
    char *xml;

    if (!raw) {
        virt_error(error, "%s", what);
        return NULL;
    }
    /* libvirt's memory is free()d, ours g_free()d: keep them apart. */
    xml = g_strdup(raw);
    free(raw);
    return xml;
}

char *
virt_inactive_xml(virDomainPtr dom, GError **error)
{
    /* Named before the read: virDomainGetName() after a failure would
     * reset libvirt's error, and the message with it. */
    g_autofree char *what = g_strdup_printf("reading the definition of domain '%s'",
                                            virDomainGetName(dom));

    return virt_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, what, error);
}

#ifdef VGPU_TEST_HOOKS
void
virt_test_point(const char *step)
{
    const char *kill_at = getenv("VGPU_TEST_STOP_AT");
    const char *pause_at = getenv("VGPU_TEST_PAUSE_AT");

    if (kill_at && strcmp(kill_at, step) == 0)
        raise(SIGKILL);
    if (pause_at && strcmp(pause_at, step) == 0) {
        g_unsetenv("VGPU_TEST_PAUSE_AT");
        raise(SIGSTOP);
    }
}

unsigned int
virt_test_fault_flag(const char *step)
{
    const char *fail_at = getenv("VGPU_TEST_FAIL_AT");

    if (!fail_at || strcmp(fail_at, step) != 0)
        return 0;
    /* Once, as a passing failure would: what follows is the retry. */
    g_unsetenv("VGPU_TEST_FAIL_AT");
    return 1u << 30;   /* a flag bit no libvirt API defines */
}
#endif
