/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-domain record of the mdevs this hook created.
 *
 * The file is the only thing that lets release tell our devices from an
 * administrator's, so it is written so that a crash at any point leaves
 * either the old or the new record, never a mix: temp file, fsync, rename.
 * The directory is not synced: the rename only has to survive the process,
 * not a power cut, because mdevs do not survive one either (the ledger
 * lives in /run). The file is synced before the rename so that even on a
 * disk-backed state_dir a power cut cannot leave a torn file, which would
 * stop release from reading it. What is read back is validated like user
 * input, because it names sysfs paths. */
#include "ledger.h"
#include "state-dir.h"
#include "vgpu-error.h"
#include "vgpu-log.h"
#include "vgpu-sort.h"
#include "vgpu-request.h"
#include "vgpu-validate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEDGER_SUFFIX ".ledger"
#define LEDGER_GROUP_DOMAIN "domain"
#define LEDGER_GROUP_DEVICE_PREFIX "device "

static void
ledger_device_free(gpointer p)
{
    LedgerDevice *d = p;

    g_free(d->uuid);
    g_free(d->parent);
    g_free(d->type);
    g_free(d->kind);
    g_free(d);
}

void
ledger_free(Ledger *ledger)
{
    if (!ledger)
        return;
    g_free(ledger->domain_uuid);
    g_free(ledger->domain_name);
    g_ptr_array_unref(ledger->devices);
    g_free(ledger);
}

static Ledger *
ledger_new(const char *domain_uuid, const char *domain_name)
{
    Ledger *ledger = g_new0(Ledger, 1);

    ledger->domain_uuid = g_strdup(domain_uuid);
    ledger->domain_name = g_strdup(domain_name);
    ledger->devices = g_ptr_array_new_with_free_func(ledger_device_free);
    return ledger;
}

static const char *
ledger_state_name(LedgerState s)
{
    switch (s) {
    case LEDGER_CREATED:  return "created";
    case LEDGER_REMOVING: return "removing";
    case LEDGER_INTENT:   break;
    }
    return "intent";
}

LedgerDevice *
ledger_find(const Ledger *ledger, const char *uuid)
{
    for (guint i = 0; i < ledger->devices->len; i++) {
        LedgerDevice *d = g_ptr_array_index(ledger->devices, i);

        if (g_ascii_strcasecmp(d->uuid, uuid) == 0)
            return d;
    }
    return NULL;
}

void
ledger_set(Ledger *ledger, const char *uuid, const char *parent, const char *type,
           LedgerState state)
{
    LedgerDevice *d = ledger_find(ledger, uuid);

    if (!d) {
        d = g_new0(LedgerDevice, 1);
        d->uuid = g_strdup(uuid);
        g_ptr_array_add(ledger->devices, d);
    }
    /* The arguments may alias the entry's own strings. */
    if (d->parent != parent) {
        g_free(d->parent);
        d->parent = g_strdup(parent);
    }
    if (d->type != type) {
        g_free(d->type);
        d->type = g_strdup(type);
    }
    d->state = state;
}

void
ledger_drop(Ledger *ledger, const char *uuid)
{
    LedgerDevice *d = ledger_find(ledger, uuid);

    if (d)
        g_ptr_array_remove(ledger->devices, d);
}

static char *
ledger_path(const char *state_dir, const char *domain_uuid)
{
    g_autofree char *name = g_strconcat(domain_uuid, LEDGER_SUFFIX, NULL);

    return g_build_filename(state_dir, name, NULL);
}

static gboolean
damaged(GError **error, const char *path, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
damaged(GError **error, const char *path, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *what = NULL;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "ledger %s is damaged: %s", path, what);
    return FALSE;
}

/* A kind's name: lowercase letters and '-', as device-kind.h names them. */
static gboolean
ledger_kind_name_ok(const char *s)
{
    if (!*s || strlen(s) > 32)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_islower(*s) && *s != '-')
            return FALSE;
    return TRUE;
}

