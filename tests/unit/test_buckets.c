/* Unit tests of chart bucketing: the core (ext/core/buckets.c) and the SQL functions
 * time_bucket(), bucket_width() and bucket_series() (ext/sqlite/buckets_sqlite.c).
 *   build/tests/unit/test_buckets */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "argus_buckets.h"
#include "argus_sqlite.h"
#include "../support/argus_test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define S ARGUS_NS_PER_S
#define MS ARGUS_NS_PER_MS
#define MINUTE (60 * S)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

static int64_t floor_ok(int64_t ts, int64_t w)
{
    argus_error err;
    argus_error_clear(&err);
    int64_t out = 0;
    int rc = argus_buckets_floor(ts, w, &out, &err);
    if (rc)
        fail_msg("floor(%lld, %lld): expected success, got %d (%s)", (long long)ts, (long long)w,
                 rc, err.message);
    return out;
}

static int64_t width_ok(int64_t start, int64_t end, int64_t max_points)
{
    argus_error err;
    argus_error_clear(&err);
    int64_t out = 0;
    int rc = argus_buckets_width(start, end, max_points, &out, &err);
    if (rc)
        fail_msg("width(%lld, %lld, %lld): expected success, got %d (%s)", (long long)start,
                 (long long)end, (long long)max_points, rc, err.message);
    return out;
}

static uint64_t count_ok(int64_t start, int64_t end, int64_t w)
{
    argus_error err;
    argus_error_clear(&err);
    uint64_t out = 0;
    int rc = argus_buckets_count(start, end, w, &out, &err);
    if (rc)
        fail_msg("count: expected success, got %d (%s)", rc, err.message);
    return out;
}

static void test_floor(void **state)
{
    (void)state;
    assert_int_equal(floor_ok(0, 10), 0);
    assert_int_equal(floor_ok(9, 10), 0);
    assert_int_equal(floor_ok(10, 10), 10);
    assert_int_equal(floor_ok(-1, 10), -10);
    assert_int_equal(floor_ok(-10, 10), -10);
    assert_int_equal(floor_ok(-11, 10), -20);
    assert_int_equal(floor_ok(1700000012345678901, MINUTE), 1700000000000000000 - 20 * S);
    assert_int_equal(floor_ok(INT64_MAX, 1), INT64_MAX);
    assert_int_equal(floor_ok(INT64_MIN, 1), INT64_MIN);
    assert_int_equal(floor_ok(INT64_MIN, 2), INT64_MIN);
    assert_int_equal(floor_ok(INT64_MAX, INT64_MAX), INT64_MAX);
    assert_int_equal(floor_ok(-5, INT64_MAX), -INT64_MAX);

    argus_error err;
    argus_error_clear(&err);
    int64_t out = 42;
    assert_int_equal(argus_buckets_floor(5, 0, &out, &err), ARGUS_EINVAL);
    assert_string_equal(err.message, "buckets: width must be positive, got 0");
    assert_int_equal(argus_buckets_floor(5, -3, &out, &err), ARGUS_EINVAL);
    /* INT64_MIN + 1 floors to below INT64_MIN with width 10. */
    assert_int_equal(argus_buckets_floor(INT64_MIN + 1, 10, &out, &err), ARGUS_ELIMIT);
    assert_int_equal(out, 42);
}

static void test_count(void **state)
{
    (void)state;
    assert_int_equal(count_ok(0, 0, 10), 0);
    assert_int_equal(count_ok(0, 1, 10), 1);
    assert_int_equal(count_ok(0, 10, 10), 1); /* [0, 10): one bucket */
    assert_int_equal(count_ok(0, 11, 10), 2);
    assert_int_equal(count_ok(5, 35, 10), 4);  /* 0, 10, 20, 30 */
    assert_int_equal(count_ok(-15, 5, 10), 3); /* -20, -10, 0 */
    assert_int_equal(count_ok(INT64_MIN, INT64_MAX, 1), UINT64_MAX);
    argus_error err;
    uint64_t out;
    assert_int_equal(argus_buckets_count(10, 5, 1, &out, &err), ARGUS_EINVAL);
    assert_int_equal(argus_buckets_count(0, 5, 0, &out, &err), ARGUS_EINVAL);
}

static void test_width_table(void **state)
{
    (void)state;
    /* One hour in 60 points: 1 minute; in 100 points also 1 minute (30 s would need 120). */
    assert_int_equal(width_ok(0, HOUR, 60), MINUTE);
    assert_int_equal(width_ok(0, HOUR, 100), MINUTE);
    assert_int_equal(width_ok(0, HOUR, 120), 30 * S);
    assert_int_equal(width_ok(0, HOUR, 240), 15 * S);
    assert_int_equal(width_ok(0, HOUR, 3600), S);
    assert_int_equal(width_ok(0, 24 * HOUR, 100), 15 * MINUTE);
    assert_int_equal(width_ok(0, 24 * HOUR, 24), HOUR);
    assert_int_equal(width_ok(0, 24 * HOUR, 23), 3 * HOUR);
    assert_int_equal(width_ok(0, 7 * DAY, 7), DAY);
    assert_int_equal(width_ok(0, 7 * DAY, 1), 7 * DAY);
    assert_int_equal(width_ok(0, 90 * DAY, 3), 30 * DAY);
    /* Sub-second ranges step 1-2-5 from 1 ms. */
    assert_int_equal(width_ok(0, 1000, 10), MS);
    assert_int_equal(width_ok(0, 100 * MS, 10), 10 * MS);
    assert_int_equal(width_ok(0, 100 * MS, 9), 20 * MS);
    assert_int_equal(width_ok(0, 900 * MS, 2), 500 * MS);
    assert_int_equal(width_ok(5, 5, 1), MS);
}

