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
} VfChoice;

/* @req with its type said the VF kinds' way ("558" -> "nvidia-558"); a new
 * string, if any, goes to *owned. */
VgpuRequest vf_choice_view(const VgpuRequest *req, char **owned);
/* Does a whole VF serve @req on @host: gpu=, a type only VFs offer, or
 * anything on a host with VFs and no mdev parent? */
gboolean vf_choice_wanted(const Host *host, const VgpuRequest *req);
/* The UUIDs of the @requests (VgpuRequest*) a whole VF serves: gpu= ones
 * always, typed ones as vf_choice_wanted() says for @host (NULL: not known
 * here, e.g. a remote libvirt). Their PCI hostdev is chosen on the host
 * (vgpuctl sync), so define and the shared sync never add an mdev one. */
GHashTable *vf_choice_requests(const Host *host, const GPtrArray *requests);
/* Why @vf does not suit @req at all (kind, GPU name); NULL when it does. */
char *vf_choice_mismatch(const VfChoice *c, const HostParent *vf, const VgpuRequest *req);
/* Can @vf serve @req now: it suits it and the rules, no other domain's
 * ledger holds it, and it can take the type (or the domain holds it). */
gboolean vf_choice_usable(const VfChoice *c, const Host *host, const HostParent *vf,
                          const VgpuRequest *req);
/* Why the hook would refuse the VF @addr for @req (domain @self_name), in
 * the hook's words; NULL when it would take it. From the scanned @host
 * and the ledgers alone: for vgpuctl check's dry run. */
char *vf_choice_refusal(const VfChoice *c, const Host *host, const char *addr,
                        const VgpuRequest *req, const char *self_name);
/* The VF to take for @req by the policy (pack: the busiest GPU, spread: the
 * idlest; address breaks ties), avoiding c->avoid while another is free.
 * NULL when none can serve it. */
const HostParent *vf_choice_find(const VfChoice *c, const Host *host, const VgpuRequest *req);
