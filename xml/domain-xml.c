/* Reading a libvirt domain XML: its name, UUID, <vgpu:device> requests and
 * mdev hostdevs, each value validated.
 *
 * The document is read by xml_safe_read(); what is taken from it here is
 * bounded and free of control characters, so that a message can quote it
 * (xml-message.h). */
#include "domain-xml.h"
#include "domain-xml-priv.h"
#include "vgpu-error.h"
#include "xml-message.h"
#include "xml-safe-read.h"
#include "xml-util.h"
#include "vgpu-validate.h"
#include "vgpu-cpuset.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 255     /* libvirt keeps NAME.xml and NAME.log files */
#define VALUE_MAX_BYTES 256    /* any attribute of ours, any UUID */
#define ECHO_MAX_CHARS 64      /* untrusted names quoted in messages */
#define VGPU_XML_PCI_HOSTDEV_MAX 1024   /* PCI hostdevs read from one domain */

static const char *const device_attrs[] = {
    "uuid", "profile", "type", "parent", "placement", "numa", "framebuffer", "series", "gpu",
    NULL
};

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
    return xml_one_line(qname, ECHO_MAX_CHARS);
}

static gboolean
in_our_ns(xmlNode *node)
{
    return node->ns && g_strcmp0((const char *)node->ns->href, VGPU_XML_NS) == 0;
}

/* The safely read document, provided its root is a <domain>. */
static xmlDoc *
read_doc(const char *buf, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *root;

    if (!(doc = xml_safe_read(buf, len, error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (!root || root->ns || !xmlStrEqual(root->name, BAD_CAST "domain")) {
        g_autofree char *name = root ? qualified_name(root->ns, root->name) : g_strdup("");
        xml_domain_error(NULL, error, "the root element is <%s>, not <domain>", name);
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
        xml_domain_error(NULL, error, "XPath '%s' failed", expr);
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
static int
check_value(const char *what, const char *value, GError **error)
{
    if (strlen(value) > VALUE_MAX_BYTES) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s is too long (%zu bytes, at most %d)",
                    what, strlen(value), VALUE_MAX_BYTES);
        return -1;
    }
    if (has_control_char(value)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s contains a control character",
                    what);
        return -1;
    }
    return 0;
}

static int
read_name(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    gboolean ok;
    g_autofree char *name = xpath_string(xpath, NULL, "/domain/name", &ok, error);

    if (!ok)
        return -1;
    if (!name)
        return xml_domain_error(NULL, error, "<name> is missing");
    if (!*name)
        return xml_domain_error(NULL, error, "<name> is empty");
    if (strlen(name) > NAME_MAX_BYTES)
        return xml_domain_error(NULL, error, "<name> is longer than %d bytes", NAME_MAX_BYTES);
    if (has_control_char(name))
        return xml_domain_error(NULL, error, "<name> contains a control character");
    dom->name = g_steal_pointer(&name);
    return 0;
}

/* Optional here; required later when a device needs a derived UUID. */
static int
read_uuid(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    gboolean ok;
    g_autofree char *uuid = xpath_string(xpath, NULL, "/domain/uuid", &ok, error);

    if (!ok)
        return -1;
    if (!uuid)
        return 0;
    g_strstrip(uuid);
    if (check_value("<uuid>", uuid, error) < 0 ||
        vgpu_validate_uuid("<uuid>", uuid, &dom->uuid, error) < 0) {
        g_prefix_error(error, "domain '%s': ", dom->name);
        return -1;
    }
    return 0;
}

static int
check_device_attributes(xmlNode *node, GError **error)
{
    for (xmlAttr *attr = node->properties; attr; attr = attr->next) {
        g_autofree char *name = qualified_name(attr->ns, attr->name);
        g_autofree char *value = NULL;
        g_autofree char *what = NULL;

        if (attr->ns || !g_strv_contains(device_attrs, (const char *)attr->name)) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "unknown attribute '%s' (known: uuid, profile, type, parent, placement, "
                        "numa, framebuffer, series, gpu)", name);
            return -1;
        }
        value = node_text((xmlNode *)attr);
        what = g_strdup_printf("attribute '%s'", name);
        if (check_value(what, value, error) < 0)
            return -1;
    }
    return 0;
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
static int
read_parent(const char *value, char **parent, GError **error)
{
    if (vgpu_validate_pci_addr("parent", value, parent, NULL) == 0)
        return 0;
    if (g_regex_match_simple("^[A-Za-z][A-Za-z0-9_-]{0,63}$", value, G_REGEX_DOLLAR_ENDONLY, 0)) {
        *parent = g_strdup(value);
        return 0;
    }
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "parent '%s' is neither a PCI address (DDDD:BB:DD.F, e.g. 0000:e8:00.4) "
                "nor a device name (letters, digits, '_', '-'; e.g. mtty)", value);
    return -1;
}

