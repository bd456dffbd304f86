/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-control.c: what reading or writing each attribute does, including
 * the control area that lets tests play the VM (busy/idle), change faults
 * at run time and read the cost of what they did (stats).
 */
#include "sim-control.h"
#include "sim-mig.h"
#include "sim-pci.h"
#include "sim-uevent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim-store.h"

static const char *const sim_op_names[SIM_OP_COUNT] = {
    [SIM_OP_GETATTR] = "getattr",
    [SIM_OP_READDIR] = "readdir",
    [SIM_OP_READLINK] = "readlink",
    [SIM_OP_OPEN] = "open",
    [SIM_OP_READ] = "read",
    [SIM_OP_WRITE] = "write",
    [SIM_OP_OTHER] = "other",
};

static char *
sim_control_stats(SimHost *host)
{
    GString *out = g_string_new(NULL);
    guint64 total = 0;

    for (int i = 0; i < SIM_OP_COUNT; i++) {
        g_string_append_printf(out, "%s %" G_GUINT64_FORMAT "\n", sim_op_names[i], host->ops[i]);
        total += host->ops[i];
    }
    g_string_append_printf(out, "total %" G_GUINT64_FORMAT "\n", total);
    /* Not FUSE operations, so not in the total: the stores that reached a
     * create or remove file (one write() each), whatever they answered. */
    g_string_append_printf(out, "create_stores %" G_GUINT64_FORMAT "\n", host->stores_create);
    g_string_append_printf(out, "remove_stores %" G_GUINT64_FORMAT "\n", host->stores_remove);
    /* libfuse frees a directory handle only at the kernel's release, which
     * comes after close(), on its own: tests/lib.sh's sim_stop waits for
     * 0, or LeakSanitizer reports the handles at our exit. */
    g_string_append_printf(out, "open_dirs %" G_GUINT64_FORMAT "\n", host->open_dirs);
    return g_string_free(out, FALSE);
}

static const char *
sim_mdev_state(const SimMdev *mdev)
{
    if (mdev->removing)
        return "removing";
    return mdev->busy ? "busy" : "idle";
}

static gint
sim_mdev_cmp(gconstpointer a, gconstpointer b)
{
    const SimMdev *x = *(const SimMdev *const *)a;
    const SimMdev *y = *(const SimMdev *const *)b;

    return strcmp(x->uuid, y->uuid);
}

/* One line per mdev, sorted by UUID: "uuid parent type state". */
static char *
sim_control_mdevs(SimHost *host)
{
    g_autoptr(GPtrArray) mdevs = g_ptr_array_new();
    GString *out = g_string_new(NULL);
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, host->mdevs);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        g_ptr_array_add(mdevs, value);
    g_ptr_array_sort(mdevs, sim_mdev_cmp);
    for (guint i = 0; i < mdevs->len; i++) {
        const SimMdev *mdev = g_ptr_array_index(mdevs, i);
        g_string_append_printf(out, "%s %s %s %s\n", mdev->uuid, mdev->parent->name,
                               mdev->type->id, sim_mdev_state(mdev));
    }
    return g_string_free(out, FALSE);
}

/* A self-removing driver's own removal, once the VM let go. */
static void
sim_mdev_self_remove(SimHost *host, const SimLaterArgs *args)
{
    SimMdev *mdev = g_hash_table_lookup(host->mdevs, args->uuid);

    if (mdev && mdev->serial == args->serial && !mdev->busy && !mdev->removing)
        sim_mdev_destroy(host, mdev);
}

/* One line per vendor-specific VF with a type: "vf type-id state". */
static char *
sim_control_vfs(SimHost *host)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < host->gpus->len; i++) {
        const SimGpu *gpu = g_ptr_array_index(host->gpus, i);

        for (guint j = 0; j < gpu->parents->len; j++) {
            const SimParent *parent = g_ptr_array_index(gpu->parents, j);
            if (parent->vf_type)
                g_string_append_printf(out, "%s %s %s\n", parent->name, parent->vf_type->id,
                                       parent->vf_open ? "busy" : "idle");
        }
    }
    return g_string_free(out, FALSE);
}

/* "ID    : vGPU Name", then what this VF could take now: nothing once
 * it has a type, and less as its GPU fills (the same-size rule). */
static char *
sim_control_creatable(const SimParent *parent)
{
    GString *out = g_string_new("ID    : vGPU Name\n");
    GPtrArray *types = parent->gpu->types;

    if (parent->vf_type)
        return g_string_free(out, FALSE);
    for (guint i = 0; i < types->len; i++) {
        const SimType *type = g_ptr_array_index(types, i);
        if (sim_available_instances(parent, type) > 0)
            g_string_append_printf(out, "%-5u : %s\n", type->number, type->name);
    }
    return g_string_free(out, FALSE);
}

