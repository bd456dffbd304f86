#include "xml-safe-read.h"
#include "domain-xml.h"
#include "vgpu-error.h"
#include "xml-message.h"

#include <string.h>

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
                       XML_PARSE_IGNORE_ENC)

#if LIBXML_VERSION >= 21200
typedef const xmlError ParserError;
#else
typedef xmlError ParserError;
#endif

typedef struct {
    int line;
    char *message;
} FirstError;

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
    /* No DOCTYPE means no entity can be declared: billion laughs, external
     * entities and parameter entities never reach the parser. */
    if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8))
        return xml_domain_error(NULL, error, "a DOCTYPE or entity declaration is not allowed");
    return 0;
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

static int
not_well_formed(FirstError *first, GError **error)
{
    g_autofree char *msg = NULL;
    char *advice;

    if (!first->message)
        return xml_domain_error(NULL, error, "the document is not well-formed");
    /* libxml2 suggests an option to the programmer; the user cannot use it. */
    if ((advice = strstr(first->message, "use XML_PARSE_HUGE")))
        *advice = '\0';
    msg = xml_one_line(first->message, 200);
    g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                "domain XML is not well-formed: line %d: %s", first->line, msg);
    return -1;
}

xmlDoc *
xml_safe_read(const char *buf, gsize len, GError **error)
{
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    FirstError first = { 0, NULL };
    gboolean ok;

    if (check_raw_bytes(buf, len, error) < 0)
        return NULL;
    if (!(ctxt = xmlNewParserCtxt())) {
        xml_domain_error(NULL, error, "cannot create an XML parser");
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
        xml_domain_error(NULL, error, "a document type definition (DTD) is not allowed");
        return NULL;
    }
    return g_steal_pointer(&doc);
}
