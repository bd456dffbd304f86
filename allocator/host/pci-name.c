/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pci-name.h"
#include "vgpu-log.h"

#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgpu-error.h"

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

static int pci_names_check_fd = -1;

/* The child's error handler: libpci's message to the parent, then out. */
static void G_GNUC_NORETURN
pci_names_check_fatal(char *msg, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, msg);
    vsnprintf(text, sizeof(text), msg, ap);
    va_end(ap);
    (void)!write(pci_names_check_fd, text, strlen(text));
    _exit(1);
}

int
pci_names_check(const char *ids_path, GError **error)
{
    char text[512];
    ssize_t n = 0, r;
    int fds[2], status = 0;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        vgpu_error_set_errno(error, errno, "checking the PCI ID database (pci_ids_path)");
        return -1;
    }
    if ((pid = fork()) < 0) {
        vgpu_error_set_errno(error, errno, "checking the PCI ID database (pci_ids_path)");
        close(fds[0]), close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        struct pci_access *pacc = pci_alloc();

        close(fds[0]);
        pci_names_check_fd = fds[1];
        pacc->error = pci_names_check_fatal;
        pacc->warning = pci_names_quiet;
        pacc->debug = pci_names_quiet;
        if (ids_path)
            pci_set_name_list_path(pacc, (char *)ids_path, 0);
        pci_load_name_list(pacc);
        _exit(0);
    }
    close(fds[1]);
    while (n < (ssize_t)sizeof(text) - 1 &&
           ((r = read(fds[0], text + n, sizeof(text) - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
        n += r > 0 ? r : 0;
    close(fds[0]);
    text[n] = '\0';
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "the PCI ID database cannot be read (pci_ids_path): %s",
                n ? g_strchomp(text) : "libpci failed");
    return -1;
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
pci_names_lookup(PciNames *names, const char *id)
{
    char buf[256];
    unsigned vendor, device;
    char end;

    if (!id || sscanf(id, "%4x:%4x%c", &vendor, &device, &end) != 2)
        return NULL;
    if (pci_lookup_name(names->pacc, buf, sizeof(buf), PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
                        vendor, device))
        return g_strdup(buf);
    return NULL;
}

char *
pci_names_device(PciNames *names, const char *id)
{
    unsigned vendor, device;
    char end, *name;

    if (!id || sscanf(id, "%4x:%4x%c", &vendor, &device, &end) != 2)
        return g_strdup(id ? id : "");
    if ((name = pci_names_lookup(names, id)))
        return name;
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

