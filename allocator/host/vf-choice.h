/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Choosing a whole VF for a request, the same way in the hook (advice,
 * migrate begin, restore begin) and in vgpuctl (attach, sync, define):
 * which VFs suit a request, which are free, and which one to take by the
 * placement policy. Reads the PCI ID database for gpu= names. */
#pragma once

#include <glib.h>
#include "device-kind.h"
#include "ledger.h"
#include "pci-name.h"
#include "placement.h"

typedef struct {
    const PlacementRules *rules;   /* allow, deny, policy */
    PciNames *names;
    const GPtrArray *ledgers;      /* Ledger*: who holds which VF */
    const char *domain_uuid;       /* the domain asking: its own records do not count */
    GHashTable *avoid;             /* VF addresses to take only when nothing else is free
                                      (named by other defined domains); may be NULL */
    GHashTable *exclude;           /* VF addresses never to take (the domain names them in
                                      another hostdev already); may be NULL */
} VfChoice;

/* What one call decides by, built once by vf_context_init: the config's
 * placement rules with the domain's NUMA nodes, the PCI ID database, and
 * the VfChoice over them and the ledgers. Never copied: .vf.rules points
 * at .rules. */
typedef struct {
    PlacementRules rules;
    PciNames *names;
    VfChoice vf;
} VfContext;

/* @nodes: the domain's NUMA nodes (numa-map.h), NULL when it says none;
 * @ledgers (Ledger*) and @domain_uuid may be NULL. All borrowed. */
void vf_context_init(VfContext *ctx, const VgpuConfig *cfg, GArray *nodes,
                     const GPtrArray *ledgers, const char *domain_uuid);
void vf_context_clear(VfContext *ctx);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VfContext, vf_context_clear)

/* @req with its type said the VF kinds' way ("558" -> "nvidia-558"); a new
 * string, if any, goes to *owned. */
VgpuRequest vf_choice_view(const VgpuRequest *req, char **owned);
/* Does a whole VF serve @req on @host, decided per GPU: gpu= always; a
 * typed request goes where the placement rules (c->rules; NULL: pack, no
 * allow/deny) rank first among every GPU that can take it now, mdev or VF
 * alike. An mdev hostdev the domain already has (@mdev_hostdev) stays
 * while an mdev parent can take it. When nothing can take it now: a VF
 * when no mdev parent offers it (a full vendor-specific host lists
 * nothing). The hook's advice, vgpuctl check, sync, define and attach all
 * ask this. */
gboolean vf_choice_serves(const VfChoice *c, const Host *host, const VgpuRequest *req,
                          gboolean mdev_hostdev);
/* vf_choice_serves() with the default rules, for a request with no hostdev. */
gboolean vf_choice_wanted(const Host *host, const VgpuRequest *req);
/* The UUIDs of the @requests (VgpuRequest*) a whole VF serves: gpu= ones
 * always, typed ones as vf_choice_wanted() says for @host (NULL: not known
 * here, e.g. a remote libvirt). Their PCI hostdev is chosen on the host
 * (vgpuctl sync), so define and the shared sync never add an mdev one. */
GHashTable *vf_choice_requests(const Host *host, const GPtrArray *requests);
/* The same with the placement rules @rules (NULL: the defaults). */
GHashTable *vf_choice_requests_by(const Host *host, const PlacementRules *rules,
                                  const GPtrArray *requests);

/* One whole-VF request with no hostdev naming its VF, and the VF to name. */
typedef struct {
    const VgpuRequest *req;     /* as the domain wrote it */
    const HostParent *vf;       /* a free VF that fits; NULL: none fits now */
    gboolean managed;           /* a plain VF: managed='yes' (libvirt binds vfio-pci) */
    char *why;                  /* no VF here ever can (vf_choice_gpu_unknown); owned */
} VfAdvice;

/* The requests of @requests (VgpuRequest*) that a whole VF serves
 * (vf_choice_serves; @mdev_hostdevs: char* UUIDs with an mdev hostdev)
 * but no hostdev names a VF for, in order, each with the free fitting VF
 * its hostdev should name: what the hook's refusal and vgpuctl check
 * print. Never a VF in @pci_addrs (char*: the domain's PCI hostdevs
 * already name it, and libvirt refuses one VF twice). A VF given to one
 * is noted on @host as taken (the kind's note_made), so the next gets
 * another. Array of VfAdvice. */
GArray *vf_choice_advise(const VfChoice *c, Host *host, const GPtrArray *requests,
                         const GPtrArray *mdev_hostdevs, const GPtrArray *pci_addrs);
/* The <hostdev> element naming VF @addr for the request @uuid (the hook
 * and vgpuctl pass xml_vf_hostdev_element, which the allocator cannot
 * call itself). */
