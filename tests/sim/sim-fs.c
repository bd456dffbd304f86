/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-fs.c: FUSE operations over the simulated tree.
 *
 * Every cache is off (entry, attribute and negative timeouts of 0, direct
 * I/O) so that each access reaches the simulator as it would reach sysfs:
 * available_instances is recomputed on every read, devices appear and
 * vanish at once, and the operation counts in vgpu-sim/stats do not
 * depend on timing.
 */
#define FUSE_USE_VERSION 35
#include <fuse.h>
#include <fuse_lowlevel.h>

#include "sim-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include "sim-control.h"
#include "sim-sysfs.h"

static struct fuse_session *sim_fs_session;
static struct timespec sim_fs_mount_time;

static SimHost *
sim_fs_host(void)
{
    return fuse_get_context()->private_data;
}

/* FUSE hands out "/a/b"; the tree is indexed by "a/b". */
static const char *
sim_fs_rel(const char *path)
{
    while (*path == '/')
        path++;
    return path;
}

static bool
sim_fs_is_control(const char *rel)
{
    size_t n = strlen(SIM_CONTROL_DIR);

    return strncmp(rel, SIM_CONTROL_DIR, n) == 0 && (rel[n] == '\0' || rel[n] == '/');
}

/* Tests read stats through the mount: their own accesses do not count. */
static void
sim_fs_count(SimHost *host, const char *rel, SimOp op)
{
    if (!sim_fs_is_control(rel))
        host->ops[op]++;
}

/* Takes host->lock (the caller releases it), counts the operation and
 * looks PATH up: NULL when it does not exist. */
static SimNode *
sim_fs_enter(SimHost *host, const char *path, SimOp op)
{
    const char *rel = sim_fs_rel(path);

    g_mutex_lock(&host->lock);
    sim_fs_count(host, rel, op);
    return sim_tree_lookup(host->tree, rel);
}

static bool
sim_fs_stopping(void)
{
    return sim_fs_session && fuse_session_exited(sim_fs_session);
}

/* The scenario's latency, slept without the lock. */
static void
sim_fs_delay(SimHost *host, const char *path, SimOp op)
{
    const char *rel = sim_fs_rel(path);
    unsigned ms = 0;
    SimNode *node;

    g_mutex_lock(&host->lock);
    node = sim_tree_lookup(host->tree, rel);
    if (node && node->kind == SIM_NODE_FILE && !sim_fs_is_control(rel)) {
        if (op == SIM_OP_WRITE && (node->attr == SIM_ATTR_CREATE || node->attr == SIM_ATTR_REMOVE ||
                                  node->attr == SIM_ATTR_VGPU_CURRENT))
            ms = host->faults.latency_ms;
        else if (op == SIM_OP_READ)
            ms = host->faults.read_latency_ms;
    }
    g_mutex_unlock(&host->lock);
    if (ms)
        g_usleep((gulong)ms * 1000);
}

static void
sim_fs_fill_stat(const SimNode *node, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_mode = node->mode;
    st->st_blksize = 4096;
    st->st_atim = st->st_mtim = st->st_ctim = sim_fs_mount_time;
    switch (node->kind) {
    case SIM_NODE_DIR:
        st->st_mode |= S_IFDIR;
        st->st_nlink = 2;
        break;
    case SIM_NODE_FILE:
        st->st_mode |= S_IFREG;
        st->st_nlink = 1;
        st->st_size = 4096;   /* what sysfs reports for every attribute */
        break;
    case SIM_NODE_LINK:
        st->st_mode |= S_IFLNK;
        st->st_nlink = 1;
        st->st_size = (off_t)strlen(node->target);
        break;
    }
}

static int
sim_fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    SimHost *host = sim_fs_host();
    SimNode *node = sim_fs_enter(host, path, SIM_OP_GETATTR);
    int ret = -ENOENT;

    if (node) {
        sim_fs_fill_stat(node, st);
        ret = 0;
    }
    g_mutex_unlock(&host->lock);
    return ret;
}

static int
sim_fs_readlink(const char *path, char *buf, size_t size)
{
    SimHost *host = sim_fs_host();
    SimNode *node = sim_fs_enter(host, path, SIM_OP_READLINK);
    int ret = -ENOENT;

    if (node && node->kind != SIM_NODE_LINK) {
        ret = -EINVAL;
    } else if (node) {
        g_strlcpy(buf, node->target, size);
        ret = 0;
    }
    g_mutex_unlock(&host->lock);
    return ret;
}

/* Everything belongs to root.  kernfs refuses a direction an attribute
 * has no handler for even to root; others get the "other" bits.  (The
 * kernel's default_permissions would do the latter, but at the cost of a
 * getattr per path component on every lookup.) */
static int
sim_fs_check_open(const SimNode *node, int flags)
{
    int acc = flags & O_ACCMODE;
    mode_t allowed = fuse_get_context()->uid == 0 ? 0666 : 0006;

    if (!node)
        return -ENOENT;
    if (node->kind == SIM_NODE_DIR)
        return -EISDIR;
    if (acc != O_WRONLY && !(node->mode & allowed & 0444))
        return -EACCES;
    if (acc != O_RDONLY && !(node->mode & allowed & 0222))
        return -EACCES;
    return 0;
}

static int
sim_fs_open(const char *path, struct fuse_file_info *fi)
{
    SimHost *host = sim_fs_host();
    SimNode *node = sim_fs_enter(host, path, SIM_OP_OPEN);
    int ret = sim_fs_check_open(node, fi->flags);

    g_mutex_unlock(&host->lock);
    fi->direct_io = 1;
    return ret;
}

