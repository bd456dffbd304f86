/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text tables for human output, laid out by libsmartcols. */
#include "table.h"
#include "vgpu-error.h"

#include <libsmartcols.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct CliTable {
    guint ncols;
    char **headings;
    GPtrArray *rows;        /* char** (NULL-terminated) */
    GPtrArray *sizing;      /* the same, never printed */
};

/* -o: the normalised names asked for, in order; NULL: every column. */
static GPtrArray *selected;

CliTable *
cli_table_newv(const char *const *headings)
{
    CliTable *t = g_new0(CliTable, 1);

    t->headings = g_strdupv((char **)headings);
    t->ncols = g_strv_length(t->headings);
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    t->sizing = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    return t;
}

CliTable *
cli_table_new(const char *first, ...)
{
    g_autoptr(GPtrArray) header = g_ptr_array_new();
    va_list ap;

    va_start(ap, first);
    for (const char *h = first; h; h = va_arg(ap, const char *))
        g_ptr_array_add(header, (gpointer)h);
    va_end(ap);
    g_ptr_array_add(header, NULL);
    return cli_table_newv((const char *const *)header->pdata);
}

void
cli_table_free(CliTable *t)
{
    if (!t)
        return;
    g_strfreev(t->headings);
    g_ptr_array_unref(t->rows);
    g_ptr_array_unref(t->sizing);
    g_free(t);
}

static char **
row_from(const CliTable *t, va_list ap)
{
    char **row = g_new0(char *, t->ncols + 1);

    for (guint i = 0; i < t->ncols; i++) {
        const char *cell = va_arg(ap, const char *);

        row[i] = g_strdup(cell && *cell ? cell : "-");
    }
    return row;
}

void
cli_table_add(CliTable *t, ...)
{
    va_list ap;

    va_start(ap, t);
    g_ptr_array_add(t->rows, row_from(t, ap));
    va_end(ap);
}

void
cli_table_add_sizing(CliTable *t, ...)
{
    va_list ap;

    va_start(ap, t);
    g_ptr_array_add(t->sizing, row_from(t, ap));
    va_end(ap);
}

guint
cli_table_rows(const CliTable *t)
{
    return t->rows->len;
}

/* "Created by", "CREATED-BY" and "created_by" name one column. */
static char *
normalise(const char *name)
{
    char *n = g_ascii_strup(name, -1);

    g_strdelimit(n, " _", '-');
    return g_strstrip(n);
}

/* The columns of @t to print, as indexes, in order. */
static GArray *
shown_columns(const CliTable *t)
{
    GArray *cols = g_array_new(FALSE, FALSE, sizeof(guint));

    for (guint s = 0; s < (selected ? selected->len : t->ncols); s++) {
        for (guint c = 0; c < t->ncols; c++) {
            g_autofree char *h = selected ? normalise(t->headings[c]) : NULL;

            if (!selected ? c == s : strcmp(h, g_ptr_array_index(selected, s)) == 0) {
                g_array_append_val(cols, c);
                break;
            }
        }
    }
    return cols;
}

gboolean
cli_table_shown(const CliTable *t)
{
    g_autoptr(GArray) cols = shown_columns(t);

    return cols->len > 0;
}

/* Lists ("a (1), b (2)") wrap after their commas; one chunk per item. */
static size_t
list_chunksize(const struct libscols_column *cl, const char *data, void *unused)
{
    size_t widest = 0;

    while (data) {
        const char *end = strstr(data, ", ");
        size_t len = end ? (size_t)(end - data) + 1 : strlen(data);

        widest = MAX(widest, g_utf8_validate(data, len, NULL)
                             ? (size_t)g_utf8_strlen(data, len) : len);
        data = end ? end + 2 : NULL;
    }
    return widest;
}

static char *
list_nextchunk(const struct libscols_column *cl, char *data, void *unused)
{
    char *end = data ? strstr(data, ", ") : NULL;

    if (!end)
        return NULL;
    end[1] = '\0';
    return end + 2;
}

static size_t
terminal_width(FILE *out)
{
    struct winsize ws;
    const char *env = g_getenv("COLUMNS");

    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if (env && g_ascii_strtoull(env, NULL, 10) > 0)
        return g_ascii_strtoull(env, NULL, 10);
    return 80;
}

