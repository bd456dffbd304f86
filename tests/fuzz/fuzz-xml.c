/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the domain XML reader and request validation, the code
 * that reads what less trusted users write. Built with clang
 * -fsanitize=fuzzer,address,undefined by `make fuzz-build`; run by
 * tests/fuzz/test-fuzz.sh (bounded, in `make check`) and `make fuzz`.
 *
 * Besides crashes and sanitizer reports, it aborts on broken contracts:
 *  - a NULL result comes with an error, a result never does;
 *  - every error message is one line of bounded length (libvirt shows it
 *    to the user as is);
 *  - a parsed domain has canonical lowercase UUIDs, at most 64 requests,
 *    no duplicate request UUIDs, and no type, profile or parent that could
 *    leave its sysfs directory ('/' or ".."); a name, when it has one, is
 *    not empty, and one with requests has a name;
 *  - requests come only from a document with no DOCTYPE and no entity
 *    reference (xml_safe_read() takes it);
 *  - a refused document is unreadable (xml_safe_read_dropping() refuses
 *    it), not a <domain>, or has an element of urn:vgpu-hook:1 under
 *    <metadata>: a domain that asks for nothing is never refused;
 *  - the <hostdev> rewrite gives a document that parses again, with the
 *    same requests, every one of them with its <hostdev>, and that a second
 *    rewrite leaves alone;
 *  - the validators accept only what they promise, and canonicalize.
 */
#include "domain-xml.h"
#include "vgpu-request.h"
#include "vgpu-validate.h"
#include "xml-safe-read.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_MAX 2048

static void
fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz-xml: contract broken: %s: %s\n", what, detail ? detail : "");
    abort();
}

static void
check_error(const char *where, gboolean failed, GError *error)
{
    if (failed && !error)
        fail(where, "failed without an error");
    if (!failed && error)
        fail(where, "succeeded with an error set");
    if (!error)
        return;
    if (!error->message || !*error->message)
        fail(where, "empty error message");
    if (strchr(error->message, '\n') || strchr(error->message, '\r'))
        fail(where, error->message);
    if (strlen(error->message) > MESSAGE_MAX)
        fail(where, "error message longer than 2048 bytes");
}

static gboolean
is_canonical_uuid(const char *s)
{
    static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (!s || strlen(s) != 36)
        return FALSE;
    for (int i = 0; i < 36; i++) {
        if (pattern[i] == '-' ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
            return FALSE;
    }
    return TRUE;
}

static gboolean
path_safe(const char *s)
{
    /* One path component, never "." or ".." (a profile is only compared
     * with names, but must not reach a path either). */
    return !s || (*s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, ".."));
}

static void
check_domain(const VgpuDomain *dom)
{
    if (dom->name && !*dom->name)
        fail("parse", "domain with an empty name");
    if (dom->requests->len && !dom->name)
        fail("parse", "domain asking for a vGPU without a name");
    if (dom->uuid && !is_canonical_uuid(dom->uuid))
        fail("parse: domain uuid not canonical", dom->uuid);
    if (dom->requests->len > 64)
        fail("parse", "more than 64 requests");
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *r = dom->requests->pdata[i];

        if (r->index != i)
            fail("parse", "request index out of order");
        if (!is_canonical_uuid(r->uuid))
            fail("parse: request uuid not canonical", r->uuid);
        /* What names the device: a profile or type, a need (framebuffer
         * and series), or a whole VF's GPU (gpu=, matched against names
         * only, never a path). */
        if (!r->profile && !r->type && !vgpu_request_is_need(r) &&
            (!r->gpu || vgpu_validate_gpu_name(r->gpu, NULL) < 0))
            fail("parse", "request with no profile, type, need or valid gpu");
        if (!path_safe(r->type) || !path_safe(r->profile) || !path_safe(r->parent))
            fail("parse: a request field could leave its directory",
                 r->type ? r->type : r->profile ? r->profile : r->parent);
        for (guint j = 0; j < i; j++) {
            if (strcmp(r->uuid, ((VgpuRequest *)dom->requests->pdata[j])->uuid) == 0)
                fail("parse: duplicate request uuid", r->uuid);
        }
    }
    for (guint i = 0; i < dom->mdev_hostdevs->len; i++) {
        if (!is_canonical_uuid(dom->mdev_hostdevs->pdata[i]))
            fail("parse: hostdev uuid not canonical", dom->mdev_hostdevs->pdata[i]);
    }
}

/* Requests only from a document xml_safe_read() takes whole. */
static void
check_nothing_dropped(const char *buf, size_t len, const VgpuDomain *dom)
{
    g_autoptr(GError) error = NULL;
    xmlDoc *doc;

    if (dom->requests->len == 0)
        return;
    doc = xml_safe_read(buf, len, &error);
    check_error("safe_read", doc == NULL, error);
    if (!doc)
        fail("requests read from a document xml_safe_read() refuses", error->message);
    xmlFreeDoc(doc);
}

/* A refusal: unreadable, not a <domain>, or it asks (an element of ours
 * under <metadata>). */
static void
check_refusal_asks(const char *buf, size_t len, const GError *refusal)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dropped = NULL;
    xmlDoc *doc = xml_safe_read_dropping(buf, len, &dropped, &error);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlXPathContext *xpath = NULL;
    xmlXPathObject *ours = NULL;

    check_error("safe_read_dropping", doc == NULL, error);
    if (root && !root->ns && xmlStrEqual(root->name, BAD_CAST "domain")) {
        xpath = xmlXPathNewContext(doc);
        ours = xpath ? xmlXPathEvalExpression(BAD_CAST "/domain/metadata/*[namespace-uri()='"
                                              VGPU_XML_NS "']", xpath) : NULL;
        if (ours && xmlXPathNodeSetGetLength(ours->nodesetval) == 0)
            fail("a domain that asks for nothing was refused", refusal->message);
    }
    xmlXPathFreeObject(ours);
    xmlXPathFreeContext(xpath);
    xmlFreeDoc(doc);
}

