/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt side of vgpuctl: the connection, domain lookup, and a domain
 * state query with a bounded wait. vgpuctl and vgpu-keeper are the only
 * programs of the project that link libvirt; the hook never calls it (it
 * would deadlock). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "cli.h"
#include "virt-util.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/* -c/--connect, else LIBVIRT_DEFAULT_URI, else qemu:///system (virt_uri). */
const char *cli_virt_uri(const CliOptions *opts);

virConnectPtr cli_virt_open(const CliOptions *opts, GError **error);

/* By name, then UUID, then id, like virsh. VGPU_ERROR_NOT_FOUND when none. */
virDomainPtr cli_virt_domain(virConnectPtr conn, const char *name, GError **error);

/* The persistent definition, with secrets (so that writing it back loses
 * nothing): VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE. */
char *cli_virt_inactive_xml(virDomainPtr dom, GError **error);

typedef enum {
    CLI_DOMAIN_UNKNOWN = 0,   /* libvirt did not answer (in time) */
    CLI_DOMAIN_RUNNING,       /* active: running, paused, starting */
    CLI_DOMAIN_SHUTOFF,       /* defined, not active */
    CLI_DOMAIN_UNDEFINED,     /* no such domain */
} CliDomainState;

const char *cli_domain_state_name(CliDomainState state);

/* The state of the domain with @uuid, waiting at most @timeout_ms for
 * libvirt: a domain whose hook is running keeps its lock in the daemon,
 * and a caller holding the host lock must not wait for that forever.
 * *name gets the domain's name when libvirt knows it. */
CliDomainState cli_virt_domain_state(virConnectPtr conn, const char *uuid, guint timeout_ms,
                                     char **name);
