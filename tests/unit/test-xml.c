/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for xml/'s domain reader (domain-xml.c, device-read.c,
 * hostdev-read.c): reading domain XML, refusing hostile input, and adding
 * the missing <hostdev> elements. The files under
 * xml-corpus/ are kept as raw inputs so that they can seed a fuzzer. */
#include "domain-xml.h"
#include "vgpu-error.h"

#include <glib/gstdio.h>
#include <string.h>

#define DOM_UUID "c7a5fdbd-edaf-9455-926a-d65c16db1809"
#define UUID_A "4b20d080-1b54-4048-85b3-a6a62d165c01"
#define UUID_B "a8bc93b2-2e94-51de-b16a-be2cf101769a"

/* ---- helpers ---- */

static char *
corpus_path(const char *name)
{
    const char *srcdir = g_getenv("G_TEST_SRCDIR");
    g_autofree char *here = g_path_get_dirname(__FILE__);
    g_autofree char *dir = g_build_filename(srcdir ? srcdir : here, "xml-corpus", NULL);

    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        g_error("corpus directory %s not found: run from the source tree root or set "
                "G_TEST_SRCDIR to tests/unit", dir);
    return g_build_filename(dir, name, NULL);
}

static GBytes *
corpus_read(const char *name)
{
    g_autofree char *path = corpus_path(name);
    g_autoptr(GError) err = NULL;
    char *data = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, &err))
        g_error("%s", err->message);
    return g_bytes_new_take(data, len);
}

static VgpuDomain *
parse_str(const char *xml, GError **err)
{
    return xml_domain_parse(xml, strlen(xml), err);
}

static VgpuDomain *
parse_ok(const char *xml)
{
    g_autoptr(GError) err = NULL;
    VgpuDomain *dom = parse_str(xml, &err);

    g_assert_no_error(err);
    g_assert_nonnull(dom);
    return dom;
}

static VgpuDomain *
parse_corpus_ok(const char *name)
{
    g_autoptr(GBytes) bytes = corpus_read(name);
    g_autoptr(GError) err = NULL;
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    VgpuDomain *dom = xml_domain_parse(data, len, &err);

    g_assert_no_error(err);
    g_assert_nonnull(dom);
    return dom;
}

/* Every refusal: NULL, VGPU_ERROR_INVALID, one line, containing @phrase. */
static void
assert_refusal(GError *err, const char *phrase)
{
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_INVALID);
    if (!strstr(err->message, phrase))
        g_error("message \"%s\" lacks \"%s\"", err->message, phrase);
    g_assert_null(strchr(err->message, '\n'));
    g_assert_null(strchr(err->message, '\r'));
    g_assert_cmpuint(strlen(err->message), <, 600);
}

static void
assert_refused(const char *xml, gsize len, const char *phrase)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;
    guint added = 99;

    g_assert_null(xml_domain_parse(xml, len, &err));
    assert_refusal(err, phrase);
    /* The rewrite reads with the same rules and says the same thing. */
    g_assert_null(xml_domain_add_hostdevs(xml, len, &added, &err2));
    g_assert_cmpuint(added, ==, 0);
    g_assert_nonnull(err2);
    g_assert_cmpstr(err2->message, ==, err->message);
}

static void
assert_refused_str(const char *xml, const char *phrase)
{
    assert_refused(xml, strlen(xml), phrase);
}

static const VgpuRequest *
request(const VgpuDomain *dom, guint i)
{
    g_assert_cmpuint(i, <, dom->requests->len);
    return g_ptr_array_index(dom->requests, i);
}

/* A domain named vm1 whose vgpu container holds @inner. */
static char *
domain_with(const char *inner)
{
    return g_strdup_printf("<domain type='kvm'>\n"
                           "  <name>vm1</name>\n"
                           "  <uuid>" DOM_UUID "</uuid>\n"
                           "  <metadata>\n"
                           "    <vgpu:vgpu xmlns:vgpu='urn:vgpu-hook:1'>\n"
                           "      %s\n"
                           "    </vgpu:vgpu>\n"
                           "  </metadata>\n"
                           "</domain>\n", inner);
}

static char *
device_with(const char *attrs)
{
    g_autofree char *inner = g_strdup_printf("<vgpu:device %s/>", attrs);

    return domain_with(inner);
}

static VgpuDomain *
parse_device_ok(const char *attrs)
{
    g_autofree char *xml = device_with(attrs);
    VgpuDomain *dom = parse_ok(xml);

    g_assert_cmpuint(dom->requests->len, ==, 1);
    return dom;
}

/* A domain holding @inner (its name, UUID, devices) that asks for one vGPU
 * with a lone <vgpu:device>. */
static char *
asking(const char *inner)
{
    return g_strdup_printf("<domain>%s<metadata><v:device xmlns:v='urn:vgpu-hook:1' uuid='"
                           UUID_A "' profile='A40-2Q'/></metadata></domain>", inner);
}

/* @xml asks for nothing, so nothing in it is refused. */
static VgpuDomain *
parse_asks_nothing(const char *xml, gsize len)
{
    g_autoptr(GError) err = NULL;
    VgpuDomain *dom = xml_domain_parse(xml, len, &err);

    g_assert_no_error(err);
    g_assert_nonnull(dom);
    g_assert_cmpuint(dom->requests->len, ==, 0);
    return dom;
}

/* Refused when it asks (asking()), read without it when it does not. */
static void
assert_refused_when_asking(const char *inner, const char *phrase)
{
    g_autofree char *ask = asking(inner);
    g_autofree char *not = g_strdup_printf("<domain>%s</domain>", inner);
    g_autoptr(VgpuDomain) dom = NULL;

    assert_refused_str(ask, phrase);
    dom = parse_asks_nothing(not, strlen(not));
}

/* The hostdev element as libxml2 writes it (double quotes). */
static char *
hostdev_serialized(const char *uuid)
{
    g_autofree char *element = xml_hostdev_element(uuid);

    return g_strdelimit(g_steal_pointer(&element), "'", '"');
}

/* ---- reading ---- */

static void
test_design_example(void)
{
    g_autoptr(VgpuDomain) dom = parse_corpus_ok("design-example.xml");
    const VgpuRequest *req;

    g_assert_cmpstr(dom->name, ==, "vm1");
    g_assert_cmpstr(dom->uuid, ==, DOM_UUID);
    g_assert_cmpuint(dom->requests->len, ==, 1);
    req = request(dom, 0);
    g_assert_cmpuint(req->index, ==, 0);
    g_assert_cmpstr(req->uuid, ==, UUID_A);
    g_assert_false(req->uuid_derived);
    g_assert_cmpstr(req->profile, ==, "A40-2Q");
    g_assert_null(req->type);
    g_assert_null(req->parent);
    g_assert_cmpint(req->placement, ==, VGPU_PLACEMENT_DEFAULT);
    g_assert_cmpint(req->numa, ==, -1);
    g_assert_cmpuint(dom->mdev_hostdevs->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(dom->mdev_hostdevs, 0), ==, UUID_A);
    g_assert_true(xml_domain_request_has_hostdev(dom, req));
}

static void
test_design_snippet_without_name(void)
{
    /* The metadata alone, as a user first writes it: libvirt always adds <name>. */
    const char *xml =
        "<domain type='kvm'>\n  <metadata>\n"
        "    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n"
        "      <vgpu:device uuid=\"" UUID_A "\" profile=\"A40-2Q\"/>\n"
        "    </vgpu:vgpu>\n  </metadata>\n</domain>\n";

    assert_refused_str(xml, "domain XML: <name> is missing");
}

static void
test_live_domain(void)
{
    g_autoptr(VgpuDomain) dom = parse_corpus_ok("live-domain.xml");
    const VgpuRequest *req;
    g_autofree char *derived0 = vgpu_request_uuid_derive(DOM_UUID, 0);
    g_autofree char *derived2 = vgpu_request_uuid_derive(DOM_UUID, 2);

    g_assert_cmpstr(dom->name, ==, "web-01");
    g_assert_cmpstr(dom->uuid, ==, DOM_UUID);   /* canonicalized from upper case */
    g_assert_cmpuint(dom->requests->len, ==, 3);

    req = request(dom, 0);
    g_assert_cmpstr(req->profile, ==, "A40-2Q");
    g_assert_null(req->type);
    g_assert_cmpint(req->placement, ==, VGPU_PLACEMENT_SPREAD);
    g_assert_true(req->uuid_derived);
    g_assert_cmpstr(req->uuid, ==, derived0);
    g_assert_false(xml_domain_request_has_hostdev(dom, req));

    req = request(dom, 1);
    g_assert_null(req->profile);
    g_assert_cmpstr(req->type, ==, "nvidia-558");
    g_assert_cmpstr(req->parent, ==, "0000:e8:00.4");
    g_assert_cmpint(req->numa, ==, 1);
    g_assert_false(req->uuid_derived);
    g_assert_cmpstr(req->uuid, ==, UUID_B);    /* canonicalized from upper case */
    g_assert_true(xml_domain_request_has_hostdev(dom, req));

    req = request(dom, 2);
    g_assert_cmpuint(req->index, ==, 2);
    g_assert_cmpstr(req->profile, ==, "GRID A40-4C");
    g_assert_cmpstr(req->type, ==, "nvidia-560");
    g_assert_cmpstr(req->parent, ==, "mtty");
    g_assert_cmpint(req->placement, ==, VGPU_PLACEMENT_PACK);
    g_assert_cmpint(req->numa, ==, 0);
    g_assert_cmpstr(req->uuid, ==, derived2);

    /* Only the mdev hostdev; its guest <address> is not the source's. */
    g_assert_cmpuint(dom->mdev_hostdevs->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(dom->mdev_hostdevs, 0), ==, UUID_B);
}

