/* A small JSON writer (RFC 8259): commas, indentation, string escaping. */
#include "json-out.h"

#include <stdio.h>

struct JsonOut {
    GString *text;
    GArray *counts;         /* members written so far, per open container */
    gboolean after_key;     /* a key was written: the value follows inline */
};

JsonOut *
json_out_new(void)
{
    JsonOut *j = g_new0(JsonOut, 1);

    j->text = g_string_new(NULL);
    j->counts = g_array_new(FALSE, TRUE, sizeof(guint));
    return j;
}

void
json_out_free(JsonOut *j)
{
    if (!j)
        return;
    g_string_free(j->text, TRUE);
    g_array_unref(j->counts);
    g_free(j);
}

static void
newline_indent(JsonOut *j)
{
    g_string_append_c(j->text, '\n');
    for (guint i = 0; i < j->counts->len; i++)
        g_string_append(j->text, "  ");
}

/* What goes before any value or key: a comma after a sibling, and its
 * own line inside a container. */
static void
before_item(JsonOut *j)
{
    guint *count;

    if (j->after_key) {
        j->after_key = FALSE;
        return;
    }
    if (j->counts->len == 0)
        return;
    count = &g_array_index(j->counts, guint, j->counts->len - 1);
    if ((*count)++ > 0)
        g_string_append_c(j->text, ',');
    newline_indent(j);
}

static void
begin(JsonOut *j, char open)
{
    guint zero = 0;

    before_item(j);
    g_string_append_c(j->text, open);
    g_array_append_val(j->counts, zero);
}

static void
end(JsonOut *j, char close)
{
    guint count;

    g_return_if_fail(j->counts->len > 0);
    count = g_array_index(j->counts, guint, j->counts->len - 1);
    g_array_set_size(j->counts, j->counts->len - 1);
    if (count > 0)
        newline_indent(j);
    g_string_append_c(j->text, close);
}

void json_begin_object(JsonOut *j) { begin(j, '{'); }
void json_end_object(JsonOut *j)   { end(j, '}'); }
void json_begin_array(JsonOut *j)  { begin(j, '['); }
void json_end_array(JsonOut *j)    { end(j, ']'); }

static void
append_quoted(GString *out, const char *s)
{
    g_autofree char *valid = g_utf8_make_valid(s, -1);

    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
        switch (*p) {
        case '"':  g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
}

void
json_key(JsonOut *j, const char *key)
{
    before_item(j);
    append_quoted(j->text, key);
    g_string_append(j->text, ": ");
    j->after_key = TRUE;
}

void
json_string(JsonOut *j, const char *s)
{
    if (!s) {
        json_null(j);
        return;
    }
    before_item(j);
    append_quoted(j->text, s);
}

void
json_int(JsonOut *j, gint64 v)
{
    before_item(j);
    g_string_append_printf(j->text, "%" G_GINT64_FORMAT, v);
}

void
json_bool(JsonOut *j, gboolean v)
{
    before_item(j);
    g_string_append(j->text, v ? "true" : "false");
}

void
json_null(JsonOut *j)
{
    before_item(j);
    g_string_append(j->text, "null");
}

void
json_member_string(JsonOut *j, const char *key, const char *s)
{
    json_key(j, key);
    json_string(j, s);
}

void
json_member_int(JsonOut *j, const char *key, gint64 v)
{
    json_key(j, key);
    json_int(j, v);
}

void
json_member_bool(JsonOut *j, const char *key, gboolean v)
{
    json_key(j, key);
    json_bool(j, v);
}

const char *
json_out_text(JsonOut *j)
{
    if (j->counts->len == 0 && j->text->len > 0 && j->text->str[j->text->len - 1] != '\n')
        g_string_append_c(j->text, '\n');
    return j->text->str;
}

void
json_out_print(JsonOut *j)
{
    fputs(json_out_text(j), stdout);
    fflush(stdout);
}
