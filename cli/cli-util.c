/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every subcommand shares: option parsing, one-line errors, the
 * config, reading a file. */
#include "cli.h"
#include "domain-xml.h"
#include "ledger.h"
#include "table.h"
#include "vgpu-error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* virsh's --config means "the persistent definition" (which every change
 * of vgpuctl is): taking a FILE under that name would turn a virsh habit
 * into a config file that does not exist, or worse, one that does. */
static gboolean
config_renamed(const char *name, const char *value, gpointer data, GError **error)
{
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                "--config is now --hook-config FILE (vgpu-hook's configuration); vgpuctl "
                "always changes the persistent definition, which virsh calls --config");
    return FALSE;
}

GOptionGroup *
cli_global_group(CliOptions *opts)
{
    const GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &opts->uri,
          "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)", "URI" },
        { "hook-config", 0, 0, G_OPTION_ARG_FILENAME, &opts->config_path,
          "vgpu-hook's configuration (default: $VGPU_HOOK_CONF, else "
          VGPU_CONFIG_DEFAULT_PATH ")", "FILE" },
        { "config", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
          (gpointer)config_renamed, NULL, NULL },
        { "help", 'h', 0, G_OPTION_ARG_NONE, &opts->help, "Show this help", NULL },
        { NULL },
    };
    GOptionGroup *group = g_option_group_new("global", "Options of every command:",
                                             "Show the options of every command", NULL, NULL);

    g_option_group_add_entries(group, entries);
    return group;
}

void
cli_print_help(GOptionContext *ctx, const char *usage)
{
    g_autofree char *glib_text = g_option_context_get_help(ctx, TRUE, NULL);
    /* glib's first paragraph is its usage line, "[OPTION…]" included. */
    const char *rest = strstr(glib_text, "\n\n");
    g_autoptr(GString) text = g_string_new(NULL);

    g_string_append_printf(text, "Usage:\n  " CLI_PROGRAM " %s%s", usage, rest ? rest : "\n\n");
    if (!g_get_charset(NULL))
        g_string_replace(text, "\u2026", "...", 0);
    fputs(text->str, stdout);
}

/* One line: newlines and tabs folded into spaces. */
static void
print_one_line(const char *msg)
{
    g_autofree char *line = g_strdup(msg);

    for (char *p = line; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    }
    g_strstrip(line);
    fprintf(stderr, CLI_PROGRAM ": %s\n", line);
}

void
cli_error(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    print_one_line(msg);
}

int
cli_fail(const char *prefix, const GError *error)
{
    if (prefix)
        cli_error("%s: %s", prefix, error ? error->message : "failed");
    else
        cli_error("%s", error ? error->message : "failed");
    return 1;
}

static gboolean
parse(CliOptions *opts, const char *command, const char *params, const char *summary,
      const GOptionEntry *entries, const char *const *const *tables, int *argc, char ***argv)
{
    g_autofree char *usage = g_strdup_printf("%s [OPTION...]%s%s", command, params ? " " : "",
                                             params ? params : "");
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    /* The global options may come before the command too: keep those
     * values unless given again here. */
    g_autofree char *uri_before = g_steal_pointer(&opts->uri);
    g_autofree char *config_before = g_steal_pointer(&opts->config_path);
    const GOptionEntry output_entries[] = {
        { "output", 'o', 0, G_OPTION_ARG_STRING, &opts->output,
          "The columns to print, by heading (see the table's header)", "COLUMNS" },
        { NULL },
    };
    GOptionGroup *group = cli_global_group(opts);

    /* One group: --help shows the command's and the global options together. */
    if (entries)
        g_option_group_add_entries(group, entries);
    if (tables)
        g_option_group_add_entries(group, output_entries);
    g_option_context_set_main_group(ctx, group);
    g_option_context_set_help_enabled(ctx, FALSE);
    if (summary)
        g_option_context_set_summary(ctx, summary);
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        cli_error("%s: %s (see '" CLI_PROGRAM " help %s')", command, error->message, command);
        return FALSE;
    }
    if (opts->help) {
        cli_print_help(ctx, usage);
        exit(0);
    }
    if (!opts->uri)
        opts->uri = g_steal_pointer(&uri_before);
    if (!opts->config_path)
        opts->config_path = g_steal_pointer(&config_before);
    if (opts->output && opts->json) {
        cli_error("%s: --output chooses table columns; --json prints every field", command);
        return FALSE;
    }
    if (opts->output && !cli_table_select(opts->output, tables, &error)) {
        cli_error("%s: %s", command, error->message);
        return FALSE;
    }
    /* Options end at "--"; GOptionContext leaves that marker in place. */
    for (int i = 1; i < *argc; i++) {
        if (g_strcmp0((*argv)[i], "--") == 0) {
            for (int j = i; j < *argc; j++)
                (*argv)[j] = (*argv)[j + 1];
            (*argc)--;
            break;
        }
    }
    return TRUE;
}

gboolean
cli_parse_options(CliOptions *opts, const char *command, const char *params,
                  const char *summary, const GOptionEntry *entries, int *argc, char ***argv)
{
    return parse(opts, command, params, summary, entries, NULL, argc, argv);
}

gboolean
cli_parse_table_options(CliOptions *opts, const char *command, const char *params,
                        const char *summary, const GOptionEntry *entries,
                        const char *const *const *tables, int *argc, char ***argv)
{
    return parse(opts, command, params, summary, entries, tables, argc, argv);
}

GPtrArray *
cli_ledgers_for_view(const VgpuConfig *cfg, const char *command, const char *consequence,
                     GPtrArray *damaged, gboolean *hidden, GError **error)
{
    *hidden = FALSE;
    /* Only where permissions are the reason: root failing to read its
     * own state is a fault to report, not a view to narrow. */
    if (geteuid() != 0 && access(cfg->state_dir, R_OK | X_OK) < 0 && errno == EACCES) {
        cli_error("note: %s: cannot read the ledgers in %s (%s; root can): %s", command,
                  cfg->state_dir, g_strerror(EACCES), consequence);
        *hidden = TRUE;
        return g_ptr_array_new();
    }
    return ledger_load_all(cfg->state_dir, damaged, error);
}

VgpuConfig *
cli_config_load(const CliOptions *opts, GError **error)
{
    const char *path = opts->config_path ? opts->config_path : vgpu_config_path();

    /* Without a file the defaults apply (as in the hook), but a file named
     * on the command line that is not there is a typo, not a wish. */
    if (opts->config_path && !g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "config file %s does not exist", path);
        return NULL;
    }
    return vgpu_config_load(path, error);
}

char *
cli_read_file(const char *path, gsize *len, GError **error)
{
    g_autoptr(GError) local = NULL;
    char *buf = NULL;

    if (g_strcmp0(path, "-") == 0) {
        g_autoptr(GString) s = g_string_new(NULL);
        char chunk[65536];
        size_t n;

        while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
            g_string_append_len(s, chunk, n);
            if (s->len > VGPU_XML_MAX_BYTES)
                break;
        }
        if (ferror(stdin)) {
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "cannot read standard input");
            return NULL;
        }
        *len = s->len;
        buf = g_string_free(g_steal_pointer(&s), FALSE);
    } else if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s is a directory", path);
        return NULL;
    } else if (!g_file_get_contents(path, &buf, len, &local)) {
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s", local->message);
        return NULL;
    }
    if (*len > VGPU_XML_MAX_BYTES) {
        g_free(buf);
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s: larger than %d bytes",
                    path, VGPU_XML_MAX_BYTES);
        return NULL;
    }
    return buf;
}
