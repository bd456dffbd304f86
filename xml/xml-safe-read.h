/* Untrusted bytes into a libxml2 document, before anything reads its
 * content: the raw bytes are screened (size, NUL, DOCTYPE/ENTITY) before
 * libxml2 sees them, and the parser runs with network, entity expansion,
 * DTD loading and its "huge" mode off and the encoding forced to UTF-8. */
#pragma once

#include <glib.h>
#include "xml-util.h"

/* The document in @buf, or NULL + @error ("domain XML: ...", one line) when
 * it is empty, over VGPU_XML_MAX_BYTES, holds a NUL byte, declares a DOCTYPE
 * or entity, or is not well-formed (libxml2's first error, with its line). */
xmlDoc *xml_safe_read(const char *buf, gsize len, GError **error);
