/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to xml/: what domain-xml.c shares with the readers of a
 * domain's parts (device-read.c, hostdev-read.c) and with
 * hostdev-rewrite.c, which needs the parsed document as well as the domain
 * read from it. */
#pragma once

#include <glib.h>
#include "domain-xml.h"
#include "xml-util.h"

/* The domain described by @buf; the document too when @docp is not NULL.
 * *@docp is NULL (and the domain asks for nothing) when the document
 * was read only by dropping a DOCTYPE or an entity reference: written
 * back, it would not say what it said. */
VgpuDomain *xml_domain_read(const char *buf, gsize len, xmlDoc **docp, GError **error);

/* The elements of namespace urn:vgpu-hook:1 directly under <metadata>:
 * none when the domain asks for nothing. */
xmlXPathObject *xml_device_ours(xmlXPathContext *xpath, GError **error);
/* The requests @ours (xml_device_ours()) make into dom->requests: the
 * <device> elements of a <vgpu:vgpu>, or one lone <vgpu:device> (what
 * `virsh metadata --key vgpu --set '<device .../>'` stores); any other
 * element, or more than one, is refused. dom->uuid derives the UUIDs of
 * those without one. */
int xml_device_read_all(xmlXPathObject *ours, VgpuDomain *dom, GError **error);

/* The UUID of every <hostdev type='mdev'> into dom->mdev_hostdevs. */
int xml_hostdev_read_mdevs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error);
/* The VF of each request whose PCI hostdev carries its alias into req->vf. */
int xml_hostdev_read_vfs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error);
/* The source of every <hostdev type='pci'> into dom->pci_addrs. */
int xml_hostdev_read_pci_addrs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error);
