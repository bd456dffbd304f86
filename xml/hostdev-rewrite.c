/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Adding the missing <hostdev> elements to a domain definition. The new
 * elements are laid out like their siblings, because a user reads and edits
 * the result; a definition that lacks none comes back byte for byte. */
#include "domain-xml.h"
#include "domain-xml-priv.h"
#include "xml-message.h"
#include "xml-util.h"

#include <stdio.h>
#include <string.h>

#define INDENT_STEP "  "

/* The element added for a request, as text and as a node: one list so that
 * the two cannot drift apart. */
static const char *const hostdev_attrs[][2] = {
    { "mode", "subsystem" }, { "type", "mdev" }, { "model", "vfio-pci" }, { "display", "off" },
};

char *
xml_hostdev_element(const char *uuid)
{
    GString *elem = g_string_new("<hostdev");

    for (gsize i = 0; i < G_N_ELEMENTS(hostdev_attrs); i++)
        g_string_append_printf(elem, " %s='%s'", hostdev_attrs[i][0], hostdev_attrs[i][1]);
    g_string_append_printf(elem, "><source><address uuid='%s'/></source></hostdev>", uuid);
    return g_string_free(elem, FALSE);
}

char *
xml_vf_hostdev_element(const char *uuid, const char *addr, gboolean managed)
{
    unsigned d, b, s, f;

    if (sscanf(addr, "%x:%x:%x.%x", &d, &b, &s, &f) != 4)
        return g_strdup("");
    return g_strdup_printf("<hostdev mode='subsystem' type='pci' managed='%s'><source>"
                           "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
                           "function='0x%x'/></source><alias name='" VGPU_HOSTDEV_ALIAS_PREFIX
                           "%s'/></hostdev>", managed ? "yes" : "no", d, b, s, f, uuid);
}

static xmlNode *
new_hostdev(xmlDoc *doc, const char *uuid)
{
    xmlNode *hostdev = xmlNewDocNode(doc, NULL, BAD_CAST "hostdev", NULL);
    xmlNode *source = xmlNewChild(hostdev, NULL, BAD_CAST "source", NULL);
    xmlNode *address = xmlNewChild(source, NULL, BAD_CAST "address", NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(hostdev_attrs); i++)
        xmlNewProp(hostdev, BAD_CAST hostdev_attrs[i][0], BAD_CAST hostdev_attrs[i][1]);
    xmlNewProp(address, BAD_CAST "uuid", BAD_CAST uuid);
    return hostdev;
}

/* "\n" and the indentation of @node's line, or NULL when @node does not
 * start a line of its own. */
static const char *
line_indent(const xmlNode *node)
{
    const xmlNode *prev = node->prev;

    if (!prev || prev->type != XML_TEXT_NODE || !xmlIsBlankNode((xmlNode *)prev))
        return NULL;
    return strrchr((const char *)prev->content, '\n');
}

static void
add_text_before(xmlNode *node, const char *text)
{
    xmlAddPrevSibling(node, xmlNewDocText(node->doc, BAD_CAST text));
}

/* Make @child the last element of @parent, laid out like its siblings (or
 * one step deeper than @parent when it has none). */
static void
append_element(xmlNode *parent, xmlNode *child)
{
    xmlNode *last = xmlLastElementChild(parent);
    const char *outer = line_indent(parent);
    g_autofree char *inner = NULL;

    if (last) {
        xmlAddNextSibling(last, child);
        if (line_indent(last))
            add_text_before(child, line_indent(last));
        return;
    }
    if (parent->last && xmlIsBlankNode(parent->last)) {
        xmlAddPrevSibling(parent->last, child);
    } else {
        xmlAddChild(parent, child);
        if (outer)
            xmlAddNextSibling(child, xmlNewDocText(parent->doc, BAD_CAST outer));
    }
    if (outer) {
        inner = g_strconcat(outer, INDENT_STEP, NULL);
        add_text_before(child, inner);
    }
}

static xmlNode *
find_or_add_devices(xmlDoc *doc)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *devices;

    for (devices = xmlFirstElementChild(root); devices; devices = xmlNextElementSibling(devices)) {
        if (!devices->ns && xmlStrEqual(devices->name, BAD_CAST "devices"))
            return devices;
    }
    devices = xmlNewDocNode(doc, NULL, BAD_CAST "devices", NULL);
    append_element(root, devices);
    return devices;
}

static gboolean
has_xml_declaration(const char *buf, gsize len)
{
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    return len > 5 && memcmp(buf, "<?xml", 5) == 0 && g_ascii_isspace(buf[5]);
}

static char *
doc_to_string(xmlDoc *doc, gboolean declaration, GError **error)
{
    g_autoptr(xmlBuffer) out = xmlBufferCreate();
    xmlSaveCtxt *save = out ? xmlSaveToBuffer(out, "UTF-8", declaration ? 0 : XML_SAVE_NO_DECL)
                            : NULL;
    long rc = save ? xmlSaveDoc(save, doc) : -1;

    if (!save || xmlSaveClose(save) < 0 || rc < 0) {
        xml_domain_error(NULL, error, "cannot serialize the document");
        return NULL;
    }
    return g_strndup((const char *)xmlBufferContent(out), xmlBufferLength(out));
}

