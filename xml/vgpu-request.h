/* One vGPU asked for by a domain: a <vgpu:device> element, validated. */
#pragma once

#include <glib.h>

#define VGPU_XML_NS "urn:vgpu-hook:1"

typedef enum {
    VGPU_PLACEMENT_DEFAULT = 0,   /* take the config's policy */
    VGPU_PLACEMENT_PACK,
    VGPU_PLACEMENT_SPREAD,
} VgpuPlacement;

typedef struct {
    guint index;          /* position among the domain's <vgpu:device>, from 0 */
    char *uuid;           /* canonical lowercase 8-4-4-4-12 */
    gboolean uuid_derived;/* not in the XML: derived from the domain UUID */
    char *profile;        /* "A40-2Q"; NULL when only type is given */
    char *type;           /* sysfs type id "nvidia-558"; NULL when only profile */
    char *parent;         /* normalized PCI address "0000:e8:00.4", a non-PCI
                             parent name such as "mtty", or NULL */
    VgpuPlacement placement;
    int numa;             /* NUMA node, -1 for any */
} VgpuRequest;

void vgpu_request_free(VgpuRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgpuRequest, vgpu_request_free)

/* The profile ("A40-2Q"), else the type id ("nvidia-558"): how messages name it. */
const char *vgpu_request_label(const VgpuRequest *req);

/* Field validators; each returns FALSE and sets @error naming the field. */
gboolean vgpu_validate_uuid(const char *field, const char *value,
                            char **canonical, GError **error);
gboolean vgpu_validate_type_id(const char *value, GError **error);
gboolean vgpu_validate_profile(const char *value, GError **error);
/* Accepts "0000:e8:00.4" and "e8:00.4" (domain 0000), any case; returns
 * the lowercase 4-digit-domain form. */
gboolean vgpu_validate_pci_addr(const char *field, const char *value,
                                char **normalized, GError **error);
gboolean vgpu_placement_parse(const char *value, VgpuPlacement *out, GError **error);
const char *vgpu_placement_name(VgpuPlacement p);

/* Name-based (SHA-1) UUID from the domain UUID and the device index:
 * stable for the life of the domain, distinct per index. */
char *vgpu_uuid_derive(const char *domain_uuid, guint index);