static int
read_numa(const char *value, int *numa, GError **error)
{
    gsize len = strlen(value);

    if (len == 0 || len > 4 || strspn(value, "0123456789") != len || atoi(value) > 1023) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "numa '%s' is not a NUMA node number (0 to 1023)", value);
        return -1;
    }
    *numa = atoi(value);
    return 0;
}

/* The attributes that say what a device is combine in these ways only:
 * a name (profile, type id, or both, which must agree), a need
 * (framebuffer with series: the profile is chosen), or gpu alone (a whole
 * VF with no vGPU type: nothing to name, no size to need). parent,
 * placement and numa go with any of them. */
#define WHAT_ALLOWED "allowed: profile, type, profile with type, framebuffer with series, " \
                     "or gpu alone"

/* "'gpu' with 'framebuffer' and 'series'": what a refused mix gave. */
static char *
what_given(const char *const *names, const gboolean *present, guint n)
{
    GString *s = g_string_new(NULL);
    guint shown = 0, total = 0;

    for (guint i = 0; i < n; i++)
        total += present[i];
    for (guint i = 0; i < n; i++) {
        if (!present[i])
            continue;
        g_string_append_printf(s, "%s'%s'", shown == 0 ? "" :
                               shown + 1 == total ? (shown == 1 ? " with " : " and ") : ", ",
                               names[i]);
        shown++;
    }
    return g_string_free(s, FALSE);
}

static int
what_refuse(GError **error, const char *why, const gboolean *present)
{
    static const char *const names[] = { "gpu", "profile", "type", "framebuffer", "series" };
    g_autofree char *given = what_given(names, present, G_N_ELEMENTS(names));

    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s (given: %s); " WHAT_ALLOWED, why,
                given);
    return -1;
}

/* What names the device: WHAT_ALLOWED says the combinations. */
static int
read_what(xmlNode *node, VgpuRequest *req, GError **error)
{
    g_autofree char *framebuffer = get_attr(node, "framebuffer");
    g_autofree char *series = get_attr(node, "series");
    guint64 mb = 0;
    char letter = 0;
    gboolean present[5];

    req->profile = get_attr(node, "profile");
    req->type = get_attr(node, "type");
    req->gpu = get_attr(node, "gpu");
    present[0] = req->gpu != NULL;
    present[1] = req->profile != NULL;
    present[2] = req->type != NULL;
    present[3] = framebuffer != NULL;
    present[4] = series != NULL;
    if (req->gpu) {
        if (req->profile || req->type || framebuffer || series)
            return what_refuse(error, "'gpu' asks for a whole VF with no vGPU type and takes "
                               "no 'profile', 'type', 'framebuffer' or 'series'", present);
        return vgpu_validate_gpu_name(req->gpu, error);
    }
    if ((framebuffer || series) && (req->profile || req->type))
        return what_refuse(error, "'framebuffer' and 'series' ask for a profile by need and do "
                           "not combine with 'profile' or 'type'", present);
    if (!!framebuffer != !!series) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "'%s' needs '%s' too: a profile by need names both "
                    "(e.g. framebuffer=\"8G\" series=\"Q\"); " WHAT_ALLOWED,
                    framebuffer ? "framebuffer" : "series", framebuffer ? "series" : "framebuffer");
        return -1;
    }
    if (!req->profile && !req->type && !framebuffer) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "needs a 'profile' or a 'type' attribute, or 'framebuffer' with 'series' "
                    "(e.g. profile=\"A40-2Q\", or framebuffer=\"8G\" series=\"Q\"), or 'gpu' "
                    "for a whole VF (gpu=\"MI300X\")");
        return -1;
    }
    if ((req->profile && vgpu_validate_profile(req->profile, error) < 0) ||
        (req->type && vgpu_validate_type_id(req->type, error) < 0) ||
        (framebuffer && vgpu_validate_size_mb("framebuffer", framebuffer, &mb, error) < 0) ||
        (series && vgpu_validate_series("series", series, &letter, error) < 0))
        return -1;
    if (framebuffer)
        vgpu_request_set_need(req, letter, mb);
    return 0;
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
    if (check_device_attributes(node, error) < 0)
        return NULL;
    uuid = get_attr(node, "uuid");
    parent = get_attr(node, "parent");
    placement = get_attr(node, "placement");
    numa = get_attr(node, "numa");

    if (read_what(node, req, error) < 0 ||
        (parent && read_parent(parent, &req->parent, error) < 0) ||
        (placement && vgpu_placement_parse(placement, &req->placement, error) < 0) ||
        (numa && read_numa(numa, &req->numa, error) < 0))
        return NULL;

    if (uuid) {
        if (vgpu_validate_uuid("uuid", uuid, &req->uuid, error) < 0)
            return NULL;
    } else if (!dom->uuid) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                    "has no 'uuid' attribute and the domain has no <uuid> to derive one from");
        return NULL;
    } else {
        req->uuid = vgpu_request_uuid_derive(dom->uuid, index);
        req->uuid_derived = TRUE;
    }
    return g_steal_pointer(&req);
}

