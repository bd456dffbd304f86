#include "pci-name.h"
#include "vgpu-log.h"

#include <pci/pci.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct PciNames {
    struct pci_access *pacc;
};

/* libpci's default handlers print, and its error handler exits: neither
 * may happen inside the hook. A missing database gives "Device XXXX". */
static void
pci_names_quiet(char *msg, ...)
{
    (void)msg;
}

/* libpci calls this for a database it cannot parse (at the first name
 * looked up), and it must not return. Left unset it is NULL, since only
 * pci_init() fills it in: a jump to address 0. One line saying which
 * setting to fix, then the exit libpci's own handler makes; a prepare cut
 * short here is undone by the release libvirt runs next, as after any
 * crash. */
static void G_GNUC_NORETURN
pci_names_fatal(char *msg, ...)
{
    g_autofree char *text = NULL;
    const char *prog = g_get_prgname() ? g_get_prgname() : "vgpu-hook";
    va_list ap;

    va_start(ap, msg);
    text = g_strchomp(g_strdup_vprintf(msg, ap));
    va_end(ap);
    vgpu_log(LOG_ERR, "the PCI ID database cannot be read (pci_ids_path): %s", text);
    fprintf(stderr, "%s: the PCI ID database cannot be read (pci_ids_path): %s\n", prog, text);
    exit(1);
}

PciNames *
pci_names_new(const char *ids_path)
{
    PciNames *names = g_new0(PciNames, 1);

    names->pacc = pci_alloc();
    names->pacc->error = pci_names_fatal;
    names->pacc->warning = pci_names_quiet;
    names->pacc->debug = pci_names_quiet;
    if (ids_path) {
        pci_set_name_list_path(names->pacc, (char *)ids_path, 0);
        pci_set_param(names->pacc, (char *)"hwdb.disable", (char *)"1");
    }
    return names;
}

void
pci_names_free(PciNames *names)
{
    if (!names)
        return;
    pci_cleanup(names->pacc);
    g_free(names);
}

char *
pci_names_device(PciNames *names, const char *id)
{
    char buf[256];
    unsigned vendor, device;
    char end;

    if (!id || sscanf(id, "%4x:%4x%c", &vendor, &device, &end) != 2)
        return g_strdup(id ? id : "");
    if (pci_lookup_name(names->pacc, buf, sizeof(buf), PCI_LOOKUP_DEVICE, vendor, device))
        return g_strdup(buf);
    return g_strdup_printf("Device %04x", device);
}

/* Lowercase words separated by single spaces, with a space at each end. */
static char *
pci_names_words(const char *s)
{
    GString *out = g_string_new(" ");

    for (; *s; s++) {
        if (g_ascii_isalnum(*s))
            g_string_append_c(out, g_ascii_tolower(*s));
        else if (out->str[out->len - 1] != ' ')
            g_string_append_c(out, ' ');
    }
    if (out->str[out->len - 1] != ' ')
        g_string_append_c(out, ' ');
    return g_string_free(out, FALSE);
}

gboolean
pci_names_match(PciNames *names, const char *pf_id, const char *vf_id, const char *want)
{
    g_autofree char *name = NULL, *hay = NULL, *needle = NULL;

    if (!want || !*want)
        return FALSE;
    if ((pf_id && g_ascii_strcasecmp(pf_id, want) == 0) ||
        (vf_id && g_ascii_strcasecmp(vf_id, want) == 0))
        return TRUE;
    name = pci_names_device(names, pf_id);
    hay = pci_names_words(name);
    needle = pci_names_words(want);
    return strlen(needle) > 2 && strstr(hay, needle) != NULL;
}
