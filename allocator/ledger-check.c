/* Is a ledger's device still the one we made? Release and vgpuctl gc must
 * answer this the same way before they remove anything. */
#include "ledger.h"
#include "mdev.h"
#include "vgpu-error.h"

LedgerDeviceStatus
ledger_device_check(const char *root, const LedgerDevice *d, char **now_parent,
                    char **now_type, GError **error)
{
    g_autofree char *parent = NULL, *type = NULL;
    g_autoptr(GError) err = NULL;

    if (sysfs_mdev_lookup(root, d->uuid, &parent, &type, &err) < 0) {
        if (!g_error_matches(err, VGPU_ERROR, VGPU_ERROR_NOT_FOUND)) {
            g_propagate_error(error, g_steal_pointer(&err));
            return LEDGER_DEVICE_ERROR;
        }
        return LEDGER_DEVICE_GONE;
    }
    /* Same UUID, another device: someone made it after ours went. */
    if (g_strcmp0(parent, d->parent) != 0 || g_strcmp0(type, d->type) != 0) {
        if (now_parent)
            *now_parent = g_steal_pointer(&parent);
        if (now_type)
            *now_type = g_steal_pointer(&type);
        return LEDGER_DEVICE_REPLACED;
    }
    return LEDGER_DEVICE_OURS;
}
