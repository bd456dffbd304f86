/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl cluster: what Pacemaker's resource agent (ocf:vgpu-hook:
 * vgpu-domain) and vgpu-keeper ask on a cluster node.
 *
 *   config CONFIG OUT   the node-local copy of a shared domain file
 *   need CONFIG         the resource's utilization, "vgpu-A40-2Q=1" lines
 *   publish             this node's capacity and GPU models, set with
 *                       crm_attribute (--dry-run: printed only) */
#include "cli.h"
#include "cluster-capacity.h"
#include "host-scan.h"
#include "node-config.h"
#include "virt-conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int
cluster_config(CliOptions *opts, const char *in, const char *out)
{
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *buf = NULL;
    NodeConfig nc = { 0 };
    gsize len = 0;
    int rc = 1;

    if (!(buf = cli_read_file(in, &len, &error)) || !(cfg = cli_config_load(opts, &error)) ||
        !(conn = cli_virt_open(opts, &error)) ||
        node_config_build(conn, cfg, buf, len, &nc, &error) < 0)
        return cli_fail("cluster config", error);
    /* Whole or not at all: VirtualDomain must never start half a file. */
    if (!g_file_set_contents(out, nc.xml, -1, &error)) {
        cli_fail("cluster config", error);
        goto out;
    }
    if (nc.mdev_added)
        printf("%s: added %u mdev <hostdev>.\n", out, nc.mdev_added);
    for (guint i = 0; i < nc.lines->len; i++)
        printf("%s: %s.\n", out, (const char *)g_ptr_array_index(nc.lines, i));
    rc = 0;
out:
    node_config_clear(&nc);
    return rc;
}

static int
cluster_need_cmd(CliOptions *opts, const char *in)
{
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(VgpuDomain) vd = NULL;
    g_autoptr(Host) host = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) need = NULL;
    g_autoptr(GPtrArray) unplaced = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *buf = NULL;
    gsize len = 0;

    if (!(buf = cli_read_file(in, &len, &error)) || !(vd = xml_domain_parse(buf, len, &error)) ||
        !(cfg = cli_config_load(opts, &error)) ||
        !(host = host_scan(cfg->sysfs_root, vd->requests, &error)) ||
        !(need = cluster_need(host, vd, unplaced, &error)))
        return cli_fail("cluster need", error);
    for (guint i = 0; i < need->len; i++) {
        const ClusterAttr *a = g_ptr_array_index(need, i);

        printf("%s=%" G_GINT64_FORMAT "\n", a->name, a->value);
    }
    for (guint i = 0; i < unplaced->len; i++)
        fprintf(stderr, CLI_PROGRAM ": note: the whole VF of GPU '%s' is not counted in "
                "utilization; a location rule on vgpu-model-* places it\n",
                (const char *)g_ptr_array_index(unplaced, i));
    return 0;
}

/* Run @argv; FALSE with its stderr in @error. */
static gboolean
cluster_run(const char *const *argv, char **out, GError **error)
{
    g_autofree char *err = NULL;
    int status;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, &err,
                      &status, error))
        return FALSE;
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s: %s", argv[0],
                    err && *g_strstrip(err) ? err : "failed");
        return FALSE;
    }
    return TRUE;
}

/* The vgpu-* attributes @node has in the CIB now (name -> value; the
 * utilization ones when @utilization): only what changed is written, and a
 * profile or model gone from this node is deleted, not left for Pacemaker
 * to place by. */
static GHashTable *
cluster_published(const char *node, gboolean utilization, GError **error)
{
    g_autofree char *xpath = g_strdup_printf("//nodes/node[@uname='%s']/%s/nvpair"
                                             "[starts-with(@name,'vgpu-')]", node,
                                             utilization ? "utilization" : "instance_attributes");
    const char *argv[] = { "cibadmin", "--query", "--xpath", xpath, NULL };
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(GRegex) re = g_regex_new("<nvpair [^>]*name=\"(vgpu-[^\"]*)\" value=\"([^\"]*)\"",
                                       0, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    GHashTable *now;
    int status;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                      &status, error))
        return NULL;
    /* cibadmin exits non-zero when nothing matches: then there is none. */
    now = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (g_regex_match(re, out ? out : "", 0, &m); g_match_info_matches(m);
         g_match_info_next(m, NULL))
        g_hash_table_insert(now, g_match_info_fetch(m, 1), g_match_info_fetch(m, 2));
    return now;
}