static void test_width_alignment(void **state)
{
    (void)state;
    /* 60 s starting mid-bucket touches 7 buckets of 10 s, so 6 points need 15 s. */
    assert_int_equal(width_ok(5 * S, 65 * S, 7), 10 * S);
    assert_int_equal(width_ok(5 * S, 65 * S, 6), 15 * S);
    /* Property: the width chosen fits, and the next smaller nice width would not. */
    int64_t starts[] = {0, 123456789, -987654321012, 1700000000123456789};
    int64_t spans[] = {1, 999, 5 * S, 17 * MINUTE, 5 * HOUR + 3, 40 * DAY};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
        for (size_t j = 0; j < sizeof spans / sizeof spans[0]; j++)
            for (int64_t pts = 1; pts <= 200; pts += 13) {
                int64_t w = width_ok(starts[i], starts[i] + spans[j], pts);
                uint64_t c = count_ok(starts[i], starts[i] + spans[j], w);
                /* The epoch is every width's boundary: a range across it needs two buckets. */
                int across = starts[i] < 0 && starts[i] + spans[j] > 0;
                if (pts == 1 && across) {
                    assert_int_equal(w, INT64_MAX);
                    continue;
                }
                if (c > (uint64_t)pts)
                    fail_msg("width %lld for range %lld + %lld: %llu buckets, expected <= %lld",
                             (long long)w, (long long)starts[i], (long long)spans[j],
                             (unsigned long long)c, (long long)pts);
            }
}

static void test_width_beyond_table(void **state)
{
    (void)state;
    /* 400 days in 2 points: 30 d would need 14; multiples of 30 d take over. */
    int64_t w = width_ok(0, 400 * DAY, 2);
    assert_int_equal(w % (30 * DAY), 0);
    assert_true(count_ok(0, 400 * DAY, w) <= 2);
    assert_true(count_ok(0, 400 * DAY, w - 30 * DAY) > 2);
    /* The whole int64 range still gets an answer. */
    w = width_ok(INT64_MIN, INT64_MAX, 1);
    assert_true(w > 0);
}

static void test_width_errors(void **state)
{
    (void)state;
    argus_error err;
    int64_t out;
    assert_int_equal(argus_buckets_width(10, 5, 10, &out, &err), ARGUS_EINVAL);
    assert_string_equal(err.message, "buckets: end 5 is before start 10");
    assert_int_equal(argus_buckets_width(0, 5, 0, &out, &err), ARGUS_EINVAL);
    assert_string_equal(err.message, "buckets: max_points must be at least 1, got 0");
}

/* --- SQL ------------------------------------------------------------------------------------ */

static void test_sql(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    char *msg = NULL;
    assert_int_equal(argus_sqlite_register_all(db, &msg), SQLITE_OK);
    static const argus_test_sql_case cases[] = {
        {"SELECT time_bucket(-1, 10), time_bucket(NULL, 10), "
         "time_bucket(5, NULL), time_bucket('25', 10)",
         "-10|NULL|NULL|20"},
        {"SELECT time_bucket(5, 0)", "error: buckets: width must be positive, got 0"},
        {"SELECT time_bucket('x', 10)", "error: time_bucket: ts_ns must be an integer"},
        {"SELECT bucket_width(0, 3600000000000, 60), "
         "bucket_width(NULL, 1, 1)",
         "60000000000|NULL"},
        {"SELECT bucket_width(0, 10, 0)", "error: buckets: max_points must be at least 1, got 0"},
        {"SELECT * FROM bucket_series(5, 35, 10)", "0|10;10|20;20|30;30|40"},
        {"SELECT count(*) FROM bucket_series(0, 0, 10)", "0"},
        {"SELECT count(*) FROM bucket_series(NULL, 10, 10)", "0"},
        {"SELECT count(*), max(bucket_end_ns) FROM "
         "bucket_series(0, 100000, 1)",
         "100000|100000"},
        {"SELECT count(*) FROM bucket_series(0, 100001, 1)",
         "error: bucket_series: the range needs 100001 buckets, more than the "
         "limit of 100000; use a wider width_ns (see bucket_width)"},
        {"SELECT count(*) FROM bucket_series(10, 0, 1)",
         "error: buckets: end 0 is before start 10"},
        {"SELECT * FROM bucket_series(0, 10)", "error: bucket_series: needs three arguments: "
                                               "bucket_series(start_ns, end_ns, width_ns)"},
        /* Near the top of the range: the last bucket end is clamped, nothing overflows. */
        {"SELECT bucket_start_ns, bucket_end_ns FROM "
         "bucket_series(9223372036854775797, 9223372036854775807, 5)",
         "9223372036854775795|9223372036854775800;"
         "9223372036854775800|9223372036854775805;"
         "9223372036854775805|9223372036854775807"},
        /* Arguments from a join, hidden columns readable. */
        {"SELECT w, count(*), max(s.width_ns) FROM (SELECT 10 AS w "
         "UNION ALL SELECT 25) t, bucket_series(0, 50, t.w) s GROUP BY w",
         "10|5|10;25|2|25"},
    };
    argus_test_expect_rows(db, cases, ARGUS_TEST_COUNT(cases));
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_floor),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_width_table),
        cmocka_unit_test(test_width_alignment),
        cmocka_unit_test(test_width_beyond_table),
        cmocka_unit_test(test_width_errors),
        cmocka_unit_test(test_sql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
