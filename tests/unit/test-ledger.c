/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-domain ledger. */
#include "fakehost.h"
#include "ledger.h"
#include "vgpu-error.h"

#include <sys/stat.h>
#include <unistd.h>

#define DOM "7b3f4e2a-0c1d-4e5f-8a9b-0c1d2e3f4a5b"
#define DOM2 "11111111-2222-4333-8444-555555555555"
#define D1 "4b20d080-1b54-4048-85b3-a6a62d165c01"
#define D2 "4b20d080-1b54-4048-85b3-a6a62d165c02"

static char *
state_dir(FakeHost *fh)
{
    /* not created yet: save must create it */
    return g_build_filename(fh->root, "run", "vgpu-hook", NULL);
}

static guint
count_entries(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

static void
test_round_trip(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = state_dir(fh);
    g_autofree char *file = g_build_filename(dir, DOM ".ledger", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(Ledger) l = ledger_load(dir, DOM, "web1", &err);
    g_autoptr(Ledger) back = NULL;
    LedgerDevice *d;
    struct stat st;

    g_assert_no_error(err);
    g_assert_cmpstr(l->domain_uuid, ==, DOM);
    g_assert_cmpstr(l->domain_name, ==, "web1");
    g_assert_cmpuint(l->devices->len, ==, 0);

    ledger_set(l, D1, "0000:e8:00.4", "nvidia-558", LEDGER_INTENT);
    ledger_set(l, D2, "mtty", "mtty-1", LEDGER_CREATED);
    g_assert_cmpint(ledger_save(dir, l, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(stat(dir, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);
    g_assert_cmpint(stat(file, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpuint(count_entries(dir), ==, 1);   /* no temp file left */

    back = ledger_load(dir, DOM, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(back->domain_name, ==, "web1");
    g_assert_cmpuint(back->devices->len, ==, 2);
    d = ledger_find(back, D1);
    g_assert_nonnull(d);
    g_assert_cmpstr(d->parent, ==, "0000:e8:00.4");
    g_assert_cmpstr(d->type, ==, "nvidia-558");
    g_assert_cmpint(d->state, ==, LEDGER_INTENT);
    d = ledger_find(back, D2);
    g_assert_cmpstr(d->parent, ==, "mtty");
    g_assert_cmpint(d->state, ==, LEDGER_CREATED);
    g_assert_null(ledger_find(back, "4b20d080-1b54-4048-85b3-a6a62d165c09"));
}

static void
test_intent_created_drop(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = state_dir(fh);
    g_autofree char *file = g_build_filename(dir, DOM ".ledger", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(Ledger) l = ledger_load(dir, DOM, "web1", &err);
    g_autoptr(Ledger) b1 = NULL;
    g_autoptr(Ledger) b2 = NULL;

    ledger_set(l, D1, "0000:e8:00.4", "nvidia-558", LEDGER_INTENT);
    g_assert_cmpint(ledger_save(dir, l, &err), ==, 0);
    /* same uuid again: updated in place, not duplicated */
    ledger_set(l, D1, "0000:e8:00.5", "nvidia-558", LEDGER_CREATED);
    g_assert_cmpuint(l->devices->len, ==, 1);
    /* arguments aliasing the entry's own strings */
    ledger_set(l, D1, ledger_find(l, D1)->parent, ledger_find(l, D1)->type, LEDGER_CREATED);
    g_assert_cmpint(ledger_save(dir, l, &err), ==, 0);
    b1 = ledger_load(dir, DOM, "web1", &err);
    g_assert_no_error(err);
    g_assert_cmpint(ledger_find(b1, D1)->state, ==, LEDGER_CREATED);
    g_assert_cmpstr(ledger_find(b1, D1)->parent, ==, "0000:e8:00.5");

    ledger_drop(l, D1);
    ledger_drop(l, D2);   /* not there: nothing happens */
    g_assert_cmpuint(l->devices->len, ==, 0);
    g_assert_cmpint(ledger_save(dir, l, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));   /* empty ledger: no file */
    g_assert_cmpuint(count_entries(dir), ==, 0);
    b2 = ledger_load(dir, DOM, "web1", &err);
    g_assert_no_error(err);
    g_assert_cmpuint(b2->devices->len, ==, 0);
    /* saving an empty ledger that never was stored is fine too */
    g_assert_cmpint(ledger_save(dir, b2, &err), ==, 0);
    g_assert_no_error(err);
}

static void
expect_damaged(const char *content, const char *phrase)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(Ledger) l = NULL;

    fake_write(fh, "state/" DOM ".ledger", content);
    {
        g_autofree char *dir = g_build_filename(fh->root, "state", NULL);

        l = ledger_load(dir, DOM, "web1", &err);
    }
    g_assert_null(l);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_STATE);
    if (!strstr(err->message, DOM ".ledger is damaged") || !strstr(err->message, phrase))
        g_error("unexpected message: %s", err->message);
}

static void
test_corrupt(void)
{
    expect_damaged("this is \x01 not a key file\n[", "");
    expect_damaged("[domain]\nuuid=" DOM2 "\n", "not the record of domain " DOM);
    expect_damaged("[domain]\nname=x\n", "not the record of domain");
    expect_damaged("[domain]\nuuid=" DOM "\n[device nonsense]\nparent=mtty\ntype=mtty-1\n"
                   "state=created\n", "[device nonsense] does not name a UUID");
    expect_damaged("[domain]\nuuid=" DOM "\n[device " D1 "]\nparent=../../etc\ntype=mtty-1\n"
                   "state=created\n", "bad or no parent");
    expect_damaged("[domain]\nuuid=" DOM "\n[device " D1 "]\nparent=mtty\ntype=a/b\n"
                   "state=created\n", "bad or no type");
    expect_damaged("[domain]\nuuid=" DOM "\n[device " D1 "]\nparent=mtty\ntype=mtty-1\n"
                   "state=gone\n", "state 'gone'");
    expect_damaged("[domain]\nuuid=" DOM "\n[device " D1 "]\nparent=mtty\ntype=mtty-1\n",
                   "state ''");
    expect_damaged("[domain]\nuuid=" DOM "\n[other]\n", "unknown group [other]");
    expect_damaged("[domain]\nuuid=" DOM "\n[device " D1 "]\nparent=mtty\ntype=mtty-1\n"
                   "state=created\ncolour=blue\n", "unknown key 'colour'");
}

static void
test_load_all(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = state_dir(fh);
    g_autofree char *missing = g_build_filename(fh->root, "nothing-here", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(Ledger) a = ledger_load(dir, DOM, "a", &err);
    g_autoptr(Ledger) b = ledger_load(dir, DOM2, "b", &err);
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) none = NULL;
    g_autoptr(GPtrArray) broken = NULL;
    g_autoptr(GPtrArray) damaged = NULL;
    const LedgerDamaged *first;
    g_autofree char *junk = NULL;

    ledger_set(a, D1, "mtty", "mtty-1", LEDGER_CREATED);
    ledger_set(b, D2, "0000:e8:00.4", "nvidia-558", LEDGER_INTENT);
    g_assert_cmpint(ledger_save(dir, a, &err), ==, 0);
    g_assert_cmpint(ledger_save(dir, b, &err), ==, 0);
    /* things that are not ledgers */
    fake_write(fh, "run/vgpu-hook/lock", "");
    fake_write(fh, "run/vgpu-hook/." DOM ".ledger.tmp-123", "garbage [");
    fake_write(fh, "run/vgpu-hook/notes.ledger", "garbage [");

    all = ledger_load_all(dir, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(all->len, ==, 2);
    g_assert_cmpstr(((Ledger *)all->pdata[0])->domain_uuid, ==, DOM2);   /* sorted */
    g_assert_cmpstr(((Ledger *)all->pdata[0])->domain_name, ==, "b");
    g_assert_cmpstr(((Ledger *)all->pdata[1])->domain_uuid, ==, DOM);
    g_assert_cmpstr(ledger_find(all->pdata[1], D1)->type, ==, "mtty-1");

    none = ledger_load_all(missing, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(none->len, ==, 0);

    /* a damaged ledger is skipped and reported; the others still load */
    fake_write(fh, "run/vgpu-hook/" DOM2 ".ledger", "[domain]\nuuid=bad\n");
    damaged = g_ptr_array_new_with_free_func(ledger_damaged_free);
    broken = ledger_load_all(dir, damaged, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(broken->len, ==, 1);
    g_assert_cmpstr(((Ledger *)broken->pdata[0])->domain_uuid, ==, DOM);
    g_assert_cmpuint(damaged->len, ==, 1);
    first = damaged->pdata[0];
    g_assert_true(g_str_has_suffix(first->path, "/run/vgpu-hook/" DOM2 ".ledger"));
    junk = g_strdup(first->reason);
    g_assert_nonnull(strstr(junk, DOM2 ".ledger is damaged"));
}

static void
test_unwritable_state_dir(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = g_build_filename(fh->root, "afile", "state", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(Ledger) l = NULL;

    /* the state dir's parent is a regular file: ENOTDIR, even for root */
    fake_write(fh, "afile", "x");
    l = ledger_load(dir, DOM, "web1", &err);
    g_assert_null(l);   /* an unusable state dir is not "no ledger" */
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_STATE);
    g_assert_nonnull(strstr(err->message, "Not a directory"));
    g_clear_error(&err);
    l = ledger_load(fh->root, DOM, "web1", &err);
    g_assert_no_error(err);
    ledger_set(l, D1, "mtty", "mtty-1", LEDGER_INTENT);
    g_assert_cmpint(ledger_save(dir, l, &err), ==, -1);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_STATE);
    g_assert_nonnull(strstr(err->message, "cannot create state directory "));
    g_assert_nonnull(strstr(err->message, "afile/state: Not a directory"));
    g_assert_cmpuint(count_entries(fh->root), ==, 1);
}

static void
test_rename_failure_leaves_no_temp(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = g_build_filename(fh->root, "state", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(Ledger) l = NULL;

    /* the ledger's name is taken by a non-empty directory: rename fails
     * after the temp file was written */
    fake_write(fh, "state/" DOM ".ledger/occupied", "");
    l = ledger_load(dir, DOM, "web1", &err);
    g_assert_null(l);   /* reading a directory is an error too */
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_STATE);
    g_clear_error(&err);

    l = ledger_load(dir, DOM2, "x", &err);
    g_assert_no_error(err);
    g_free(l->domain_uuid);
    l->domain_uuid = g_strdup(DOM);
    ledger_set(l, D1, "mtty", "mtty-1", LEDGER_INTENT);
    g_assert_cmpint(ledger_save(dir, l, &err), ==, -1);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_STATE);
    g_assert_nonnull(strstr(err->message, "cannot write ledger "));
    g_assert_cmpuint(count_entries(dir), ==, 1);   /* only the directory in the way */
}

/* A ledger nobody else could have written is the only one believed. */
static void
test_untrusted(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = state_dir(fh);
    g_autofree char *path = g_build_filename(dir, DOM ".ledger", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(Ledger) l = ledger_load(dir, DOM, "a", &err);
    g_autoptr(Ledger) back = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) damaged = g_ptr_array_new_with_free_func(ledger_damaged_free);
    struct stat st;

    ledger_set(l, D1, "mtty", "mtty-1", LEDGER_CREATED);
    g_assert_cmpint(ledger_save(dir, l, &err), ==, 0);
    g_assert_cmpint(stat(dir, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0700);
    g_assert_cmpint(chmod(path, 0622), ==, 0);
    back = ledger_load(dir, DOM, "a", &err);
    g_assert_null(back);
    g_assert_error(err, VGPU_ERROR, VGPU_ERROR_STATE);
    g_assert_nonnull(strstr(err->message, DOM ".ledger is writable by group or others "
                                          "(mode 0622); refusing to trust it"));
    g_clear_error(&err);
    all = ledger_load_all(dir, damaged, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(all->len, ==, 0);
    g_assert_cmpuint(damaged->len, ==, 1);
    g_assert_cmpint(chmod(path, 0600), ==, 0);
    if (geteuid() == 0) {
        g_assert_cmpint(chown(path, 65534, 65534), ==, 0);
        g_assert_null(ledger_load(dir, DOM, "a", &err));
        g_assert_nonnull(strstr(err->message, "is owned by uid 65534, not root"));
        g_clear_error(&err);
    }
    g_assert_cmpint(chmod(dir, 0777), ==, 0);
    g_assert_null(ledger_load_all(dir, NULL, &err));
    g_assert_nonnull(strstr(err->message, "state directory "));
}

/* gc marks a device "removing", removes it without the lock, then drops
 * it only if no prepare took the entry back meanwhile. */
static void
test_removing_and_commit(void)
{
    g_autoptr(FakeHost) fh = fake_host_new();
    g_autofree char *dir = state_dir(fh);
    g_autoptr(GError) err = NULL;
    g_autoptr(Ledger) l = ledger_load(dir, DOM, "a", &err);
    g_autoptr(Ledger) back = NULL;

    ledger_set(l, D1, "mtty", "mtty-1", LEDGER_REMOVING);
    ledger_set(l, D2, "mtty", "mtty-1", LEDGER_CREATED);
    g_assert_cmpint(ledger_save(dir, l, &err), ==, 0);
    /* D2 is not marked: a start took it back; it stays. */
    g_assert_cmpint(ledger_commit_drop(dir, 1000, DOM, D2, TRUE, &err), ==, 0);
    g_assert_cmpint(ledger_commit_unmark(dir, 1000, DOM, D2, &err), ==, 0);
    back = ledger_load(dir, DOM, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(back->devices->len, ==, 2);
    g_assert_cmpint(ledger_find(back, D1)->state, ==, LEDGER_REMOVING);   /* round trip */
    g_assert_cmpint(ledger_find(back, D2)->state, ==, LEDGER_CREATED);
    g_assert_cmpstr(back->domain_name, ==, "a");
    g_clear_pointer(&back, ledger_free);
    g_assert_cmpint(ledger_commit_unmark(dir, 1000, DOM, D1, &err), ==, 0);
    back = ledger_load(dir, DOM, NULL, &err);
    g_assert_cmpint(ledger_find(back, D1)->state, ==, LEDGER_CREATED);
    g_clear_pointer(&back, ledger_free);
    g_assert_cmpint(ledger_commit_drop(dir, 1000, DOM, D1, FALSE, &err), ==, 0);
    g_assert_cmpint(ledger_commit_drop(dir, 1000, DOM, D2, FALSE, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(count_entries(dir), ==, 1);   /* only the lock: the ledger went */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ledger/round-trip", test_round_trip);
    g_test_add_func("/ledger/intent-created-drop", test_intent_created_drop);
    g_test_add_func("/ledger/corrupt", test_corrupt);
    g_test_add_func("/ledger/load-all", test_load_all);
    g_test_add_func("/ledger/unwritable", test_unwritable_state_dir);
    g_test_add_func("/ledger/rename-failure", test_rename_failure_leaves_no_temp);
    g_test_add_func("/ledger/untrusted", test_untrusted);
    g_test_add_func("/ledger/removing-and-commit", test_removing_and_commit);
    return g_test_run();
}
