/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hook.h"
#include "hook-exit.h"
#include "vgpu-error.h"
#include "vgpu-log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* libvirt waits for a hook without any timeout. Our own waits are bounded
 * one by one; this bounds what they cannot: CPU burnt on a pathological
 * document (libxml2 checks duplicate attributes in quadratic time). A
 * normal call uses milliseconds. */
#define HOOK_CPU_LIMIT_S 20

/* What the limit handlers exit with (hook-exit.h). */
static volatile sig_atomic_t limit_exit_code = 1;

#ifdef VGPU_TEST_HOOKS
void
hook_test_point(const char *step)
{
    const char *want = getenv("VGPU_TEST_STOP_AT");

    if (want && strcmp(want, step) == 0)
        raise(SIGKILL);
}
#endif

static void
on_cpu_limit(int sig)
{
    static const char msg[] = "vgpu-hook: gave up after " G_STRINGIFY(HOOK_CPU_LIMIT_S)
                              " s of CPU time (is the domain XML pathological?)\n";

    (void)sig;
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    _exit(limit_exit_code);
}

/* Where the front hears that we gave up (front-watch.h); -1 if nobody does. */
static int gave_up_fd = -1;

/* A thread of its own, not a signal handler: a handler cannot run while
 * the hook waits for a read the driver does not answer, and no thread can
 * end the process then (the kernel waits the read out, SIGKILL included).
 * So it tells the front, which ends the call for libvirt; this process
 * goes once the driver answers. Nothing here may take a lock the waiting
 * thread could hold: no syslog, no malloc. */
static void
on_hook_timeout(union sigval v)
{
    static const char msg[] = "vgpu-hook: gave up: the call took longer than hook_timeout_ms "
                              "(a driver not answering?)\n";

    (void)v;
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    if (gave_up_fd >= 0)
        (void)!write(gave_up_fd, "t", 1);
    _exit(limit_exit_code);
}

/* The last resort over every wait that has no bound of its own (a sysfs
 * read the driver never answers). Being stopped part-way is safe: the
 * ledger is written before each create, which is what the crash tests
 * prove. */
static void
bound_wall_time(guint timeout_ms)
{
    struct sigevent ev = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_hook_timeout };
    struct itimerspec its = { .it_value = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 } };
    timer_t timer;

    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) == 0)
        timer_settime(timer, 0, &its, NULL);
}

static void
bound_cpu_time(void)
{
    struct rlimit rl = { HOOK_CPU_LIMIT_S, HOOK_CPU_LIMIT_S + 5 };
    struct sigaction sa = { .sa_handler = on_cpu_limit };

    sigaction(SIGXCPU, &sa, NULL);
    setrlimit(RLIMIT_CPU, &rl);
}

/* The shutoff reason is a word from libvirt's list; anything else is not
 * copied into the log as is. NULL for "-" (libvirt < 10.5). */
static const char *
release_reason(int argc, char **argv)
{
    const char *r = argc > 4 ? argv[4] : "-";

    if (strcmp(r, "-") == 0 || !*r)
        return NULL;
    if (strlen(r) > 32 || strspn(r, "abcdefghijklmnopqrstuvwxyz-_") != strlen(r))
        return "(unrecognised)";
    return r;
}

/* stderr is what `virsh start` prints after "unexpected exit status 1:", so
 * it gets exactly one line. */
static int
fail(const char *op, GError *error)
{
    vgpu_log_event(LOG_ERR, &(VgpuLogEvent){ .code = strcmp(op, "prepare") == 0 ? "refused"
                                                                            : "failed" },
                   "%s", error->message);
    if (hook_exit_code_on_failure(op) == 0)
        return 0;
    fprintf(stderr, "vgpu-hook: %s\n", error->message);
    return 1;
}

int
vgpu_hook_core_main(int argc, char **argv, const char *xml, size_t len, int gave_up)
{
    const char *name = argv[1], *op = argv[2], *subop = argv[3];
    g_autoptr(GError) error = NULL;
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(VgpuDomain) dom = NULL;
    gboolean release = strcmp(op, "release") == 0;
    gboolean reconnect = strcmp(op, "reconnect") == 0;

    limit_exit_code = hook_exit_code_on_failure(op);
    gave_up_fd = gave_up;
    bound_cpu_time();
    vgpu_log_open("vgpu-hook", FALSE);
    g_autofree char *call = g_strdup_printf("%s %s", op, subop);
    vgpu_log_domain(name, NULL, call);

    if (!(cfg = vgpu_config_load(vgpu_config_path(), &error)))
        return fail(op, error);
    bound_wall_time(cfg->hook_timeout_ms);

    if (!(dom = xml_domain_parse(xml, len, &error))) {
        /* Release must still undo what prepare did, even if the live
         * metadata was made unreadable while the domain ran: it finds the
         * ledger by the domain's name. */
        if (!release)
            return fail(op, error);
        vgpu_log(LOG_WARNING, "domain '%s': %s; releasing by name", name, error->message);
        g_clear_error(&error);
    }

    if (dom)
        vgpu_log_domain(dom->name ? dom->name : name, dom->uuid, call);

    /* Release and reconnect answer to the ledger, which the front found or
     * could not rule out: the live metadata may be gone (virsh metadata
     * --live --remove) while the ledger still holds the domain's devices.
     * A prepare asking for nothing leaves a stale ledger alone; the next
     * release gives its devices back. */
    if (dom && dom->requests->len == 0 && !release && !reconnect)
        return 0;

    if (strcmp(op, "prepare") == 0 && strcmp(subop, "begin") == 0) {
        if (hook_prepare(cfg, dom, &error) < 0)
            return fail(op, error);
    } else if (release) {
        if (hook_release(cfg, name, release_reason(argc, argv), dom, &error) < 0)
            return fail(op, error);
    } else if (reconnect) {
        hook_reconnect(cfg, dom);
    } else if (strcmp(op, "migrate") == 0 || strcmp(op, "restore") == 0) {
        g_autofree char *out = NULL;

        if (hook_migrate(cfg, dom, strcmp(op, "migrate") == 0, xml, len, &out, &error) < 0)
            return fail(op, error);
        if (out)
            fputs(out, stdout);
    }
    return 0;
}
