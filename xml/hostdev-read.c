/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a domain's hostdevs: the mdev ones (by UUID), the PCI ones
 * that carry a request's whole VF (alias ua-vgpu-UUID), and the source of
 * every PCI one. */
#include "domain-xml-priv.h"
#include "vgpu-error.h"
#include "vgpu-validate.h"
#include "xml-message.h"
#include "xml-read.h"

#include <string.h>

#define VGPU_XML_PCI_HOSTDEV_MAX 1024   /* PCI hostdevs read from one domain */

int
xml_hostdev_read_mdevs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj =
        xml_read_xpath(xpath, NULL, "/domain/devices/hostdev[@type='mdev']", error);

    if (!obj)
        return -1;
    for (int i = 0; i < xml_read_count(obj); i++) {
        gboolean ok;
        g_autofree char *uuid = xml_read_xpath_string(xpath, obj->nodesetval->nodeTab[i],
                                                      "source/address/@uuid", &ok, error);
        char *canonical = NULL;

        if (!ok)
            return -1;
        if (!uuid)
            return xml_domain_error(dom, error,
                                    "mdev hostdev %d has no <source><address uuid=...>", i);
        if (xml_read_check_value("address uuid", uuid, error) < 0 ||
            vgpu_validate_uuid("address uuid", uuid, &canonical, error) < 0) {
            g_prefix_error(error, "domain '%s': mdev hostdev %d: ", dom->name, i);
            return -1;
        }
        g_ptr_array_add(dom->mdev_hostdevs, canonical);
    }
    return 0;
}

/* One hex number of at most @max: a <source><address> attribute. */
static gboolean
read_hex_attr(xmlNode *addr, const char *name, guint64 max, guint *out)
{
    g_autofree char *v = xml_read_attr(addr, name);
    guint64 n;

    if (!v || !g_str_has_prefix(v, "0x") ||
        !g_ascii_string_to_unsigned(v + 2, 16, 0, max, &n, NULL))
        return FALSE;
    *out = (guint)n;
    return TRUE;
}

/* <hostdev type='pci'> with <alias name='ua-vgpu-UUID'/>: the VF of the
 * request UUID. Other PCI hostdevs are none of our business. */
int
xml_hostdev_read_vfs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xml_read_xpath(
        xpath, NULL, "/domain/devices/hostdev[@type='pci'][starts-with(alias/@name,'"
        VGPU_HOSTDEV_ALIAS_PREFIX "')]", error);

    if (!obj)
        return -1;
    for (int i = 0; i < xml_read_count(obj); i++) {
        xmlNode *node = obj->nodesetval->nodeTab[i];
        gboolean ok;
        g_autofree char *alias = xml_read_xpath_string(xpath, node, "alias/@name", &ok, error);
        g_autoptr(xmlXPathObject) addr = ok ? xml_read_xpath(xpath, node, "source/address", error)
                                            : NULL;
        g_autofree char *uuid = NULL;
        g_autofree char *managed = xml_read_attr(node, "managed");
        guint d, b, s, f;

        if (!addr)
            return -1;
        if (xml_read_check_value("hostdev alias", alias, error) < 0 ||
            vgpu_validate_uuid("hostdev alias", alias + strlen(VGPU_HOSTDEV_ALIAS_PREFIX),
                               &uuid, error) < 0) {
            g_prefix_error(error, "domain '%s': ", dom->name);
            return -1;
        }
        if (xml_read_count(addr) != 1 ||
            !read_hex_attr(addr->nodesetval->nodeTab[0], "domain", 0xffff, &d) ||
            !read_hex_attr(addr->nodesetval->nodeTab[0], "bus", 0xff, &b) ||
            !read_hex_attr(addr->nodesetval->nodeTab[0], "slot", 0x1f, &s) ||
            !read_hex_attr(addr->nodesetval->nodeTab[0], "function", 0x7, &f))
            return xml_domain_error(dom, error, "hostdev '%s' has no <source><address "
                                    "domain= bus= slot= function=> in hex (0x...)", alias);
        for (guint k = 0; k < dom->requests->len; k++) {
            VgpuRequest *req = g_ptr_array_index(dom->requests, k);

            if (strcmp(req->uuid, uuid) != 0)
                continue;
            if (req->vf)
                return xml_domain_error(dom, error, "two hostdevs carry alias '%s'", alias);
            req->vf = g_strdup_printf("%04x:%02x:%02x.%x", d, b, s, f);
            req->vf_managed = g_strcmp0(managed, "yes") == 0;   /* libvirt's default: no */
        }
    }
    return 0;
}

/* The source of every <hostdev type='pci'>: what a running domain holds. */
int
xml_hostdev_read_pci_addrs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xml_read_xpath(
        xpath, NULL, "/domain/devices/hostdev[@type='pci']/source/address", error);

    if (!obj)
        return -1;
    for (int i = 0; i < xml_read_count(obj) && i < VGPU_XML_PCI_HOSTDEV_MAX; i++) {
        xmlNode *addr = obj->nodesetval->nodeTab[i];
        guint d, b, s, f;

        if (read_hex_attr(addr, "domain", 0xffff, &d) && read_hex_attr(addr, "bus", 0xff, &b) &&
            read_hex_attr(addr, "slot", 0x1f, &s) && read_hex_attr(addr, "function", 0x7, &f))
            g_ptr_array_add(dom->pci_addrs, g_strdup_printf("%04x:%02x:%02x.%x", d, b, s, f));
    }
    return 0;
}
