/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GPU model names from the PCI ID database, through libpci: what lspci
 * shows ("Aqua Vanjaram [Instinct MI300X]", or "Device 74a1" for an id the
 * database does not know), and the forgiving match a gpu= request uses. */
#pragma once

#include <glib.h>

typedef struct PciNames PciNames;

/* @ids_path: a pci.ids file to use alone (no udev hwdb), so that names do
 * not change under it; NULL: libpci's default sources. */
PciNames *pci_names_new(const char *ids_path);
void pci_names_free(PciNames *names);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PciNames, pci_names_free)

/* -1 with an error naming pci_ids_path when libpci cannot parse the
 * database: its parse error ends the process, so a long-lived caller (the
 * keeper) asks first, in a child. 0 otherwise, a missing file included. */
int pci_names_check(const char *ids_path, GError **error);

/* The device name of @id ("1002:74a1"), as lspci shows it; @id itself
 * when it is no vendor:device pair. */
char *pci_names_device(PciNames *names, const char *id);
/* The database's name for @id; NULL when it has none (an older database
 * than the GPU: lspci shows "Device 74a1"), or @id is no vendor:device. */
char *pci_names_lookup(PciNames *names, const char *id);

/* Is @id NVIDIA's: a PCI vendor id as sysfs writes it ("0x10de") or
 * libpci does ("10de"), or a "vendor:device" pair? */
gboolean pci_vendor_is_nvidia(const char *id);

/* Does @want name the GPU @pf_id (whose VF is @vf_id)? Either id exactly
 * (any case), or @want's words appear in a row in the PF's name, ignoring
 * case and punctuation: "MI300X", "instinct mi300x", "FirePro S7150". */
gboolean pci_names_match(PciNames *names, const char *pf_id, const char *vf_id,
                         const char *want);