char *
xml_domain_add_hostdevs(const char *buf, gsize len, guint *added, GError **error)
{
    return xml_domain_add_hostdevs_except(buf, len, NULL, added, error);
}

char *
xml_domain_add_hostdevs_except(const char *buf, gsize len, GHashTable *whole_vf,
                               guint *added, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VgpuDomain) dom = xml_domain_read(buf, len, &doc, error);
    xmlNode *devices = NULL;
    guint count = 0;

    if (added)
        *added = 0;
    if (!dom)
        return NULL;
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(dom->requests, i);

        /* A whole VF is chosen on its host (vgpuctl sync), never here. */
        if (req->gpu || (whole_vf && g_hash_table_contains(whole_vf, req->uuid)) ||
            xml_domain_request_has_hostdev(dom, req))
            continue;
        if (!devices)
            devices = find_or_add_devices(doc);
        append_element(devices, new_hostdev(doc, req->uuid));
        count++;
    }
    if (added)
        *added = count;
    if (count == 0)
        return g_strndup(buf, len);
    return doc_to_string(doc, has_xml_declaration(buf, len), error);
}

/* xml_domain_read() keeps no document it dropped a DOCTYPE or entity
 * reference from (only a domain asking for nothing gets that far). */
static char *
no_doc(const VgpuDomain *dom, GError **error)
{
    xml_domain_error(dom, error, "asks for no vGPU and holds a DOCTYPE or entity reference: "
                     "not rewritten");
    return NULL;
}

static void
set_pci_address(xmlNode *addr, guint d, guint b, guint s, guint f)
{
    char v[8];

    g_snprintf(v, sizeof(v), "0x%04x", d);
    xmlSetProp(addr, BAD_CAST "domain", BAD_CAST v);
    g_snprintf(v, sizeof(v), "0x%02x", b);
    xmlSetProp(addr, BAD_CAST "bus", BAD_CAST v);
    g_snprintf(v, sizeof(v), "0x%02x", s);
    xmlSetProp(addr, BAD_CAST "slot", BAD_CAST v);
    g_snprintf(v, sizeof(v), "0x%x", f);
    xmlSetProp(addr, BAD_CAST "function", BAD_CAST v);
}

/* The <address> of the PCI hostdev aliased ua-vgpu-@uuid, or NULL. */
static xmlNode *
find_vf_address(xmlDoc *doc, const char *uuid)
{
    g_autofree char *alias = g_strconcat(VGPU_HOSTDEV_ALIAS_PREFIX, uuid, NULL);
    xmlNode *root = xmlDocGetRootElement(doc);

    for (xmlNode *devs = xmlFirstElementChild(root); devs; devs = xmlNextElementSibling(devs)) {
        if (devs->ns || !xmlStrEqual(devs->name, BAD_CAST "devices"))
            continue;
        for (xmlNode *h = xmlFirstElementChild(devs); h; h = xmlNextElementSibling(h)) {
            xmlNode *src = NULL, *addr = NULL;
            gboolean ours = FALSE;
            g_autofree xmlChar *type = NULL;

            if (h->ns || !xmlStrEqual(h->name, BAD_CAST "hostdev"))
                continue;
            type = xmlGetProp(h, BAD_CAST "type");
            if (!type || !xmlStrEqual(type, BAD_CAST "pci"))
                continue;
            for (xmlNode *c = xmlFirstElementChild(h); c; c = xmlNextElementSibling(c)) {
                g_autofree xmlChar *name = NULL;

                if (xmlStrEqual(c->name, BAD_CAST "source"))
                    src = c;
                else if (xmlStrEqual(c->name, BAD_CAST "alias") &&
                         (name = xmlGetProp(c, BAD_CAST "name")))
                    ours = xmlStrEqual(name, BAD_CAST alias);
            }
            for (xmlNode *c = src ? xmlFirstElementChild(src) : NULL; c && !addr;
                 c = xmlNextElementSibling(c))
                if (xmlStrEqual(c->name, BAD_CAST "address"))
                    addr = c;
            if (ours && addr)
                return addr;
        }
    }
    return NULL;
}