typedef char *(*VfHostdevElement)(const char *uuid, const char *addr, gboolean managed);
/* The hook's refusal for the @advice (VfAdvice) of domain @domain that no
 * VF here can ever serve (a why): "domain 'D': vGPU device N: why; ...";
 * NULL when none. The hook says this first: no hostdev would help. */
char *vf_choice_advice_refusal(const GArray *advice, const char *domain);
/* The hook's refusal for the rest of @advice: the <hostdev> elements to
 * add, with a free fitting VF filled in, or 0000:00:00.0 and why none
 * fits now (MIG's reasons, mig.h); NULL when nothing is left. What
 * vgpuctl check prints too. */
char *vf_choice_advice_text(const Host *host, const GArray *advice, const char *domain,
                            VfHostdevElement element);

/* Where the driver gives no per-GPU maximum for a whole-VF type, set
 * HostType.max_instance from what is known, at most one per VF: for a
 * vendor-specific type, the max_instance a GPU of its model in mdev mode
 * gives, else the GPU's framebuffer (the largest size an mdev parent or an
 * idle vendor-specific GPU of its model lists: it takes the GPU whole)
 * over the type's; for a plain VF, its GPU's VFs. Left -1 when nothing
 * tells. For vgpuctl types: what can be placed now is then min(VFs that
 * list it, maximum minus those placed), as the hook reaches placing one by
 * one. */
void vf_choice_note_capacity(Host *host);
/* The types @vf offers @req, the one to give it first: any type for gpu=,
 * for a need the smallest size with room now (vendor-specific VFs list
 * what their GPU can take). Borrowed from @vf. */
GPtrArray *vf_choice_types(const HostParent *vf, const VgpuRequest *req);
/* Why the hostdev of @req may not name @vf as it does: managed='yes' on an
 * NVIDIA vendor-specific VF (libvirt would bind it to vfio-pci, and the VF
 * loses its vGPU); NULL when it may. For the hook and vgpuctl check. */
char *vf_choice_hostdev_refusal(const HostParent *vf, const VgpuRequest *req);
/* Why @vf does not suit @req at all (kind, GPU name); NULL when it does.
 * A GPU the PCI ID database has no name for gets its vendor:device id
 * offered, which matches with any database. */
char *vf_choice_mismatch(const VfChoice *c, const HostParent *vf, const VgpuRequest *req);
/* Why no VF on @host can serve @req's gpu= whatever is free: no GPU with
 * whole VFs is called that ("no GPU on this host is called 'MI300X': the
 * GPUs with whole VFs here are Device 74a1 (1002:74a1, 4 GPUs), ..."
 * with pci_ids_path and the id that works with any database), or the GPU
 * it names gives vGPUs of a type. NULL when some GPU is what it names, or
 * @req has no gpu=. */
char *vf_choice_gpu_unknown(const VfChoice *c, const Host *host, const VgpuRequest *req);
/* Can @vf serve @req now: it suits it and the rules, no other domain's
 * ledger holds it, and it can take the type (or the domain holds it). */
gboolean vf_choice_usable(const VfChoice *c, const Host *host, const HostParent *vf,
                          const VgpuRequest *req);
/* Why the hook refuses @req's hostdev naming @addr before it looks at
 * what the VF holds now: no such VF, not what @req asks for, its
 * managed=, the placement rules, another domain's ledger. NULL when none. */
char *vf_choice_named_refusal(const VfChoice *c, const Host *host, const char *addr,
                              const VgpuRequest *req, const char *self_name);
/* "VF A already has vGPU type T, which vgpu-hook did not set ...": @vf's
 * backend says how to clear it. */
char *vf_choice_typed_text(const HostParent *vf, const char *type, const char *self_name);
/* "VF A cannot take L now: ...": @mig is MIG's reason (mig.h), or NULL. */
char *vf_choice_cannot_take_text(const HostParent *vf, const VgpuRequest *req, const char *mig,
                                 const char *self_name);
/* Why the hook would refuse the VF @addr for @req (domain @self_name), in
 * the hook's words; NULL when it would take it. From the scanned @host
 * and the ledgers alone: for vgpuctl check's dry run. */
char *vf_choice_refusal(const VfChoice *c, const Host *host, const char *addr,
                        const VgpuRequest *req, const char *self_name);
/* The VF to take for @req, never one in c->exclude: one c->avoid does not
 * hold while there is one, then one on the domain's NUMA nodes
 * (c->rules->domain_nodes) while there is one, then by the policy (pack:
 * the busiest GPU, spread: the idlest; address breaks ties). NULL when
 * none can serve it. */
const HostParent *vf_choice_find(const VfChoice *c, const Host *host, const VgpuRequest *req);
/* How many VFs vf_choice_find could give @req, not counting those
 * c->avoid holds; *local: how many of them are on the domain's NUMA nodes.
 * Fewer is more constrained: decided first where several wait. */
guint vf_choice_count(const VfChoice *c, const Host *host, const VgpuRequest *req,
                      guint *local);