static int
check_unique_uuid(const VgpuDomain *dom, const VgpuRequest *req, GError **error)
{
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *other = g_ptr_array_index(dom->requests, i);

        if (g_str_equal(other->uuid, req->uuid))
            return xml_domain_error(dom, error, "vGPU device %u: uuid '%s'%s is already used "
                                    "by vGPU device %u%s", req->index, req->uuid,
                                    req->uuid_derived ? " (derived)" : "", other->index,
                                    other->uuid_derived ? " (derived)" : "");
    }
    return 0;
}

static int
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
            return xml_domain_error(dom, error, "unexpected element <%s> in <vgpu> (only "
                                    "<device> in namespace " VGPU_XML_NS " is known)", name);
        }
        if (index >= VGPU_REQUEST_MAX)
            return xml_domain_error(dom, error, "more than %d vGPU devices", VGPU_REQUEST_MAX);
        if (!(req = read_device(dom, node, index, error))) {
            g_prefix_error(error, "domain '%s': vGPU device %u: ", dom->name, index);
            return -1;
        }
        if (check_unique_uuid(dom, req, error) < 0)
            return -1;
        g_ptr_array_add(dom->requests, g_steal_pointer(&req));
    }
    return 0;
}

static int
read_requests(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xpath_eval(xpath, NULL, "/domain/metadata/vgpu:vgpu", error);

    if (!obj)
        return -1;
    if (node_count(obj) == 0)
        return 0;
    if (node_count(obj) > 1)
        return xml_domain_error(dom, error, "more than one <vgpu> element in namespace "
                                VGPU_XML_NS " under <metadata>");
    return read_container(obj->nodesetval->nodeTab[0], dom, error);
}

static int
read_hostdevs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj =
        xpath_eval(xpath, NULL, "/domain/devices/hostdev[@type='mdev']", error);

    if (!obj)
        return -1;
    for (int i = 0; i < node_count(obj); i++) {
        gboolean ok;
        g_autofree char *uuid = xpath_string(xpath, obj->nodesetval->nodeTab[i],
                                             "source/address/@uuid", &ok, error);
        char *canonical = NULL;

        if (!ok)
            return -1;
        if (!uuid)
            return xml_domain_error(dom, error,
                                    "mdev hostdev %d has no <source><address uuid=...>", i);
        if (check_value("address uuid", uuid, error) < 0 ||
            vgpu_validate_uuid("address uuid", uuid, &canonical, error) < 0) {
            g_prefix_error(error, "domain '%s': mdev hostdev %d: ", dom->name, i);
            return -1;
        }
        g_ptr_array_add(dom->mdev_hostdevs, canonical);
    }
    return 0;
}

/* The union of the lists every node @expr selects says; *set stays NULL
 * when none does. */
