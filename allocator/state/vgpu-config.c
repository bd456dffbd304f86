/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/libvirt/vgpu-hook.conf. Strict: an unknown group or key is an
 * error, because a typo ("alow=") must not silently widen what the hook
 * may touch. */
#include "vgpu-config.h"
#include "vgpu-error.h"
#include "vgpu-validate.h"

#include <stdlib.h>
#include <string.h>

#define CONFIG_GROUP "vgpu-hook"

typedef struct {
    const char *key;
    gsize offset;          /* of the guint in VgpuConfig */
    guint min;
    guint max;
} ConfigNumber;

static const ConfigNumber config_numbers[] = {
    { "lock_timeout_ms", G_STRUCT_OFFSET(VgpuConfig, lock_timeout_ms), 1, 600000 },
    { "remove_retries", G_STRUCT_OFFSET(VgpuConfig, remove_retries), 0, 1000 },
    { "remove_retry_delay_ms", G_STRUCT_OFFSET(VgpuConfig, remove_retry_delay_ms), 0, 60000 },
    { "remove_timeout_ms", G_STRUCT_OFFSET(VgpuConfig, remove_timeout_ms), 1, 600000 },
    { "create_attempts", G_STRUCT_OFFSET(VgpuConfig, create_attempts), 1, 64 },
    { "create_timeout_ms", G_STRUCT_OFFSET(VgpuConfig, create_timeout_ms), 1, 600000 },
    { "hook_timeout_ms", G_STRUCT_OFFSET(VgpuConfig, hook_timeout_ms), 100, 3600000 },
    { "release_wait_ms", G_STRUCT_OFFSET(VgpuConfig, release_wait_ms), 0, 600000 },
};

static const char *const config_strings[] = {
    "sysfs_root", "state_dir", "placement", "allow", "deny", "numa_fallback", "pci_ids_path",
};

void
vgpu_config_free(VgpuConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->sysfs_root);
    g_free(cfg->state_dir);
    g_free(cfg->pci_ids_path);
    g_strfreev(cfg->allow);
    g_strfreev(cfg->deny);
    g_free(cfg);
}

const char *
vgpu_config_path(void)
{
    const char *env = getenv("VGPU_HOOK_CONF");

    return env && *env ? env : VGPU_CONFIG_DEFAULT_PATH;
}

static VgpuConfig *
config_defaults(void)
{
    VgpuConfig *cfg = g_new0(VgpuConfig, 1);

    cfg->sysfs_root = g_strdup("/sys");
    cfg->numa_fallback = TRUE;
    cfg->state_dir = g_strdup("/run/vgpu-hook");
    cfg->placement = VGPU_PLACEMENT_PACK;
    /* Longer than create_timeout_ms: a prepare holds the lock for at most one
     * create that times out, and the others should outwait it. */
    cfg->lock_timeout_ms = 30000;
    cfg->remove_retries = 10;
    cfg->remove_retry_delay_ms = 500;
    cfg->remove_timeout_ms = 15000;
    cfg->create_attempts = 4;
    cfg->create_timeout_ms = 20000;
    cfg->hook_timeout_ms = 120000;
    /* As Proxmox: some NVIDIA drivers remove the mdev themselves when the
     * VM stops, and a remove written first breaks the GPU until a reboot. */
    cfg->release_wait_ms = 10000;
    return cfg;
}

