/* Unit tests of exact percentiles: the core (ext/core/percentile.c) and the SQL function
 * percentile(value, p) as an aggregate and a window function (ext/sqlite/percentile_sqlite.c).
 *   build/tests/unit/test_percentile */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "argus_percentile.h"
#include "argus_sqlite.h"
#include "../support/argus_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fails with both numbers printed unless |got - want| <= tol. */
#define assert_close(got, want, tol)                                                               \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        if (!(fabs(g_ - w_) <= (tol)))                                                             \
            fail_msg("%s: expected %.17g, got %.17g (line %d)", #got, w_, g_, __LINE__);           \
    } while (0)

static double exact(const double *values, size_t n, double p)
{
    double *copy = malloc(n * sizeof(double));
    memcpy(copy, values, n * sizeof(double));
    double r = argus_percentile_of(copy, n, p);
    free(copy);
    return r;
}

static void test_interpolation(void **state)
{
    (void)state;
    double four[] = {4, 1, 3, 2};
    assert_close(exact(four, 4, 0.5), 2.5, 0);   /* rank 1.5 */
    assert_close(exact(four, 4, 0.25), 1.75, 0); /* rank 0.75 */
    assert_close(exact(four, 4, 0.75), 3.25, 0); /* rank 2.25 */
    double three[] = {30, 10, 20};
    assert_close(exact(three, 3, 0.9), 28, 1e-12); /* rank 1.8: 20 + 0.8 * 10 */
    assert_close(exact(three, 3, 0.5), 20, 0);
    double neg[] = {-10, 10};
    assert_close(exact(neg, 2, 0.5), 0, 0);
    assert_close(exact(neg, 2, 0.1), -8, 1e-12);
}

static void test_single_and_ends(void **state)
{
    (void)state;
    double one[] = {42};
    for (double p = 0; p <= 1.0; p += 0.125)
        assert_close(exact(one, 1, p), 42, 0);
    double v[] = {7, -3, 12.5, 0, 99, 5};
    assert_close(exact(v, 6, 0), -3, 0);
    assert_close(exact(v, 6, 1), 99, 0);
}

static void test_duplicates(void **state)
{
    (void)state;
    double v[] = {5, 5, 5, 1, 9};
    assert_close(exact(v, 5, 0.5), 5, 0);
    assert_close(exact(v, 5, 0.25), 5, 0);
    assert_close(exact(v, 5, 0.125), 3, 0); /* rank 0.5 between 1 and 5 */
    double same[1000];
    for (int i = 0; i < 1000; i++)
        same[i] = 3.5;
    assert_close(exact(same, 1000, 0.99), 3.5, 0);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_u64(void)
{
    return argus_test_xorshift(&rng_state);
}

/* Selection must agree with sorting for every order that can upset a quickselect. */
static void test_selection_vs_sort(void **state)
{
    (void)state;
    const double ps[] = {0, 0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1};
    for (int shape = 0; shape < 6; shape++) {
        for (size_t n = 1; n <= 3000; n = n * 3 + 1) {
            double *v = malloc(n * sizeof(double));
            for (size_t i = 0; i < n; i++) {
                switch (shape) {
                case 0: v[i] = (double)(next_u64() % 1000000); break;  /* random */
                case 1: v[i] = (double)i; break;                       /* sorted */
                case 2: v[i] = (double)(n - i); break;                 /* reversed */
                case 3: v[i] = 1.0; break;                             /* all equal */
                case 4: v[i] = (double)(i < n / 2 ? i : n - i); break; /* organ pipe */
                default: v[i] = (double)(next_u64() % 3); break;       /* few distinct */
                }
            }
            double *sorted = malloc(n * sizeof(double));
            memcpy(sorted, v, n * sizeof(double));
            qsort(sorted, n, sizeof(double), cmp);
            for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++) {
                double r = ps[j] * (double)(n - 1), f = floor(r);
                size_t k = (size_t)f;
                double want =
                    k + 1 < n ? sorted[k] + (sorted[k + 1] - sorted[k]) * (r - f) : sorted[k];
                double got = exact(v, n, ps[j]);
                if (fabs(got - want) > 1e-9 * fabs(want))
                    fail_msg("shape %d n=%zu p=%g: expected %.17g, got %.17g", shape, n, ps[j],
                             want, got);
            }
            free(v);
            free(sorted);
        }
    }
}