/* A parent is a PCI address or, for virtual parents like mtty, a plain
 * device name; either way one safe path component (what sysfs_component_ok
 * in host/ also asks, written out here: state/ sits below host/). */
static gboolean
parent_name_ok(const char *s)
{
    if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) > 64)
        return FALSE;
    for (const char *c = s; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr(":._-", *c))
            return FALSE;
    }
    return TRUE;
}

static gboolean
ledger_read_device(GKeyFile *kf, const char *path, const char *group, Ledger *ledger,
                   GError **error)
{
    const char *uuid_text = group + strlen(LEDGER_GROUP_DEVICE_PREFIX);
    g_autofree char *uuid = NULL;
    g_autofree char *parent = g_key_file_get_string(kf, group, "parent", NULL);
    g_autofree char *type = g_key_file_get_string(kf, group, "type", NULL);
    g_autofree char *state = g_key_file_get_string(kf, group, "state", NULL);
    g_autofree char *kind = g_key_file_get_string(kf, group, "kind", NULL);
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    LedgerState st;

    if (vgpu_validate_uuid("device", uuid_text, &uuid, NULL) < 0)
        return damaged(error, path, "group [%s] does not name a UUID", group);
    for (guint i = 0; keys && keys[i]; i++) {
        if (strcmp(keys[i], "parent") && strcmp(keys[i], "type") && strcmp(keys[i], "state") &&
            strcmp(keys[i], "kind"))
            return damaged(error, path, "unknown key '%s' in [%s]", keys[i], group);
    }
    if (!parent || !parent_name_ok(parent))
        return damaged(error, path, "device %s has a bad or no parent", uuid);
    if (!type || vgpu_validate_type_id(type, NULL) < 0)
        return damaged(error, path, "device %s has a bad or no type", uuid);
    if (g_strcmp0(state, "intent") == 0)
        st = LEDGER_INTENT;
    else if (g_strcmp0(state, "created") == 0)
        st = LEDGER_CREATED;
    else if (g_strcmp0(state, "removing") == 0)
        st = LEDGER_REMOVING;
    else
        return damaged(error, path, "device %s has state '%s' (expected intent, created "
                       "or removing)",
                       uuid, state ? state : "");
    if (ledger_find(ledger, uuid))
        return damaged(error, path, "device %s is listed twice", uuid);
    if (kind && !ledger_kind_name_ok(kind))
        return damaged(error, path, "device %s has a bad kind", uuid);
    ledger_set(ledger, uuid, parent, type, st);
    ledger_set_kind(ledger, uuid, kind);
    return TRUE;
}

static Ledger *
ledger_parse(GKeyFile *kf, const char *path, const char *domain_uuid, const char *domain_name,
             GError **error)
{
    g_autoptr(Ledger) ledger = NULL;
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    g_autofree char *stored_uuid = g_key_file_get_string(kf, LEDGER_GROUP_DOMAIN, "uuid", NULL);
    g_autofree char *stored_name = g_key_file_get_string(kf, LEDGER_GROUP_DOMAIN, "name", NULL);
    g_autofree char *canonical = NULL;

    if (!stored_uuid || vgpu_validate_uuid("domain", stored_uuid, &canonical, NULL) < 0 ||
        g_ascii_strcasecmp(canonical, domain_uuid) != 0) {
        damaged(error, path, "it is not the record of domain %s", domain_uuid);
        return NULL;
    }
    ledger = ledger_new(canonical, domain_name ? domain_name : stored_name);
    for (guint i = 0; groups[i]; i++) {
        if (strcmp(groups[i], LEDGER_GROUP_DOMAIN) == 0)
            continue;
        if (!g_str_has_prefix(groups[i], LEDGER_GROUP_DEVICE_PREFIX)) {
            damaged(error, path, "unknown group [%s]", groups[i]);
            return NULL;
        }
        if (!ledger_read_device(kf, path, groups[i], ledger, error))
            return NULL;
    }
    return g_steal_pointer(&ledger);
}

