/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON output through json-glib's builder and generator. */
#include "json-out.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

struct JsonOut {
    JsonBuilder *builder;
    char *text;             /* generated on first request */
};

JsonOut *
json_out_new(void)
{
    JsonOut *j = g_new0(JsonOut, 1);

    j->builder = json_builder_new();
    return j;
}

void
json_out_free(JsonOut *j)
{
    if (!j)
        return;
    g_object_unref(j->builder);
    g_free(j->text);
    g_free(j);
}

void json_begin_object(JsonOut *j) { json_builder_begin_object(j->builder); }
void json_end_object(JsonOut *j)   { json_builder_end_object(j->builder); }
void json_begin_array(JsonOut *j)  { json_builder_begin_array(j->builder); }
void json_end_array(JsonOut *j)    { json_builder_end_array(j->builder); }

void
json_key(JsonOut *j, const char *key)
{
    g_autofree char *valid = g_utf8_make_valid(key, -1);

    json_builder_set_member_name(j->builder, valid);
}

void
json_string(JsonOut *j, const char *s)
{
    g_autofree char *valid = s ? g_utf8_make_valid(s, -1) : NULL;

    if (valid)
        json_builder_add_string_value(j->builder, valid);
    else
        json_builder_add_null_value(j->builder);
}

void json_int(JsonOut *j, gint64 v)     { json_builder_add_int_value(j->builder, v); }
void json_bool(JsonOut *j, gboolean v)  { json_builder_add_boolean_value(j->builder, v); }
void json_null(JsonOut *j)              { json_builder_add_null_value(j->builder); }

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
    if (!j->text) {
        g_autoptr(JsonNode) root = json_builder_get_root(j->builder);
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autofree char *doc = NULL;

        g_return_val_if_fail(root != NULL, "");
        json_generator_set_root(gen, root);
        json_generator_set_pretty(gen, TRUE);
        json_generator_set_indent(gen, 2);
        doc = json_generator_to_data(gen, NULL);
        j->text = g_strconcat(doc, "\n", NULL);
    }
    return j->text;
}

void
json_out_print(JsonOut *j)
{
    fputs(json_out_text(j), stdout);
    fflush(stdout);
}