static int
sim_fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    SimHost *host = sim_fs_host();
    g_autofree char *content = NULL;
    SimNode *node;
    size_t len = 0;
    int err = -ENODEV;   /* the file went away while open, as on sysfs */

    /* sysfs calls show() once per open, for the read at offset 0. */
    if (off == 0)
        sim_fs_delay(host, path, SIM_OP_READ);
    node = sim_fs_enter(host, path, SIM_OP_READ);
    if (node && node->kind == SIM_NODE_FILE)
        content = sim_attr_show(host, node, &err, &len);
    g_mutex_unlock(&host->lock);
    if (!content)
        return err;

    if (off < 0 || (size_t)off >= len)
        return 0;
    size = MIN(size, len - (size_t)off);
    memcpy(buf, content + off, size);
    return (int)size;
}

static int
sim_fs_write(const char *path, const char *buf, size_t size, off_t off,
             struct fuse_file_info *fi)
{
    SimHost *host = sim_fs_host();
    SimNode *node;
    ssize_t ret = -ENODEV;

    sim_fs_delay(host, path, SIM_OP_WRITE);
    node = sim_fs_enter(host, path, SIM_OP_WRITE);
    if (node && node->kind == SIM_NODE_FILE)
        ret = sim_attr_store(host, node, buf, size);
    g_mutex_unlock(&host->lock);
    return (int)ret;
}

/* "echo X > attr" truncates first; sysfs ignores that, and so do we. */
static int
sim_fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    SimHost *host = sim_fs_host();
    SimNode *node = sim_fs_enter(host, path, SIM_OP_OTHER);
    int ret = !node ? -ENOENT : node->kind == SIM_NODE_DIR ? -EISDIR : 0;

    g_mutex_unlock(&host->lock);
    return ret;
}

static int
sim_fs_opendir(const char *path, struct fuse_file_info *fi)
{
    SimHost *host = sim_fs_host();
    SimNode *node = sim_fs_enter(host, path, SIM_OP_OTHER);
    int ret = !node ? -ENOENT : node->kind != SIM_NODE_DIR ? -ENOTDIR : 0;

    if (ret == 0)
        host->open_dirs++;
    g_mutex_unlock(&host->lock);
    return ret;
}

static int
sim_fs_releasedir(const char *path, struct fuse_file_info *fi)
{
    SimHost *host = sim_fs_host();

    (void)path, (void)fi;
    g_mutex_lock(&host->lock);
    host->open_dirs--;
    g_mutex_unlock(&host->lock);
    return 0;
}

static int
sim_fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
               struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    SimHost *host = sim_fs_host();
    SimNode *node = sim_fs_enter(host, path, SIM_OP_READDIR);
    int ret = -ENOENT;

    if (node && node->kind != SIM_NODE_DIR) {
        ret = -ENOTDIR;
    } else if (node) {
        filler(buf, ".", NULL, 0, 0);
        filler(buf, "..", NULL, 0, 0);
        for (guint i = 0; i < node->children->len; i++) {
            const SimNode *child = g_ptr_array_index(node->children, i);
            if (filler(buf, child->name, NULL, 0, 0))
                break;
        }
        ret = 0;
    }
    g_mutex_unlock(&host->lock);
    return ret;
}

static void *
sim_fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    return fuse_get_context()->private_data;
}

static const struct fuse_operations sim_fs_ops = {
    .init = sim_fs_init,
    .getattr = sim_fs_getattr,
    .readlink = sim_fs_readlink,
    .open = sim_fs_open,
    .read = sim_fs_read,
    .write = sim_fs_write,
    .truncate = sim_fs_truncate,
    .opendir = sim_fs_opendir,
    .releasedir = sim_fs_releasedir,
    .readdir = sim_fs_readdir,
};

int
sim_fs_run(SimHost *host, const char *progname, const char *mountpoint)
{
    char *argv[] = {
        (char *)progname, (char *)"-o",
        (char *)"fsname=vgpu-sim,subtype=vgpu-sim,allow_other",
        NULL,
    };
    struct fuse_args args = FUSE_ARGS_INIT(3, argv);
    struct fuse_loop_config loop = { .clone_fd = 0, .max_idle_threads = 10 };
    struct fuse *fuse;
    int status = 1;
    int ret;

    clock_gettime(CLOCK_REALTIME, &sim_fs_mount_time);
    fuse = fuse_new(&args, &sim_fs_ops, sizeof(sim_fs_ops), host);
    if (!fuse)
        return 1;
    if (fuse_mount(fuse, mountpoint) != 0)
        goto out;
    sim_fs_session = fuse_get_session(fuse);
    host->stopping = sim_fs_stopping;
    /* Shells start background jobs with SIGINT ignored, and libfuse leaves
     * ignored signals alone: SIGINT must unmount us all the same. */
    signal(SIGINT, SIG_DFL);
    if (fuse_set_signal_handlers(sim_fs_session) != 0)
        goto unmount;

    ret = fuse_loop_mt(fuse, &loop);
    /* The loop returns the signal that ended it: the normal way out. */
    status = (ret == 0 || ret == SIGTERM || ret == SIGINT || ret == SIGHUP) ? 0 : 1;
    fuse_remove_signal_handlers(sim_fs_session);

 unmount:
    fuse_unmount(fuse);
 out:
    fuse_destroy(fuse);
    fuse_opt_free_args(&args);
    sim_fs_session = NULL;
    return status;
}
