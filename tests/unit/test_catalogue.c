/* The function catalogue (ext/core/catalogue.c) against what the SQLite glue really registers: the
 * same names, every arity, the flags it promises; and ai_insight(), which reads insight_rules,
 * seeing a rule another connection committed.   Run: build/tests/unit/test_catalogue */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "argus_catalogue.h"
#include "argus_sqlite.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = argus_sqlite_register_all(db, &err);
    if (rc != SQLITE_OK)
        fail_msg("expected registration to succeed, got %d: %s", rc, err ? err : "");
    return db;
}

static int count_rows(sqlite3 *db, const char *sql, const char *name)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_every_entry_registered_as_described(void **state)
{
    (void)state;
    sqlite3 *db = open_db(":memory:");
    assert_true(argus_functions_count >= 27);
    for (size_t i = 0; i < argus_functions_count; i++) {
        const argus_function *f = &argus_functions[i];
        assert_ptr_equal(argus_function_find(f->name), f);
        if (f->kind == ARGUS_FN_TABLE) {
            if (count_rows(db, "SELECT count(*) FROM pragma_module_list WHERE name = ?1",
                           f->name) != 1)
                fail_msg("expected module %s to be registered, got none", f->name);
            continue;
        }
        for (int n = 0; n <= 9; n++) {
            sqlite3_stmt *st;
            assert_int_equal(sqlite3_prepare_v2(db,
                                                "SELECT flags FROM pragma_function_list "
                                                "WHERE name = ?1 AND narg = ?2 AND builtin = 0",
                                                -1, &st, NULL),
                             SQLITE_OK);
            sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, n);
            int found = sqlite3_step(st) == SQLITE_ROW;
            int flags = found ? sqlite3_column_int(st, 0) : 0;
            sqlite3_finalize(st);
            int want = n >= f->min_args && n <= f->max_args;
            if (found != want)
                fail_msg("%s with %d arguments: expected %s, got %s", f->name, n,
                         want ? "registered" : "absent", found ? "registered" : "absent");
            if (!found)
                continue;
            int det = (flags & SQLITE_DETERMINISTIC) != 0, inn = (flags & SQLITE_INNOCUOUS) != 0,
                dir = (flags & SQLITE_DIRECTONLY) != 0;
            if (det != !!(f->flags & ARGUS_FN_PURE) || inn != !!(f->flags & ARGUS_FN_SAFE) ||
                dir != !!(f->flags & ARGUS_FN_DIRECT))
                fail_msg(
                    "%s/%d: expected deterministic=%d innocuous=%d directonly=%d, got %d %d %d",
                    f->name, n, !!(f->flags & ARGUS_FN_PURE), !!(f->flags & ARGUS_FN_SAFE),
                    !!(f->flags & ARGUS_FN_DIRECT), det, inn, dir);
        }
    }
    /* and nothing registered outside the catalogue (SQLite's own extensions, such as rtree, show
     * up as non-builtin in a bare connection too) */
    sqlite3 *bare = NULL;
    assert_int_equal(sqlite3_open(":memory:", &bare), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT DISTINCT name FROM pragma_function_list WHERE "
                                        "builtin = 0",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!argus_function_find(name) &&
            count_rows(bare, "SELECT count(*) FROM pragma_function_list WHERE name = ?1", name) ==
                0)
            fail_msg("expected every registered function in the catalogue, got %s", name);
    }
    sqlite3_finalize(st);
    sqlite3_close(bare);
    sqlite3_close(db);
}

static void test_glue_outside_catalogue_is_refused(void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    char *err = NULL;
    const argus_sqlite_glue glue[] = {{.name = "no_such_function"}};
    assert_int_equal(argus_sqlite_register(db, glue, 1, &err), SQLITE_ERROR);
    assert_string_equal(err, "argus: no_such_function is not in the function catalogue");
    sqlite3_free(err);
    err = NULL;
    const argus_sqlite_glue scalar_without_fn[] = {{.name = "time_bucket"}};
    assert_int_equal(argus_sqlite_register(db, scalar_without_fn, 1, &err), SQLITE_ERROR);
    assert_string_equal(err, "argus: time_bucket is scalar but has no function");
    sqlite3_free(err);
    sqlite3_close(db);
}

static char *insight_category(sqlite3_stmt *st)
{
    static char out[64];
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *s = sqlite3_column_text(st, 0);
    snprintf(out, sizeof out, "%s", s ? (const char *)s : "NULL");
    sqlite3_reset(st);
    return out;
}

static void test_ai_insight_sees_committed_rules(void **state)
{
    (void)state;
    char path[] = "/tmp/argus-test-catalogue-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sqlite3 *reader = open_db(path), *writer = open_db(path);
    assert_int_equal(sqlite3_exec(writer, "SELECT argus_migrate()", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(reader,
                                        "SELECT ai_insight('flux capacitor melted', 9) ->> "
                                        "'$.category'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_string_equal(insight_category(st), "NULL");
    assert_int_equal(sqlite3_exec(writer,
                                  "INSERT INTO insight_rules (pattern, category) "
                                  "VALUES ('flux capacitor', 'hardware')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* the same prepared statement, run again after the commit */
    assert_string_equal(insight_category(st), "hardware");
    assert_int_equal(
        sqlite3_exec(writer, "UPDATE insight_rules SET category = 'time travel'", NULL, NULL, NULL),
        SQLITE_OK);
    assert_string_equal(insight_category(st), "time travel");
    sqlite3_finalize(st);
    /* a function whose result follows a table cannot be indexed */
    char *err = NULL;
    assert_int_not_equal(sqlite3_exec(reader,
                                      "CREATE TABLE t(b TEXT); "
                                      "CREATE INDEX t_insight ON t(ai_insight(b))",
                                      NULL, NULL, &err),
                         SQLITE_OK);
    assert_non_null(strstr(err, "non-deterministic functions prohibited"));
    sqlite3_free(err);
    sqlite3_close(reader);
    sqlite3_close(writer);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entry_registered_as_described),
        cmocka_unit_test(test_glue_outside_catalogue_is_refused),
        cmocka_unit_test(test_ai_insight_sees_committed_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
