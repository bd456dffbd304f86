/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xml-safe-read.h"
#include "domain-xml.h"
#include "vgpu-error.h"
#include "xml-message.h"

#include <string.h>

#include <libxml/SAX2.h>

/* RECOVER only so that a reference to an undeclared entity (what libvirt
 * keeps verbatim in another application's metadata) does not lose the
 * rest of the document; watch_error() turns it off at any other error. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
                       XML_PARSE_IGNORE_ENC | XML_PARSE_RECOVER)

#define DTD_REFUSED "a DOCTYPE or entity declaration is not allowed"
#define ENTITY_NAME_MAX_CHARS 64

#if LIBXML_VERSION >= 21200
typedef const xmlError ParserError;
#else
typedef xmlError ParserError;
#endif

/* What the parse met: its first real error, and the first DTD or entity
 * reference it dropped. */
typedef struct {
    int line;
    char *message;
    char *dropped;
} ParseWatch;

static int
check_raw_bytes(const char *buf, gsize len, GError **error)
{
    const char *nul;

    if (len == 0)
        return xml_domain_error(NULL, error, "the document is empty");
    if (len > VGPU_XML_MAX_BYTES)
        return xml_domain_error(NULL, error, "the document is too large (%" G_GSIZE_FORMAT
                                " bytes, the limit is %d)", len, VGPU_XML_MAX_BYTES);
    if ((nul = memchr(buf, '\0', len)))
        return xml_domain_error(NULL, error,
                                "the document contains a NUL byte at offset %td", nul - buf);
    return 0;
}

static void
watch_drop(xmlParserCtxt *ctxt, char *what)
{
    ParseWatch *watch = ctxt->_private;

    if (watch->dropped)
        g_free(what);
    else
        watch->dropped = what;
}

/* The parser never builds a DTD: nothing is declared, so nothing can be
 * expanded, and no subset or entity is ever loaded. The document type
 * only leaves its mark. */
static void
on_doctype(void *data, const xmlChar *name, const xmlChar *public_id, const xmlChar *system_id)
{
    (void)name;
    (void)public_id;
    (void)system_id;
    watch_drop(data, g_strdup(DTD_REFUSED));
}

static void
on_entity_decl(void *data, const xmlChar *name, int type, const xmlChar *public_id,
               const xmlChar *system_id, xmlChar *content)
{
    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    watch_drop(data, g_strdup(DTD_REFUSED));
}

static void
on_external_subset(void *data, const xmlChar *name, const xmlChar *public_id,
                   const xmlChar *system_id)
{
    (void)data;
    (void)name;
    (void)public_id;
    (void)system_id;
}

/* &amp; &lt; &gt; &quot; &apos; only. */
static xmlEntity *
on_get_entity(void *data, const xmlChar *name)
{
    (void)data;
    return xmlGetPredefinedEntity(name);
}

static xmlEntity *
on_get_parameter_entity(void *data, const xmlChar *name)
{
    (void)data;
    (void)name;
    return NULL;
}

static xmlParserInput *
on_resolve_entity(void *data, const xmlChar *public_id, const xmlChar *system_id)
{
    (void)data;
    (void)public_id;
    (void)system_id;
    return NULL;
}

static void
on_reference(void *data, const xmlChar *name)
{
    (void)data;
    (void)name;
}

/* libxml2 hangs a comment or processing instruction met inside the
 * internal subset on the DTD; with none built (on_doctype) it would be
 * lost, unfreed. The subset is refused anyway: nothing in it is kept. */
static void
on_comment(void *data, const xmlChar *value)
{
    if (!((xmlParserCtxt *)data)->inSubset)
        xmlSAX2Comment(data, value);
}

static void
on_processing_instruction(void *data, const xmlChar *target, const xmlChar *content)
{
    if (!((xmlParserCtxt *)data)->inSubset)
        xmlSAX2ProcessingInstruction(data, target, content);
}

static gboolean
undeclared_entity(ParserError *err)
{
    return err->domain == XML_FROM_PARSER &&
           (err->code == XML_ERR_UNDECLARED_ENTITY || err->code == XML_WAR_UNDECLARED_ENTITY);
}

