/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpu-hook: the program libvirt runs as
 *   /etc/libvirt/hooks/qemu.d/vgpu-hook NAME OP SUBOP EXTRA   (domain XML on stdin)
 *
 * libvirt runs every qemu hook for every domain on every start and stop, so
 * this front is libc-only: loading glib, libxml2 and libuuid alone costs
 * about twice a process start. It decides from the raw bytes whether the
 * domain carries our namespace at all, and only then dlopen()s the core,
 * which parses the document properly. A domain that merely mentions the
 * namespace somewhere else (a comment) is parsed and found empty there.
 * Release and reconnect also load it when the domain has a ledger, whatever
 * the XML says (front-ledger.c).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "front-ledger.h"
#include "front-watch.h"
#include "hook-exit.h"

#define VGPU_NS "urn:vgpu-hook:1"
#define CORE_NAME "vgpu-hook-core.so"
/* The core refuses documents over its own limit (4 MiB); reading stops
 * here so a runaway writer cannot make us allocate without bound. */
#define READ_CAP (64u * 1024 * 1024)

enum op_kind { OP_IGNORE, OP_CORE, OP_UNKNOWN };

static enum op_kind
classify(const char *op, const char *subop)
{
    static const char *const core_ops[][2] = {
        { "prepare", "begin" }, { "release", "end" }, { "reconnect", "begin" },
        /* stdout replaces the domain XML: printed only when a whole VF
         * must be re-pointed (hook-migrate.c), else nothing. */
        { "migrate", "begin" }, { "restore", "begin" },
    };
    /* Calls we know and deliberately do nothing for: the device is made in
     * prepare and removed in release. */
    static const char *const quiet_ops[][2] = {
        { "start", "begin" }, { "started", "begin" }, { "stopped", "end" },
        { "attach", "begin" },
    };
    size_t i;

    for (i = 0; i < sizeof(core_ops) / sizeof(core_ops[0]); i++) {
        if (strcmp(op, core_ops[i][0]) == 0 && strcmp(subop, core_ops[i][1]) == 0)
            return OP_CORE;
    }
    for (i = 0; i < sizeof(quiet_ops) / sizeof(quiet_ops[0]); i++) {
        if (strcmp(op, quiet_ops[i][0]) == 0 && strcmp(subop, quiet_ops[i][1]) == 0)
            return OP_IGNORE;
    }
    return OP_UNKNOWN;
}

static char *
read_stdin(size_t *len)
{
    size_t cap = 16384, n = 0;
    char *buf = malloc(cap);

    if (!buf)
        return NULL;
    for (;;) {
        ssize_t r;

        if (n == cap) {
            char *grown;

            if (cap >= READ_CAP)
                break;
            cap *= 2;
            if (!(grown = realloc(buf, cap))) {
                free(buf);
                return NULL;
            }
            buf = grown;
        }
        r = read(STDIN_FILENO, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

/* Our namespace anywhere in the document. Release and reconnect act on
 * the ledger, not on the XML: the live metadata can be removed while the
 * domain runs (virsh metadata --live --remove) and its hostdev unplugged,
 * and what the ledger records must still go back. */
static int
needs_core(const char *op, const char *xml, size_t len)
{
    if (memmem(xml, len, VGPU_NS, strlen(VGPU_NS)))
        return 1;
    return (strcmp(op, "release") == 0 || strcmp(op, "reconnect") == 0) &&
           front_ledger_maybe(xml, len);
}

static void *
load_core(void)
{
    char self[PATH_MAX], path[PATH_MAX + sizeof(CORE_NAME)];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    void *handle;

    /* Beside the real binary (qemu.d/ holds a symlink to it), else the
     * configured install directory (qemu.d/ holds a copy). */
    if (n > 0) {
        char *slash;

        self[n] = '\0';
        if ((slash = strrchr(self, '/'))) {
            slash[1] = '\0';
            snprintf(path, sizeof(path), "%s%s", self, CORE_NAME);
            if ((handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
                return handle;
        }
    }
    snprintf(path, sizeof(path), "%s/%s", VGPU_LIBEXECDIR, CORE_NAME);
    return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

int
main(int argc, char **argv)
{
    enum op_kind kind;
    int fail_code;
    size_t len = 0;
    char *xml;
    void *core;
    front_core_fn core_main;

    if (argc < 4) {
        fprintf(stderr, "usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA]  "
                        "(run by libvirt with the domain XML on stdin)\n", argv[0]);
        return 2;
    }
    kind = classify(argv[2], argv[3]);
    if (kind == OP_IGNORE)
        return 0;
    if (kind == OP_UNKNOWN) {
        openlog("vgpu-hook", LOG_PID, LOG_DAEMON);
        syslog(LOG_INFO, "domain '%s': ignoring unknown hook call '%s %s'", argv[1], argv[2], argv[3]);
        return 0;
    }

    fail_code = hook_exit_code_on_failure(argv[2]);
    if (!(xml = read_stdin(&len))) {
        fprintf(stderr, "vgpu-hook: domain '%s': out of memory reading the domain XML\n", argv[1]);
        return fail_code;
    }
    if (!needs_core(argv[2], xml, len)) {
        free(xml);
        return 0;
    }

    if (!(core = load_core())) {
        fprintf(stderr, "vgpu-hook: domain '%s' asks for a vGPU but %s cannot be loaded: %s\n",
                argv[1], CORE_NAME, dlerror());
        free(xml);
        return fail_code;
    }
    *(void **)&core_main = dlsym(core, "vgpu_hook_core_main");
    if (!core_main) {
        fprintf(stderr, "vgpu-hook: %s has no entry point: %s\n", CORE_NAME, dlerror());
        free(xml);
        return fail_code;
    }
    int rc = front_watch_run(core_main, argc, argv, xml, len, fail_code);
    free(xml);
    /* Deliberately no dlclose: the process ends here. */
    return rc;
}
