/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Field validators. Each returns 0, or -1 with @error naming the field and
 * what a good value looks like. */
#pragma once

#include <glib.h>

/* Any case in; *canonical (when given) is lowercase 8-4-4-4-12. */
int vgpu_validate_uuid(const char *field, const char *value, char **canonical, GError **error);
int vgpu_validate_type_id(const char *value, GError **error);
int vgpu_validate_profile(const char *value, GError **error);
/* A gpu= value: a model name ("MI300X", "FirePro S7150") or "1002:74a1". */
int vgpu_validate_gpu_name(const char *value, GError **error);
/* Accepts "0000:e8:00.4" and "e8:00.4" (domain 0000), any case; returns
 * the lowercase 4-digit-domain form. */
int vgpu_validate_pci_addr(const char *field, const char *value, char **normalized,
                           GError **error);
/* A size with a unit ("8G", "512M", "1T") in MiB. */
int vgpu_validate_size_mb(const char *field, const char *value, guint64 *mb, GError **error);
/* One NVIDIA series letter (A, B, C, Q), any case; *series is uppercase. */
int vgpu_validate_series(const char *field, const char *value, char *series, GError **error);