/* Set what differs from the CIB, delete what this node no longer has. */
static gboolean
cluster_update(const char *node, GPtrArray *attrs, gboolean utilization, GError **error)
{
    g_autoptr(GHashTable) now = cluster_published(node, utilization, error);
    GHashTableIter it;
    gpointer name;

    if (!now)
        return FALSE;
    for (guint i = 0; i < attrs->len; i++) {
        const ClusterAttr *a = g_ptr_array_index(attrs, i);
        g_autofree char *value = g_strdup_printf("%" G_GINT64_FORMAT, a->value);
        const char *argv[] = { "crm_attribute", "--type", "nodes", "--node", node, "--name",
                               a->name, "--update", value, utilization ? "--utilization" : NULL,
                               NULL };

        if (a->utilization != utilization)
            continue;
        if (g_strcmp0(g_hash_table_lookup(now, a->name), value) != 0 &&
            !cluster_run(argv, NULL, error))
            return FALSE;
        g_hash_table_remove(now, a->name);
    }
    g_hash_table_iter_init(&it, now);
    while (g_hash_table_iter_next(&it, &name, NULL)) {
        const char *argv[] = { "crm_attribute", "--type", "nodes", "--node", node, "--name",
                               name, "--delete", utilization ? "--utilization" : NULL, NULL };

        printf("%s %s deleted\n", utilization ? "utilization" : "attribute", (char *)name);
        if (!cluster_run(argv, NULL, error))
            return FALSE;
    }
    return TRUE;
}

/* One publish at a time on this host: a later one waits, then reads the
 * host afresh, so the figures written last are the newest. */
static int
cluster_lock(const VgpuConfig *cfg, GError **error)
{
    g_autofree char *path = g_build_filename(cfg->state_dir, "cluster-publish.lock", NULL);
    int fd;

    if (g_mkdir_with_parents(cfg->state_dir, 0755) < 0 ||
        (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "locking %s: %s",
                    path, g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int
cluster_publish(CliOptions *opts, const char *node_arg, gboolean dry_run, gboolean if_cluster)
{
    g_autoptr(VgpuConfig) cfg = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) attrs = NULL;
    g_autofree char *node = g_strdup(node_arg);
    int lock = -1, rc = 1;

    /* vgpu-keeper asks at every start and stop, on every host: where no
     * Pacemaker runs there is nothing to publish, and nothing to say. */
    if (!node && !dry_run) {
        const char *const argv[] = { "crm_node", "-n", NULL };
        g_autofree char *path = g_find_program_in_path("crm_node");

        if (!path || !cluster_run(argv, &node, &error)) {
            if (if_cluster)
                return 0;
            if (!path)
                cli_error("cluster publish: crm_node not found: is Pacemaker installed?");
            else
                cli_fail("cluster publish: this node's name", error);
            return 1;
        }
        g_strstrip(node);
    }
    if (!(cfg = cli_config_load(opts, &error)) ||
        (!dry_run && (lock = cluster_lock(cfg, &error)) < 0) ||
        !(conn = cli_virt_open(opts, &error)) ||
        !(attrs = cluster_capacity(conn, cfg, &error))) {
        cli_fail("cluster publish", error);
        goto out;
    }
    for (guint i = 0; i < attrs->len; i++) {
        const ClusterAttr *a = g_ptr_array_index(attrs, i);

        printf("%s %s=%" G_GINT64_FORMAT "\n", a->utilization ? "utilization" : "attribute",
               a->name, a->value);
    }
    if (!dry_run && (!cluster_update(node, attrs, TRUE, &error) ||
                     !cluster_update(node, attrs, FALSE, &error))) {
        cli_fail("cluster publish", error);
        goto out;
    }
    rc = 0;
out:
    if (lock >= 0)
        close(lock);
    return rc;
}

int
cmd_cluster(CliOptions *opts, int argc, char **argv)
{
    gboolean dry_run = FALSE, if_cluster = FALSE;
    g_autofree char *node = NULL;
    const GOptionEntry entries[] = {
        { "node", 'N', 0, G_OPTION_ARG_STRING, &node,
          "publish: the Pacemaker node name (default: crm_node -n)", "NAME" },
        { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "publish: print, set nothing", NULL },
        { "if-cluster", 0, 0, G_OPTION_ARG_NONE, &if_cluster,
          "publish: do nothing, quietly, where no Pacemaker runs", NULL },
        { NULL },
    };

    if (!cli_parse_options(opts, "cluster", "config CONFIG OUT | need CONFIG | publish",
                           "For Pacemaker: 'config' writes OUT, the node-local copy of the "
                           "shared domain file CONFIG, with the <hostdev> its vGPU metadata "
                           "lacks added and whole VFs pointed at free ones here; 'need' prints "
                           "the resource's utilization; 'publish' sets this node's vGPU "
                           "capacity (utilization vgpu-PROFILE) and GPU models (attributes "
                           "vgpu-model-MODEL) with crm_attribute.", entries, &argc, &argv))
        return 1;
    if (argc >= 2 && strcmp(argv[1], "config") == 0 && argc == 4)
        return cluster_config(opts, argv[2], argv[3]);
    if (argc >= 2 && strcmp(argv[1], "need") == 0 && argc == 3)
        return cluster_need_cmd(opts, argv[2]);
    if (argc >= 2 && strcmp(argv[1], "publish") == 0 && argc == 2)
        return cluster_publish(opts, node, dry_run, if_cluster);
    cli_error("cluster: expected 'config CONFIG OUT', 'need CONFIG' or 'publish' "
              "(see 'vgpuctl help cluster')");
    return 1;
}
