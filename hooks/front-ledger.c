/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live metadata can be removed while the domain runs (virsh metadata
 * --live --remove), its hostdev unplugged, and what the ledger records is
 * still ours to give back. So for release and reconnect the front looks for
 * <state_dir>/<domain-uuid>.ledger, with libc alone: every domain pays
 * for this, one small read and one lstat(). Whenever a step is unsure it
 * answers "maybe", and the core, which reads everything properly, decides
 * or says what is wrong. */
#include "front-ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As allocator/state/vgpu-config.[ch] and allocator/state/ledger.c have them, which the
 * front cannot include (glib). */
#define CONFIG_DEFAULT_PATH "/etc/libvirt/vgpu-hook.conf"
#define CONFIG_GROUP "vgpu-hook"
#define STATE_DIR_KEY "state_dir"
#define STATE_DIR_DEFAULT "/run/vgpu-hook"
#define LEDGER_SUFFIX ".ledger"
#define UUID_LEN 36
/* The shipped config is 3 KB; a larger one is left to the core. */
#define CONFIG_CAP 65536

#define MAYBE 1

/* The domain's UUID, lower-cased into @out as the core canonicalises it,
 * from where libvirt writes it: <uuid> right after the first </name>,
 * which is the domain's (libvirt begins with <name>, and no attribute or
 * text holds a raw '<'), before any metadata. Strict, since it becomes a
 * file name: 8-4-4-4-12 hex digits and nothing else. */
static int
domain_uuid(const char *xml, size_t len, char out[UUID_LEN + 1])
{
    static const char name_end[] = "</name>", open[] = "<uuid>", close[] = "</uuid>";
    const char *end = xml + len;
    const char *p = memmem(xml, len, name_end, sizeof(name_end) - 1);

    if (!p)
        return -1;
    p += sizeof(name_end) - 1;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if ((size_t)(end - p) < sizeof(open) - 1 + UUID_LEN + sizeof(close) - 1 ||
        memcmp(p, open, sizeof(open) - 1) != 0 ||
        memcmp(p + sizeof(open) - 1 + UUID_LEN, close, sizeof(close) - 1) != 0)
        return -1;
    p += sizeof(open) - 1;
    for (int i = 0; i < UUID_LEN; i++) {
        char c = p[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return -1;
        } else if (c >= 'A' && c <= 'F') {
            c = (char)(c - 'A' + 'a');
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return -1;
        }
        out[i] = c;
    }
    out[UUID_LEN] = '\0';
    return 0;
}

static int
blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The value the core's config_path_value accepts: absolute, no '..'
 * component, not the root. */
static int
path_ok(const char *v, size_t n)
{
    size_t start = 0;
    int only_slashes = 1;

    if (n == 0 || v[0] != '/')
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && v[i] != '/') {
            only_slashes = 0;
            continue;
        }
        if (i - start == 2 && v[start] == '.' && v[start + 1] == '.')
            return 0;
        start = i + 1;
    }
    return !only_slashes;
}

/* The key of one line, between its leading blanks and '=', against @key. */
static int
line_key_is(const char *line, const char *eq, const char *key)
{
    while (eq > line && blank(eq[-1]))
        eq--;
    return (size_t)(eq - line) == strlen(key) && memcmp(line, key, strlen(key)) == 0;
}

/* state_dir as vgpu_config_load reads it, into @out with room left for
 * "/UUID.ledger"; its length. Not with GKeyFile: glib is what the front
 * exists not to load (that alone costs about a process start). So this
 * reads the one key as GKeyFile does in the files the core accepts:
 * groups, '#' comment lines, blanks around lines, keys and values, CRLF,
 * the last of a repeated key winning. It gives up (-1) on whatever it
 * would have to interpret: an escape, a control or non-ASCII byte, a line
 * GKeyFile refuses, another group (the core refuses it), a value the core
 * refuses, an unreadable file. A missing file means the defaults, as for
 * the core. */
static ssize_t
config_state_dir(char *out, size_t size)
{
    static char buf[CONFIG_CAP + 1];
    const char *path = getenv("VGPU_HOOK_CONF");
    const char *val = STATE_DIR_DEFAULT, *vend = val + strlen(val);
    size_t n = 0;
    int fd, in_group = 0;

    if (!path || !*path)
        path = CONFIG_DEFAULT_PATH;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno != ENOENT)
            return -1;
    } else {
        for (;;) {
            ssize_t r = read(fd, buf + n, sizeof(buf) - n);

            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 || (n += (size_t)r) > CONFIG_CAP) {
                close(fd);
                return -1;
            }
            if (r == 0)
                break;
        }
        close(fd);
    }

    for (char *line = buf, *stop = buf + n; line < stop;) {
        char *nl = memchr(line, '\n', (size_t)(stop - line));
        char *e = nl ? nl : stop, *next = nl ? nl + 1 : stop, *eq;

        if (e > line && e[-1] == '\r')
            e--;
        for (char *p = line; p < e; p++) {
            if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
                return -1;
        }
        while (line < e && blank(*line))
            line++;
        if (line == e || *line == '#') {
            line = next;
            continue;
        }
        if (*line == '[') {
            char *rb = memchr(line, ']', (size_t)(e - line));

            if (!rb || (size_t)(rb - line - 1) != strlen(CONFIG_GROUP) ||
                memcmp(line + 1, CONFIG_GROUP, strlen(CONFIG_GROUP)) != 0)
                return -1;
            while (++rb < e) {
                if (!blank(*rb))
                    return -1;
            }
            in_group = 1;
        } else {
            if (!(eq = memchr(line, '=', (size_t)(e - line))) || eq == line || !in_group)
                return -1;
            if (line_key_is(line, eq, STATE_DIR_KEY)) {
                for (val = eq + 1; val < e && blank(*val); val++)
                    ;
                for (vend = e; vend > val && blank(vend[-1]); vend--)
                    ;
                for (const char *p = val; p < vend; p++) {
                    if (*p == '\\' || (unsigned char)*p >= 0x80)
                        return -1;
                }
            }
        }
        line = next;
    }
    if (!path_ok(val, (size_t)(vend - val)) ||
        (size_t)(vend - val) + 1 + UUID_LEN + sizeof(LEDGER_SUFFIX) > size)
        return -1;
    memcpy(out, val, (size_t)(vend - val));
    return vend - val;
}

int
front_ledger_maybe(const char *xml, size_t len)
{
    char uuid[UUID_LEN + 1], path[PATH_MAX];
    struct stat st;
    ssize_t n;

    if (domain_uuid(xml, len, uuid) < 0 || (n = config_state_dir(path, sizeof(path))) < 0)
        return MAYBE;
    path[n] = '/';
    memcpy(path + n + 1, uuid, UUID_LEN);
    memcpy(path + n + 1 + UUID_LEN, LEDGER_SUFFIX, sizeof(LEDGER_SUFFIX));
    /* lstat, as the core checks it: a symlink there is the core's to refuse. */
    if (lstat(path, &st) == 0)
        return MAYBE;
    return errno == ENOENT ? 0 : MAYBE;
}
