/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Untrusted bytes into a libxml2 document, before anything reads its
 * content: the raw bytes are screened (size, NUL) before libxml2 sees
 * them; the parser runs with network, DTD loading and its "huge" mode off,
 * the encoding forced to UTF-8, and SAX handlers that build no DTD: a
 * DOCTYPE is only noted, no entity is ever declared, expanded or loaded.
 * Text in CDATA, a comment or a processing instruction is only text. */
#pragma once

#include <glib.h>
#include "xml-util.h"

/* The document in @buf, or NULL + @error ("domain XML: ...", one line) when
 * it is empty, over VGPU_XML_MAX_BYTES, holds a NUL byte, has a DOCTYPE
 * (internal or external subset, entity declarations) or a reference to an
 * entity other than XML's five, or is not well-formed (libxml2's first
 * error, with its line). */
xmlDoc *xml_safe_read(const char *buf, gsize len, GError **error);

/* The same, except that a DOCTYPE or an entity reference does not refuse
 * the document: it comes back without them and *@dropped is the sentence
 * xml_safe_read() would have refused it with (NULL when nothing was
 * dropped). For a reader that refuses them only in some documents. */
xmlDoc *xml_safe_read_dropping(const char *buf, gsize len, char **dropped, GError **error);
