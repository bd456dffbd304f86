/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpu-keeper's entry point: options, signals, the event loop. */
#include "keeper.h"
#include "vgpu-error.h"
#include "vgpu-log.h"
#include "virt-util.h"

#include <libvirt/virterror.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#ifndef VGPU_VERSION
# error "VGPU_VERSION comes from the Makefile"
#endif

static void
on_work_timer(int timer, void *opaque)
{
    keeper_run_queue(opaque);
}

/* A type written into a VF by hand raises no event, nor do VFs that
 * appear (sriov-manage after the keeper started): look again now and then. */
static void
on_recheck_timer(int timer, void *opaque)
{
    Keeper *k = opaque;

    if (k->conn)
        keeper_vf_pass(k, "periodic check");
}

/* SIGTERM/SIGINT: stop after the current step. SIGHUP: a full pass. */
static void
on_signal(int watch, int fd, int events, void *opaque)
{
    Keeper *k = opaque;
    struct signalfd_siginfo si;

    if (read(fd, &si, sizeof(si)) != sizeof(si))
        return;
    if (si.ssi_signo == SIGHUP) {
        if (k->conn)
            keeper_full_pass(k, "full pass on SIGHUP");
        return;
    }
    vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "stopped" }, "stopping on signal %u", si.ssi_signo);
    k->quit = TRUE;
}

static int
fail(const char *what, const char *message)
{
    fprintf(stderr, KEEPER_PROGRAM ": %s%s%s\n", what ? what : "", what ? ": " : "", message);
    return 1;
}

static int
run_once(Keeper *k)
{
    g_autoptr(GError) error = NULL;

    if (keeper_connect(k, &error) < 0)
        return fail(NULL, error->message);
    keeper_full_pass(k, k->dry_run ? "--once --dry-run" : "--once");
    printf("%" G_GUINT64_FORMAT " redefinition(s), %u domain(s) failed\n",
           k->status.redefinitions, k->failures);
    keeper_disconnect(k);
    return k->failures ? 1 : 0;
}