/* A vendor-specific VF is "open by QEMU", which needs a type first. */
static int
sim_control_set_vf_busy(SimHost *host, const char *addr, bool busy)
{
    SimParent *parent = g_hash_table_lookup(host->parents, addr);

    if (!parent || parent->gpu->model->mdev_driver)
        return ENOENT;
    if (busy && !parent->vf_type)
        return ENODEV;
    parent->vf_open = busy;
    return 0;
}

static int
sim_control_set_busy(SimHost *host, const char *uuid, bool busy)
{
    char key[SIM_UUID_LEN + 1];
    SimMdev *mdev;

    if (strlen(uuid) == 12 && uuid[4] == ':')
        return sim_control_set_vf_busy(host, uuid, busy);
    if (!sim_uuid_parse(uuid, strlen(uuid), key) || uuid[SIM_UUID_LEN])
        return EINVAL;
    mdev = g_hash_table_lookup(host->mdevs, key);
    if (!mdev)
        return ENOENT;
    if (mdev->busy && !busy && mdev->parent->gpu->self_remove && !mdev->removing) {
        SimLaterArgs args = { .serial = mdev->serial };

        g_strlcpy(args.uuid, mdev->uuid, sizeof(args.uuid));
        mdev->self_removing = true;
        sim_later(host, mdev->parent->gpu->self_remove_ms, sim_mdev_self_remove, &args);
    }
    mdev->busy = busy;
    g_cond_broadcast(&host->changed);
    return 0;
}

static SimGpu *
sim_control_gpu(SimHost *host, const char *address)
{
    for (guint i = 0; i < host->gpus->len; i++) {
        SimGpu *gpu = g_ptr_array_index(host->gpus, i);

        if (gpu->address && g_ascii_strcasecmp(gpu->address, address) == 0)
            return gpu;
    }
    return NULL;
}

/* What nvidia-smi would do: "mig GPU on|off" (nvidia-smi -i GPU -mig 1|0),
 * "cgi GPU PROFILE" (nvidia-smi mig -i GPU -cgi PROFILE), "dgi GPU ID"
 * (nvidia-smi mig -i GPU -dgi -gi ID). */
static int
sim_control_mig(SimHost *host, guint argc, char **argv)
{
    SimGpu *gpu = argc == 3 ? sim_control_gpu(host, argv[1]) : NULL;
    unsigned id;
    char *end;

    if (!gpu)
        return argc == 3 ? ENODEV : EINVAL;
    if (strcmp(argv[0], "mig") == 0 && (!strcmp(argv[2], "on") || !strcmp(argv[2], "off")))
        return sim_mig_set_mode(gpu, strcmp(argv[2], "on") == 0);
    if (strcmp(argv[0], "cgi") == 0)
        return sim_mig_create_gi(gpu, argv[2], NULL);
    if (strcmp(argv[0], "dgi") == 0) {
        id = (unsigned)strtoul(argv[2], &end, 10);
        return *argv[2] && !*end ? sim_mig_destroy_gi(gpu, id) : EINVAL;
    }
    return EINVAL;
}

static int
sim_control_command(SimHost *host, char **argv)
{
    guint argc = g_strv_length(argv);

    if (argc >= 1 && (!strcmp(argv[0], "mig") || !strcmp(argv[0], "cgi") ||
                      !strcmp(argv[0], "dgi")))
        return sim_control_mig(host, argc, argv);
    if (argc == 2 && strcmp(argv[0], "busy") == 0)
        return sim_control_set_busy(host, argv[1], true);
    if (argc == 2 && strcmp(argv[0], "idle") == 0)
        return sim_control_set_busy(host, argv[1], false);
    if (argc == 3 && strcmp(argv[0], "fault") == 0) {
        g_autoptr(GError) error = NULL;
        if (!sim_faults_set(&host->faults, argv[1], argv[2], &error)) {
            g_printerr("vgpu-sim: control: %s\n", error->message);
            return EINVAL;
        }
        return 0;
    }
    if (argc == 1 && strcmp(argv[0], "reset-stats") == 0) {
        memset(host->ops, 0, sizeof(host->ops));
        host->stores_create = host->stores_remove = 0;
        return 0;
    }
    return EINVAL;
}

/* Splits LINE at runs of blanks. */
static GStrv
sim_split_words(const char *line)
{
    g_autoptr(GStrvBuilder) words = g_strv_builder_new();
    g_auto(GStrv) parts = g_strsplit_set(line, " \t\n", -1);

    for (char **p = parts; *p; p++)
        if (**p)
            g_strv_builder_add(words, *p);
    return g_strv_builder_end(words);
}