static void test_accumulator(void **state)
{
    (void)state;
    argus_percentile pc;
    argus_error err;
    double out = -1;
    argus_percentile_init(&pc);
    assert_int_equal(argus_percentile_result(&pc, &out), 1); /* no values: NULL */
    assert_int_equal(argus_percentile_set_p(&pc, 0.5, &err), 0);
    assert_int_equal(argus_percentile_result(&pc, &out), 1);
    for (int i = 1; i <= 9; i++)
        assert_int_equal(argus_percentile_add(&pc, i, &err), 0);
    assert_int_equal(argus_percentile_result(&pc, &out), 0);
    assert_close(out, 5, 0);

    assert_int_equal(argus_percentile_set_p(&pc, 0.5, &err), 0);
    assert_int_equal(argus_percentile_set_p(&pc, 0.6, &err), ARGUS_EINVAL);
    assert_non_null(strstr(err.message, "same for every row"));
    assert_int_equal(argus_percentile_add(&pc, NAN, &err), ARGUS_EINVAL);

    /* window mode: values stay sorted through adds and removes */
    argus_percentile_keep_sorted(&pc);
    assert_int_equal(argus_percentile_remove(&pc, 1, &err), 0);
    assert_int_equal(argus_percentile_remove(&pc, 2, &err), 0);
    assert_int_equal(argus_percentile_add(&pc, 100, &err), 0);
    assert_int_equal(argus_percentile_result(&pc, &out), 0); /* 3..9, 100 */
    assert_close(out, 6.5, 0);
    assert_int_equal(argus_percentile_remove(&pc, 42, &err), ARGUS_EINVAL);
    argus_percentile_free(&pc);

    argus_percentile_init(&pc);
    assert_int_equal(argus_percentile_set_p(&pc, 1.5, &err), ARGUS_EINVAL);
    assert_int_equal(argus_percentile_set_p(&pc, -0.1, &err), ARGUS_EINVAL);
    assert_int_equal(argus_percentile_set_p(&pc, NAN, &err), ARGUS_EINVAL);
    assert_string_equal(err.message, "percentile: p must be between 0 and 1, got nan");
    /* unsorted remove */
    argus_percentile_add(&pc, 1, &err);
    argus_percentile_add(&pc, 2, &err);
    assert_int_equal(argus_percentile_remove(&pc, 1, &err), 0);
    assert_int_equal(pc.n, 1);
    argus_percentile_free(&pc);
}

/* ---- through SQL ---------------------------------------------------------------------------- */

static sqlite3 *open_db(void)
{
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    if (argus_register_percentile(db, &msg) != SQLITE_OK)
        fail_msg("register: %s", msg ? msg : "?");
    return db;
}

#define VALUES "(SELECT 3 AS x UNION ALL SELECT 1 UNION ALL SELECT NULL UNION ALL SELECT 2)"

static void test_sql_aggregate(void **state)
{
    (void)state;
    sqlite3 *db = open_db();
    static const argus_test_sql_case cases[] = {
        {"SELECT percentile(x, 0.5) FROM " VALUES, "2.0"},
        {"SELECT percentile(x, 0.75) FROM " VALUES, "2.5"},
        {"SELECT percentile(x, 1) FROM " VALUES, "3.0"},
        {"SELECT percentile(x, 0.5) FROM " VALUES " WHERE 0", "NULL"},
        {"SELECT percentile(NULL, 0.5)", "NULL"},
        {"SELECT percentile('1.5', 0.5)", "1.5"},
        {"SELECT percentile(x, 1.5) FROM " VALUES,
         "error: percentile: p must be between 0 and 1, got 1.5"},
        {"SELECT percentile(x, NULL) FROM " VALUES,
         "error: percentile: p must be a number between 0 and 1"},
        {"SELECT percentile(x, 'half') FROM " VALUES, "error: percentile: p must be a number"},
        {"SELECT percentile('abc', 0.5)", "error: percentile: value must be a number"},
        {"SELECT percentile(x, x / 10.0) FROM " VALUES,
         "error: percentile: p must be the same for every row of a group "
         "(0.3, then 0.1)"},
    };
    argus_test_expect_values(db, cases, ARGUS_TEST_COUNT(cases));
    /* a constant p per group is fine even when groups differ */
    assert_string_equal(argus_test_query_value(
                            db,
                            "SELECT group_concat(q, ',') FROM (SELECT percentile(x, g) AS q FROM "
                            "(SELECT 1 AS g, 10 AS x UNION ALL SELECT 1, 20 UNION ALL SELECT 0, 5) "
                            "GROUP BY g ORDER BY g)"),
                        "5.0,20.0");
    sqlite3_close(db);
}

static void test_sql_window(void **state)
{
    (void)state;
    sqlite3 *db = open_db();
    /* A sliding median over 3 rows against the same median computed by a self-join. */
    const char *sql =
        "WITH RECURSIVE s(i, x) AS (SELECT 1, 7 UNION ALL SELECT i + 1, (x * 31 + 11) % 97 FROM s "
        "WHERE i < 200), w AS (SELECT i, percentile(x, 0.5) OVER (ORDER BY i ROWS BETWEEN 2 "
        "PRECEDING AND CURRENT ROW) AS m FROM s), r AS (SELECT a.i, (SELECT percentile(b.x, 0.5) "
        "FROM s b WHERE b.i BETWEEN a.i - 2 AND a.i) AS m FROM s a) "
        "SELECT count(*) FROM w JOIN r USING (i) WHERE w.m IS NOT r.m";
    assert_string_equal(argus_test_query_value(db, sql), "0");
    assert_string_equal(
        argus_test_query_value(
            db, "SELECT group_concat(m, ',') FROM (SELECT percentile(x, 0.5) OVER (ORDER BY i "
                "ROWS 1 PRECEDING) AS m FROM (SELECT 1 AS i, 10 AS x UNION ALL SELECT 2, NULL "
                "UNION ALL SELECT 3, 30 UNION ALL SELECT 4, 40))"),
        "10.0,10.0,30.0,35.0");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interpolation), cmocka_unit_test(test_single_and_ends),
        cmocka_unit_test(test_duplicates),    cmocka_unit_test(test_selection_vs_sort),
        cmocka_unit_test(test_accumulator),   cmocka_unit_test(test_sql_aggregate),
        cmocka_unit_test(test_sql_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