static void
test_profile_type_both(void)
{
    g_autoptr(VgpuDomain) p = parse_device_ok("profile='A40-2Q'");
    g_autoptr(VgpuDomain) t = parse_device_ok("type='nvidia-558'");
    g_autoptr(VgpuDomain) b = parse_device_ok("profile='A40-2Q' type='nvidia-558'");

    g_assert_cmpstr(request(p, 0)->profile, ==, "A40-2Q");
    g_assert_null(request(p, 0)->type);
    g_assert_null(request(t, 0)->profile);
    g_assert_cmpstr(request(t, 0)->type, ==, "nvidia-558");
    g_assert_cmpstr(vgpu_request_label(request(t, 0)), ==, "nvidia-558");
    g_assert_cmpstr(request(b, 0)->profile, ==, "A40-2Q");
    g_assert_cmpstr(request(b, 0)->type, ==, "nvidia-558");
}

static void
test_optional_fields(void)
{
    g_autoptr(VgpuDomain) short_pci = parse_device_ok("profile='A40-2Q' parent='E8:00.4'");
    g_autoptr(VgpuDomain) long_pci =
        parse_device_ok("profile='A40-2Q' parent='0001:00:02.0' placement='pack' numa='0'");
    g_autoptr(VgpuDomain) name = parse_device_ok("type='mtty-1' parent='mtty' placement='spread'"
                                                 " numa='1023'");

    g_assert_cmpstr(request(short_pci, 0)->parent, ==, "0000:e8:00.4");
    g_assert_cmpint(request(short_pci, 0)->placement, ==, VGPU_PLACEMENT_DEFAULT);
    g_assert_cmpstr(request(long_pci, 0)->parent, ==, "0001:00:02.0");
    g_assert_cmpint(request(long_pci, 0)->placement, ==, VGPU_PLACEMENT_PACK);
    g_assert_cmpint(request(long_pci, 0)->numa, ==, 0);
    g_assert_cmpstr(request(name, 0)->parent, ==, "mtty");
    g_assert_cmpint(request(name, 0)->placement, ==, VGPU_PLACEMENT_SPREAD);
    g_assert_cmpint(request(name, 0)->numa, ==, 1023);
}

static void
test_several_devices(void)
{
    g_autofree char *xml = domain_with(
        "<vgpu:device profile='A40-2Q'/>\n"
        "      <!-- a comment between devices -->\n"
        "      <other:note xmlns:other='urn:other'>not a device</other:note>\n"
        "      <vgpu:device type='nvidia-558' uuid='" UUID_A "'/>\n"
        "      <vgpu:device profile='A40-4Q'/>");
    g_autoptr(VgpuDomain) dom = parse_ok(xml);

    g_assert_cmpuint(dom->requests->len, ==, 3);
    for (guint i = 0; i < 3; i++)
        g_assert_cmpuint(request(dom, i)->index, ==, i);
    g_assert_cmpstr(request(dom, 0)->profile, ==, "A40-2Q");
    g_assert_cmpstr(request(dom, 1)->uuid, ==, UUID_A);
    g_assert_cmpstr(request(dom, 2)->profile, ==, "A40-4Q");
    g_assert_true(request(dom, 2)->uuid_derived);
    g_assert_cmpuint(dom->mdev_hostdevs->len, ==, 0);
}

static void
test_derived_uuid(void)
{
    g_autofree char *xml = domain_with("<vgpu:device profile='A40-2Q'/>"
                                       "<vgpu:device profile='A40-2Q'/>");
    g_autoptr(VgpuDomain) first = parse_ok(xml);
    g_autoptr(VgpuDomain) again = parse_ok(xml);
    g_autofree char *expect0 = vgpu_request_uuid_derive(DOM_UUID, 0);
    g_autofree char *expect1 = vgpu_request_uuid_derive(DOM_UUID, 1);

    g_assert_true(request(first, 0)->uuid_derived);
    g_assert_true(request(first, 1)->uuid_derived);
    g_assert_cmpstr(request(first, 0)->uuid, ==, expect0);
    g_assert_cmpstr(request(first, 1)->uuid, ==, expect1);
    /* Regression value, also computed independently with Python's uuid5. */
    g_assert_cmpstr(request(first, 1)->uuid, ==, "cedbdfa8-64f9-50c6-9bf9-52324512bd38");
    g_assert_cmpstr(request(first, 0)->uuid, !=, request(first, 1)->uuid);
    g_assert_cmpstr(request(again, 0)->uuid, ==, request(first, 0)->uuid);
    g_assert_cmpstr(request(again, 1)->uuid, ==, request(first, 1)->uuid);
}

static void
test_uuid_canonicalized(void)
{
    g_autoptr(VgpuDomain) dom =
        parse_device_ok("uuid='4B20D080-1B54-4048-85B3-A6A62D165C01' profile='A40-2Q'");

    g_assert_cmpstr(request(dom, 0)->uuid, ==, UUID_A);
    g_assert_false(request(dom, 0)->uuid_derived);
}

static void
test_domain_uuid_optional_when_explicit(void)
{
    const char *explicit_only =
        "<domain><name>vm1</name><metadata><v:vgpu xmlns:v='urn:vgpu-hook:1'>"
        "<v:device uuid='" UUID_A "' profile='A40-2Q'/></v:vgpu></metadata></domain>";
    const char *needs_derivation =
        "<domain><name>vm1</name><metadata><v:vgpu xmlns:v='urn:vgpu-hook:1'>"
        "<v:device uuid='" UUID_A "' profile='A40-2Q'/><v:device profile='A40-2Q'/>"
        "</v:vgpu></metadata></domain>";
    g_autoptr(VgpuDomain) dom = parse_ok(explicit_only);

    g_assert_null(dom->uuid);
    g_assert_cmpstr(request(dom, 0)->uuid, ==, UUID_A);
    assert_refused_str(needs_derivation,
                       "domain 'vm1': vGPU device 1: has no 'uuid' attribute and the domain has "
                       "no <uuid> to derive one from");
}

typedef struct {
    const char *attrs;
    const char *message;   /* a substring, or the whole message */
} BadDevice;

