/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* linked-ref: a reference point for the benchmark, not part of the product.
 * It does what the hook's libc-only front does for a domain without vGPU
 * metadata (read stdin, look for the namespace, exit 0), but is linked
 * dynamically against glib, libxml2 and libuuid, as the front would be if
 * it were one program with the core. The difference to bench's vgpu-hook
 * row is what the front/core split saves on every VM start and stop. */
#define _GNU_SOURCE
#include <glib.h>
#include <libxml/parser.h>
#include <uuid/uuid.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
    static char buf[1 << 20];
    size_t n = 0;
    ssize_t r;
    uuid_t u;

    while (n < sizeof(buf) && (r = read(0, buf + n, sizeof(buf) - n)) > 0)
        n += (size_t)r;
    if (!memmem(buf, n, "urn:vgpu-hook:1", 15))
        return 0;
    /* Only so each library is really needed (no --as-needed surprises). */
    uuid_clear(u);
    xmlCheckVersion(LIBXML_VERSION);
    return g_strcmp0("a", "b") == 0 && uuid_is_null(u);
}
