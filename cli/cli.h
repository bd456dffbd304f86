/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl: what an administrator types. Shared by the subcommands.
 *
 * Every subcommand is a function taking the global options and its own
 * argv (argv[0] is the subcommand's name); it returns the process exit code
 * (0 success, 1 failure) after printing at most one "vgpuctl: ..." line per
 * error on stderr. */
#pragma once

#include <glib.h>
#include "vgpu-config.h"

#define CLI_PROGRAM "vgpuctl"
#ifndef VGPU_VERSION
# error "VGPU_VERSION comes from the Makefile"
#endif

typedef struct {
    char *uri;             /* -c/--connect; NULL: LIBVIRT_DEFAULT_URI, else qemu:///system */
    char *config_path;     /* --hook-config; NULL: vgpu_config_path() */
    gboolean json;         /* --json, where the command prints data */
    char *output;          /* -o/--output, where the command prints tables */
    gboolean help;         /* -h/--help */
} CliOptions;

/* Options every subcommand accepts after its name too (-c, --hook-config,
 * -h). */
GOptionGroup *cli_global_group(CliOptions *opts);

/* Print @ctx's help for "vgpuctl USAGE": plain ASCII in a locale that is
 * not UTF-8 (glib's own writes "[OPTION?]" there). */
void cli_print_help(GOptionContext *ctx, const char *usage);

/* Parse a subcommand's argv with @entries plus the global options;
 * "--help" prints and exits 0, a bad option prints one line and returns
 * FALSE. @params is the usage after the command name ("DOMAIN PROFILE"). */
gboolean cli_parse_options(CliOptions *opts, const char *command, const char *params,
                           const char *summary, const GOptionEntry *entries,
                           int *argc, char ***argv);
/* The same for a command that prints tables: adds -o/--output, checked
 * against @tables (the headings of each, see cli_table_select). */
gboolean cli_parse_table_options(CliOptions *opts, const char *command, const char *params,
                                 const char *summary, const GOptionEntry *entries,
                                 const char *const *const *tables, int *argc, char ***argv);

/* "vgpuctl: MESSAGE" on stderr, newlines folded into spaces: one line. */
void cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* The same for a GError, with an optional prefix. Returns 1. */
int cli_fail(const char *prefix, const GError *error);

/* The config named by --hook-config, VGPU_HOOK_CONF or the default path. */
VgpuConfig *cli_config_load(const CliOptions *opts, GError **error);

/* The ledgers, for a command that only looks: an unprivileged user, who
 * cannot read the state directory, gets none and one "note:" line on
 * stderr saying so (@command: "status"; @consequence: what that hides).
 * *@hidden says whether it happened. NULL with @error on other failures. */
GPtrArray *cli_ledgers_for_view(const VgpuConfig *cfg, const char *command,
                                const char *consequence, GPtrArray *damaged,
                                gboolean *hidden, GError **error);

/* The whole of @path (or stdin for "-"), at most VGPU_XML_MAX_BYTES. */
char *cli_read_file(const char *path, gsize *len, GError **error);

/* Subcommands. */
int cmd_types(CliOptions *opts, int argc, char **argv);
int cmd_status(CliOptions *opts, int argc, char **argv);
int cmd_attach(CliOptions *opts, int argc, char **argv);
int cmd_detach(CliOptions *opts, int argc, char **argv);
int cmd_sync(CliOptions *opts, int argc, char **argv);
int cmd_define(CliOptions *opts, int argc, char **argv);
int cmd_check(CliOptions *opts, int argc, char **argv);
int cmd_gc(CliOptions *opts, int argc, char **argv);
int cmd_migrate_check(CliOptions *opts, int argc, char **argv);
int cmd_cluster(CliOptions *opts, int argc, char **argv);
