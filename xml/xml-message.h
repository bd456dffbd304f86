/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Errors about a domain document. The documents come from users who may
 * be less trusted than the host, so whatever of theirs a message quotes is
 * bounded and blanked of control characters: each error stays one line. */
#pragma once

#include <glib.h>
#include "domain-xml.h"

/* Sets @error to "domain 'NAME': ..." (or "domain XML: ..." before the
 * name is known) and returns -1, so a reader can return it. */
int xml_domain_error(const VgpuDomain *dom, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* @s made fit for a one-line message: controls blanked, at most @max chars. */
char *xml_one_line(const char *s, glong max);
