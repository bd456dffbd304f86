/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What vgpuctl attach and detach share to edit a domain's persistent
 * definition, the <vgpu:vgpu> metadata and the matching <hostdev>
 * together.
 *
 * The edits go through libvirt's own calls for them, so that nothing else
 * in the definition is rewritten: virDomainSetMetadata for the metadata
 * element, virDomainAttachDeviceFlags / virDomainDetachDeviceFlags for the
 * hostdevs, all with VIR_DOMAIN_AFFECT_CONFIG. That is several calls, so
 * the definition read before the first (with its secrets) is defined again
 * when a later one fails: all or nothing.
 *
 * Order: attach writes the metadata before the hostdevs, detach removes
 * the hostdevs before the metadata. Should vgpuctl die in between, the
 * domain is left with metadata and no <hostdev>, which the hook refuses at
 * start with the element to add and the command that adds it — never with
 * a <hostdev> naming an mdev nobody will create.
 *
 * sync (cmd-sync.c) is the exception: one compare-before-write
 * redefinition, the code vgpu-keeper runs too (virt/domain-sync.c). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include "domain-xml.h"

typedef struct {
    virDomainPtr dom;
    const char *name;          /* libvirt's, owned by dom */
    char *old_xml;             /* persistent definition before any change */
    VgpuDomain *vd;
    gboolean running;
    gboolean changed;          /* some call succeeded: restore on failure */
} EditTarget;

/* Look the domain @arg up and read its persistent definition into @t. */
gboolean edit_target_open(EditTarget *t, virConnectPtr conn, const char *arg, GError **error);
void edit_target_clear(EditTarget *t);

/* Write the <vgpu:vgpu> element listing @devices (CliDevice*). */
gboolean edit_target_set_metadata(EditTarget *t, GPtrArray *devices, GError **error);

/* "Domain '…' is running: the change applies at its next start." */
void edit_target_note_running(const EditTarget *t);

/* Fail @command with @error after trying to restore the definition;
 * returns the exit status. */
int edit_target_fail(EditTarget *t, const char *command, GError *error);

/* A URI naming no host is this machine, whose sysfs attach, sync and
 * define can read to tell which kind of hostdev serves a request. */
gboolean edit_target_uri_is_local(const char *uri);
