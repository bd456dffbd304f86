/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole VFs given to a VM as they are, with no type (AMD MxGPU, Intel xe
 * SR-IOV): the plain-vf device kind. */
#pragma once

#include "device-kind.h"
#include "pci-name.h"

/* Does the plain VF @vf belong to the GPU a request's gpu= names
 * (pci_names_match on its PF's and its own vendor:device)? */
gboolean plainvf_fits(PciNames *names, const HostParent *vf, const char *gpu);
/* The VF's own "vendor:device", from its type id. */
char *plainvf_vf_id(const HostParent *vf);
