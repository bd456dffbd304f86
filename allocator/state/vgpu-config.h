/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/libvirt/vgpu-hook.conf, group [vgpu-hook]. */
#pragma once

#include <glib.h>
#include "vgpu-request.h"

#define VGPU_CONFIG_DEFAULT_PATH "/etc/libvirt/vgpu-hook.conf"

typedef struct {
    char *sysfs_root;          /* "/sys" */
    char *state_dir;           /* "/run/vgpu-hook" */
    char *pci_ids_path;        /* NULL: libpci's default PCI ID database */
    VgpuPlacement placement;   /* PACK */
    char **allow;              /* NULL: every GPU */
    char **deny;
    gboolean numa_fallback;    /* TRUE: off the domain's NUMA nodes when they are full */
    guint lock_timeout_ms;     /* 30000 */
    guint remove_retries;      /* 10 */
    guint remove_retry_delay_ms;/* 500 */
    guint remove_timeout_ms;   /* 15000: a remove write that blocks longer is abandoned */
    guint create_attempts;     /* 4: candidates tried per request */
    guint create_timeout_ms;   /* 20000: a create write that blocks longer is abandoned */
    guint hook_timeout_ms;     /* 120000: the whole hook call, a last resort */
    guint release_wait_ms;     /* 10000: release waits this long for an NVIDIA driver to
                                * remove its own mdev before writing remove (0: no wait) */
} VgpuConfig;

void vgpu_config_free(VgpuConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgpuConfig, vgpu_config_free)

/* Load @path; a missing file gives the defaults. Unknown keys are an error
 * (a typo must not silently change behaviour). */
VgpuConfig *vgpu_config_load(const char *path, GError **error);
/* VGPU_HOOK_CONF when set (tests only: libvirt clears the environment),
 * else the default path. */
const char *vgpu_config_path(void);