/* One command per write. */
static ssize_t
sim_control_write(SimHost *host, const char *buf, size_t len)
{
    g_autofree char *line = g_strndup(buf, len);
    g_auto(GStrv) argv = sim_split_words(line);
    int err = sim_control_command(host, argv);

    return err ? -err : (ssize_t)len;
}

/* A type-0 PCI config header (256 bytes, no extended space): ids,
 * revision, class, no capability list. */
static char *
sim_pci_config(const SimNode *node, size_t *len)
{
    unsigned char *c = g_malloc0(256);

    c[0] = node->text[0];
    c[1] = node->text[1];
    c[2] = node->text[2];
    c[3] = node->text[3];
    c[8] = node->text[4];                 /* revision */
    c[9] = node->text[5];                 /* class: prog-if, subclass, base */
    c[10] = node->text[6];
    c[11] = node->text[7];
    *len = 256;
    return (char *)c;
}

static char *
sim_attr_show_text(SimHost *host, SimNode *node, int *err);

char *
sim_attr_show(SimHost *host, SimNode *node, int *err, size_t *len)
{
    char *out;

    if (node->attr == SIM_ATTR_PCI_CONFIG) {
        *err = 0;
        return sim_pci_config(node, len);
    }
    out = sim_attr_show_text(host, node, err);
    *len = out ? strlen(out) : 0;
    return out;
}

static char *
sim_attr_show_text(SimHost *host, SimNode *node, int *err)
{
    *err = 0;
    switch (node->attr) {
    case SIM_ATTR_TEXT:
        return g_strdup(node->text);
    case SIM_ATTR_AVAILABLE:
        return g_strdup_printf("%u\n", sim_available_instances(node->owner.parent,
                                                                node->owner.type));
    case SIM_ATTR_SRIOV_NUMVFS:
        return g_strdup_printf("%u\n", node->owner.gpu->num_vfs);
    case SIM_ATTR_STATS:
        return sim_control_stats(host);
    case SIM_ATTR_MDEVS:
        return sim_control_mdevs(host);
    case SIM_ATTR_FAULTS:
        return sim_faults_format(&host->faults);
    case SIM_ATTR_MIG:
        return sim_mig_format(host);
    case SIM_ATTR_VFS:
        return sim_control_vfs(host);
    case SIM_ATTR_VGPU_CREATABLE:
        return sim_control_creatable(node->owner.parent);
    case SIM_ATTR_VGPU_CURRENT:
        return g_strdup_printf("%u\n", node->owner.parent->vf_type ?
                                       node->owner.parent->vf_type->number : 0);
    case SIM_ATTR_PCI_OVERRIDE:
        return sim_pci_show_override(host, node);
    case SIM_ATTR_UEVENT:
        return sim_uevent_show(host, node);
    case SIM_ATTR_CREATE:
    case SIM_ATTR_REMOVE:
    case SIM_ATTR_CONTROL:
    case SIM_ATTR_PCI_CONFIG:
    case SIM_ATTR_PCI_BIND:
    case SIM_ATTR_PCI_UNBIND:
    case SIM_ATTR_PCI_PROBE:
        break;
    }
    *err = -EACCES;
    return NULL;
}

ssize_t
sim_attr_store(SimHost *host, SimNode *node, const char *buf, size_t len)
{
    switch (node->attr) {
    case SIM_ATTR_CREATE:
        return sim_store_create(host, node, buf, len);
    case SIM_ATTR_REMOVE:
        return sim_store_remove(host, node, buf, len);
    case SIM_ATTR_SRIOV_NUMVFS:
        return sim_store_sriov_numvfs(host, node, buf, len);
    case SIM_ATTR_CONTROL:
        return sim_control_write(host, buf, len);
    case SIM_ATTR_VGPU_CURRENT:
        return sim_store_vgpu_type(host, node, buf, len);
    case SIM_ATTR_PCI_BIND:
    case SIM_ATTR_PCI_UNBIND:
    case SIM_ATTR_PCI_PROBE:
    case SIM_ATTR_PCI_OVERRIDE:
        return sim_pci_store(host, node, buf, len);
    case SIM_ATTR_TEXT:
    case SIM_ATTR_PCI_CONFIG:
    case SIM_ATTR_VGPU_CREATABLE:
    case SIM_ATTR_VFS:
    case SIM_ATTR_AVAILABLE:
    case SIM_ATTR_STATS:
    case SIM_ATTR_MDEVS:
    case SIM_ATTR_FAULTS:
    case SIM_ATTR_MIG:
    case SIM_ATTR_UEVENT:
        break;
    }
    return -EACCES;
}
