/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpu-sim: presents the sysfs of a vGPU host, described by a scenario
 * file, as a FUSE file system.  MOUNTPOINT stands for /sys.
 *
 * Usage: vgpu-sim SCENARIO.ini MOUNTPOINT
 */
#include <stdio.h>

#include "sim-fs.h"
#include "sim-scenario.h"

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    SimHost *host;
    int status;

    if (argc != 3) {
        fprintf(stderr, "usage: %s SCENARIO.ini MOUNTPOINT\n", argv[0]);
        return 2;
    }
    host = sim_scenario_load(argv[1], &error);
    if (!host) {
        fprintf(stderr, "vgpu-sim: %s: %s\n", argv[1], error->message);
        return 2;
    }
    status = sim_fs_run(host, argv[0], argv[2]);
    sim_host_free(host);
    return status;
}
