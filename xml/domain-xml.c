/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a libvirt domain XML: its name, UUID and where it runs here;
 * its <vgpu:device> requests (device-read.c) and hostdevs
 * (hostdev-read.c) there; each value validated.
 *
 * The document is read by xml_safe_read_dropping(); what is taken from it
 * is bounded and free of control characters, so that a message can quote
 * it (xml-message.h). A DOCTYPE or an entity reference refuses a domain
 * that asks for a vGPU; one that asks for nothing is never refused. */
#include "domain-xml.h"
#include "domain-xml-priv.h"
#include "vgpu-error.h"
#include "xml-message.h"
#include "xml-read.h"
#include "xml-safe-read.h"
#include "xml-util.h"
#include "vgpu-validate.h"
#include "vgpu-cpuset.h"

#include <string.h>

#define NAME_MAX_BYTES 255     /* libvirt keeps NAME.xml and NAME.log files */

static VgpuDomain *
vgpu_domain_new(void)
{
    VgpuDomain *dom = g_new0(VgpuDomain, 1);

    dom->requests = g_ptr_array_new_with_free_func((GDestroyNotify)vgpu_request_free);
    dom->mdev_hostdevs = g_ptr_array_new_with_free_func(g_free);
    dom->pci_addrs = g_ptr_array_new_with_free_func(g_free);
    return dom;
}

void
xml_domain_free(VgpuDomain *dom)
{
    if (!dom)
        return;
    g_free(dom->name);
    g_free(dom->uuid);
    g_ptr_array_unref(dom->requests);
    g_ptr_array_unref(dom->mdev_hostdevs);
    g_ptr_array_unref(dom->pci_addrs);
    if (dom->mem_nodes)
        g_array_unref(dom->mem_nodes);
    if (dom->cpus)
        g_array_unref(dom->cpus);
    g_free(dom);
}

/* The safely read document, provided its root is a <domain>; *dropped
 * says what was left out of it (xml_safe_read_dropping()). */