static int
read_set(xmlXPathContext *xpath, VgpuDomain *dom, const char *expr, const char *what,
         GArray **set, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xpath_eval(xpath, NULL, expr, error);

    if (!obj)
        return -1;
    for (int i = 0; i < node_count(obj); i++) {
        g_autofree char *value = node_text(obj->nodesetval->nodeTab[i]);
        g_autoptr(GArray) one = NULL;

        if (check_value(what, value, error) < 0 ||
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

/* One hex number of at most @max: a <source><address> attribute. */
static gboolean
read_hex_attr(xmlNode *addr, const char *name, guint64 max, guint *out)
{
    g_autofree char *v = get_attr(addr, name);
    guint64 n;

    if (!v || !g_str_has_prefix(v, "0x") ||
        !g_ascii_string_to_unsigned(v + 2, 16, 0, max, &n, NULL))
        return FALSE;
    *out = (guint)n;
    return TRUE;
}

/* <hostdev type='pci'> with <alias name='ua-vgpu-UUID'/>: the VF of the
 * request UUID. Other PCI hostdevs are none of our business. */
static int
read_pci_hostdevs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xpath_eval(
        xpath, NULL, "/domain/devices/hostdev[@type='pci'][starts-with(alias/@name,'"
        VGPU_HOSTDEV_ALIAS_PREFIX "')]", error);

    if (!obj)
        return -1;
    for (int i = 0; i < node_count(obj); i++) {
        xmlNode *node = obj->nodesetval->nodeTab[i];
        gboolean ok;
        g_autofree char *alias = xpath_string(xpath, node, "alias/@name", &ok, error);
        g_autoptr(xmlXPathObject) addr = ok ? xpath_eval(xpath, node, "source/address", error)
                                            : NULL;
        g_autofree char *uuid = NULL;
        guint d, b, s, f;

        if (!addr)
            return -1;
        if (check_value("hostdev alias", alias, error) < 0 ||
            vgpu_validate_uuid("hostdev alias", alias + strlen(VGPU_HOSTDEV_ALIAS_PREFIX),
                               &uuid, error) < 0) {
            g_prefix_error(error, "domain '%s': ", dom->name);
            return -1;
        }
        if (node_count(addr) != 1 ||
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
        }
    }
    return 0;
}

/* The source of every <hostdev type='pci'>: what a running domain holds. */
static int
read_pci_addrs(xmlXPathContext *xpath, VgpuDomain *dom, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xpath_eval(
        xpath, NULL, "/domain/devices/hostdev[@type='pci']/source/address", error);

    if (!obj)
        return -1;
    for (int i = 0; i < node_count(obj) && i < VGPU_XML_PCI_HOSTDEV_MAX; i++) {
        xmlNode *addr = obj->nodesetval->nodeTab[i];
        guint d, b, s, f;

        if (read_hex_attr(addr, "domain", 0xffff, &d) && read_hex_attr(addr, "bus", 0xff, &b) &&
            read_hex_attr(addr, "slot", 0x1f, &s) && read_hex_attr(addr, "function", 0x7, &f))
            g_ptr_array_add(dom->pci_addrs, g_strdup_printf("%04x:%02x:%02x.%x", d, b, s, f));
    }
    return 0;
}

VgpuDomain *
xml_domain_read(const char *buf, gsize len, xmlDoc **docp, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) xpath = NULL;
    g_autoptr(VgpuDomain) dom = NULL;

    g_return_val_if_fail(buf || len == 0, NULL);
    if (!(doc = read_doc(buf, len, error)))
        return NULL;
    xpath = xmlXPathNewContext(doc);
    if (!xpath || xmlXPathRegisterNs(xpath, BAD_CAST "vgpu", BAD_CAST VGPU_XML_NS) < 0) {
        xml_domain_error(NULL, error, "cannot create an XPath context");
        return NULL;
    }
    dom = vgpu_domain_new();
    if (read_name(xpath, dom, error) < 0 || read_uuid(xpath, dom, error) < 0 ||
        read_requests(xpath, dom, error) < 0 || read_hostdevs(xpath, dom, error) < 0 ||
        read_pci_hostdevs(xpath, dom, error) < 0 || read_pci_addrs(xpath, dom, error) < 0 ||
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

    if (!(doc = read_doc(buf, len, error)))
        return NULL;
    if (!(xpath = xmlXPathNewContext(doc))) {
        xml_domain_error(NULL, error, "cannot create an XPath context");
        return NULL;
    }
    dom = vgpu_domain_new();
    if (read_pci_addrs(xpath, dom, error) < 0)
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
    return g_strdup_printf("add to <devices>: %s (or run: vgpuctl sync %s)", elems->str,
                           dom->name ? dom->name : "DOMAIN");
}
