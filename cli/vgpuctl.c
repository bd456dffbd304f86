/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgpuctl: the administrator's command line for vgpu-hook.
 *
 *   vgpuctl [-c URI] [--hook-config FILE] COMMAND [OPTIONS] [ARGS]
 *   vgpuctl help [COMMAND]
 *
 * main() takes the global options up to the command's name and hands the
 * rest of argv to the command, which accepts the global options too. */
#include "cli.h"
#include "virt-conn.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(CliOptions *opts, int argc, char **argv);
    const char *summary;
} CliCommand;

static const CliCommand commands[] = {
    { "types",  cmd_types,  "what the host offers, by profile, with free counts" },
    { "status", cmd_status, "physical GPUs, their mdevs, owners and domain states" },
    { "attach", cmd_attach, "add vGPU(s) to a domain's persistent definition" },
    { "detach", cmd_detach, "remove vGPU(s) from a domain's persistent definition" },
    { "sync",   cmd_sync,   "add the <hostdev> that hand-written metadata lacks" },
    { "define", cmd_define, "define a domain from a file, adding missing <hostdev>" },
    { "check",  cmd_check,  "dry run: would this domain start now, and where" },
    { "gc",     cmd_gc,     "remove leaked vGPUs of domains that are not running" },
    { "migrate-check", cmd_migrate_check, "would a vGPU domain move to another host, and how" },
    { "cluster", cmd_cluster, "for Pacemaker: node-local config, need, capacity" },
};

static char *
commands_description(void)
{
    g_autoptr(GString) s = g_string_new("Commands:\n");

    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        g_string_append_printf(s, "  %-8s %s\n", commands[i].name, commands[i].summary);
    g_string_append(s, "\n'" CLI_PROGRAM " help COMMAND' shows a command's options.\n"
                    "Exit status: 0 success, 1 failure (check: 1 when the domain would not start).");
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static const CliCommand *
find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    }
    return NULL;
}

/* "help COMMAND" is "COMMAND --help". */
static int
help_command(CliOptions *opts, const char *name)
{
    const CliCommand *cmd = find_command(name);
    char *argv[] = { (char *)name, (char *)"--help", NULL };

    if (!cmd) {
        cli_error("help: unknown command '%s' (see '" CLI_PROGRAM " help')", name);
        return 1;
    }
    return cmd->run(opts, 2, argv);
}

int
main(int argc, char **argv)
{
    CliOptions opts = { 0 };
    gboolean version = FALSE;
    const GOptionEntry entries[] = {
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *desc = commands_description();
    const CliCommand *cmd;
    int rc = 1;

    setlocale(LC_ALL, "");
    g_set_prgname(CLI_PROGRAM);
    virt_quiet_errors();

    GOptionGroup *group = cli_global_group(&opts);

    g_option_group_add_entries(group, entries);
    g_option_context_set_main_group(ctx, group);
    g_option_context_set_summary(ctx, "Manage the vGPUs that vgpu-hook creates for libvirt domains.");
    g_option_context_set_description(ctx, desc);
    g_option_context_set_help_enabled(ctx, FALSE);
    /* Stop at the command's name: what follows is the command's. */
    g_option_context_set_strict_posix(ctx, TRUE);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        cli_error("%s (see '" CLI_PROGRAM " help')", error->message);
        goto out;
    }
    if (opts.help || (argc >= 2 && strcmp(argv[1], "help") == 0 && argc == 2)) {
        cli_print_help(ctx, "[GLOBAL OPTION...] COMMAND [OPTION...] [ARG...]");
        rc = 0;
        goto out;
    }
    if (argc >= 2 && strcmp(argv[1], "help") == 0) {
        if (argc > 3)
            cli_error("help: unexpected argument '%s'", argv[3]);
        else
            rc = help_command(&opts, argv[2]);
        goto out;
    }
    if (version) {
        printf(CLI_PROGRAM " " VGPU_VERSION "\n");
        rc = 0;
        goto out;
    }
    if (argc < 2) {
        cli_error("no command given (one of: types, status, attach, detach, sync, define, "
                  "check, gc, cluster; see '" CLI_PROGRAM " help')");
        goto out;
    }
    if ((cmd = find_command(argv[1])))
        rc = cmd->run(&opts, argc - 1, argv + 1);
    else
        cli_error("unknown command '%s' (see '" CLI_PROGRAM " help')", argv[1]);
out:
    g_free(opts.uri);
    g_free(opts.config_path);
    g_free(opts.output);
    return rc;
}