Ledger *
ledger_load(const char *state_dir, const char *domain_uuid, const char *domain_name,
            GError **error)
{
    g_autofree char *path = ledger_path(state_dir, domain_uuid);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;

    int trusted;

    /* It becomes a file name. */
    if (vgpu_validate_uuid("domain", domain_uuid, NULL, error) < 0)
        return NULL;
    /* What it names gets removed as root: only a file nobody else could
     * have written counts. */
    if (state_dir_check(state_dir, error) < 0 ||
        (trusted = state_file_check(path, "ledger", error)) < 0)
        return NULL;
    if (trusted == 0)
        return ledger_new(domain_uuid, domain_name);
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return ledger_new(domain_uuid, domain_name);
        if (local->domain == G_KEY_FILE_ERROR)
            damaged(error, path, "%s", local->message);
        else
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot read ledger %s: %s",
                        path, local->message);
        return NULL;
    }
    return ledger_parse(kf, path, domain_uuid, domain_name, error);
}

static char *
ledger_serialize(const Ledger *ledger, gsize *len)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();

    g_key_file_set_string(kf, LEDGER_GROUP_DOMAIN, "uuid", ledger->domain_uuid);
    if (ledger->domain_name)
        g_key_file_set_string(kf, LEDGER_GROUP_DOMAIN, "name", ledger->domain_name);
    for (guint i = 0; i < ledger->devices->len; i++) {
        const LedgerDevice *d = g_ptr_array_index(ledger->devices, i);
        g_autofree char *group = g_strconcat(LEDGER_GROUP_DEVICE_PREFIX, d->uuid, NULL);

        g_key_file_set_string(kf, group, "parent", d->parent ? d->parent : "");
        g_key_file_set_string(kf, group, "type", d->type ? d->type : "");
        g_key_file_set_string(kf, group, "state", ledger_state_name(d->state));
        if (d->kind)
            g_key_file_set_string(kf, group, "kind", d->kind);
    }
    return g_key_file_to_data(kf, len, NULL);
}

static int
write_all(int fd, const char *buf, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (gsize)n;
    }
    return 0;
}

/* @data into @tmp, on disk. -1 with errno set; the caller unlinks. */
static int
write_synced(const char *tmp, const char *data, gsize len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    /* close can report a deferred write error (NFS, quota). */
    return close(fd);
}

static int
ledger_fail(GError **error, const char *path, int errnum)
{
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot write ledger %s: %s",
                path, g_strerror(errnum));
    return -1;
}

static int
ledger_unlink(const char *path, GError **error)
{
    if (unlink(path) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return ledger_fail(error, path, errno);
    }
    return 0;
}

int
ledger_save(const char *state_dir, const Ledger *ledger, GError **error)
{
    g_autofree char *path = ledger_path(state_dir, ledger->domain_uuid);
    g_autofree char *tmp_name = NULL;
    g_autofree char *tmp = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;

    if (vgpu_validate_uuid("domain", ledger->domain_uuid, NULL, error) < 0)
        return -1;
    if (ledger->devices->len == 0)
        return ledger_unlink(path, error);
    if (state_dir_prepare(state_dir, error) < 0)
        return -1;
    tmp_name = g_strdup_printf(".%s%s.tmp-%ld", ledger->domain_uuid, LEDGER_SUFFIX,
                               (long)getpid());
    tmp = g_build_filename(state_dir, tmp_name, NULL);
    data = ledger_serialize(ledger, &len);
    if (write_synced(tmp, data, len) < 0 || rename(tmp, path) < 0) {
        int saved = errno;

        unlink(tmp);
        return ledger_fail(error, path, saved);
    }
    return 0;
}

void
ledger_damaged_free(gpointer p)
{
    LedgerDamaged *d = p;

    g_free(d->path);
    g_free(d->reason);
    g_free(d);
}