char *
xml_domain_repoint_vfs(const char *buf, gsize len, GHashTable *moves, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VgpuDomain) dom = xml_domain_read(buf, len, &doc, error);
    GHashTableIter iter;
    gpointer uuid, vf;

    if (!dom)
        return NULL;
    if (!doc)
        return no_doc(dom, error);
    g_hash_table_iter_init(&iter, moves);
    while (g_hash_table_iter_next(&iter, &uuid, &vf)) {
        xmlNode *addr = find_vf_address(doc, uuid);
        unsigned d, b, s, f;

        if (!addr || sscanf(vf, "%x:%x:%x.%x", &d, &b, &s, &f) != 4) {
            xml_domain_error(dom, error, "no PCI hostdev with alias '%s%s' to point at %s",
                             VGPU_HOSTDEV_ALIAS_PREFIX, (const char *)uuid, (const char *)vf);
            return NULL;
        }
        set_pci_address(addr, d, b, s, f);
    }
    return doc_to_string(doc, has_xml_declaration(buf, len), error);
}

void
xml_vf_point_free(XmlVfPoint *point)
{
    if (!point)
        return;
    g_free(point->addr);
    g_free(point);
}

/* The element xml_vf_hostdev_element() writes, as a node. */
static xmlNode *
new_vf_hostdev(xmlDoc *doc, const char *uuid, guint d, guint b, guint s, guint f,
               gboolean managed)
{
    xmlNode *hostdev = xmlNewDocNode(doc, NULL, BAD_CAST "hostdev", NULL);
    xmlNode *source = xmlNewChild(hostdev, NULL, BAD_CAST "source", NULL);
    xmlNode *addr = xmlNewChild(source, NULL, BAD_CAST "address", NULL);
    xmlNode *alias = xmlNewChild(hostdev, NULL, BAD_CAST "alias", NULL);
    g_autofree char *name = g_strconcat(VGPU_HOSTDEV_ALIAS_PREFIX, uuid, NULL);

    xmlNewProp(hostdev, BAD_CAST "mode", BAD_CAST "subsystem");
    xmlNewProp(hostdev, BAD_CAST "type", BAD_CAST "pci");
    xmlNewProp(hostdev, BAD_CAST "managed", BAD_CAST(managed ? "yes" : "no"));
    set_pci_address(addr, d, b, s, f);
    xmlNewProp(alias, BAD_CAST "name", BAD_CAST name);
    return hostdev;
}

/* Drop the <hostdev type='mdev'> of @uuid (and the blank line it stood
 * on): a whole VF serves that request here. */
static void
drop_mdev_hostdev(xmlNode *devices, const char *uuid)
{
    for (xmlNode *h = xmlFirstElementChild(devices); h; h = xmlNextElementSibling(h)) {
        g_autofree xmlChar *type = NULL;
        xmlNode *src, *addr;

        if (h->ns || !xmlStrEqual(h->name, BAD_CAST "hostdev") ||
            !(type = xmlGetProp(h, BAD_CAST "type")) || !xmlStrEqual(type, BAD_CAST "mdev"))
            continue;
        for (src = xmlFirstElementChild(h); src; src = xmlNextElementSibling(src))
            if (xmlStrEqual(src->name, BAD_CAST "source"))
                break;
        for (addr = src ? xmlFirstElementChild(src) : NULL; addr; addr = xmlNextElementSibling(addr)) {
            g_autofree xmlChar *u = xmlGetProp(addr, BAD_CAST "uuid");

            if (xmlStrEqual(addr->name, BAD_CAST "address") && u &&
                g_ascii_strcasecmp((const char *)u, uuid) == 0) {
                if (line_indent(h)) {
                    xmlNode *blank = h->prev;
                    xmlUnlinkNode(blank);
                    xmlFreeNode(blank);
                }
                xmlUnlinkNode(h);
                xmlFreeNode(h);
                return;
            }
        }
    }
}

char *
xml_domain_point_vfs(const char *buf, gsize len, GHashTable *points, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VgpuDomain) dom = xml_domain_read(buf, len, &doc, error);
    g_autoptr(GList) uuids = NULL;

    if (!dom)
        return NULL;
    if (!doc)
        return no_doc(dom, error);
    /* In UUID order: the same points always give the same text. */
    uuids = g_list_sort(g_hash_table_get_keys(points), (GCompareFunc)strcmp);
    for (GList *l = uuids; l; l = l->next) {
        const XmlVfPoint *p = g_hash_table_lookup(points, l->data);
        xmlNode *addr = find_vf_address(doc, l->data);
        guint d, b, s, f;

        if (!p || sscanf(p->addr, "%x:%x:%x.%x", &d, &b, &s, &f) != 4) {
            xml_domain_error(dom, error, "'%s' is no PCI address to point vGPU %s at",
                             p ? p->addr : "", (const char *)l->data);
            return NULL;
        }
        if (addr) {
            set_pci_address(addr, d, b, s, f);
            xmlSetProp(addr->parent->parent, BAD_CAST "managed",
                       BAD_CAST(p->managed ? "yes" : "no"));
        } else {
            xmlNode *devices = find_or_add_devices(doc);

            drop_mdev_hostdev(devices, l->data);
            append_element(devices, new_vf_hostdev(doc, l->data, d, b, s, f, p->managed));
        }
    }
    return doc_to_string(doc, has_xml_declaration(buf, len), error);
}