static void
watch_error(void *data, ParserError *err)
{
    xmlParserCtxt *ctxt = data;
    ParseWatch *watch = ctxt->_private;

    /* An error in the DTD is one more thing dropped with it: the DTD is
     * refused wherever it matters, whatever is wrong in it. */
    if (ctxt->inSubset) {
        watch_drop(ctxt, g_strdup(DTD_REFUSED));
        return;
    }
    if (undeclared_entity(err)) {
        g_autofree char *name = xml_one_line(err->str1 ? err->str1 : "", ENTITY_NAME_MAX_CHARS);

        watch_drop(ctxt, g_strdup_printf("an entity reference (&%s;) is not allowed (only "
                                         "&amp; &lt; &gt; &quot; &apos; and character "
                                         "references are)", name));
        return;
    }
    if (watch->message || err->level < XML_ERR_ERROR)
        return;
    /* From here on an error is an error: libxml2 stops building the tree
     * and returns no document, as without recovery. */
    ctxt->recovery = 0;
    watch->line = err->line;
    watch->message = g_strdup(err->message ? err->message : "unknown error");
}

static int
not_well_formed(ParseWatch *watch, GError **error)
{
    g_autofree char *msg = NULL;
    char *advice;

    if (!watch->message)
        return xml_domain_error(NULL, error, "the document is not well-formed");
    /* libxml2 suggests an option to the programmer; the user cannot use it. */
    if ((advice = strstr(watch->message, "use XML_PARSE_HUGE")))
        *advice = '\0';
    msg = xml_one_line(watch->message, 200);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "domain XML is not well-formed: line %d: %s", watch->line, msg);
    return -1;
}

static void
watch_sax(xmlSAXHandler *sax)
{
    sax->serror = watch_error;
    sax->internalSubset = on_doctype;
    sax->externalSubset = on_external_subset;
    sax->entityDecl = on_entity_decl;
    sax->getEntity = on_get_entity;
    sax->getParameterEntity = on_get_parameter_entity;
    sax->resolveEntity = on_resolve_entity;
    sax->reference = on_reference;
    sax->comment = on_comment;
    sax->processingInstruction = on_processing_instruction;
    sax->elementDecl = NULL;
    sax->attributeDecl = NULL;
    sax->notationDecl = NULL;
    sax->unparsedEntityDecl = NULL;
}

xmlDoc *
xml_safe_read_dropping(const char *buf, gsize len, char **dropped, GError **error)
{
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    ParseWatch watch = { 0, NULL, NULL };
    gboolean ok;

    *dropped = NULL;
    if (check_raw_bytes(buf, len, error) < 0)
        return NULL;
    if (!(ctxt = xmlNewParserCtxt())) {
        xml_domain_error(NULL, error, "cannot create an XML parser");
        return NULL;
    }
    ctxt->_private = &watch;
    watch_sax(ctxt->sax);
    doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, "UTF-8", PARSE_OPTIONS);
    ok = doc && !watch.message && ctxt->nsWellFormed;
    /* A DTD that stopped the parser (its errors are not counted) leaves
     * no root: it is what is refused. */
    if (ok && !xmlDocGetRootElement(doc) && watch.dropped) {
        ok = FALSE;
        xml_domain_error(NULL, error, "%s", watch.dropped);
    } else if (!ok) {
        not_well_formed(&watch, error);
    }
    g_free(watch.message);
    if (!ok || doc->intSubset || doc->extSubset) {
        if (ok)   /* on_doctype() builds none */
            xml_domain_error(NULL, error, "a document type definition (DTD) is not allowed");
        g_free(watch.dropped);
        return NULL;
    }
    *dropped = watch.dropped;
    return g_steal_pointer(&doc);
}

xmlDoc *
xml_safe_read(const char *buf, gsize len, GError **error)
{
    g_autofree char *dropped = NULL;
    g_autoptr(xmlDoc) doc = xml_safe_read_dropping(buf, len, &dropped, error);

    if (doc && dropped) {
        xml_domain_error(NULL, error, "%s", dropped);
        return NULL;
    }
    return g_steal_pointer(&doc);
}