GPtrArray *
ledger_load_all(const char *state_dir, GPtrArray *damaged, GError **error)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)ledger_free);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) local = NULL;
    g_autoptr(GDir) dir = g_dir_open(state_dir, 0, &local);
    const char *name;

    if (state_dir_check(state_dir, error) < 0)
        return NULL;
    if (!dir) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&all);
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_STATE, "cannot list ledgers: %s",
                    local->message);
        return NULL;
    }
    while ((name = g_dir_read_name(dir))) {
        /* Temp files start with '.'; the lock and strays are not ledgers. */
        g_autofree char *uuid = NULL;

        if (name[0] == '.' || !g_str_has_suffix(name, LEDGER_SUFFIX))
            continue;
        g_autofree char *canonical = NULL;

        uuid = g_strndup(name, strlen(name) - strlen(LEDGER_SUFFIX));
        /* Only names ledger_save could have written. */
        if (vgpu_validate_uuid("ledger", uuid, &canonical, NULL) < 0 || strcmp(uuid, canonical))
            continue;
        g_ptr_array_add(names, g_steal_pointer(&uuid));
    }
    g_ptr_array_sort(names, vgpu_compare_strings);
    for (guint i = 0; i < names->len; i++) {
        g_autoptr(GError) err = NULL;
        Ledger *l = ledger_load(state_dir, g_ptr_array_index(names, i), NULL, &err);
        LedgerDamaged *d;

        if (l) {
            g_ptr_array_add(all, l);
            continue;
        }
        vgpu_log(LOG_WARNING, "%s; skipped", err->message);
        if (!damaged)
            continue;
        d = g_new0(LedgerDamaged, 1);
        d->path = ledger_path(state_dir, g_ptr_array_index(names, i));
        d->reason = g_strdup(err->message);
        g_ptr_array_add(damaged, d);
    }
    return g_steal_pointer(&all);
}

const Ledger *
ledger_list_find_owner(const GPtrArray *ledgers, const char *uuid, const LedgerDevice **dev)
{
    for (guint i = 0; ledgers && i < ledgers->len; i++) {
        const Ledger *l = g_ptr_array_index(ledgers, i);
        const LedgerDevice *d = ledger_find(l, uuid);

        if (d) {
            if (dev)
                *dev = d;
            return l;
        }
    }
    return NULL;
}

const Ledger *
ledger_other_owner(GPtrArray *ledgers, const char *domain_uuid, const char *dev)
{
    for (guint i = 0; ledgers && i < ledgers->len; i++) {
        const Ledger *l = ledgers->pdata[i];

        if (g_ascii_strcasecmp(l->domain_uuid, domain_uuid) != 0 && ledger_find(l, dev))
            return l;
    }
    return NULL;
}

char *
ledger_clone_refusal(const Ledger *owner, const char *dev)
{
    return g_strdup_printf("mdev %s is held by domain '%s', for which vgpu-hook made it; this "
                           "definition names the same mdev UUID (a clone?) and cannot start "
                           "while that one holds it: give it a UUID of its own", dev,
                           owner->domain_name ? owner->domain_name : owner->domain_uuid);
}

void
ledger_set_kind(Ledger *ledger, const char *uuid, const char *kind)
{
    LedgerDevice *d = ledger_find(ledger, uuid);

    if (!d || d->kind == kind)
        return;
    g_free(d->kind);
    d->kind = g_strdup(kind);
}

const Ledger *
ledger_list_find_parent(const GPtrArray *ledgers, const char *kind, const char *parent,
                        const LedgerDevice **dev)
{
    for (guint i = 0; ledgers && i < ledgers->len; i++) {
        const Ledger *l = g_ptr_array_index(ledgers, i);

        for (guint k = 0; k < l->devices->len; k++) {
            const LedgerDevice *d = g_ptr_array_index(l->devices, k);

            if (g_strcmp0(d->kind, kind) == 0 && g_strcmp0(d->parent, parent) == 0) {
                if (dev)
                    *dev = d;
                return l;
            }
        }
    }
    return NULL;
}
