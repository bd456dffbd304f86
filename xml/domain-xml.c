/* Reading a libvirt domain XML (name, UUID, <vgpu:device> requests, mdev
 * hostdevs) and adding the missing <hostdev> elements to a definition.
 *
 * The documents come from users who may be less trusted than the host, so
 * the raw bytes are screened (size, NUL, DOCTYPE/ENTITY) before libxml2
 * sees them, the parser runs with network, entity expansion, DTD loading
 * and its "huge" mode off and the encoding forced to UTF-8, and every value
 * echoed in a message is bounded and free of control characters so that
 * each error stays one line. */
#include "domain-xml.h"
#include "vgpu-error.h"
#include "xml-util.h"

#include <stdlib.h>
#include <string.h>

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
                       XML_PARSE_IGNORE_ENC)
#define NAME_MAX_BYTES 255     /* libvirt keeps NAME.xml and NAME.log files */
#define VALUE_MAX_BYTES 256    /* any attribute of ours, any UUID */
#define ECHO_MAX_CHARS 64      /* untrusted names quoted in messages */
#define DEVICES_MAX 64         /* <vgpu:device> per domain */
#define INDENT_STEP "  "

static const char *const device_attrs[] = {
    "uuid", "profile", "type", "parent", "placement", "numa", NULL
};

#if LIBXML_VERSION >= 21200
typedef const xmlError ParserError;
#else
typedef xmlError ParserError;
#endif

typedef struct {
    int line;
    char *message;
} FirstError;

static VgpuDomain *
vgpu_domain_new(void)
{
    VgpuDomain *dom = g_new0(VgpuDomain, 1);

    dom->requests = g_ptr_array_new_with_free_func((GDestroyNotify)vgpu_request_free);
    dom->mdev_hostdevs = g_ptr_array_new_with_free_func(g_free);
    return dom;
}

void
vgpu_domain_free(VgpuDomain *dom)
{
    if (!dom)
        return;
    g_free(dom->name);
    g_free(dom->uuid);
    g_ptr_array_unref(dom->requests);
    g_ptr_array_unref(dom->mdev_hostdevs);
    g_free(dom);
}

/* Sets @error to "domain 'NAME': ..." (or "domain XML: ..." before the
 * name is known) and returns FALSE. */
static gboolean G_GNUC_PRINTF(3, 4)
domain_error(const VgpuDomain *dom, GError **error, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (dom && dom->name)
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "domain '%s': %s", dom->name, msg);
    else
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "domain XML: %s", msg);
    return FALSE;
}

static gboolean
has_control_char(const char *s)
{
    if (!g_utf8_validate(s, -1, NULL))
        return TRUE;
    for (; *s; s = g_utf8_next_char(s)) {
        if (g_unichar_iscntrl(g_utf8_get_char(s)))
            return TRUE;
    }
    return FALSE;
}

/* @s made fit for a one-line message: controls blanked, at most @max chars. */
static char *
one_line(const char *s, glong max)
{
    g_autofree char *valid = g_utf8_make_valid(s, -1);
    g_autofree char *head = NULL;

    for (char *p = valid; *p; p++) {
        if ((guchar)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    }
    g_strstrip(valid);
    if (g_utf8_strlen(valid, -1) <= max)
        return g_steal_pointer(&valid);
    head = g_utf8_substring(valid, 0, max - 3);
    return g_strconcat(head, "...", NULL);
}

static char *
node_text(xmlNode *node)
{
    xmlChar *x = xmlNodeGetContent(node);
    char *s = g_strdup(x ? (const char *)x : "");

    xmlFree(x);
    return s;
}

/* "prefix:name" of an element or attribute, fit to quote in a message. */
static char *
qualified_name(const xmlNs *ns, const xmlChar *name)
{
    g_autofree char *qname = NULL;

    if (ns && ns->prefix)
        qname = g_strdup_printf("%s:%s", ns->prefix, name);
    else
        qname = g_strdup((const char *)name);
    return one_line(qname, ECHO_MAX_CHARS);
}

static gboolean
in_our_ns(xmlNode *node)
{
    return node->ns && g_strcmp0((const char *)node->ns->href, VGPU_XML_NS) == 0;
}

/* ---- reading the document ---- */

static gboolean
check_raw_bytes(const char *buf, gsize len, GError **error)
{
    const char *nul;

    if (len == 0)
        return domain_error(NULL, error, "the document is empty");
    if (len > VGPU_XML_MAX_BYTES)
        return domain_error(NULL, error, "the document is too large (%" G_GSIZE_FORMAT
                            " bytes, the limit is %d)", len, VGPU_XML_MAX_BYTES);
    if ((nul = memchr(buf, '\0', len)))
        return domain_error(NULL, error, "the document contains a NUL byte at offset %td",
                            nul - buf);
    /* No DOCTYPE means no entity can be declared: billion laughs, external
     * entities and parameter entities never reach the parser. */
    if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8))
        return domain_error(NULL, error, "a DOCTYPE or entity declaration is not allowed");
    return TRUE;
}

