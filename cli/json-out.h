/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON output, built in order (json-glib's JsonBuilder) and printed
 * indented. Text that is not UTF-8 (a driver's name file can hold
 * anything) is written with U+FFFD in place of the invalid bytes, so the
 * output always parses. */
#pragma once

#include <glib.h>

typedef struct JsonOut JsonOut;

JsonOut *json_out_new(void);
void json_out_free(JsonOut *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsonOut, json_out_free)

void json_begin_object(JsonOut *j);
void json_end_object(JsonOut *j);
void json_begin_array(JsonOut *j);
void json_end_array(JsonOut *j);
/* The key of the next member; inside an object only. */
void json_key(JsonOut *j, const char *key);
void json_string(JsonOut *j, const char *s);   /* NULL writes null */
void json_int(JsonOut *j, gint64 v);
void json_bool(JsonOut *j, gboolean v);
void json_null(JsonOut *j);

/* Shorthands for one member. */
void json_member_string(JsonOut *j, const char *key, const char *s);
void json_member_int(JsonOut *j, const char *key, gint64 v);
void json_member_bool(JsonOut *j, const char *key, gboolean v);

/* The document, with a final newline; every container must be closed. */
const char *json_out_text(JsonOut *j);
/* Write it to stdout. */
void json_out_print(JsonOut *j);
