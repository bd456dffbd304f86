/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node, XPath and value helpers the domain readers share
 * (xml-read.h). */
#include "xml-read.h"
#include "vgpu-error.h"
#include "xml-message.h"

#include <string.h>

#define VALUE_MAX_BYTES 256    /* any attribute of ours, any UUID */
#define ECHO_MAX_CHARS 64      /* untrusted names quoted in messages */

gboolean
xml_read_has_control_char(const char *s)
{
    if (!g_utf8_validate(s, -1, NULL))
        return TRUE;
    for (; *s; s = g_utf8_next_char(s)) {
        if (g_unichar_iscntrl(g_utf8_get_char(s)))
            return TRUE;
    }
    return FALSE;
}

char *
xml_read_text(xmlNode *node)
{
    xmlChar *x = xmlNodeGetContent(node);
    char *s = g_strdup(x ? (const char *)x : "");

    xmlFree(x);
    return s;
}

char *
xml_read_qname(const xmlNs *ns, const xmlChar *name)
{
    g_autofree char *qname = NULL;

    if (ns && ns->prefix)
        qname = g_strdup_printf("%s:%s", ns->prefix, name);
    else
        qname = g_strdup((const char *)name);
    return xml_one_line(qname, ECHO_MAX_CHARS);
}

xmlXPathObject *
xml_read_xpath(xmlXPathContext *xpath, xmlNode *node, const char *expr, GError **error)
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

int
xml_read_count(const xmlXPathObject *obj)
{
    return xmlXPathNodeSetGetLength(obj->nodesetval);
}

char *
xml_read_xpath_string(xmlXPathContext *xpath, xmlNode *node, const char *expr,
                      gboolean *ok, GError **error)
{
    g_autoptr(xmlXPathObject) obj = xml_read_xpath(xpath, node, expr, error);

    *ok = obj != NULL;
    if (!obj || xml_read_count(obj) == 0)
        return NULL;
    return xml_read_text(obj->nodesetval->nodeTab[0]);
}

int
xml_read_check_value(const char *what, const char *value, GError **error)
{
    if (strlen(value) > VALUE_MAX_BYTES) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s is too long (%zu bytes, at most %d)",
                    what, strlen(value), VALUE_MAX_BYTES);
        return -1;
    }
    if (xml_read_has_control_char(value)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s contains a control character",
                    what);
        return -1;
    }
    return 0;
}

char *
xml_read_attr(xmlNode *node, const char *name)
{
    xmlChar *x = xmlGetNoNsProp(node, BAD_CAST name);
    char *s = x ? g_strdup((const char *)x) : NULL;

    xmlFree(x);
    return s;
}
