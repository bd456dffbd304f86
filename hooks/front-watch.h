/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The front runs the core in a child it watches: a process cannot end
 * while one of its threads waits for a read the driver never answers (the
 * kernel waits that out, SIGKILL included), and libvirt waits for the hook
 * to end. Libc-only, like the front. */
#pragma once

#include <stddef.h>

typedef int (*front_core_fn)(int argc, char **argv, const char *xml, size_t len, int gave_up_fd);

/* Runs @core in a child whose stdout and stderr are relayed to ours, and
 * returns its exit code (a child killed by a signal kills us by the same
 * signal). When the core's own last-resort timer writes a byte to
 * @gave_up_fd, we return @fail_code at once, leaving a child stuck in the
 * driver behind (it dies with us, or once the driver answers). */
int front_watch_run(front_core_fn core, int argc, char **argv, const char *xml, size_t len,
                    int fail_code);