static const BadDevice bad_devices[] = {
    { "type='nvidia/../x'",
      "domain 'vm1': vGPU device 0: type 'nvidia/../x' is not a valid mdev type id (letters, "
      "digits, '_', '-', '.', '+'; e.g. nvidia-558)" },
    { "uuid='not-a-uuid' profile='A40-2Q'",
      "domain 'vm1': vGPU device 0: uuid 'not-a-uuid' is not a UUID" },
    { "uuid='4b20d080-1b54-4048-85b3-a6a62d165c0' profile='A40-2Q'", "is not a UUID" },
    { "uuid='4b20d080-1b54-4048-85b3-a6a62d165c01x' profile='A40-2Q'", "is not a UUID" },
    { "uuid='4b20d080x1b54-4048-85b3-a6a62d165c01' profile='A40-2Q'", "is not a UUID" },
    { "uuid='' profile='A40-2Q'", "uuid '' is not a UUID" },
    { "type='../nvidia-558'", "type '../nvidia-558' is not a valid mdev type id" },
    { "type='nvidia-558/..'", "type 'nvidia-558/..' is not a valid mdev type id" },
    { "type='a/b'", "type 'a/b' is not a valid mdev type id" },
    { "type='/sys/class/mdev_bus'", "type '/sys/class/mdev_bus' is not a valid mdev type id" },
    { "type='..'", "type '..' is not a valid mdev type id" },
    { "type=''", "type '' is not a valid mdev type id" },
    { "profile='../A40-2Q'", "profile '../A40-2Q' is not a valid profile name" },
    { "profile='A40/2Q'", "profile 'A40/2Q' is not a valid profile name" },
    { "profile='/etc/passwd'", "profile '/etc/passwd' is not a valid profile name" },
    { "profile=''", "profile '' is not a valid profile name" },
    { "profile='A40-2Q' parent='0000:e8:00.4/..'",
      "domain 'vm1': vGPU device 0: parent '0000:e8:00.4/..' is neither a PCI address" },
    { "profile='A40-2Q' parent='../0000:e8:00.4'", "parent '../0000:e8:00.4' is neither" },
    { "profile='A40-2Q' parent='/sys/bus/pci'", "parent '/sys/bus/pci' is neither" },
    { "profile='A40-2Q' parent='mtty/..'", "parent 'mtty/..' is neither" },
    { "profile='A40-2Q' parent='00:1f.8'", "parent '00:1f.8' is neither" },
    { "profile='A40-2Q' parent='0x00:00.0'", "parent '0x00:00.0' is neither" },
    { "profile='A40-2Q' parent=''", "parent '' is neither" },
    { "profile='A40-2Q' parent='1mtty'", "parent '1mtty' is neither" },
    { "profile='A40-2Q' placement='fill'",
      "domain 'vm1': vGPU device 0: placement 'fill' is not known (use 'pack' or 'spread')" },
    { "profile='A40-2Q' placement='PACK'", "placement 'PACK' is not known" },
    { "profile='A40-2Q' numa='-1'",
      "domain 'vm1': vGPU device 0: numa '-1' is not a NUMA node number (0 to 1023)" },
    { "profile='A40-2Q' numa='99999'", "numa '99999' is not a NUMA node number" },
    { "profile='A40-2Q' numa='1024'", "numa '1024' is not a NUMA node number" },
    { "profile='A40-2Q' numa='abc'", "numa 'abc' is not a NUMA node number" },
    { "profile='A40-2Q' numa='1x'", "numa '1x' is not a NUMA node number" },
    { "profile='A40-2Q' numa='+1'", "numa '+1' is not a NUMA node number" },
    { "profile='A40-2Q' numa=' 1'", "numa ' 1' is not a NUMA node number" },
    { "profile='A40-2Q' numa=''", "numa '' is not a NUMA node number" },
    { "profil='A40-2Q'",
      "domain 'vm1': vGPU device 0: unknown attribute 'profil' (known: uuid, profile, type, "
      "parent, placement, numa, framebuffer, series, gpu)" },
    { "profile='A40-2Q' Type='nvidia-558'", "unknown attribute 'Type'" },
    { "vgpu:profile='A40-2Q'", "unknown attribute 'vgpu:profile'" },
    { "parent='0000:e8:00.4'",
      "domain 'vm1': vGPU device 0: needs a 'profile' or a 'type' attribute" },
    { "", "vGPU device 0: needs a 'profile' or a 'type' attribute, or 'framebuffer' with "
      "'series'" },
    { "framebuffer='8G' series='Q' type='nvidia-562'",
      "'framebuffer' and 'series' ask for a profile by need and do not combine with 'profile' "
      "or 'type' (given: 'type', 'framebuffer' and 'series'); allowed: profile, type, profile "
      "with type, framebuffer with series, or gpu alone" },
    { "series='Q'", "'series' needs 'framebuffer' too" },
    { "gpu='MI300X' profile='A40-2Q'", "'gpu' asks for a whole VF with no vGPU type and takes no 'profile'" },
    { "gpu='MI300X' framebuffer='8G' series='Q'",
      "'gpu' asks for a whole VF with no vGPU type and takes no 'profile', 'type', 'framebuffer' "
      "or 'series' (given: 'gpu', 'framebuffer' and 'series'); allowed: profile, type, profile "
      "with type, framebuffer with series, or gpu alone" },
    { "gpu='MI300X' type='nvidia-558'", "(given: 'gpu' with 'type'); allowed: profile, type" },
    { "gpu='../../etc'", "gpu '../../etc' is not a GPU model name or PCI id" },
    { "gpu=''", "gpu '' is not a GPU model name or PCI id" },
    { "framebuffer='0G' series='Q'", "framebuffer '0G' is not a size" },
    { "framebuffer='2048T' series='Q'", "framebuffer '2048T' is not a size" },
    { "framebuffer='8GB' series='Q'", "framebuffer '8GB' is not a size" },
    { "framebuffer='-8G' series='Q'", "framebuffer '-8G' is not a size" },
    { "framebuffer='8G' series='QQ'", "series 'QQ' is not an NVIDIA vGPU series" },
    { "profile='A40&#10;2Q'", "vGPU device 0: attribute 'profile' contains a control character" },
    { "profile='A40-2Q' uuid='4b20d080-1b54-4048-85b3-a6a62d165c0&#10;'",
      "attribute 'uuid' contains a control character" },
};

static void
test_bad_device(gconstpointer data)
{
    const BadDevice *bad = data;
    g_autofree char *xml = device_with(bad->attrs);

    assert_refused_str(xml, bad->message);
}

/* Every mix of gpu, profile, type, framebuffer and series: exactly the
 * allowed ones parse, every other one is refused naming what is allowed. */
static void
test_what_combinations(void)
{
    static const char *const attrs[] = {
        "gpu='MI300X'", "profile='A40-8Q'", "type='nvidia-562'", "framebuffer='8G'",
        "series='Q'",
    };
    /* bit i: attrs[i] */
    static const guint allowed[] = { 1 << 0, 1 << 1, 1 << 2, (1 << 1) | (1 << 2),
                                     (1 << 3) | (1 << 4) };

    for (guint set = 1; set < 32; set++) {
        g_autoptr(GString) a = g_string_new(NULL);
        g_autofree char *xml = NULL;
        gboolean ok = FALSE;

        for (guint i = 0; i < G_N_ELEMENTS(attrs); i++)
            if (set & (1u << i))
                g_string_append_printf(a, "%s ", attrs[i]);
        for (guint k = 0; k < G_N_ELEMENTS(allowed); k++)
            ok |= allowed[k] == set;
        xml = device_with(a->str);
        if (ok) {
            g_autoptr(VgpuDomain) dom = parse_ok(xml);

            g_assert_cmpuint(dom->requests->len, ==, 1);
        } else {
            assert_refused_str(xml, "; allowed: profile, type, profile with type, framebuffer "
                               "with series, or gpu alone");
        }
    }
}

static void
test_bad_second_device(void)
{
    g_autofree char *xml = domain_with("<vgpu:device profile='A40-2Q'/>"
                                       "<vgpu:device profile='A40-2Q' numa='two'/>");

    assert_refused_str(xml, "domain 'vm1': vGPU device 1: numa 'two' is not a NUMA node number");
}

static void
test_duplicate_uuids(void)
{
    g_autofree char *derived1 = vgpu_request_uuid_derive(DOM_UUID, 1);
    g_autofree char *explicit_twice = domain_with(
        "<vgpu:device uuid='" UUID_A "' profile='A40-2Q'/>"
        "<vgpu:device uuid='4B20D080-1B54-4048-85B3-A6A62D165C01' profile='A40-4Q'/>");
    g_autofree char *inner = g_strdup_printf("<vgpu:device uuid='%s' profile='A40-2Q'/>"
                                             "<vgpu:device profile='A40-2Q'/>", derived1);
    g_autofree char *explicit_derived = domain_with(inner);
    g_autofree char *expect = g_strdup_printf("domain 'vm1': vGPU device 1: uuid '%s' (derived) "
                                              "is already used by vGPU device 0", derived1);

    assert_refused_str(explicit_twice, "domain 'vm1': vGPU device 1: uuid '" UUID_A
                       "' is already used by vGPU device 0");
    assert_refused_str(explicit_derived, expect);
}

static void
test_two_containers(void)
{
    g_autoptr(GBytes) bytes = corpus_read("two-containers.xml");
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);

    assert_refused(data, len, "domain 'vm1': more than one element in namespace "
                   "urn:vgpu-hook:1 under <metadata> (<vgpu:vgpu>, then <v:vgpu>; libvirt keeps "
                   "only the first): use one, <vgpu> holding <device> elements, or one lone "
                   "<device>");
}

static void
test_container_contents(void)
{
    g_autofree char *typo = domain_with("<vgpu:devcie profile='A40-2Q'/>");
    g_autofree char *no_ns = g_strdup(
        "<domain><name>vm1</name><uuid>" DOM_UUID "</uuid><metadata>"
        "<vgpu:vgpu xmlns:vgpu='urn:vgpu-hook:1'><device profile='A40-2Q'/></vgpu:vgpu>"
        "</metadata></domain>");
    g_autofree char *default_ns = g_strdup(
        "<domain><name>vm1</name><uuid>" DOM_UUID "</uuid><metadata>"
        "<vgpu xmlns='urn:vgpu-hook:1'><device profile='A40-2Q'/></vgpu>"
        "</metadata></domain>");
    g_autofree char *foreign = domain_with("<x:device xmlns:x='urn:x' profile='A40-2Q'/>");
    g_autoptr(VgpuDomain) dom = parse_ok(default_ns);
    g_autoptr(VgpuDomain) none = parse_ok(foreign);

    assert_refused_str(typo, "domain 'vm1': unexpected element <vgpu:devcie> in <vgpu> (only "
                       "<device> in namespace urn:vgpu-hook:1 is known)");
    assert_refused_str(no_ns, "unexpected element <device> in <vgpu>");
    g_assert_cmpuint(dom->requests->len, ==, 1);
    g_assert_cmpstr(request(dom, 0)->profile, ==, "A40-2Q");
    g_assert_cmpuint(none->requests->len, ==, 0);
}

static void
test_too_many_devices(void)
{
    g_autoptr(GString) inner = g_string_new(NULL);
    g_autofree char *xml = NULL;
    g_autoptr(VgpuDomain) dom = NULL;

    for (int i = 0; i < 64; i++)
        g_string_append(inner, "<vgpu:device profile='A40-1Q'/>");
    xml = domain_with(inner->str);
    dom = parse_ok(xml);
    g_assert_cmpuint(dom->requests->len, ==, 64);
    g_free(xml);
    g_string_append(inner, "<vgpu:device profile='A40-1Q'/>");
    xml = domain_with(inner->str);
    assert_refused_str(xml, "domain 'vm1': more than 64 vGPU devices");
}

