/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sim-tree.c: the in-memory directory tree behind the FUSE mount.
 *
 * Every node lives in a path index as well as in its directory, so FUSE
 * operations (which name nodes by path) cost one hash lookup.
 */
#include "sim-tree.h"

#include <string.h>

static SimNode *
sim_node_new(SimNode *up, const char *name, SimNodeKind kind)
{
    SimNode *node = g_new0(SimNode, 1);

    node->name = g_strdup(name);
    node->kind = kind;
    node->up = up;
    if (!up)
        node->path = g_strdup("");
    else if (!*up->path)
        node->path = g_strdup(name);
    else
        node->path = g_strconcat(up->path, "/", name, NULL);
    if (kind == SIM_NODE_DIR) {
        node->children = g_ptr_array_new();
        node->mode = 0755;
    }
    return node;
}

static void
sim_node_free(SimNode *node)
{
    if (node->children) {
        for (guint i = 0; i < node->children->len; i++)
            sim_node_free(g_ptr_array_index(node->children, i));
        g_ptr_array_unref(node->children);
    }
    g_free(node->name);
    g_free(node->path);
    g_free(node->target);
    g_free(node->text);
    g_free(node);
}

SimTree *
sim_tree_new(void)
{
    SimTree *tree = g_new0(SimTree, 1);

    tree->index = g_hash_table_new(g_str_hash, g_str_equal);
    tree->root = sim_node_new(NULL, "", SIM_NODE_DIR);
    g_hash_table_insert(tree->index, tree->root->path, tree->root);
    return tree;
}

void
sim_tree_free(SimTree *tree)
{
    if (!tree)
        return;
    g_hash_table_unref(tree->index);
    sim_node_free(tree->root);
    g_free(tree);
}

SimNode *
sim_tree_lookup(SimTree *tree, const char *path)
{
    return g_hash_table_lookup(tree->index, path);
}

static SimNode *
sim_tree_attach(SimTree *tree, SimNode *dir, const char *name, SimNodeKind kind)
{
    SimNode *node = sim_node_new(dir, name, kind);

    g_ptr_array_add(dir->children, node);
    g_hash_table_insert(tree->index, node->path, node);
    return node;
}

SimNode *
sim_tree_mkdir(SimTree *tree, const char *path)
{
    SimNode *dir = tree->root;
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);

    for (char **p = parts; *p; p++) {
        g_autofree char *sub = NULL;
        SimNode *next;

        if (!**p)
            continue;
        sub = *dir->path ? g_strconcat(dir->path, "/", *p, NULL) : g_strdup(*p);
        next = sim_tree_lookup(tree, sub);
        if (!next)
            next = sim_tree_attach(tree, dir, *p, SIM_NODE_DIR);
        g_return_val_if_fail(next->kind == SIM_NODE_DIR, NULL);
        dir = next;
    }
    return dir;
}

/* Creates the leaf PATH (its directories as needed); PATH must be new. */
static SimNode *
sim_tree_add_leaf(SimTree *tree, const char *path, SimNodeKind kind)
{
    g_autofree char *dirname = g_path_get_dirname(path);
    g_autofree char *name = g_path_get_basename(path);
    SimNode *dir;

    g_return_val_if_fail(!sim_tree_lookup(tree, path), NULL);
    dir = sim_tree_mkdir(tree, strcmp(dirname, ".") == 0 ? "" : dirname);
    return sim_tree_attach(tree, dir, name, kind);
}

char *
sim_relative_path(const char *from_dir, const char *to)
{
    g_auto(GStrv) from = g_strsplit(from_dir, "/", -1);
    g_auto(GStrv) dest = g_strsplit(to, "/", -1);
    GString *rel = g_string_new(NULL);
    guint common = 0;

    while (from[common] && dest[common] && *from[common] &&
           strcmp(from[common], dest[common]) == 0)
        common++;
    for (guint i = common; from[i]; i++)
        if (*from[i])
            g_string_append(rel, "../");
    for (guint i = common; dest[i]; i++) {
        g_string_append(rel, dest[i]);
        if (dest[i + 1])
            g_string_append_c(rel, '/');
    }
    return g_string_free(rel, FALSE);
}

SimNode *
sim_tree_add_link(SimTree *tree, const char *path, const char *target)
{
    g_autofree char *dirname = g_path_get_dirname(path);
    SimNode *node = sim_tree_add_leaf(tree, path, SIM_NODE_LINK);

    if (!node)
        return NULL;
    node->mode = 0777;
    node->target = sim_relative_path(strcmp(dirname, ".") == 0 ? "" : dirname, target);
    return node;
}

SimNode *
sim_tree_add_attr(SimTree *tree, const char *path, mode_t mode,
                  SimAttr attr, const SimAttrOwner *owner)
{
    SimNode *node = sim_tree_add_leaf(tree, path, SIM_NODE_FILE);

    if (!node)
        return NULL;
    node->mode = mode;
    node->attr = attr;
    if (owner)
        node->owner = *owner;
    return node;
}

SimNode *
sim_tree_add_text(SimTree *tree, const char *path, const char *text)
{
    SimNode *node = sim_tree_add_attr(tree, path, 0444, SIM_ATTR_TEXT, NULL);

    if (node)
        node->text = g_strdup(text);
    return node;
}

static void
sim_tree_unindex(SimTree *tree, SimNode *node)
{
    if (node->children)
        for (guint i = 0; i < node->children->len; i++)
            sim_tree_unindex(tree, g_ptr_array_index(node->children, i));
    g_hash_table_remove(tree->index, node->path);
}

void
sim_tree_remove(SimTree *tree, const char *path)
{
    SimNode *node = sim_tree_lookup(tree, path);

    if (!node || !node->up)
        return;
    sim_tree_unindex(tree, node);
    g_ptr_array_remove(node->up->children, node);
    sim_node_free(node);
}
