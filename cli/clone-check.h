/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cloned definitions: another domain whose vGPU metadata names the same
 * mdev UUID. The two cannot run at once (the hook refuses the second), so
 * vgpuctl attach and define warn when they write one. */
#pragma once

#include "domain-xml.h"
#include "virt-conn.h"

/* Print one "Warning:" line on standard output for each of @vd's vGPU
 * UUIDs that another persistent definition also names. Domains whose
 * definition cannot be read are skipped: this only warns. */
void cli_warn_shared_uuids(virConnectPtr conn, const VgpuDomain *vd);