static void
test_foreign_namespaces_ignored(void)
{
    g_autoptr(VgpuDomain) dom = parse_corpus_ok("foreign-namespaces.xml");

    g_assert_cmpstr(dom->name, ==, "vm1");
    g_assert_cmpuint(dom->requests->len, ==, 0);
}

static void
test_no_metadata(void)
{
    g_autoptr(VgpuDomain) dom = parse_corpus_ok("no-metadata.xml");
    g_autoptr(VgpuDomain) minimal = parse_ok("<domain><name>x</name></domain>");

    g_assert_cmpstr(dom->name, ==, "plain");
    g_assert_cmpuint(dom->requests->len, ==, 0);
    g_assert_cmpuint(dom->mdev_hostdevs->len, ==, 0);
    g_assert_cmpstr(minimal->name, ==, "x");
    g_assert_null(minimal->uuid);
    g_assert_cmpuint(minimal->requests->len, ==, 0);
}

static void
test_xinclude_not_processed(void)
{
    g_autoptr(VgpuDomain) dom = parse_corpus_ok("xinclude-not-processed.xml");

    g_assert_cmpstr(dom->name, ==, "xi");
    g_assert_cmpuint(dom->requests->len, ==, 0);
}

static void
test_name_and_uuid(void)
{
    assert_refused_when_asking("<uuid>" DOM_UUID "</uuid>", "domain XML: <name> is missing");
    assert_refused_when_asking("<name></name>", "domain XML: <name> is empty");
    assert_refused_when_asking("<name>a&#10;b</name>",
                               "domain XML: <name> contains a control character");
    assert_refused_when_asking("<name>a&#x7f;b</name>",
                               "domain XML: <name> contains a control character");
    assert_refused_when_asking("<name>a&#x85;b</name>",
                               "domain XML: <name> contains a control character");
    assert_refused_when_asking("<name>vm1</name><uuid>not-a-uuid</uuid>",
                               "domain 'vm1': <uuid> 'not-a-uuid' is not a UUID");
    assert_refused_when_asking("<name>vm1</name><uuid></uuid>",
                               "domain 'vm1': <uuid> '' is not a UUID");
}

/* What does not read well in a domain that asks for nothing is left out;
 * what does is kept. */
static void
test_asking_nothing_keeps_what_reads(void)
{
    const char *tab = "<domain><name>a\tb</name><uuid>not-a-uuid</uuid></domain>";
    const char *good = "<domain><name>vm1</name><uuid>" DOM_UUID "</uuid><devices>"
                       "<hostdev type='mdev'><source><address uuid='" UUID_A "'/></source>"
                       "</hostdev><hostdev type='pci'><source><address domain='0x0000' bus='0x04' "
                       "slot='0x02' function='0x1'/></source></hostdev></devices></domain>";
    g_autoptr(VgpuDomain) bad = parse_asks_nothing(tab, strlen(tab));
    g_autoptr(VgpuDomain) dom = parse_asks_nothing(good, strlen(good));

    g_assert_null(bad->name);
    g_assert_null(bad->uuid);
    g_assert_cmpstr(dom->name, ==, "vm1");
    g_assert_cmpstr(dom->uuid, ==, DOM_UUID);
    g_assert_cmpuint(dom->mdev_hostdevs->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(dom->mdev_hostdevs, 0), ==, UUID_A);
    g_assert_cmpuint(dom->pci_addrs->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(dom->pci_addrs, 0), ==, "0000:04:02.1");
}

static void
test_long_name(void)
{
    g_autofree char *ok_name = g_strnfill(255, 'n');
    g_autofree char *long_name = g_strnfill(256, 'n');
    g_autofree char *ok_inner = g_strdup_printf("<name>%s</name>", ok_name);
    g_autofree char *long_inner = g_strdup_printf("<name>%s</name>", long_name);
    g_autofree char *ok_xml = asking(ok_inner);
    g_autoptr(VgpuDomain) dom = parse_ok(ok_xml);

    g_assert_cmpstr(dom->name, ==, ok_name);
    assert_refused_when_asking(long_inner, "domain XML: <name> is longer than 255 bytes");
}

static void
test_hostdevs(void)
{
    const char *xml =
        "<domain><name>vm1</name><devices>"
        "<hostdev mode='subsystem' type='mdev'><source><address uuid='" UUID_A "'/></source>"
        "</hostdev>"
        "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' "
        "function='0'/></source></hostdev>"
        "<hostdev mode='subsystem' type='mdev' model='vfio-ccw'><source>"
        "<address uuid='A8BC93B2-2E94-51DE-B16A-BE2CF101769A'/></source></hostdev>"
        "</devices></domain>";
    g_autoptr(VgpuDomain) dom = parse_ok(xml);

    g_assert_cmpuint(dom->mdev_hostdevs->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(dom->mdev_hostdevs, 0), ==, UUID_A);
    g_assert_cmpstr(g_ptr_array_index(dom->mdev_hostdevs, 1), ==, UUID_B);
}

static void
test_bad_hostdevs(void)
{
    assert_refused_when_asking("<name>vm1</name><devices>"
                               "<hostdev type='mdev'><source><address uuid='" UUID_A "'/>"
                               "</source></hostdev><hostdev type='mdev'><source>"
                               "<address uuid='zz'/></source></hostdev></devices>",
                               "domain 'vm1': mdev hostdev 1: address uuid 'zz' is not a UUID");
    assert_refused_when_asking("<name>vm1</name><devices><hostdev type='mdev'><source/>"
                               "</hostdev></devices>",
                               "domain 'vm1': mdev hostdev 0 has no <source><address uuid=...>");
    assert_refused_when_asking("<name>vm1</name><devices><hostdev type='pci'><source>"
                               "<address domain='0x0000' bus='0x04' slot='0x02' function='0x1'/>"
                               "</source><alias name='ua-vgpu-notes'/></hostdev></devices>",
                               "domain 'vm1': hostdev alias 'notes' is not a UUID");
}

static void
test_has_hostdev(void)
{
    g_autofree char *xml = g_strdup(
        "<domain><name>vm1</name><uuid>" DOM_UUID "</uuid><metadata>"
        "<v:vgpu xmlns:v='urn:vgpu-hook:1'><v:device uuid='" UUID_A "' profile='A40-2Q'/>"
        "<v:device uuid='" UUID_B "' profile='A40-2Q'/></v:vgpu></metadata><devices>"
        "<hostdev type='mdev'><source><address uuid='" UUID_B "'/></source></hostdev>"
        "</devices></domain>");
    g_autoptr(VgpuDomain) dom = parse_ok(xml);

    g_assert_false(xml_domain_request_has_hostdev(dom, request(dom, 0)));
    g_assert_true(xml_domain_request_has_hostdev(dom, request(dom, 1)));
}

static void
test_hostdev_element(void)
{
    g_autofree char *element = xml_hostdev_element(UUID_A);

    g_assert_cmpstr(element, ==,
                    "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'>"
                    "<source><address uuid='" UUID_A "'/></source></hostdev>");
}

/* ---- DOCTYPE and entities: the parser's, never the bytes' ---- */

#define DTD_REFUSED "domain XML: a DOCTYPE or entity declaration is not allowed"

/* @name from the corpus with urn:vgpu-hook:1 replaced by @ns. */
static char *
corpus_with_ns(const char *name, const char *ns, gsize *len)
{
    g_autoptr(GBytes) bytes = corpus_read(name);
    g_autoptr(GString) s = g_string_new_len(g_bytes_get_data(bytes, NULL),
                                            g_bytes_get_size(bytes));

    g_assert_cmpuint(g_string_replace(s, "urn:vgpu-hook:1", ns, 0), >, 0);
    *len = s->len;
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The hostile DTDs in a domain that asks for nothing: read without them,
 * nothing expanded or loaded; rewriting it is refused (it would drop
 * them), adding nothing keeps its bytes. */
static void
test_dtd_asking_nothing(void)
{
    static const char *const files[] = {
        "billion-laughs.xml", "xxe-system.xml", "xxe-http.xml", "parameter-entities.xml",
        "doctype-only.xml", "undefined-entity.xml", "dtd-comment-pi.xml",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        gsize len;
        g_autofree char *xml = corpus_with_ns(files[i], "urn:other-tool:1", &len);
        g_autoptr(VgpuDomain) dom = parse_asks_nothing(xml, len);
        g_autoptr(GHashTable) none = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GError) err = NULL;
        g_autofree char *out = NULL;
        guint added = 99;

        /* &xxe; and &lol9; stay unexpanded: the name is empty, left out. */
        if (dom->name)
            g_assert_cmpstr(dom->name, ==, "vm1");
        out = xml_domain_add_hostdevs(xml, len, &added, &err);
        g_assert_no_error(err);
        g_assert_cmpuint(added, ==, 0);
        g_assert_cmpmem(out, strlen(out), xml, len);
        g_clear_pointer(&out, g_free);
        out = xml_domain_repoint_vfs(xml, len, none, &err);
        g_assert_null(out);
        assert_refusal(err, "asks for no vGPU and holds a DOCTYPE or entity reference: not "
                       "rewritten");
    }
}