static void
remember_first_error(void *data, ParserError *err)
{
    xmlParserCtxt *ctxt = data;
    FirstError *first = ctxt->_private;

    if (first->message || err->level < XML_ERR_ERROR)
        return;
    first->line = err->line;
    first->message = g_strdup(err->message ? err->message : "unknown error");
}

static gboolean
not_well_formed(FirstError *first, GError **error)
{
    g_autofree char *msg = NULL;
    char *advice;

    if (!first->message)
        return domain_error(NULL, error, "the document is not well-formed");
    /* libxml2 suggests an option to the programmer; the user cannot use it. */
    if ((advice = strstr(first->message, "use XML_PARSE_HUGE")))
        *advice = '\0';
    msg = one_line(first->message, 200);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "domain XML is not well-formed: line %d: %s", first->line, msg);
    return FALSE;
}

static xmlDoc *
read_doc(const char *buf, gsize len, GError **error)
{
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    FirstError first = { 0, NULL };
    xmlNode *root;
    gboolean ok;

    if (!check_raw_bytes(buf, len, error))
        return NULL;
    if (!(ctxt = xmlNewParserCtxt())) {
        domain_error(NULL, error, "cannot create an XML parser");
        return NULL;
    }
    ctxt->_private = &first;
    ctxt->sax->serror = remember_first_error;
    doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, "UTF-8", PARSE_OPTIONS);
    ok = doc && ctxt->wellFormed && ctxt->nsWellFormed;
    if (!ok)
        not_well_formed(&first, error);
    g_free(first.message);
    if (!ok)
        return NULL;

    if (doc->intSubset || doc->extSubset) {   /* the byte screen should have caught it */
        domain_error(NULL, error, "a document type definition (DTD) is not allowed");
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (!root || root->ns || !xmlStrEqual(root->name, BAD_CAST "domain")) {
        g_autofree char *name = root ? qualified_name(root->ns, root->name) : g_strdup("");
        domain_error(NULL, error, "the root element is <%s>, not <domain>", name);
        return NULL;
    }
    return g_steal_pointer(&doc);
}

static xmlXPathObject *
xpath_eval(xmlXPathContext *xpath, xmlNode *node, const char *expr, GError **error)
{
    xmlXPathObject *obj;

    xpath->node = node;
    obj = xmlXPathEvalExpression(BAD_CAST expr, xpath);
    if (!obj || obj->type != XPATH_NODESET) {
        xmlXPathFreeObject(obj);
        domain_error(NULL, error, "XPath '%s' failed", expr);
        return NULL;
    }
    return obj;
}

static int
node_count(const xmlXPathObject *obj)
{
    return xmlXPathNodeSetGetLength(obj->nodesetval);
}

/* Text of the first node @expr selects; NULL (no error) when none. */
static char *
xpath_string(xmlXPathContext *xpath, xmlNode *node, const char *expr,
             gboolean *ok, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xpath_eval(xpath, node, expr, error);

    *ok = obj != NULL;
    if (!obj || node_count(obj) == 0)
        return NULL;
    return node_text(obj->nodesetval->nodeTab[0]);
}

