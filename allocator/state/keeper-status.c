/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing and reading STATE_DIR/keeper.status. */
#include "keeper-status.h"
#include "vgpu-error.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define GROUP "keeper"

void
keeper_status_clear(KeeperStatus *st)
{
    g_clear_pointer(&st->uri, g_free);
    g_clear_pointer(&st->started, g_free);
    g_clear_pointer(&st->last_pass, g_free);
    g_clear_pointer(&st->last_change, g_free);
    g_clear_pointer(&st->last_change_what, g_free);
    g_clear_pointer(&st->stopped, g_free);
}

void
keeper_status_free(KeeperStatus *st)
{
    if (!st)
        return;
    keeper_status_clear(st);
    g_free(st);
}

char *
keeper_status_now(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    return g_date_time_format_iso8601(now);
}

static void
set_opt_string(GKeyFile *kf, const char *key, const char *value)
{
    if (value)
        g_key_file_set_string(kf, GROUP, key, value);
}

int
keeper_status_write(const char *state_dir, const KeeperStatus *st, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *path = g_build_filename(state_dir, KEEPER_STATUS_FILE, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;

    if (g_mkdir_with_parents(state_dir, 0700) < 0) {   /* as the hook makes it */
        vgpu_error_set_errno(error, errno, "creating %s", state_dir);
        return -1;
    }
    g_key_file_set_int64(kf, GROUP, "pid", st->pid);
    set_opt_string(kf, "uri", st->uri);
    g_key_file_set_boolean(kf, GROUP, "dry_run", st->dry_run);
    set_opt_string(kf, "started", st->started);
    g_key_file_set_boolean(kf, GROUP, "connected", st->connected);
    set_opt_string(kf, "last_pass", st->last_pass);
    g_key_file_set_uint64(kf, GROUP, "passes", st->passes);
    g_key_file_set_uint64(kf, GROUP, "redefinitions", st->redefinitions);
    set_opt_string(kf, "last_change", st->last_change);
    set_opt_string(kf, "last_change_what", st->last_change_what);
    set_opt_string(kf, "stopped", st->stopped);
    text = g_key_file_to_data(kf, &len, NULL);
    /* g_file_set_contents writes a temporary file and renames it. */
    if (!g_file_set_contents(path, text, (gssize)len, error))
        return -1;
    return 0;
}

KeeperStatus *
keeper_status_read(const char *state_dir, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *path = g_build_filename(state_dir, KEEPER_STATUS_FILE, NULL);
    g_autoptr(KeeperStatus) st = g_new0(KeeperStatus, 1);
    g_autoptr(GError) err = NULL;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND, "no %s", path);
        else
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "%s: %s", path, err->message);
        return NULL;
    }
    st->pid = g_key_file_get_int64(kf, GROUP, "pid", NULL);
    st->uri = g_key_file_get_string(kf, GROUP, "uri", NULL);
    st->dry_run = g_key_file_get_boolean(kf, GROUP, "dry_run", NULL);
    st->started = g_key_file_get_string(kf, GROUP, "started", NULL);
    st->connected = g_key_file_get_boolean(kf, GROUP, "connected", NULL);
    st->last_pass = g_key_file_get_string(kf, GROUP, "last_pass", NULL);
    st->passes = g_key_file_get_uint64(kf, GROUP, "passes", NULL);
    st->redefinitions = g_key_file_get_uint64(kf, GROUP, "redefinitions", NULL);
    st->last_change = g_key_file_get_string(kf, GROUP, "last_change", NULL);
    st->last_change_what = g_key_file_get_string(kf, GROUP, "last_change_what", NULL);
    st->stopped = g_key_file_get_string(kf, GROUP, "stopped", NULL);
    return g_steal_pointer(&st);
}

gboolean
keeper_status_running(const KeeperStatus *st)
{
    g_autofree char *comm_path = NULL, *comm = NULL;

    if (st->pid <= 0 || st->pid > G_MAXINT || st->stopped)
        return FALSE;
    if (kill((pid_t)st->pid, 0) < 0 && errno != EPERM)
        return FALSE;
    comm_path = g_strdup_printf("/proc/%" G_GINT64_FORMAT "/comm", st->pid);
    if (!g_file_get_contents(comm_path, &comm, NULL, NULL))
        return FALSE;
    return g_str_has_prefix(comm, "vgpu-keeper");
}

char *
keeper_status_describe(const char *state_dir)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KeeperStatus) st = keeper_status_read(state_dir, &error);
    g_autoptr(GString) s = g_string_new(NULL);

    if (!st) {
        if (g_error_matches(error, VGPU_ERROR, VGPU_ERROR_NOT_FOUND))
            return g_strdup("not running (never started on this host)");
        return g_strdup_printf("unknown (%s)", error->message);
    }
    if (keeper_status_running(st)) {
        g_string_append_printf(s, "running (pid %" G_GINT64_FORMAT ", %s %s%s)", st->pid,
                               st->connected ? "connected to" : "reconnecting to",
                               st->uri ? st->uri : "libvirt", st->dry_run ? ", dry run" : "");
    } else if (st->stopped) {
        g_string_append_printf(s, "not running (stopped at %s)", st->stopped);
    } else {
        g_string_append_printf(s, "not running (pid %" G_GINT64_FORMAT " is gone: killed?)",
                               st->pid);
    }
    g_string_append_printf(s, ", %" G_GUINT64_FORMAT " redefinition(s) since %s", st->redefinitions,
                           st->started ? st->started : "its start");
    if (st->last_change)
        g_string_append_printf(s, ", last change at %s: %s", st->last_change,
                               st->last_change_what ? st->last_change_what : "?");
    else
        g_string_append(s, ", no change made");
    return g_string_free(g_steal_pointer(&s), FALSE);
}
