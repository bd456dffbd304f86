/* Private to xml/: what domain-xml.c shares with the readers of a
 * domain's parts (device-read.c, hostdev-read.c) and with
 * hostdev-rewrite.c, which needs the parsed document as well as the domain
 * read from it. */
#pragma once

#include <glib.h>
#include "domain-xml.h"
#include "xml-util.h"

/* The domain described by @buf; the document too when @docp is not NULL. */
VgpuDomain *xml_domain_read(const char *buf, gsize len, xmlDoc **docp, GError **error);

/* The requests of the <vgpu:vgpu> element under <metadata> (none when it
 * is absent) into dom->requests; dom->uuid derives those without one. */
int xml_device_read_all(xmlXPathContext *xpath, VgpuDomain *dom, GError **error);

/* The UUID of every <hostdev type='mdev'> into dom->mdev_hostdevs. */
int xml_hostdev_read_mdevs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error);
/* The VF of each request whose PCI hostdev carries its alias into req->vf. */
int xml_hostdev_read_vfs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error);
/* The source of every <hostdev type='pci'> into dom->pci_addrs. */
int xml_hostdev_read_pci_addrs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error);