/* Bounded and free of control characters, so that a message can quote it. */
static gboolean
check_value(const char *what, const char *value, GError **error)
{
    if (strlen(value) > VALUE_MAX_BYTES) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s is too long (%zu bytes, at most %d)",
                    what, strlen(value), VALUE_MAX_BYTES);
        return FALSE;
    }
    if (has_control_char(value)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s contains a control character",
                    what);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_name(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    gboolean ok;
    g_autofree char *name = xpath_string(xpath, NULL, "/domain/name", &ok, error);

    if (!ok)
        return FALSE;
    if (!name)
        return domain_error(NULL, error, "<name> is missing");
    if (!*name)
        return domain_error(NULL, error, "<name> is empty");
    if (strlen(name) > NAME_MAX_BYTES)
        return domain_error(NULL, error, "<name> is longer than %d bytes", NAME_MAX_BYTES);
    if (has_control_char(name))
        return domain_error(NULL, error, "<name> contains a control character");
    dom->name = g_steal_pointer(&name);
    return TRUE;
}

/* Optional here; required later when a device needs a derived UUID. */
static gboolean
read_uuid(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    gboolean ok;
    g_autofree char *uuid = xpath_string(xpath, NULL, "/domain/uuid", &ok, error);

    if (!ok)
        return FALSE;
    if (!uuid)
        return TRUE;
    g_strstrip(uuid);
    if (!check_value("<uuid>", uuid, error) ||
        !vgpu_validate_uuid("<uuid>", uuid, &dom->uuid, error)) {
        g_prefix_error(error, "domain '%s': ", dom->name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_device_attributes(xmlNode *node, GError **error)
{
    for (xmlAttr *attr = node->properties; attr; attr = attr->next) {
        g_autofree char *name = qualified_name(attr->ns, attr->name);
        g_autofree char *value = NULL;
        g_autofree char *what = NULL;

        if (attr->ns || !g_strv_contains(device_attrs, (const char *)attr->name)) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "unknown attribute '%s' (known: uuid, profile, type, parent, placement, "
                        "numa)", name);
            return FALSE;
        }
        value = node_text((xmlNode *)attr);
        what = g_strdup_printf("attribute '%s'", name);
        if (!check_value(what, value, error))
            return FALSE;
    }
    return TRUE;
}

static char *
get_attr(xmlNode *node, const char *name)
{
    xmlChar *x = xmlGetNoNsProp(node, BAD_CAST name);
    char *s = x ? g_strdup((const char *)x) : NULL;

    xmlFree(x);
    return s;
}

/* A PCI address (normalized), or a non-PCI parent device name ("mtty"). */
static gboolean
read_parent(const char *value, char **parent, GError **error)
{
    if (vgpu_validate_pci_addr("parent", value, parent, NULL))
        return TRUE;
    if (g_regex_match_simple("^[A-Za-z][A-Za-z0-9_-]{0,63}$", value, G_REGEX_DOLLAR_ENDONLY, 0)) {
        *parent = g_strdup(value);
        return TRUE;
    }
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "parent '%s' is neither a PCI address (DDDD:BB:DD.F, e.g. 0000:e8:00.4) "
                "nor a device name (letters, digits, '_', '-'; e.g. mtty)", value);
    return FALSE;
}

static gboolean
read_numa(const char *value, int *numa, GError **error)
{
    gsize len = strlen(value);

    if (len == 0 || len > 4 || strspn(value, "0123456789") != len || atoi(value) > 1023) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "numa '%s' is not a NUMA node number (0 to 1023)", value);
        return FALSE;
    }
    *numa = atoi(value);
    return TRUE;
}