/* DOCTYPE and ENTITY as text (CDATA, a comment, a processing instruction,
 * escaped) are only text: a domain asking for a vGPU reads as usual. */
static void
test_doctype_text(void)
{
    g_autofree char *xml = asking(
        "<name>vm1</name>"
        "<description><![CDATA[<!DOCTYPE html><!ENTITY x 'y'>&x;]]></description>"
        "<!-- <!DOCTYPE x [<!ENTITY y \"z\">]> &y; -->"
        "<?note <!DOCTYPE domain SYSTEM 'http://127.0.0.1:9/x.dtd'>?>"
        "<title>&lt;!DOCTYPE t&gt; &amp; &#x26;lol; &quot;&apos;</title>");
    g_autoptr(VgpuDomain) dom = parse_ok(xml);
    g_autoptr(VgpuDomain) text = parse_corpus_ok("entity-text-in-cdata.xml");
    g_autoptr(VgpuDomain) lone = parse_corpus_ok("libvirt-lone-device.xml");
    g_autoptr(VgpuDomain) several = parse_corpus_ok("libvirt-several-devices.xml");
    g_autoptr(VgpuDomain) none = parse_corpus_ok("libvirt-doctype-text.xml");

    g_assert_cmpuint(dom->requests->len, ==, 1);
    g_assert_cmpstr(request(dom, 0)->uuid, ==, UUID_A);
    g_assert_cmpuint(text->requests->len, ==, 0);
    g_assert_cmpuint(lone->requests->len, ==, 1);
    g_assert_cmpuint(several->requests->len, ==, 2);
    g_assert_cmpuint(none->requests->len, ==, 0);
    g_assert_cmpstr(none->name, ==, "vm1");
}

/* A real DOCTYPE, entity declaration or entity reference in a domain that
 * asks for a vGPU. */
static void
test_real_dtd_refused(void)
{
    const char *internal =
        "<!DOCTYPE domain [<!ENTITY p 'A40-2Q'>]><domain><name>vm1</name><metadata>"
        "<v:device xmlns:v='urn:vgpu-hook:1' uuid='" UUID_A "' profile='&p;'/></metadata>"
        "</domain>";
    const char *unused = "<!DOCTYPE domain [<!ENTITY p 'A40-2Q'>]><domain><name>vm1</name>"
                         "<metadata><v:device xmlns:v='urn:vgpu-hook:1' uuid='" UUID_A "' "
                         "profile='A40-2Q'/></metadata></domain>";
    const char *attribute_ref =
        "<domain><name>vm1</name><metadata><v:device xmlns:v='urn:vgpu-hook:1' uuid='"
        UUID_A "' profile='A40-&q;'/></metadata></domain>";
    /* A default xmlns= in the DTD could put a plain <device> in our
     * namespace: refused if it does, never a request if it does not. */
    const char *fixed_ns =
        "<!DOCTYPE domain [<!ATTLIST device xmlns CDATA #FIXED 'urn:vgpu-hook:1'>]>"
        "<domain><name>vm1</name><metadata><device uuid='" UUID_A "' profile='A40-2Q'/>"
        "</metadata></domain>";
    g_autoptr(GError) err = NULL;
    g_autoptr(VgpuDomain) dom = xml_domain_parse(fixed_ns, strlen(fixed_ns), &err);
    g_autofree char *in_text = asking("<name>vm1</name><description>at &site;</description>");
    g_autoptr(VgpuDomain) predefined = parse_device_ok("profile='A40&#x2d;2Q' type='nvidia&#45;558'");

    assert_refused_str(internal, DTD_REFUSED);
    assert_refused_str(unused, DTD_REFUSED);
    assert_refused_str(attribute_ref, "domain XML: an entity reference (&q;) is not allowed");
    assert_refused_str(in_text, "domain XML: an entity reference (&site;) is not allowed");
    if (dom)
        g_assert_cmpuint(dom->requests->len, ==, 0);
    else
        assert_refusal(err, DTD_REFUSED);
    g_assert_cmpstr(request(predefined, 0)->profile, ==, "A40-2Q");
    g_assert_cmpstr(request(predefined, 0)->type, ==, "nvidia-558");
}

/* An external subset is never read: the entity it declares stays
 * undeclared, the default attribute it gives is never added. */