static gboolean
key_is_known(const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(config_strings); i++) {
        if (strcmp(key, config_strings[i]) == 0)
            return TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(config_numbers); i++) {
        if (strcmp(key, config_numbers[i].key) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
config_fail(GError **error, const char *path, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean
config_fail(GError **error, const char *path, const char *key, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *what = NULL;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (key)
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s: key %s: %s", path, key, what);
    else
        g_set_error(error, VGPU_ERROR, VGPU_ERROR_INVALID, "%s: %s", path, what);
    return FALSE;
}

/* The value of @key, or NULL when it is absent. */
static char *
config_value(GKeyFile *kf, const char *key)
{
    if (!g_key_file_has_key(kf, CONFIG_GROUP, key, NULL))
        return NULL;
    return g_key_file_get_string(kf, CONFIG_GROUP, key, NULL);
}

static gboolean
path_has_dotdot(const char *v)
{
    g_auto(GStrv) parts = g_strsplit(v, "/", -1);

    for (guint i = 0; parts[i]; i++) {
        if (strcmp(parts[i], "..") == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
config_path_value(GKeyFile *kf, const char *path, const char *key, char **out, GError **error)
{
    g_autofree char *v = config_value(kf, key);

    if (!v)
        return TRUE;
    g_strstrip(v);
    /* The hook builds root-owned paths from these: no way out of them. */
    if (!g_path_is_absolute(v))
        return config_fail(error, path, key, "'%s' is not an absolute path (allowed: an "
                           "absolute path without '..', not '/')", v);
    if (path_has_dotdot(v))
        return config_fail(error, path, key, "'%s' has a '..' component (allowed: an "
                           "absolute path without '..', not '/')", v);
    if (strspn(v, "/") == strlen(v))
        return config_fail(error, path, key, "'%s' is the root directory (allowed: an "
                           "absolute path without '..', not '/')", v);
    g_free(*out);
    *out = g_steal_pointer(&v);
    return TRUE;
}

static gboolean
config_number_value(GKeyFile *kf, const char *path, const ConfigNumber *num, VgpuConfig *cfg,
                    GError **error)
{
    g_autofree char *v = config_value(kf, num->key);
    guint64 n;

    if (!v)
        return TRUE;
    g_strstrip(v);
    if (!g_ascii_string_to_unsigned(v, 10, num->min, num->max, &n, NULL))
        return config_fail(error, path, num->key, "'%s' is not a number from %u to %u",
                           v, num->min, num->max);
    G_STRUCT_MEMBER(guint, cfg, num->offset) = (guint)n;
    return TRUE;
}

/* A list of PCI addresses separated by ',', ';' or blanks (GKeyFile wants
 * ';', people write ','). An empty value is the same as no key. */
static gboolean
config_addr_list(GKeyFile *kf, const char *path, const char *key, char ***out, GError **error)
{
    g_autofree char *v = config_value(kf, key);
    g_auto(GStrv) words = NULL;
    g_autoptr(GPtrArray) addrs = NULL;

    if (!v)
        return TRUE;
    words = g_strsplit_set(v, ",; \t", -1);
    addrs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; words[i]; i++) {
        g_autoptr(GError) local = NULL;
        char *norm = NULL;

        if (!*words[i])
            continue;
        if (vgpu_validate_pci_addr("address", words[i], &norm, &local) < 0)
            return config_fail(error, path, key, "%s", local->message);
        g_ptr_array_add(addrs, norm);
    }
    if (addrs->len == 0)
        return TRUE;
    g_ptr_array_add(addrs, NULL);
    g_strfreev(*out);
    *out = (char **)g_ptr_array_free(g_steal_pointer(&addrs), FALSE);
    return TRUE;
}

static gboolean
config_check_names(GKeyFile *kf, const char *path, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    g_auto(GStrv) keys = NULL;

    for (guint i = 0; groups[i]; i++) {
        if (strcmp(groups[i], CONFIG_GROUP) != 0)
            return config_fail(error, path, NULL, "unknown group [%s] (only [%s])",
                               groups[i], CONFIG_GROUP);
    }
    keys = g_key_file_get_keys(kf, CONFIG_GROUP, NULL, NULL);
    for (guint i = 0; keys && keys[i]; i++) {
        if (!key_is_known(keys[i]))
            return config_fail(error, path, NULL, "unknown key '%s' in [%s]",
                               keys[i], CONFIG_GROUP);
    }
    return TRUE;
}

static gboolean
config_parse(GKeyFile *kf, const char *path, VgpuConfig *cfg, GError **error)
{
    g_autofree char *placement = NULL;
    g_autofree char *fallback = NULL;

    if (!config_check_names(kf, path, error) ||
        !config_path_value(kf, path, "sysfs_root", &cfg->sysfs_root, error) ||
        !config_path_value(kf, path, "state_dir", &cfg->state_dir, error) ||
        !config_path_value(kf, path, "pci_ids_path", &cfg->pci_ids_path, error) ||
        !config_addr_list(kf, path, "allow", &cfg->allow, error) ||
        !config_addr_list(kf, path, "deny", &cfg->deny, error))
        return FALSE;
    if ((placement = config_value(kf, "placement"))) {
        g_autoptr(GError) local = NULL;

        g_strstrip(placement);
        if (vgpu_placement_parse(placement, &cfg->placement, &local) < 0)
            return config_fail(error, path, "placement", "%s", local->message);
    }
    if ((fallback = config_value(kf, "numa_fallback"))) {
        g_strstrip(fallback);
        if (g_ascii_strcasecmp(fallback, "true") == 0)
            cfg->numa_fallback = TRUE;
        else if (g_ascii_strcasecmp(fallback, "false") == 0)
            cfg->numa_fallback = FALSE;
        else
            return config_fail(error, path, "numa_fallback", "'%s' is not true or false",
                               fallback);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(config_numbers); i++) {
        if (!config_number_value(kf, path, &config_numbers[i], cfg, error))
            return FALSE;
    }
    return TRUE;
}

VgpuConfig *
vgpu_config_load(const char *path, GError **error)
{
    g_autoptr(VgpuConfig) cfg = config_defaults();
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&cfg);
        config_fail(error, path, NULL, "%s", local->message);
        return NULL;
    }
    if (!config_parse(kf, path, cfg, error))
        return NULL;
    return g_steal_pointer(&cfg);
}