/* One <vgpu:device>; errors come without the "domain/device" prefix. */
static VgpuRequest *
read_device(const VgpuDomain *dom, xmlNode *node, guint index, GError **error)
{
    g_autoptr(VgpuRequest) req = g_new0(VgpuRequest, 1);
    g_autofree char *uuid = NULL;
    g_autofree char *parent = NULL;
    g_autofree char *placement = NULL;
    g_autofree char *numa = NULL;

    req->index = index;
    req->numa = -1;
    if (!check_device_attributes(node, error))
        return NULL;
    uuid = get_attr(node, "uuid");
    req->profile = get_attr(node, "profile");
    req->type = get_attr(node, "type");
    parent = get_attr(node, "parent");
    placement = get_attr(node, "placement");
    numa = get_attr(node, "numa");

    if (!req->profile && !req->type) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "needs a 'profile' or a 'type' attribute (e.g. profile=\"A40-2Q\")");
        return NULL;
    }
    if ((req->profile && !vgpu_validate_profile(req->profile, error)) ||
        (req->type && !vgpu_validate_type_id(req->type, error)) ||
        (parent && !read_parent(parent, &req->parent, error)) ||
        (placement && !vgpu_placement_parse(placement, &req->placement, error)) ||
        (numa && !read_numa(numa, &req->numa, error)))
        return NULL;

    if (uuid) {
        if (!vgpu_validate_uuid("uuid", uuid, &req->uuid, error))
            return NULL;
    } else if (!dom->uuid) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "has no 'uuid' attribute and the domain has no <uuid> to derive one from");
        return NULL;
    } else {
        req->uuid = vgpu_uuid_derive(dom->uuid, index);
        req->uuid_derived = TRUE;
    }
    return g_steal_pointer(&req);
}

static gboolean
check_unique_uuid(const VgpuDomain *dom, const VgpuRequest *req, GError **error)
{
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *other = g_ptr_array_index(dom->requests, i);

        if (g_str_equal(other->uuid, req->uuid))
            return domain_error(dom, error, "vGPU device %u: uuid '%s'%s is already used by "
                                "vGPU device %u%s", req->index, req->uuid,
                                req->uuid_derived ? " (derived)" : "", other->index,
                                other->uuid_derived ? " (derived)" : "");
    }
    return TRUE;
}

static gboolean
read_container(xmlNode *container, VgpuDomain *dom, GError **error)
{
    for (xmlNode *node = container->children; node; node = node->next) {
        g_autoptr(VgpuRequest) req = NULL;
        guint index = dom->requests->len;

        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (!in_our_ns(node) || !xmlStrEqual(node->name, BAD_CAST "device")) {
            g_autofree char *name = qualified_name(node->ns, node->name);

            /* Another vocabulary's extension is its business; a typo or a
             * missing prefix in ours must not pass silently. */
            if (node->ns && !in_our_ns(node))
                continue;
            return domain_error(dom, error, "unexpected element <%s> in <vgpu> (only <device> "
                                "in namespace " VGPU_XML_NS " is known)", name);
        }
        if (index >= DEVICES_MAX)
            return domain_error(dom, error, "more than %d vGPU devices", DEVICES_MAX);
        if (!(req = read_device(dom, node, index, error))) {
            g_prefix_error(error, "domain '%s': vGPU device %u: ", dom->name, index);
            return FALSE;
        }
        if (!check_unique_uuid(dom, req, error))
            return FALSE;
        g_ptr_array_add(dom->requests, g_steal_pointer(&req));
    }
    return TRUE;
}

static gboolean
read_requests(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xpath_eval(xpath, NULL, "/domain/metadata/vgpu:vgpu", error);

    if (!obj)
        return FALSE;
    if (node_count(obj) == 0)
        return TRUE;
    if (node_count(obj) > 1)
        return domain_error(dom, error, "more than one <vgpu> element in namespace "
                            VGPU_XML_NS " under <metadata>");
    return read_container(obj->nodesetval->nodeTab[0], dom, error);
}