static void
check_rewrite(const char *buf, size_t len, const VgpuDomain *dom)
{
    g_autoptr(GError) error = NULL;
    guint added = 0, missing = 0, again = 0;
    g_autofree char *out = xml_domain_add_hostdevs(buf, len, &added, &error);

    check_error("add_hostdevs", out == NULL, error);
    if (!out) {
        /* The same reader runs first: what parsed must be rewritable,
         * short of the serializer failing. */
        if (dom)
            fail("add_hostdevs refused a document that parses", error->message);
        return;
    }
    if (!dom)
        fail("add_hostdevs", "accepted a document the reader refuses");
    /* A gpu= request is a whole VF, chosen on its host (vgpuctl sync):
     * no mdev hostdev is added for it. */
    for (guint i = 0; i < dom->requests->len; i++) {
        const VgpuRequest *r = dom->requests->pdata[i];

        missing += !r->gpu && !xml_domain_request_has_hostdev(dom, r);
    }
    if (added != missing)
        fail("add_hostdevs", "added count differs from the missing hostdevs");
    if (strlen(out) > VGPU_XML_MAX_BYTES - 4096)
        return;   /* near the size limit the result may legitimately be refused */

    g_autoptr(GError) err2 = NULL;
    g_autoptr(VgpuDomain) dom2 = xml_domain_parse(out, strlen(out), &err2);
    check_error("re-parse", dom2 == NULL, err2);
    if (!dom2)
        fail("the rewritten document does not parse", err2->message);
    if (dom2->requests->len != dom->requests->len)
        fail("rewrite", "request count changed");
    for (guint i = 0; i < dom2->requests->len; i++) {
        const VgpuRequest *a = dom->requests->pdata[i], *b = dom2->requests->pdata[i];

        if (strcmp(a->uuid, b->uuid) || g_strcmp0(a->profile, b->profile) ||
            g_strcmp0(a->type, b->type) || g_strcmp0(a->parent, b->parent) ||
            g_strcmp0(a->gpu, b->gpu))
            fail("rewrite changed a request", a->uuid);
        if (!b->gpu && !xml_domain_request_has_hostdev(dom2, b))
            fail("rewrite left a request without its hostdev", b->uuid);
    }
    g_autoptr(GError) err3 = NULL;
    g_autofree char *out2 = xml_domain_add_hostdevs(out, strlen(out), &again, &err3);

    check_error("second rewrite", out2 == NULL, err3);
    if (!out2 || again != 0)
        fail("second rewrite", "was not a no-op");
}

/* The validators on the raw input (as one NUL-terminated string). They
 * quote the value they refuse, and the reader screens control characters
 * out before calling them, so they get only such strings here. */
static void
check_validators(const char *s)
{
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return;
    }
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
    g_autofree char *canonical = NULL, *addr = NULL;
    VgpuPlacement pl;
    gboolean ok;

    ok = vgpu_validate_uuid("uuid", s, &canonical, &e1) == 0;
    check_error("validate_uuid", !ok, e1);
    if (ok) {
        if (!is_canonical_uuid(canonical))
            fail("validate_uuid: not canonical", canonical);
        if (g_ascii_strcasecmp(canonical, s) != 0)
            fail("validate_uuid: accepted something else than a UUID", s);
        g_autofree char *d0 = vgpu_request_uuid_derive(canonical, 0);
        g_autofree char *d1 = vgpu_request_uuid_derive(canonical, 1);
        g_autofree char *d0b = vgpu_request_uuid_derive(canonical, 0);

        if (!is_canonical_uuid(d0) || !is_canonical_uuid(d1) || !strcmp(d0, d1) || strcmp(d0, d0b))
            fail("uuid_derive", canonical);
    }
    ok = vgpu_validate_type_id(s, &e2) == 0;
    check_error("validate_type_id", !ok, e2);
    if (ok && !path_safe(s))
        fail("validate_type_id accepted a path", s);
    ok = vgpu_validate_profile(s, &e3) == 0;
    check_error("validate_profile", !ok, e3);
    if (ok && !path_safe(s))
        fail("validate_profile accepted a path", s);
    ok = vgpu_validate_pci_addr("parent", s, &addr, &e4) == 0;
    check_error("validate_pci_addr", !ok, e4);
    if (ok && (!addr || strlen(addr) != 12 || !path_safe(addr)))
        fail("validate_pci_addr: bad normalized form", addr);
    ok = vgpu_placement_parse(s, &pl, &e5) == 0;
    check_error("placement_parse", !ok, e5);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VgpuDomain) dom = NULL;
    g_autofree char *str = NULL;

    /* The reader is given exactly the bytes, not a C string. */
    dom = xml_domain_parse((const char *)data, size, &error);
    check_error("parse", dom == NULL, error);
    if (dom) {
        check_domain(dom);
        check_nothing_dropped((const char *)data, size, dom);
    } else {
        check_refusal_asks((const char *)data, size, error);
    }
    check_rewrite((const char *)data, size, dom);

    if (size <= 512) {
        str = g_strndup((const char *)data, size);
        check_validators(str);
    }
    return 0;
}
