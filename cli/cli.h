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
    char *config_path;     /* --config; NULL: vgpu_config_path() */
    gboolean json;         /* --json, where the command prints data */
} CliOptions;

/* Options every subcommand accepts after its name too (-c, --config). */
GOptionGroup *cli_global_group(CliOptions *opts);

/* Parse a subcommand's argv with @entries plus the global options;
 * "--help" prints and exits 0, a bad option prints one line and returns
 * FALSE. @params is the usage after the command name ("DOMAIN PROFILE"). */
gboolean cli_parse_options(CliOptions *opts, const char *command, const char *params,
                           const char *summary, const GOptionEntry *entries,
                           int *argc, char ***argv);

/* "vgpuctl: MESSAGE" on stderr, newlines folded into spaces: one line. */
void cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* The same for a GError, with an optional prefix. Returns 1. */
int cli_fail(const char *prefix, const GError *error);

/* The config named by --config, VGPU_HOOK_CONF or the default path. */
VgpuConfig *cli_config_load(const CliOptions *opts, GError **error);

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
