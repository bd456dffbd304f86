/* libvirt helpers shared by vgpuctl and vgpu-keeper. */
#include "virt-util.h"
#include "vgpu-error.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

void
virt_verror(GError **error, const char *fmt, va_list ap)
{
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    const char *why = virGetLastErrorMessage();

    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s: %s", what,
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

char *
virt_inactive_xml(virDomainPtr dom, GError **error)
{
    char *raw = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    char *xml;

    if (!raw) {
        virt_error(error, "reading the definition of domain '%s'", virDomainGetName(dom));
        return NULL;
    }
    /* libvirt's memory is free()d, ours g_free()d: keep them apart. */
    xml = g_strdup(raw);
    free(raw);
    return xml;
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
#endif