static void
test_external_subset_never_read(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-xml-XXXXXX", NULL);
    g_autofree char *dtd = g_build_filename(dir, "domain.dtd", NULL);
    g_autofree char *not = NULL;
    g_autofree char *ask = NULL;
    g_autoptr(VgpuDomain) dom = NULL;

    g_assert_true(g_file_set_contents(dtd, "<!ENTITY n 'expanded'>\n"
                                      "<!ATTLIST domain type CDATA 'injected'>\n", -1, NULL));
    not = g_strdup_printf("<!DOCTYPE domain SYSTEM 'file://%s'>\n"
                          "<domain><name>vm&n;</name><title>&n;</title></domain>", dtd);
    ask = g_strdup_printf("<!DOCTYPE domain SYSTEM '%s'>\n<domain><name>vm1</name><metadata>"
                          "<v:device xmlns:v='urn:vgpu-hook:1' uuid='" UUID_A "' "
                          "profile='A40-2Q'/></metadata></domain>", dtd);
    dom = parse_asks_nothing(not, strlen(not));
    g_assert_cmpstr(dom->name, ==, "vm");
    assert_refused_str(ask, DTD_REFUSED);
    g_assert_cmpint(g_unlink(dtd), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* libvirt keeps another application's entity references verbatim, without
 * the DTD that declared them (libvirt-entity-reference.xml is what it
 * printed for such a definition). */
static void
test_libvirt_entity_reference(void)
{
    g_autoptr(VgpuDomain) dom = parse_corpus_ok("libvirt-entity-reference.xml");
    g_autoptr(GBytes) bytes = corpus_read("libvirt-entity-reference.xml");
    g_autoptr(GString) asks = g_string_new_len(g_bytes_get_data(bytes, NULL),
                                               g_bytes_get_size(bytes));

    g_assert_cmpstr(dom->name, ==, "vm1");
    g_assert_cmpstr(dom->uuid, ==, DOM_UUID);
    g_assert_cmpuint(dom->requests->len, ==, 0);
    g_string_replace(asks, "</metadata>", "<v:device xmlns:v='urn:vgpu-hook:1' "
                     "profile='A40-2Q'/></metadata>", 1);
    assert_refused(asks->str, asks->len, "domain XML: an entity reference (&site;) is not "
                   "allowed");
}

/* ---- the two forms of the metadata ---- */

/* What `virsh metadata vm1 --uri urn:vgpu-hook:1 --key vgpu --set
 * '<device profile="A40-2Q"/>'` stores: one request. */
static void
test_lone_device(void)
{
    g_autoptr(VgpuDomain) dom = parse_corpus_ok("libvirt-lone-device.xml");
    g_autofree char *derived = vgpu_request_uuid_derive(DOM_UUID, 0);
    g_autoptr(GBytes) bytes = corpus_read("libvirt-lone-device.xml");
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    g_autoptr(GError) err = NULL;
    guint added = 0;
    g_autofree char *out = xml_domain_add_hostdevs(data, len, &added, &err);
    g_autoptr(VgpuDomain) again = NULL;
    const char *default_ns = "<domain><name>vm1</name><metadata><device xmlns='urn:vgpu-hook:1' "
                             "uuid='" UUID_A "' type='nvidia-558'/></metadata></domain>";
    g_autoptr(VgpuDomain) plain = parse_ok(default_ns);

    g_assert_cmpuint(dom->requests->len, ==, 1);
    g_assert_cmpstr(request(dom, 0)->profile, ==, "A40-2Q");
    g_assert_cmpstr(request(dom, 0)->uuid, ==, derived);
    g_assert_false(xml_domain_request_has_hostdev(dom, request(dom, 0)));
    g_assert_no_error(err);
    g_assert_cmpuint(added, ==, 1);
    again = parse_ok(out);
    g_assert_cmpuint(again->requests->len, ==, 1);
    g_assert_true(xml_domain_request_has_hostdev(again, request(again, 0)));
    g_assert_cmpstr(request(plain, 0)->type, ==, "nvidia-558");
    assert_refused_str("<domain><name>vm1</name><metadata><v:device xmlns:v='urn:vgpu-hook:1' "
                       "uuid='" UUID_A "' profil='A40-2Q'/></metadata></domain>",
                       "domain 'vm1': vGPU device 0: unknown attribute 'profil'");
}

/* What `--key vgpu --set '<vgpu><device .../><device .../></vgpu>'`
 * stores: every device, in order. */
static void
test_libvirt_several_devices(void)
{
    g_autoptr(VgpuDomain) dom = parse_corpus_ok("libvirt-several-devices.xml");

    g_assert_cmpuint(dom->requests->len, ==, 2);
    g_assert_cmpstr(request(dom, 0)->profile, ==, "A40-2Q");
    g_assert_cmpstr(request(dom, 1)->profile, ==, "A40-4Q");
    g_assert_cmpint(request(dom, 1)->placement, ==, VGPU_PLACEMENT_SPREAD);
}

#define META_DOMAIN(meta) \
    "<domain><name>vm1</name><uuid>" DOM_UUID "</uuid><metadata>" meta "</metadata></domain>"
#define FORMS "<vgpu> holding <device> elements, or one lone <device>"

/* Any other element of ours under <metadata>, or more than one, is refused
 * naming it and the two forms. */
static void
test_metadata_forms_refused(void)
{
    assert_refused_str(META_DOMAIN("<vgpu:vgpus xmlns:vgpu='urn:vgpu-hook:1'>"
                                   "<vgpu:device profile='A40-2Q'/></vgpu:vgpus>"),
                       "domain 'vm1': unexpected element <vgpu:vgpus> in namespace "
                       "urn:vgpu-hook:1 under <metadata> (known: " FORMS ")");
    assert_refused_str(META_DOMAIN("<other:x xmlns:other='urn:other'/>"
                                   "<devices xmlns='urn:vgpu-hook:1' profile='A40-2Q'/>"),
                       "domain 'vm1': unexpected element <devices> in namespace");
    assert_refused_str(META_DOMAIN("<vgpu:vgpu xmlns:vgpu='urn:vgpu-hook:1'>"
                                   "<vgpu:device profile='A40-2Q'/></vgpu:vgpu>"
                                   "<vgpu:device xmlns:vgpu='urn:vgpu-hook:1' profile='A40-4Q'/>"),
                       "domain 'vm1': more than one element in namespace urn:vgpu-hook:1 under "
                       "<metadata> (<vgpu:vgpu>, then <vgpu:device>; libvirt keeps only the "
                       "first): use one, " FORMS);
    assert_refused_str(META_DOMAIN("<a:device xmlns:a='urn:vgpu-hook:1' profile='A40-2Q'/>"
                                   "<b:device xmlns:b='urn:vgpu-hook:1' profile='A40-4Q'/>"),
                       "(<a:device>, then <b:device>; libvirt keeps only the first)");
    /* Wherever it is, the misspelling is named first. */
    assert_refused_str(META_DOMAIN("<v:device xmlns:v='urn:vgpu-hook:1' profile='A40-2Q'/>"
                                   "<v:vgpus xmlns:v='urn:vgpu-hook:1'/>"),
                       "unexpected element <v:vgpus> in namespace");
}

/* ---- hostile input ---- */

typedef struct {
    const char *file;
    const char *phrase;
} Hostile;

static const Hostile hostile_corpus[] = {
    /* Each of these asks for a vGPU: one that asks for nothing is read
     * without its DTD (test_dtd_asking_nothing). */
    { "billion-laughs.xml", DTD_REFUSED },
    { "xxe-system.xml", DTD_REFUSED },
    { "xxe-http.xml", DTD_REFUSED },
    { "parameter-entities.xml", DTD_REFUSED },
    { "doctype-only.xml", DTD_REFUSED },
    /* What libxml2 would hang on the DTD, which is never built (the
     * fuzzer found them leaked). */
    { "dtd-comment-pi.xml", DTD_REFUSED },
    /* The encoding is forced to UTF-8: an encoded DOCTYPE stays text. */
    { "utf7-doctype.xml", "domain XML is not well-formed: line 2: Start tag expected" },
    { "latin1-declared.xml", "domain XML is not well-formed: line 3: Input is not proper UTF-8" },
    { "non-utf8.xml", "domain XML is not well-formed: line 2: Input is not proper UTF-8" },
    { "utf16.xml", "domain XML: the document contains a NUL byte at offset 3" },
    { "nul-byte.xml", "domain XML: the document contains a NUL byte at offset 60" },
    { "empty.xml", "domain XML: the document is empty" },
    { "not-xml.txt", "domain XML is not well-formed: line 1: Start tag expected" },
    { "json.txt", "domain XML is not well-formed: line 1: Start tag expected" },
    { "root-not-domain.xml", "domain XML: the root element is <network>, not <domain>" },
    { "root-namespaced.xml", "domain XML: the root element is <x:domain>, not <domain>" },
    { "undefined-entity.xml", "domain XML: an entity reference (&vm;) is not allowed (only &amp; "
      "&lt; &gt; &quot; &apos; and character references are)" },
    { "undefined-prefix.xml",
      "domain XML is not well-formed: line 4: Namespace prefix vgpu on device is not defined" },
    { "mismatched-tags.xml", "domain XML is not well-formed: line 4: Opening and ending tag "
      "mismatch: metadata line 3 and domain" },
    { "duplicate-attribute.xml", "domain XML is not well-formed: line 5: Attribute profile "
      "redefined" },
};

static void
test_hostile_file(gconstpointer data)
{
    const Hostile *h = data;
    g_autoptr(GBytes) bytes = corpus_read(h->file);
    gsize len;
    const char *buf = g_bytes_get_data(bytes, &len);

    assert_refused(buf, len, h->phrase);
}

/* A valid document of exactly @size bytes (padded inside a comment). */
static char *
document_of_size(gsize size, gsize *len)
{
    const char *head = "<domain><name>big</name><!--";
    const char *tail = "--></domain>";
    GString *s = g_string_new(head);

    g_assert_cmpuint(size, >, strlen(head) + strlen(tail));
    while (s->len < size - strlen(tail))
        g_string_append_c(s, 'x');
    g_string_append(s, tail);
    *len = s->len;
    return g_string_free(s, FALSE);
}

static void
test_size_limit(void)
{
    gsize len;
    g_autofree char *at_limit = document_of_size(VGPU_XML_MAX_BYTES, &len);
    g_autofree char *over = document_of_size(VGPU_XML_MAX_BYTES + 1, &len);
    g_autofree char *ten_mb = document_of_size(10 * 1000 * 1000, &len);
    g_autofree char *five_mb = document_of_size(5 * 1000 * 1000, &len);
    g_autoptr(GError) err = NULL;
    g_autoptr(VgpuDomain) dom = xml_domain_parse(at_limit, VGPU_XML_MAX_BYTES, &err);

    g_assert_no_error(err);
    g_assert_cmpstr(dom->name, ==, "big");
    assert_refused(over, VGPU_XML_MAX_BYTES + 1,
                   "domain XML: the document is too large (4194305 bytes, the limit is 4194304)");
    assert_refused(ten_mb, 10 * 1000 * 1000,
                   "domain XML: the document is too large (10000000 bytes");
    assert_refused(five_mb, 5 * 1000 * 1000, "domain XML: the document is too large");
}

static void
test_deep_nesting(void)
{
    GString *s = g_string_new("<domain><name>deep</name>");

    for (int i = 0; i < 100000; i++)
        g_string_append(s, "<a>");
    for (int i = 0; i < 100000; i++)
        g_string_append(s, "</a>");
    g_string_append(s, "</domain>");
    assert_refused(s->str, s->len, "domain XML is not well-formed: line 1: Excessive depth in "
                   "document: 256");
    {
        g_autoptr(GError) err = NULL;

        g_assert_null(xml_domain_parse(s->str, s->len, &err));
        g_assert_null(strstr(err->message, "XML_PARSE_HUGE"));   /* no advice to programmers */
    }
    g_string_free(s, TRUE);
}

static void
test_overlong_attribute(void)
{
    g_autofree char *value = g_strnfill(1024 * 1024, 'A');
    g_autofree char *attrs = g_strdup_printf("profile='%s'", value);
    g_autofree char *xml = device_with(attrs);
    g_autofree char *uuid_attrs = g_strdup_printf("profile='A40-2Q' uuid='%s'", value);
    g_autofree char *uuid_xml = device_with(uuid_attrs);

    assert_refused_str(xml, "domain 'vm1': vGPU device 0: attribute 'profile' is too long "
                       "(1048576 bytes, at most 256)");
    assert_refused_str(uuid_xml, "attribute 'uuid' is too long");
}

static void
test_long_unknown_names_clipped(void)
{
    g_autofree char *name = g_strnfill(10000, 'q');
    g_autofree char *attrs = g_strdup_printf("profile='A40-2Q' %s='1'", name);
    g_autofree char *xml = device_with(attrs);
    g_autofree char *root = g_strdup_printf("<%s/>", name);

    assert_refused_str(xml, "unknown attribute 'qqqqq");
    assert_refused_str(xml, "...'");
    assert_refused_str(root, "domain XML: the root element is <qqq");
}

/* ---- the rewrite ---- */

static char *
add_ok(const char *xml, guint expect_added)
{
    g_autoptr(GError) err = NULL;
    guint added = 99;
    char *out = xml_domain_add_hostdevs(xml, strlen(xml), &added, &err);

    g_assert_no_error(err);
    g_assert_nonnull(out);
    g_assert_cmpuint(added, ==, expect_added);
    return out;
}

/* Adds, checks the result against @expect, then that a second pass adds
 * nothing and that every request now has its hostdev. */
static void
assert_rewrite(const char *in, const char *expect, guint expect_added)
{
    g_autofree char *out = add_ok(in, expect_added);
    g_autofree char *again = add_ok(out, 0);
    g_autoptr(VgpuDomain) dom = parse_ok(out);

    g_assert_cmpstr(out, ==, expect);
    g_assert_cmpstr(again, ==, out);
    for (guint i = 0; i < dom->requests->len; i++)
        g_assert_true(xml_domain_request_has_hostdev(dom, request(dom, i)));
}

#define META_A \
    "  <metadata>\n" \
    "    <!-- keep this comment -->\n" \
    "    <other:data xmlns:other=\"urn:other\" zeta=\"1\" alpha=\"2\">" \
    "text &amp; <![CDATA[<raw>]]></other:data>\n" \
    "    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n" \
    "      <vgpu:device uuid=\"" UUID_A "\" profile=\"A40-2Q\"/>\n" \
    "    </vgpu:vgpu>\n" \
    "  </metadata>\n"

static void
test_add_to_devices(void)
{
    g_autofree char *hostdev = hostdev_serialized(UUID_A);
    const char *in =
        "<domain type=\"kvm\">\n"
        "  <name>vm1</name>\n"
        META_A
        "  <devices>\n"
        "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
        "    <!-- disks -->\n"
        "    <disk type=\"file\" device=\"disk\"/>\n"
        "  </devices>\n"
        "</domain>\n";
    g_autofree char *expect = g_strdup_printf(
        "<domain type=\"kvm\">\n"
        "  <name>vm1</name>\n"
        META_A
        "  <devices>\n"
        "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
        "    <!-- disks -->\n"
        "    <disk type=\"file\" device=\"disk\"/>\n"
        "    %s\n"
        "  </devices>\n"
        "</domain>\n", hostdev);

    assert_rewrite(in, expect, 1);
}

static void
test_add_creates_devices(void)
{
    g_autofree char *hostdev = hostdev_serialized(UUID_A);
    const char *in =
        "<domain type=\"kvm\">\n"
        "  <name>vm1</name>\n"
        META_A
        "</domain>\n";
    g_autofree char *expect = g_strdup_printf(
        "<domain type=\"kvm\">\n"
        "  <name>vm1</name>\n"
        META_A
        "  <devices>\n"
        "    %s\n"
        "  </devices>\n"
        "</domain>\n", hostdev);

    assert_rewrite(in, expect, 1);
}

static void
test_add_to_empty_devices(void)
{
    g_autofree char *hostdev = hostdev_serialized(UUID_A);
    const char *empty_tag =
        "<domain>\n  <name>vm1</name>\n" META_A "  <devices/>\n</domain>\n";
    const char *blank =
        "<domain>\n  <name>vm1</name>\n" META_A "  <devices>\n  </devices>\n</domain>\n";
    g_autofree char *expect = g_strdup_printf(
        "<domain>\n  <name>vm1</name>\n" META_A "  <devices>\n    %s\n  </devices>\n</domain>\n",
        hostdev);

    assert_rewrite(empty_tag, expect, 1);
    assert_rewrite(blank, expect, 1);
}

static void
test_add_one_line_document(void)
{
    g_autofree char *hostdev = hostdev_serialized(UUID_A);
    const char *in =
        "<domain><name>vm1</name><metadata><v:vgpu xmlns:v=\"urn:vgpu-hook:1\">"
        "<v:device uuid=\"" UUID_A "\" profile=\"A40-2Q\"/></v:vgpu></metadata>"
        "<devices><disk/></devices></domain>";
    g_autofree char *expect = g_strdup_printf(
        "<domain><name>vm1</name><metadata><v:vgpu xmlns:v=\"urn:vgpu-hook:1\">"
        "<v:device uuid=\"" UUID_A "\" profile=\"A40-2Q\"/></v:vgpu></metadata>"
        "<devices><disk/>%s</devices></domain>\n", hostdev);

    assert_rewrite(in, expect, 1);
}

static void
test_add_several_and_derived(void)
{
    g_autofree char *derived1 = vgpu_request_uuid_derive(DOM_UUID, 1);
    g_autofree char *derived2 = vgpu_request_uuid_derive(DOM_UUID, 2);
    g_autofree char *h1 = hostdev_serialized(derived1);
    g_autofree char *h2 = hostdev_serialized(derived2);
    const char *in =
        "<?xml version=\"1.0\"?>\n"
        "<domain type=\"kvm\">\n"
        "  <name>vm1</name>\n"
        "  <uuid>" DOM_UUID "</uuid>\n"
        "  <metadata>\n"
        "    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n"
        "      <vgpu:device uuid=\"" UUID_A "\" profile=\"A40-2Q\"/>\n"
        "      <vgpu:device profile=\"A40-2Q\"/>\n"
        "      <vgpu:device type=\"nvidia-558\"/>\n"
        "    </vgpu:vgpu>\n"
        "  </metadata>\n"
        "  <devices>\n"
        "    <hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\" display=\"off\">\n"
        "      <source>\n"
        "        <address uuid=\"" UUID_A "\"/>\n"
        "      </source>\n"
        "    </hostdev>\n"
        "  </devices>\n"
        "</domain>\n";
    g_autofree char *expect = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<domain type=\"kvm\">\n"
        "  <name>vm1</name>\n"
        "  <uuid>" DOM_UUID "</uuid>\n"
        "  <metadata>\n"
        "    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n"
        "      <vgpu:device uuid=\"" UUID_A "\" profile=\"A40-2Q\"/>\n"
        "      <vgpu:device profile=\"A40-2Q\"/>\n"
        "      <vgpu:device type=\"nvidia-558\"/>\n"
        "    </vgpu:vgpu>\n"
        "  </metadata>\n"
        "  <devices>\n"
        "    <hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\" display=\"off\">\n"
        "      <source>\n"
        "        <address uuid=\"" UUID_A "\"/>\n"
        "      </source>\n"
        "    </hostdev>\n"
        "    %s\n"
        "    %s\n"
        "  </devices>\n"
        "</domain>\n", h1, h2);

    assert_rewrite(in, expect, 2);
}

static void
test_add_nothing_keeps_bytes(void)
{
    g_autoptr(GBytes) bytes = corpus_read("design-example.xml");
    g_autoptr(GBytes) plain = corpus_read("no-metadata.xml");
    g_autoptr(GError) err = NULL;
    gsize len, plain_len;
    const char *data = g_bytes_get_data(bytes, &len);
    const char *plain_data = g_bytes_get_data(plain, &plain_len);
    guint added = 99;
    g_autofree char *out = xml_domain_add_hostdevs(data, len, &added, &err);
    g_autofree char *plain_out = NULL;

    g_assert_no_error(err);
    g_assert_cmpuint(added, ==, 0);
    g_assert_cmpuint(strlen(out), ==, len);
    g_assert_cmpmem(out, len, data, len);
    added = 99;
    plain_out = xml_domain_add_hostdevs(plain_data, plain_len, &added, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(added, ==, 0);
    g_assert_cmpmem(plain_out, strlen(plain_out), plain_data, plain_len);
}

static void
test_add_live_domain(void)
{
    g_autoptr(GBytes) bytes = corpus_read("live-domain.xml");
    g_autoptr(GError) err = NULL;
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    guint added = 0;
    g_autofree char *out = xml_domain_add_hostdevs(data, len, &added, &err);
    g_autofree char *d0 = vgpu_request_uuid_derive(DOM_UUID, 0);
    g_autofree char *d2 = vgpu_request_uuid_derive(DOM_UUID, 2);
    g_autofree char *h0 = hostdev_serialized(d0);
    g_autofree char *h2 = hostdev_serialized(d2);
    g_autofree char *tail = g_strdup_printf("    </hostdev>\n    %s\n    %s\n  </devices>\n"
                                            "</domain>\n", h0, h2);
    g_autofree char *again = NULL;

    g_assert_no_error(err);
    g_assert_cmpuint(added, ==, 2);
    g_assert_true(g_str_has_suffix(out, tail));
    g_assert_nonnull(strstr(out, "<libosinfo:os id=\"http://debian.org/debian/12\"/>"));
    g_assert_nonnull(strstr(out, "<uuid>C7A5FDBD-EDAF-9455-926A-D65C16DB1809</uuid>"));
    again = add_ok(out, 0);
    g_assert_cmpstr(again, ==, out);
}

static void
test_add_refuses_invalid(void)
{
    g_autofree char *xml = device_with("type='../../etc'");
    g_autoptr(GError) err = NULL;
    guint added = 99;

    g_assert_null(xml_domain_add_hostdevs(xml, strlen(xml), &added, &err));
    g_assert_cmpuint(added, ==, 0);
    assert_refusal(err, "domain 'vm1': vGPU device 0: type '../../etc' is not a valid mdev type");
}

/* Whole-VF pointing: an mdev hostdev replaced, an aliased one moved (and
 * its managed= set), hand-written PCI hostdevs listed and left alone. */
#define META_VF \
    "  <metadata>\n" \
    "    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n" \
    "      <vgpu:device uuid=\"" UUID_A "\" gpu=\"MI300X\"/>\n" \
    "      <vgpu:device uuid=\"" UUID_B "\" profile=\"A40-2Q\"/>\n" \
    "    </vgpu:vgpu>\n" \
    "  </metadata>\n"
#define HAND_PCI \
    "    <hostdev mode=\"subsystem\" type=\"pci\" managed=\"yes\"><source>" \
    "<address domain=\"0x0000\" bus=\"0x04\" slot=\"0x02\" function=\"0x1\"/></source></hostdev>\n"

static void
test_point_vfs(void)
{
    const char *in =
        "<domain type=\"kvm\">\n"
        "  <name>vm1</name>\n"
        META_VF
        "  <devices>\n"
        "    <disk type=\"file\" device=\"disk\"/>\n"
        "    <hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\"><source>"
        "<address uuid=\"" UUID_A "\"/></source></hostdev>\n"
        HAND_PCI
        "    <hostdev mode=\"subsystem\" type=\"pci\" managed=\"yes\"><source>"
        "<address domain=\"0x0000\" bus=\"0x67\" slot=\"0x00\" function=\"0x4\"/></source>"
        "<alias name=\"ua-vgpu-" UUID_B "\"/></hostdev>\n"
        "  </devices>\n"
        "</domain>\n";
    const char *expect =
        "<domain type=\"kvm\">\n"
        "  <name>vm1</name>\n"
        META_VF
        "  <devices>\n"
        "    <disk type=\"file\" device=\"disk\"/>\n"
        HAND_PCI
        "    <hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\"><source>"
        "<address domain=\"0x0000\" bus=\"0xe8\" slot=\"0x00\" function=\"0x5\"/></source>"
        "<alias name=\"ua-vgpu-" UUID_B "\"/></hostdev>\n"
        "    <hostdev mode=\"subsystem\" type=\"pci\" managed=\"yes\"><source>"
        "<address domain=\"0x0000\" bus=\"0x05\" slot=\"0x02\" function=\"0x0\"/></source>"
        "<alias name=\"ua-vgpu-" UUID_A "\"/></hostdev>\n"
        "  </devices>\n"
        "</domain>\n";
    g_autoptr(GHashTable) points = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify)xml_vf_point_free);
    XmlVfPoint *a = g_new0(XmlVfPoint, 1), *b = g_new0(XmlVfPoint, 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autoptr(VgpuDomain) before = xml_domain_parse(in, strlen(in), &error);
    g_autoptr(VgpuDomain) after = NULL;

    g_assert_no_error(error);
    g_assert_cmpuint(before->pci_addrs->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(before->pci_addrs, 0), ==, "0000:04:02.1");
    g_assert_cmpstr(g_ptr_array_index(before->pci_addrs, 1), ==, "0000:67:00.4");
    a->addr = g_strdup("0000:05:02.0");
    a->managed = TRUE;
    b->addr = g_strdup("0000:e8:00.5");
    g_hash_table_insert(points, UUID_A, a);
    g_hash_table_insert(points, UUID_B, b);
    out = xml_domain_point_vfs(in, strlen(in), points, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(out, ==, expect);
    after = xml_domain_parse(out, strlen(out), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(after->mdev_hostdevs->len, ==, 0);
    g_assert_cmpstr(((VgpuRequest *)g_ptr_array_index(after->requests, 0))->vf, ==, "0000:05:02.0");
    g_assert_cmpstr(((VgpuRequest *)g_ptr_array_index(after->requests, 1))->vf, ==, "0000:e8:00.5");
}

static void
test_point_vfs_refuses_bad_address(void)
{
    const char *in = "<domain><name>vm1</name>" META_VF "<devices/></domain>";
    g_autoptr(GHashTable) points = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify)xml_vf_point_free);
    XmlVfPoint *a = g_new0(XmlVfPoint, 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;

    a->addr = g_strdup("../../etc");
    g_hash_table_insert(points, UUID_A, a);
    out = xml_domain_point_vfs(in, strlen(in), points, &error);
    g_assert_null(out);
    g_assert_nonnull(strstr(error->message, "'../../etc' is no PCI address to point vGPU"));
}

static void
test_pci_addrs_despite_bad_metadata(void)
{
    const char *in =
        "<domain><name>vm1</name><metadata><vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">"
        "<vgpu:device uuid=\"bad\" profile=\"../x\"/></vgpu:vgpu></metadata><devices>"
        HAND_PCI "</devices></domain>";
    g_autoptr(GError) error = NULL;
    g_autoptr(VgpuDomain) vd = xml_domain_parse(in, strlen(in), &error);
    g_autoptr(GPtrArray) addrs = NULL;

    g_assert_null(vd);
    g_clear_error(&error);
    addrs = xml_domain_pci_addrs(in, strlen(in), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(addrs->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(addrs, 0), ==, "0000:04:02.1");
    g_clear_pointer(&addrs, g_ptr_array_unref);
    addrs = xml_domain_pci_addrs("<domain><!ENTITY", 16, &error);
    g_assert_null(addrs);
    g_assert_nonnull(error);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/xml/parse/design-example", test_design_example);
    g_test_add_func("/xml/parse/design-snippet-without-name", test_design_snippet_without_name);
    g_test_add_func("/xml/parse/live-domain", test_live_domain);
    g_test_add_func("/xml/parse/profile-type-both", test_profile_type_both);
    g_test_add_func("/xml/parse/optional-fields", test_optional_fields);
    g_test_add_func("/xml/parse/several-devices", test_several_devices);
    g_test_add_func("/xml/parse/derived-uuid", test_derived_uuid);
    g_test_add_func("/xml/parse/uuid-canonicalized", test_uuid_canonicalized);
    g_test_add_func("/xml/parse/domain-uuid-optional", test_domain_uuid_optional_when_explicit);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_devices); i++) {
        g_autofree char *path = g_strdup_printf("/xml/parse/bad-device/%zu", i);
        g_test_add_data_func(path, &bad_devices[i], test_bad_device);
    }
    g_test_add_func("/xml/parse/what-combinations", test_what_combinations);
    g_test_add_func("/xml/parse/bad-second-device", test_bad_second_device);
    g_test_add_func("/xml/parse/duplicate-uuids", test_duplicate_uuids);
    g_test_add_func("/xml/parse/two-containers", test_two_containers);
    g_test_add_func("/xml/parse/container-contents", test_container_contents);
    g_test_add_func("/xml/parse/too-many-devices", test_too_many_devices);
    g_test_add_func("/xml/parse/foreign-namespaces", test_foreign_namespaces_ignored);
    g_test_add_func("/xml/parse/no-metadata", test_no_metadata);
    g_test_add_func("/xml/parse/xinclude-not-processed", test_xinclude_not_processed);
    g_test_add_func("/xml/parse/name-and-uuid", test_name_and_uuid);
    g_test_add_func("/xml/parse/asking-nothing-keeps-what-reads",
                    test_asking_nothing_keeps_what_reads);
    g_test_add_func("/xml/parse/long-name", test_long_name);
    g_test_add_func("/xml/parse/hostdevs", test_hostdevs);
    g_test_add_func("/xml/parse/bad-hostdevs", test_bad_hostdevs);
    g_test_add_func("/xml/parse/has-hostdev", test_has_hostdev);
    g_test_add_func("/xml/hostdev-element", test_hostdev_element);
    g_test_add_func("/xml/dtd/asking-nothing", test_dtd_asking_nothing);
    g_test_add_func("/xml/dtd/text", test_doctype_text);
    g_test_add_func("/xml/dtd/real-refused", test_real_dtd_refused);
    g_test_add_func("/xml/dtd/external-subset-never-read", test_external_subset_never_read);
    g_test_add_func("/xml/dtd/libvirt-entity-reference", test_libvirt_entity_reference);
    g_test_add_func("/xml/forms/lone-device", test_lone_device);
    g_test_add_func("/xml/forms/libvirt-several-devices", test_libvirt_several_devices);
    g_test_add_func("/xml/forms/refused", test_metadata_forms_refused);
    for (gsize i = 0; i < G_N_ELEMENTS(hostile_corpus); i++) {
        g_autofree char *path = g_strdup_printf("/xml/hostile/%s", hostile_corpus[i].file);
        g_test_add_data_func(path, &hostile_corpus[i], test_hostile_file);
    }
    g_test_add_func("/xml/hostile/size-limit", test_size_limit);
    g_test_add_func("/xml/hostile/deep-nesting", test_deep_nesting);
    g_test_add_func("/xml/hostile/overlong-attribute", test_overlong_attribute);
    g_test_add_func("/xml/hostile/long-names-clipped", test_long_unknown_names_clipped);
    g_test_add_func("/xml/add/to-devices", test_add_to_devices);
    g_test_add_func("/xml/add/creates-devices", test_add_creates_devices);
    g_test_add_func("/xml/add/to-empty-devices", test_add_to_empty_devices);
    g_test_add_func("/xml/add/one-line-document", test_add_one_line_document);
    g_test_add_func("/xml/add/several-and-derived", test_add_several_and_derived);
    g_test_add_func("/xml/add/nothing-keeps-bytes", test_add_nothing_keeps_bytes);
    g_test_add_func("/xml/add/live-domain", test_add_live_domain);
    g_test_add_func("/xml/add/refuses-invalid", test_add_refuses_invalid);
    g_test_add_func("/xml/point-vfs/replace-move-keep", test_point_vfs);
    g_test_add_func("/xml/point-vfs/bad-address", test_point_vfs_refuses_bad_address);
    g_test_add_func("/xml/pci-addrs/bad-metadata", test_pci_addrs_despite_bad_metadata);
    return g_test_run();
}
