/* Aligned text tables for human output: a header row in capitals, columns
 * padded to their widest cell, two spaces apart, no trailing blanks. */
#pragma once

#include <glib.h>
#include <stdio.h>

typedef struct CliTable CliTable;

/* The header cells, NULL-terminated. */
CliTable *cli_table_new(const char *first, ...) G_GNUC_NULL_TERMINATED;
void cli_table_free(CliTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliTable, cli_table_free)

/* One row: as many cells as the header has (NULL cells print "-"). */
void cli_table_add(CliTable *t, ...);
guint cli_table_rows(const CliTable *t);
/* Print, every line preceded by @indent spaces. */
void cli_table_print(const CliTable *t, FILE *out, guint indent);
