/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the vGPU metadata of a domain (a <vgpu:vgpu> holding
 * <vgpu:device> elements, or one lone <vgpu:device>): each device into a
 * VgpuRequest, and the rules its attributes follow (which ones exist, how
 * those that say what the device is combine), each value validated. */
#include "domain-xml-priv.h"
#include "vgpu-error.h"
#include "vgpu-validate.h"
#include "xml-message.h"
#include "xml-read.h"

#include <stdlib.h>
#include <string.h>

static const char *const device_attrs[] = {
    "uuid", "profile", "type", "parent", "placement", "numa", "framebuffer", "series", "gpu",
    NULL
};

static gboolean
in_our_ns(xmlNode *node)
{
    return node->ns && g_strcmp0((const char *)node->ns->href, VGPU_XML_NS) == 0;
}

static int
check_device_attributes(xmlNode *node, GError **error)
{
    for (xmlAttr *attr = node->properties; attr; attr = attr->next) {
        g_autofree char *name = xml_read_qname(attr->ns, attr->name);
        g_autofree char *value = NULL;
        g_autofree char *what = NULL;

        if (attr->ns || !g_strv_contains(device_attrs, (const char *)attr->name)) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "unknown attribute '%s' (known: uuid, profile, type, parent, placement, "
                        "numa, framebuffer, series, gpu)", name);
            return -1;
        }
        value = xml_read_text((xmlNode *)attr);
        what = g_strdup_printf("attribute '%s'", name);
        if (xml_read_check_value(what, value, error) < 0)
            return -1;
    }
    return 0;
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
    g_autofree char *framebuffer = xml_read_attr(node, "framebuffer");
    g_autofree char *series = xml_read_attr(node, "series");
    guint64 mb = 0;
    char letter = 0;
    gboolean present[5];

    req->profile = xml_read_attr(node, "profile");
    req->type = xml_read_attr(node, "type");
    req->gpu = xml_read_attr(node, "gpu");
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
    uuid = xml_read_attr(node, "uuid");
    parent = xml_read_attr(node, "parent");
    placement = xml_read_attr(node, "placement");
    numa = xml_read_attr(node, "numa");

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

/* One <vgpu:device>, request number dom->requests->len. */
static int
read_one(xmlNode *node, VgpuDomain *dom, GError **error)
{
    g_autoptr(VgpuRequest) req = NULL;
    guint index = dom->requests->len;

    if (index >= VGPU_REQUEST_MAX)
        return xml_domain_error(dom, error, "more than %d vGPU devices", VGPU_REQUEST_MAX);
    if (!(req = read_device(dom, node, index, error))) {
        g_prefix_error(error, "domain '%s': vGPU device %u: ", dom->name, index);
        return -1;
    }
    if (check_unique_uuid(dom, req, error) < 0)
        return -1;
    g_ptr_array_add(dom->requests, g_steal_pointer(&req));
    return 0;
}

static int
read_container(xmlNode *container, VgpuDomain *dom, GError **error)
{
    for (xmlNode *node = container->children; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (!in_our_ns(node) || !xmlStrEqual(node->name, BAD_CAST "device")) {
            g_autofree char *name = xml_read_qname(node->ns, node->name);

            /* Another vocabulary's extension is its business; a typo or a
             * missing prefix in ours must not pass silently. */
            if (node->ns && !in_our_ns(node))
                continue;
            return xml_domain_error(dom, error, "unexpected element <%s> in <vgpu> (only "
                                    "<device> in namespace " VGPU_XML_NS " is known)", name);
        }
        if (read_one(node, dom, error) < 0)
            return -1;
    }
    return 0;
}

xmlXPathObject *
xml_device_ours(xmlXPathContext *xpath, GError **error)
{
    return xml_read_xpath(xpath, NULL,
                          "/domain/metadata/*[namespace-uri()='" VGPU_XML_NS "']", error);
}

#define FORMS "<vgpu> holding <device> elements, or one lone <device>"

int
xml_device_read_all(xmlXPathObject *ours, VgpuDomain *dom, GError **error)
{
    xmlNode *node;
    int n = xml_read_count(ours);

    for (int i = 0; i < n; i++) {
        node = ours->nodesetval->nodeTab[i];
        if (!xmlStrEqual(node->name, BAD_CAST "vgpu") &&
            !xmlStrEqual(node->name, BAD_CAST "device")) {
            g_autofree char *name = xml_read_qname(node->ns, node->name);

            return xml_domain_error(dom, error, "unexpected element <%s> in namespace "
                                    VGPU_XML_NS " under <metadata> (known: " FORMS ")", name);
        }
    }
    if (n == 0)
        return 0;
    /* libvirt keeps the first element of a namespace and drops the rest
     * when it defines the domain: a hand-written second one is a mistake,
     * and which one was meant is not ours to guess. */
    if (n > 1) {
        g_autofree char *first = xml_read_qname(ours->nodesetval->nodeTab[0]->ns,
                                                ours->nodesetval->nodeTab[0]->name);
        g_autofree char *second = xml_read_qname(ours->nodesetval->nodeTab[1]->ns,
                                                 ours->nodesetval->nodeTab[1]->name);

        return xml_domain_error(dom, error, "more than one element in namespace " VGPU_XML_NS
                                " under <metadata> (<%s>, then <%s>; libvirt keeps only the "
                                "first): use one, " FORMS, first, second);
    }
    node = ours->nodesetval->nodeTab[0];
    if (xmlStrEqual(node->name, BAD_CAST "device"))
        return read_one(node, dom, error);
    return read_container(node, dom, error);
}