static void
add_row(struct libscols_table *tb, char **row, GArray *cols)
{
    struct libscols_line *ln = scols_table_new_line(tb, NULL);

    for (guint i = 0; ln && i < cols->len; i++)
        scols_line_set_data(ln, i, row[g_array_index(cols, guint, i)]);
}

/* The rows and the sizing rows after them; @out decides whether the
 * width of a terminal applies (not to a pipe: scripts read whole lines). */
static struct libscols_table *
build(const CliTable *t, FILE *out, guint indent)
{
    g_autoptr(GArray) cols = shown_columns(t);
    struct libscols_table *tb = scols_new_table();
    gboolean term = isatty(fileno(out));

    if (!tb)
        g_error("out of memory");
    scols_table_set_column_separator(tb, "  ");
    scols_table_set_termforce(tb, term ? SCOLS_TERMFORCE_ALWAYS : SCOLS_TERMFORCE_NEVER);
    if (term)
        scols_table_set_termwidth(tb, MAX(terminal_width(out), indent + 20) - indent);
    for (guint i = 0; i < cols->len; i++) {
        gboolean last = i + 1 == cols->len;
        struct libscols_column *cl =
            scols_table_new_column(tb, t->headings[g_array_index(cols, guint, i)], 0,
                                   term && last ? SCOLS_FL_WRAP : 0);

        if (cl && term && last)
            scols_column_set_wrapfunc(cl, list_chunksize, list_nextchunk, NULL);
    }
    for (guint r = 0; r < t->rows->len; r++)
        add_row(tb, g_ptr_array_index(t->rows, r), cols);
    for (guint r = 0; r < t->sizing->len; r++)
        add_row(tb, g_ptr_array_index(t->sizing, r), cols);
    return tb;
}

void
cli_table_print(const CliTable *t, FILE *out, guint indent)
{
    struct libscols_table *tb;
    char *text = NULL;

    if (!cli_table_shown(t))
        return;
    tb = build(t, out, indent);
    if (scols_print_table_to_string(tb, &text) == 0 && text) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l; l++) {
            if (**l || l[1])
                fprintf(out, "%*s%s\n", (int)indent, "", *l);
        }
    }
    free(text);
    scols_unref_table(tb);
}

void
cli_table_print_last(const CliTable *t, FILE *out)
{
    struct libscols_table *tb;
    struct libscols_line *ln;

    if (t->rows->len == 0 || !cli_table_shown(t))
        return;
    tb = build(t, out, 0);
    ln = scols_table_get_line(tb, t->rows->len - 1);
    scols_table_set_stream(tb, out);
    /* libsmartcols ends a line with a newline only when another follows. */
    if (ln && scols_table_print_range(tb, ln, ln) == 0 && t->sizing->len == 0)
        fputc('\n', out);
    fflush(out);
    scols_unref_table(tb);
}

gboolean
cli_table_select(const char *columns, const char *const *const *tables, GError **error)
{
    g_auto(GStrv) names = g_strsplit(columns, ",", -1);
    g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) valid = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; tables[i]; i++) {
        for (guint c = 0; tables[i][c]; c++) {
            char *n = normalise(tables[i][c]);

            if (g_ptr_array_find_with_equal_func(valid, n, g_str_equal, NULL))
                g_free(n);
            else
                g_ptr_array_add(valid, n);
        }
    }
    for (guint i = 0; names[i]; i++) {
        g_autofree char *n = normalise(names[i]);

        if (!g_ptr_array_find_with_equal_func(valid, n, g_str_equal, NULL)) {
            g_autofree char *list = NULL;

            g_ptr_array_add(valid, NULL);
            list = g_strjoinv(", ", (char **)valid->pdata);
            g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID,
                        "unknown column '%s' for --output (columns: %s)",
                        *names[i] ? names[i] : "", list);
            return FALSE;
        }
        g_ptr_array_add(want, g_steal_pointer(&n));
    }
    g_clear_pointer(&selected, g_ptr_array_unref);
    selected = g_steal_pointer(&want);
    return TRUE;
}
