/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text tables for human output, printed by libsmartcols: a header row in
 * capitals, columns two spaces apart, no trailing blanks. On a terminal
 * the last column wraps (at ", " in lists) to fit its width; elsewhere
 * nothing is cut. -o/--output selects columns by heading. */
#pragma once

#include <glib.h>
#include <stdio.h>

typedef struct CliTable CliTable;

/* The header cells, NULL-terminated. */
CliTable *cli_table_new(const char *first, ...) G_GNUC_NULL_TERMINATED;
/* The same from an array (NULL-terminated), as cli_table_select takes it. */
CliTable *cli_table_newv(const char *const *headings);
void cli_table_free(CliTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliTable, cli_table_free)

/* One row: as many cells as the header has (NULL or "" cells print "-"). */
void cli_table_add(CliTable *t, ...);
guint cli_table_rows(const CliTable *t);
/* Print, every line preceded by @indent spaces; nothing when -o left it
 * no column. */
void cli_table_print(const CliTable *t, FILE *out, guint indent);

/* Rows printed one at a time, as they happen (gc): a sizing row is never
 * printed but makes its columns as wide as its cells, so that the rows
 * printed one by one line up. */
void cli_table_add_sizing(CliTable *t, ...);
/* Print the last row added (after the header, for the first one). */
void cli_table_print_last(const CliTable *t, FILE *out);

/* -o/--output: COLUMNS is a comma-separated list of headings, in any case,
 * '-' or '_' standing for a space ("created-by"). @tables are the headings
 * of every table the command prints (NULL-terminated arrays, the list
 * NULL-terminated). Each table then shows the columns it has, in the order
 * given, and a table with none of them is not printed. Returns FALSE with
 * @error naming an unknown column and the valid ones. */
gboolean cli_table_select(const char *columns, const char *const *const *tables, GError **error);
/* Whether @t prints anything under the selection. */
gboolean cli_table_shown(const CliTable *t);
