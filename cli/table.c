/* Aligned text tables for human output. */
#include "table.h"

#include <stdarg.h>

struct CliTable {
    guint ncols;
    GPtrArray *rows;        /* char** (NULL-terminated), the header first */
};

CliTable *
cli_table_new(const char *first, ...)
{
    CliTable *t = g_new0(CliTable, 1);
    g_autoptr(GPtrArray) header = g_ptr_array_new();
    va_list ap;

    va_start(ap, first);
    for (const char *h = first; h; h = va_arg(ap, const char *))
        g_ptr_array_add(header, g_strdup(h));
    va_end(ap);
    t->ncols = header->len;
    g_ptr_array_add(header, NULL);
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_ptr_array_add(t->rows, g_ptr_array_steal(header, NULL));
    return t;
}

void
cli_table_free(CliTable *t)
{
    if (!t)
        return;
    g_ptr_array_unref(t->rows);
    g_free(t);
}

void
cli_table_add(CliTable *t, ...)
{
    char **row = g_new0(char *, t->ncols + 1);
    va_list ap;

    va_start(ap, t);
    for (guint i = 0; i < t->ncols; i++) {
        const char *cell = va_arg(ap, const char *);

        row[i] = g_strdup(cell && *cell ? cell : "-");
    }
    va_end(ap);
    g_ptr_array_add(t->rows, row);
}

guint
cli_table_rows(const CliTable *t)
{
    return t->rows->len - 1;
}

void
cli_table_print(const CliTable *t, FILE *out, guint indent)
{
    g_autofree glong *width = g_new0(glong, t->ncols);

    for (guint r = 0; r < t->rows->len; r++) {
        char **row = g_ptr_array_index(t->rows, r);

        for (guint c = 0; c < t->ncols; c++)
            width[c] = MAX(width[c], g_utf8_strlen(row[c], -1));
    }
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = g_ptr_array_index(t->rows, r);

        fprintf(out, "%*s", (int)indent, "");
        for (guint c = 0; c < t->ncols; c++) {
            gboolean last = c + 1 == t->ncols;

            fputs(row[c], out);
            if (!last)
                fprintf(out, "%*s", (int)(width[c] - g_utf8_strlen(row[c], -1) + 2), "");
        }
        fputc('\n', out);
    }
}