static int
run_daemon(Keeper *k)
{
    sigset_t mask;
    int sfd;

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
        (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
        return fail("signalfd", g_strerror(errno));
    if (virEventAddHandle(sfd, VIR_EVENT_HANDLE_READABLE, on_signal, k, NULL) < 0 ||
        (k->work_timer = virEventAddTimeout(-1, on_work_timer, k, NULL)) < 0 ||
        (k->recheck_s && (k->recheck_timer = virEventAddTimeout(
                              (int)k->recheck_s * 1000, on_recheck_timer, k, NULL)) < 0))
        return fail("libvirt's event loop", virGetLastErrorMessage());
    vgpu_log_event(LOG_INFO, &(VgpuLogEvent){ .code = "started" }, "started (version %s, %s%s)", VGPU_VERSION, k->uri,
             k->dry_run ? ", dry run" : "");
    /* The first connection goes through the reconnect path: a keeper
     * started before libvirtd waits for it with the same backoff. */
    k->backoff_ms = 0;
    keeper_schedule_reconnect(k);
    while (!k->quit) {
        if (virEventRunDefaultImpl() < 0) {
            vgpu_log(LOG_ERR, "event loop failed: %s", virGetLastErrorMessage());
            break;
        }
    }
    keeper_disconnect(k);
    g_free(k->status.stopped);
    k->status.stopped = keeper_status_now();
    keeper_status_save(k);
    close(sfd);
    return k->quit ? 0 : 1;
}

int
main(int argc, char **argv)
{
    g_autofree char *uri = NULL, *config_path = NULL, *vgpuctl = NULL;
    gboolean once = FALSE, dry_run = FALSE, foreground_log = FALSE, version = FALSE;
    gint recheck = KEEPER_RECHECK_S;
    const GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
          "libvirt URI (default: LIBVIRT_DEFAULT_URI, else qemu:///system)", "URI" },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path,
          "vgpu-hook.conf to read the state directory from", "FILE" },
        { "once", '1', 0, G_OPTION_ARG_NONE, &once, "One full pass, then exit", NULL },
        { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
          "Change nothing; print what would change", NULL },
        { "recheck", 0, 0, G_OPTION_ARG_INT, &recheck,
          "Check stopped domains' whole VFs every SECONDS without an event too (default "
          G_STRINGIFY(KEEPER_RECHECK_S) ", 0: never)", "SECONDS" },
        { "vgpuctl", 0, 0, G_OPTION_ARG_FILENAME, &vgpuctl,
          "vgpuctl to run 'cluster publish' with on a Pacemaker node (default "
          VGPU_BINDIR "/vgpuctl)", "PATH" },
        { "stderr", 0, 0, G_OPTION_ARG_NONE, &foreground_log,
          "Also write log lines to standard error", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(VgpuConfig) cfg = NULL;
    Keeper k = { .lifecycle_cb = -1, .metadata_cb = -1, .work_timer = -1,
                 .reconnect_timer = -1, .recheck_timer = -1 };
    int rc;

    g_option_context_set_summary(ctx, "Keeps every persistent libvirt domain with vGPU metadata "
                                      "ready to start: adds the <hostdev> its metadata lacks, and keeps "
                                      "stopped domains' whole-VF hostdevs on VFs free to take them.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return fail(NULL, error->message);
    if (argc > 1)
        return fail(NULL, "unexpected argument (see --help)");
    if (recheck < 0 || recheck > 86400)
        return fail("--recheck", "expected 0 to 86400 seconds");
    if (version) {
        printf(KEEPER_PROGRAM " %s\n", VGPU_VERSION);
        return 0;
    }
    if (!(cfg = vgpu_config_load(config_path ? config_path : vgpu_config_path(), &error)))
        return fail(NULL, error->message);
    k.uri = virt_uri(uri);
    k.state_dir = cfg->state_dir;
    k.sysfs_root = cfg->sysfs_root;
    k.cfg = cfg;
    k.recheck_s = (guint)recheck;
    k.vgpuctl = vgpuctl ? vgpuctl : VGPU_BINDIR "/vgpuctl";
    k.backoff_min_ms = KEEPER_BACKOFF_MIN_MS;
    k.backoff_max_ms = KEEPER_BACKOFF_MAX_MS;
#ifdef VGPU_TEST_HOOKS
    /* Test builds: VGPU_TEST_BACKOFF=MIN_MS:MAX_MS, so that a tier sees the
     * backoff reach its cap in a second; each failed attempt is then traced
     * on stderr (never to syslog, which gets one line per outage). */
    const char *test_backoff = g_getenv("VGPU_TEST_BACKOFF");

    if (test_backoff) {
        if (sscanf(test_backoff, "%u:%u", &k.backoff_min_ms, &k.backoff_max_ms) != 2 ||
            !k.backoff_min_ms || k.backoff_max_ms < k.backoff_min_ms)
            return fail("VGPU_TEST_BACKOFF", "expected MIN_MS:MAX_MS, 0 < MIN_MS <= MAX_MS");
        k.trace_attempts = TRUE;
    }
#endif
    k.vf_host = TRUE;   /* until the first full pass has read the host */
    k.once = once;
    k.dry_run = dry_run;
    k.pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    k.status.pid = getpid();
    k.status.uri = g_strdup(k.uri);
    k.status.dry_run = dry_run;
    k.status.started = keeper_status_now();

    vgpu_log_open(KEEPER_PROGRAM, foreground_log || dry_run);
    virt_quiet_errors();
    if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
        return fail("libvirt", virGetLastErrorMessage());
    rc = once ? run_once(&k) : run_daemon(&k);
    g_hash_table_unref(k.pending);
    g_clear_pointer(&k.stuck, g_hash_table_unref);
    g_free(k.vf_due);
    g_free(k.down_why);
    keeper_status_clear(&k.status);
    return rc;
}