static xmlDoc *
read_doc(const char *buf, gsize len, char **dropped, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *root;

    if (!(doc = xml_safe_read_dropping(buf, len, dropped, error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (!root || root->ns || !xmlStrEqual(root->name, BAD_CAST "domain")) {
        g_autofree char *name = root ? xml_read_qname(root->ns, root->name) : g_strdup("");
        xml_domain_error(NULL, error, "the root element is <%s>, not <domain>", name);
        g_clear_pointer(dropped, g_free);
        return NULL;
    }
    return g_steal_pointer(&doc);
}

static int
read_name(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    gboolean ok;
    g_autofree char *name = xml_read_xpath_string(xpath, NULL, "/domain/name", &ok, error);

    if (!ok)
        return -1;
    if (!name)
        return xml_domain_error(NULL, error, "<name> is missing");
    if (!*name)
        return xml_domain_error(NULL, error, "<name> is empty");
    if (strlen(name) > NAME_MAX_BYTES)
        return xml_domain_error(NULL, error, "<name> is longer than %d bytes", NAME_MAX_BYTES);
    if (xml_read_has_control_char(name))
        return xml_domain_error(NULL, error, "<name> contains a control character");
    dom->name = g_steal_pointer(&name);
    return 0;
}

/* Optional here; required later when a device needs a derived UUID. */
static int
read_uuid(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    gboolean ok;
    g_autofree char *uuid = xml_read_xpath_string(xpath, NULL, "/domain/uuid", &ok, error);

    if (!ok)
        return -1;
    if (!uuid)
        return 0;
    g_strstrip(uuid);
    if (xml_read_check_value("<uuid>", uuid, error) < 0 ||
        vgpu_validate_uuid("<uuid>", uuid, &dom->uuid, error) < 0) {
        g_prefix_error(error, "domain '%s': ", dom->name);
        return -1;
    }
    return 0;
}

/* The union of the lists every node @expr selects says; *set stays NULL
 * when none does. */
static int
read_set(xmlXPathContext *xpath, VgpuDomain *dom, const char *expr, const char *what,
         GArray **set, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xml_read_xpath(xpath, NULL, expr, error);

    if (!obj)
        return -1;
    for (int i = 0; i < xml_read_count(obj); i++) {
        g_autofree char *value = xml_read_text(obj->nodesetval->nodeTab[i]);
        g_autoptr(GArray) one = NULL;

        if (xml_read_check_value(what, value, error) < 0 ||
            vgpu_cpuset_parse(what, value, &one, error) < 0) {
            g_prefix_error(error, "domain '%s': ", dom->name);
            return -1;
        }
        if (!*set)
            *set = g_array_new(FALSE, FALSE, sizeof(guint));
        vgpu_cpuset_merge(*set, one);
    }
    return 0;
}

/* Only domains asking for a vGPU need them. */
static int
read_locality(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    if (dom->requests->len == 0)
        return 0;
    if (read_set(xpath, dom, "/domain/numatune/memory/@nodeset", "<numatune><memory nodeset>",
                 &dom->mem_nodes, error) < 0 ||
        read_set(xpath, dom, "/domain/vcpu/@cpuset", "<vcpu cpuset>", &dom->cpus, error) < 0 ||
        read_set(xpath, dom, "/domain/cputune/vcpupin/@cpuset", "<vcpupin cpuset>",
                 &dom->cpus, error) < 0)
        return -1;
    return 0;
}

/* A domain that asks for nothing is never refused: the hook runs for every
 * domain whose XML mentions our namespace anywhere (a description, another
 * application's metadata) and has nothing to stop. What reads well is kept
 * for those that look at any domain (release finds the ledger by the UUID,
 * vgpuctl status shows who holds an mdev); the rest is left out. */
static void
read_what_it_can(xmlXPathContext *xpath, VgpuDomain *dom)
{
    read_name(xpath, dom, NULL);
    read_uuid(xpath, dom, NULL);
    xml_hostdev_read_mdevs(xpath, dom, NULL);
    xml_hostdev_read_pci_addrs(xpath, dom, NULL);
}

VgpuDomain *
xml_domain_read(const char *buf, gsize len, xmlDoc **docp, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) xpath = NULL;
    g_autoptr(xmlXPathObject) ours = NULL;
    g_autoptr(VgpuDomain) dom = NULL;
    g_autofree char *dropped = NULL;

    g_return_val_if_fail(buf || len == 0, NULL);
    if (!(doc = read_doc(buf, len, &dropped, error)))
        return NULL;
    xpath = xmlXPathNewContext(doc);
    if (!xpath || xmlXPathRegisterNs(xpath, BAD_CAST "vgpu", BAD_CAST VGPU_XML_NS) < 0) {
        xml_domain_error(NULL, error, "cannot create an XPath context");
        return NULL;
    }
    if (!(ours = xml_device_ours(xpath, error)))
        return NULL;
    dom = vgpu_domain_new();
    if (xml_read_count(ours) == 0) {
        read_what_it_can(xpath, dom);
        if (docp && !dropped)
            *docp = g_steal_pointer(&doc);
        return g_steal_pointer(&dom);
    }
    if (dropped) {
        xml_domain_error(NULL, error, "%s", dropped);
        return NULL;
    }
    if (read_name(xpath, dom, error) < 0 || read_uuid(xpath, dom, error) < 0 ||
        xml_device_read_all(ours, dom, error) < 0 ||
        xml_hostdev_read_mdevs(xpath, dom, error) < 0 ||
        xml_hostdev_read_vfs(xpath, dom, error) < 0 ||
        xml_hostdev_read_pci_addrs(xpath, dom, error) < 0 ||
        read_locality(xpath, dom, error) < 0)
        return NULL;
    if (docp)
        *docp = g_steal_pointer(&doc);
    return g_steal_pointer(&dom);
}

GPtrArray *
xml_domain_pci_addrs(const char *buf, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) xpath = NULL;
    g_autoptr(VgpuDomain) dom = NULL;
    g_autofree char *dropped = NULL;

    /* Addresses only: what was dropped changes none. */
    if (!(doc = read_doc(buf, len, &dropped, error)))
        return NULL;
    if (!(xpath = xmlXPathNewContext(doc))) {
        xml_domain_error(NULL, error, "cannot create an XPath context");
        return NULL;
    }
    dom = vgpu_domain_new();
    if (xml_hostdev_read_pci_addrs(xpath, dom, error) < 0)
        return NULL;
    return g_ptr_array_ref(dom->pci_addrs);
}

VgpuDomain *
xml_domain_parse(const char *buf, gsize len, GError **error)
{
    return xml_domain_read(buf, len, NULL, error);
}

gboolean
xml_domain_request_has_hostdev(const VgpuDomain *dom, const VgpuRequest *req)
{
    if (req->vf)
        return TRUE;
    for (guint i = 0; i < dom->mdev_hostdevs->len; i++) {
        if (g_str_equal(g_ptr_array_index(dom->mdev_hostdevs, i), req->uuid))
            return TRUE;
    }
    return FALSE;
}

char *
xml_domain_hostdev_advice(const VgpuDomain *dom, const VgpuRequest *only, guint *count)
{
    g_autoptr(GString) elems = g_string_new(NULL);
    guint n = 0;

    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(dom->requests, i);
        g_autofree char *elem = NULL;

        if ((only && req != only) || xml_domain_request_has_hostdev(dom, req))
            continue;
        elem = xml_hostdev_element(req->uuid);
        g_string_append_printf(elems, "%s%s", n++ ? " " : "", elem);
    }
    if (count)
        *count = n;
    if (n == 0)
        return NULL;
    return vgpu_request_advice_add(elems->str, NULL, dom->name);
}
