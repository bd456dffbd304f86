/* Shared by domain-xml.c and hostdev-rewrite.c only: the rewrite needs the
 * parsed document as well as the domain read from it. */
#pragma once

#include <glib.h>
#include "domain-xml.h"
#include "xml-util.h"

/* The domain described by @buf; the document too when @docp is not NULL. */
VgpuDomain *xml_domain_read(const char *buf, gsize len, xmlDoc **docp, GError **error);
