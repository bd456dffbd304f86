/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to xml/: the node, XPath and value helpers the readers of a
 * domain's parts (domain-xml.c, device-read.c, hostdev-read.c) share.
 * Whatever they return of the document is bounded and free of control
 * characters once xml_read_check_value() passed, so that a message can
 * quote it (xml-message.h). */
#pragma once

#include <glib.h>
#include "xml-util.h"

/* Invalid UTF-8 counts as a control character. */
gboolean xml_read_has_control_char(const char *s);
/* The content of @node, "" when none. */
char *xml_read_text(xmlNode *node);
/* "prefix:name" of an element or attribute, fit to quote in a message. */
char *xml_read_qname(const xmlNs *ns, const xmlChar *name);
/* The node set @expr selects from @node (NULL: the document). */
xmlXPathObject *xml_read_xpath(xmlXPathContext *xpath, xmlNode *node, const char *expr,
                               GError **error);
int xml_read_count(const xmlXPathObject *obj);
/* Text of the first node @expr selects; NULL (no error) when none. */
char *xml_read_xpath_string(xmlXPathContext *xpath, xmlNode *node, const char *expr,
                            gboolean *ok, GError **error);
/* Bounded and free of control characters, so that a message can quote it. */
int xml_read_check_value(const char *what, const char *value, GError **error);
/* The attribute @name of @node (no namespace), NULL when absent. */
char *xml_read_attr(xmlNode *node, const char *name);