static gboolean
read_hostdevs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj =
        xpath_eval(xpath, NULL, "/domain/devices/hostdev[@type='mdev']", error);

    if (!obj)
        return FALSE;
    for (int i = 0; i < node_count(obj); i++) {
        gboolean ok;
        g_autofree char *uuid = xpath_string(xpath, obj->nodesetval->nodeTab[i],
                                             "source/address/@uuid", &ok, error);
        char *canonical = NULL;

        if (!ok)
            return FALSE;
        if (!uuid)
            return domain_error(dom, error, "mdev hostdev %d has no <source><address uuid=...>",
                                i);
        if (!check_value("address uuid", uuid, error) ||
            !vgpu_validate_uuid("address uuid", uuid, &canonical, error)) {
            g_prefix_error(error, "domain '%s': mdev hostdev %d: ", dom->name, i);
            return FALSE;
        }
        g_ptr_array_add(dom->mdev_hostdevs, canonical);
    }
    return TRUE;
}

/* The domain described by @buf; the document too when @docp is not NULL. */
static VgpuDomain *
domain_read(const char *buf, gsize len, xmlDoc **docp, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) xpath = NULL;
    g_autoptr(VgpuDomain) dom = NULL;

    g_return_val_if_fail(buf || len == 0, NULL);
    if (!(doc = read_doc(buf, len, error)))
        return NULL;
    xpath = xmlXPathNewContext(doc);
    if (!xpath || xmlXPathRegisterNs(xpath, BAD_CAST "vgpu", BAD_CAST VGPU_XML_NS) < 0) {
        domain_error(NULL, error, "cannot create an XPath context");
        return NULL;
    }
    dom = vgpu_domain_new();
    if (!read_name(xpath, dom, error) || !read_uuid(xpath, dom, error) ||
        !read_requests(xpath, dom, error) || !read_hostdevs(xpath, dom, error))
        return NULL;
    if (docp)
        *docp = g_steal_pointer(&doc);
    return g_steal_pointer(&dom);
}

VgpuDomain *
xml_domain_parse(const char *buf, gsize len, GError **error)
{
    return domain_read(buf, len, NULL, error);
}

gboolean
xml_domain_request_has_hostdev(const VgpuDomain *dom, const VgpuRequest *req)
{
    for (guint i = 0; i < dom->mdev_hostdevs->len; i++) {
        if (g_str_equal(g_ptr_array_index(dom->mdev_hostdevs, i), req->uuid))
            return TRUE;
    }
    return FALSE;
}

char *
xml_hostdev_element(const char *uuid)
{
    return g_strdup_printf("<hostdev mode='subsystem' type='mdev' model='vfio-pci' "
                           "display='off'><source><address uuid='%s'/></source></hostdev>",
                           uuid);
}

/* ---- the rewrite ---- */

static xmlNode *
new_hostdev(xmlDoc *doc, const char *uuid)
{
    xmlNode *hostdev = xmlNewDocNode(doc, NULL, BAD_CAST "hostdev", NULL);
    xmlNode *source = xmlNewChild(hostdev, NULL, BAD_CAST "source", NULL);
    xmlNode *address = xmlNewChild(source, NULL, BAD_CAST "address", NULL);

    xmlNewProp(hostdev, BAD_CAST "mode", BAD_CAST "subsystem");
    xmlNewProp(hostdev, BAD_CAST "type", BAD_CAST "mdev");
    xmlNewProp(hostdev, BAD_CAST "model", BAD_CAST "vfio-pci");
    xmlNewProp(hostdev, BAD_CAST "display", BAD_CAST "off");
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
    long rc;

    if (!save) {
        domain_error(NULL, error, "cannot serialize the document");
        return NULL;
    }
    rc = xmlSaveDoc(save, doc);
    if (xmlSaveClose(save) < 0 || rc < 0) {
        domain_error(NULL, error, "cannot serialize the document");
        return NULL;
    }
    return g_strndup((const char *)xmlBufferContent(out), xmlBufferLength(out));
}

char *
xml_domain_add_hostdevs(const char *buf, gsize len, guint *added, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(VgpuDomain) dom = domain_read(buf, len, &doc, error);
    xmlNode *devices = NULL;
    guint count = 0;

    if (added)
        *added = 0;
    if (!dom)
        return NULL;
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *req = g_ptr_array_index(dom->requests, i);

        if (xml_domain_request_has_hostdev(dom, req))
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
