/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-faults.c: fault injection.  Creates are counted host-wide from the
 * mount, but only those that reach the driver (a malformed or duplicate
 * UUID never does on a real kernel), and the count restarts whenever a
 * create fault is reconfigured so that "fail at K" means K creates from
 * now.
 */
#include "sim-faults.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *name; int err; } sim_errnos[] = {
    { "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EINTR", EINTR }, { "EIO", EIO },
    { "ENXIO", ENXIO }, { "E2BIG", E2BIG }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
    { "EACCES", EACCES }, { "EFAULT", EFAULT }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST },
    { "ENODEV", ENODEV }, { "EINVAL", EINVAL }, { "ENOSPC", ENOSPC },
    { "ENOSYS", ENOSYS }, { "EUSERS", EUSERS }, { "ETIMEDOUT", ETIMEDOUT },
    { "EOPNOTSUPP", EOPNOTSUPP }, { "ENOTSUP", ENOTSUP },
};

int
sim_errno_from_name(const char *name)
{
    char *end;
    long num;

    for (size_t i = 0; i < G_N_ELEMENTS(sim_errnos); i++)
        if (g_ascii_strcasecmp(sim_errnos[i].name, name) == 0)
            return sim_errnos[i].err;
    num = strtol(name, &end, 10);
    if (*name && !*end && num > 0 && num < 4096)
        return (int)num;
    return -1;
}

const char *
sim_errno_name(int err)
{
    for (size_t i = 0; i < G_N_ELEMENTS(sim_errnos); i++)
        if (sim_errnos[i].err == err)
            return sim_errnos[i].name;
    return "?";
}

void
sim_faults_init(SimFaults *faults)
{
    memset(faults, 0, sizeof(*faults));
    faults->create_errno = EIO;
}

static gboolean
sim_parse_unsigned(const char *value, unsigned *out)
{
    char *end;
    unsigned long num;

    if (!*value || *value == '-')
        return FALSE;
    num = strtoul(value, &end, 10);
    if (*end || num > G_MAXUINT)
        return FALSE;
    *out = (unsigned)num;
    return TRUE;
}

gboolean
sim_faults_set(SimFaults *faults, const char *key, const char *value, GError **error)
{
    unsigned *field = NULL;

    if (strcmp(key, "create_errno") == 0) {
        int err = sim_errno_from_name(value);
        if (err < 0) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "unknown errno '%s'", value);
            return FALSE;
        }
        faults->create_errno = err;
        faults->creates = 0;
        return TRUE;
    }
    if (strcmp(key, "create_fail_every") == 0)
        field = &faults->create_fail_every;
    else if (strcmp(key, "create_fail_at") == 0)
        field = &faults->create_fail_at;
    else if (strcmp(key, "remove_ebusy") == 0)
        field = &faults->remove_ebusy;
    else if (strcmp(key, "clear_ignored") == 0)
        field = &faults->clear_ignored;
    else if (strcmp(key, "set_ignored") == 0)
        field = &faults->set_ignored;
    else if (strcmp(key, "latency_ms") == 0)
        field = &faults->latency_ms;
    else if (strcmp(key, "read_latency_ms") == 0)
        field = &faults->read_latency_ms;
    else if (strcmp(key, "create_appear_ms") == 0)
        field = &faults->create_appear_ms;

    if (!field) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                    "unknown fault key '%s'", key);
        return FALSE;
    }
    if (!sim_parse_unsigned(value, field)) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "fault %s: '%s' is not an unsigned number", key, value);
        return FALSE;
    }
    if (field == &faults->create_fail_every || field == &faults->create_fail_at)
        faults->creates = 0;
    return TRUE;
}

int
sim_faults_on_create(SimFaults *faults)
{
    unsigned n = ++faults->creates;

    if (faults->create_fail_at && n == faults->create_fail_at)
        return faults->create_errno;
    if (faults->create_fail_every && n % faults->create_fail_every == 0)
        return faults->create_errno;
    return 0;
}

int
sim_faults_on_remove(SimFaults *faults)
{
    if (!faults->remove_ebusy)
        return 0;
    faults->remove_ebusy--;
    return EBUSY;
}

char *
sim_faults_format(const SimFaults *faults)
{
    return g_strdup_printf("create_errno %s\n"
                           "create_fail_every %u\n"
                           "create_fail_at %u\n"
                           "creates %u\n"
                           "remove_ebusy %u\n"
                           "clear_ignored %u\n"
                           "set_ignored %u\n"
                           "latency_ms %u\n"
                           "read_latency_ms %u\n"
                           "create_appear_ms %u\n",
                           sim_errno_name(faults->create_errno),
                           faults->create_fail_every, faults->create_fail_at,
                           faults->creates, faults->remove_ebusy, faults->clear_ignored,
                           faults->set_ignored,
                           faults->latency_ms, faults->read_latency_ms,
                           faults->create_appear_ms);
}
