/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The <vgpu:vgpu> metadata element vgpuctl writes with virDomainSetMetadata:
 * built from the domain's validated requests plus the new ones, in the
 * attribute vocabulary of urn:vgpu-hook:1. libvirt puts the namespace on
 * the element and its children itself (prefix "vgpu"). */
#pragma once

#include <glib.h>
#include "vgpu-request.h"

#define CLI_METADATA_PREFIX "vgpu"

typedef struct {
    char *uuid;                /* NULL: left out, derived from the domain UUID and index */
    char *profile;
    char *type;
    char *parent;
    VgpuPlacement placement;
    int numa;                  /* -1: none */
    char *gpu;                 /* a whole VF by GPU name or PCI id */
    guint64 framebuffer_mb;    /* a profile by need: framebuffer= and series= */
    char series;
} CliDevice;

void cli_device_free(CliDevice *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliDevice, cli_device_free)

/* The device as @req asks for it. Its UUID is written unless it was
 * derived and @new_index is still @req's index (a derived UUID depends on
 * the position, so a device that moves must carry its UUID explicitly). */
CliDevice *cli_device_from_request(const VgpuRequest *req, guint new_index);

/* A fresh random UUID, lowercase. */
char *cli_uuid_random(void);

/* "<vgpu><device uuid=\"...\" profile=\"...\"/>...</vgpu>", attribute
 * values escaped; NULL when @devices is empty (remove the element). */
char *cli_metadata_element(GPtrArray *devices);
