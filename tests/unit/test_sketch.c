/* Unit tests of the quantile sketch (ext/core/sketch.c) and its SQL functions: accuracy against
 * exact percentiles on several distributions, merging, serialization, collapsing, bad blobs.
 *   build/tests/unit/test_sketch */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "argus_percentile.h"
#include "argus_sketch.h"
#include "argus_sqlite.h"
#include "../support/argus_test.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 200000
/* The guarantee is ALPHA; the slack only absorbs floating-point rounding at bucket edges. */
#define TOLERANCE (ARGUS_SKETCH_ALPHA + 1e-9)

static const double PS[] = {0.5, 0.9, 0.95, 0.99, 0.999};

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform01(void) /* (0, 1) */
{
    rng += 0x9E3779B97F4A7C15ull; /* splitmix64 */
    uint64_t z = rng;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void)
{
    return sqrt(-2.0 * log(uniform01())) * cos(2.0 * M_PI * uniform01());
}

typedef enum { UNIFORM, EXPONENTIAL, PARETO, LOGNORMAL, CONSTANT, NEGATIVE, INTEGER_NS } shape;
static const char *shape_names[] = {"uniform",  "exponential", "pareto",    "lognormal",
                                    "constant", "negative",    "integer_ns"};

static double draw(shape s)
{
    switch (s) {
    case UNIFORM: return 1.0 + uniform01() * 1e6;
    case EXPONENTIAL: return -log(uniform01()) * 250e3;    /* mean 250 us */
    case PARETO: return 1e5 / pow(uniform01(), 1.0 / 1.2); /* heavy tail, alpha 1.2 */
    case LOGNORMAL: return exp(13.0 + 1.5 * normal());     /* ~ 440 us median */
    case CONSTANT: return 1234567.0;
    case NEGATIVE: return -(1.0 + uniform01() * 1e4);
    default: return floor(-log(uniform01()) * 2e6); /* integer ns, some zeros */
    }
}

static double rel_error(double got, double want)
{
    if (want == 0)
        return got == 0 ? 0 : INFINITY;
    return fabs(got - want) / fabs(want);
}

static void check_accuracy(shape s)
{
    double *v = malloc(N * sizeof(double));
    argus_sketch sk;
    argus_error err;
    argus_sketch_init(&sk);
    for (int i = 0; i < N; i++) {
        v[i] = draw(s);
        assert_int_equal(argus_sketch_add(&sk, v[i], &err), 0);
    }
    assert_int_equal(sk.count, N);
    for (size_t j = 0; j < sizeof PS / sizeof PS[0]; j++) {
        double want = argus_percentile_of(v, N, PS[j]), got;
        assert_int_equal(argus_sketch_quantile(&sk, PS[j], &got, &err), 0);
        double e = rel_error(got, want);
        if (!(e <= TOLERANCE))
            fail_msg("%s p%g: expected %.9g (exact) within 1%%, got %.9g (error %.4f%%)",
                     shape_names[s], PS[j] * 100, want, got, e * 100);
    }
    /* The extremes are exact. */
    double lo, hi, got;
    argus_sketch_quantile(&sk, 0, &got, &err);
    lo = argus_percentile_of(v, N, 0);
    assert_true(got == lo);
    argus_sketch_quantile(&sk, 1, &got, &err);
    hi = argus_percentile_of(v, N, 1);
    assert_true(got == hi);
    argus_sketch_free(&sk);
    free(v);
}

/* The accuracy test runs once per shape: its state is the shape (see main). */
static shape accuracy_shapes[] = {UNIFORM,  EXPONENTIAL, PARETO,    LOGNORMAL,
                                  CONSTANT, NEGATIVE,    INTEGER_NS};
static void test_accuracy(void **state)
{
    check_accuracy(*(const shape *)*state);
}

/* Every quantile of a small sample, at every rank, is within ALPHA of the exact percentile. */
static void test_accuracy_every_rank(void **state)
{
    (void)state;
    double v[101];
    argus_sketch sk;
    argus_error err;
    argus_sketch_init(&sk);
    for (int i = 0; i < 101; i++) {
        v[i] = exp(uniform01() * 20);
        argus_sketch_add(&sk, v[i], &err);
    }
    for (int k = 0; k <= 1000; k++) {
        double p = k / 1000.0, got;
        double want = argus_percentile_of(v, 101, p);
        argus_sketch_quantile(&sk, p, &got, &err);
        if (!(rel_error(got, want) <= TOLERANCE))
            fail_msg("p=%g: expected %.9g within 1%%, got %.9g", p, want, got);
    }
    argus_sketch_free(&sk);
}

static void test_zeros_and_signs(void **state)
{
    (void)state;
    argus_sketch sk;
    argus_error err;
    double got;
    argus_sketch_init(&sk);
    assert_int_equal(argus_sketch_quantile(&sk, 0.5, &got, &err), 1); /* empty */
    for (int i = 0; i < 30; i++)
        argus_sketch_add(&sk, 0.0, &err);
    argus_sketch_add(&sk, -0.0, &err);
    argus_sketch_add(&sk, 1e-320, &err); /* subnormal: counted as zero */
    for (int i = 1; i <= 34; i++)
        argus_sketch_add(&sk, -i, &err);
    for (int i = 1; i <= 34; i++)
        argus_sketch_add(&sk, i * 1000.0, &err);
    assert_int_equal(sk.count, 100);
    assert_int_equal(sk.zero_count, 32);
    argus_sketch_quantile(&sk, 0.5, &got, &err); /* ranks 49.5: zeros occupy ranks 34..65 */
    assert_true(got == 0.0);
    argus_sketch_quantile(&sk, 0, &got, &err);
    assert_true(got == -34);
    argus_sketch_quantile(&sk, 0.1, &got, &err); /* rank 9.9: -25 .. -24 */
    if (!(rel_error(got, -24.1) <= TOLERANCE))
        fail_msg("p10: expected -24.1 within 1%%, got %.9g", got);
    argus_sketch_quantile(&sk, 0.9, &got, &err); /* rank 89.1: 24000 .. 25000 */
    if (!(rel_error(got, 24100) <= TOLERANCE))
        fail_msg("p90: expected 24100 within 1%%, got %.9g", got);
    assert_int_equal(argus_sketch_quantile(&sk, 1.01, &got, &err), ARGUS_EINVAL);
    assert_int_equal(argus_sketch_quantile(&sk, NAN, &got, &err), ARGUS_EINVAL);
    assert_int_equal(argus_sketch_add(&sk, INFINITY, &err), ARGUS_EINVAL);
    assert_int_equal(argus_sketch_add(&sk, NAN, &err), ARGUS_EINVAL);
    assert_string_equal(err.message, "sketch: value must be a finite number, got nan");
    assert_int_equal(sk.count, 100);
    argus_sketch_free(&sk);
}

static void encode(const argus_sketch *s, argus_buf *b)
{
    argus_error err;
    argus_buf_init(b);
    assert_int_equal(argus_sketch_encode(s, b, &err), 0);
}

static void assert_same_blob(const argus_sketch *a, const argus_sketch *b, const char *what)
{
    argus_buf ba, bb;
    encode(a, &ba);
    encode(b, &bb);
    if (ba.len != bb.len || memcmp(ba.data, bb.data, ba.len) != 0)
        fail_msg("%s: expected identical blobs, got %zu and %zu bytes that differ", what, ba.len,
                 bb.len);
    argus_buf_free(&ba);
    argus_buf_free(&bb);
}

/* sketch(A u B) == merge(sketch(A), sketch(B)), through structs and through blobs. */
static void test_merge_equivalence(void **state)
{
    (void)state;
    argus_sketch all, a, b, merged, from_blobs;
    argus_error err;
    argus_sketch_init(&all);
    argus_sketch_init(&a);
    argus_sketch_init(&b);
    argus_sketch_init(&merged);
    argus_sketch_init(&from_blobs);
    for (int i = 0; i < 50000; i++) {
        /* A: fast requests and some negatives; B: a slow tail, plus zeros */
        double x = i % 3 ? draw(LOGNORMAL) : (i % 7 ? draw(PARETO) * 100 : -draw(UNIFORM));
        if (i % 101 == 0)
            x = 0;
        argus_sketch_add(&all, x, &err);
        argus_sketch_add(i % 3 ? &a : &b, x, &err);
    }
    assert_int_equal(argus_sketch_merge(&merged, &a, &err), 0);
    assert_int_equal(argus_sketch_merge(&merged, &b, &err), 0);
    assert_same_blob(&all, &merged, "struct merge");

    argus_buf ba, bb;
    encode(&b, &bb);
    encode(&a, &ba);
    assert_int_equal(argus_sketch_merge_blob(&from_blobs, bb.data, bb.len, &err), 0);
    assert_int_equal(argus_sketch_merge_blob(&from_blobs, ba.data, ba.len, &err), 0);
    assert_same_blob(&all, &from_blobs, "blob merge (reverse order)");
    for (size_t j = 0; j < sizeof PS / sizeof PS[0]; j++) {
        double x, y;
        argus_sketch_quantile(&all, PS[j], &x, &err);
        argus_sketch_quantile(&from_blobs, PS[j], &y, &err);
        if (x != y)
            fail_msg("p%g: expected %.17g from the merged sketch, got %.17g", PS[j], x, y);
    }
    argus_buf_free(&ba);
    argus_buf_free(&bb);
    argus_sketch_free(&all);
    argus_sketch_free(&a);
    argus_sketch_free(&b);
    argus_sketch_free(&merged);
    argus_sketch_free(&from_blobs);
}

static void test_round_trip(void **state)
{
    (void)state;
    argus_sketch s, t;
    argus_error err;
    argus_buf b;
    argus_sketch_init(&s);
    argus_sketch_init(&t);
    encode(&s, &b);
    assert_int_equal(b.len, 6); /* magic, version, count 0, zero count 0, two empty stores */
    uint64_t count = 99;
    assert_int_equal(argus_sketch_blob_count(b.data, b.len, &count, &err), 0);
    assert_int_equal(count, 0);
    argus_buf_free(&b);

    for (int i = 0; i < 10000; i++)
        argus_sketch_add(&s, i % 2 ? draw(EXPONENTIAL) : -draw(NEGATIVE) / 7, &err);
    argus_sketch_add(&s, 0, &err);
    argus_sketch_add(&s, -5.5, &err);
    encode(&s, &b);
    assert_int_equal(argus_sketch_blob_count(b.data, b.len, &count, &err), 0);
    assert_int_equal(count, 10002);
    assert_int_equal(argus_sketch_merge_blob(&t, b.data, b.len, &err), 0);
    assert_same_blob(&s, &t, "round trip");
    assert_true(s.min == t.min && s.max == t.max && t.zero_count == 1);
    /* Compact: a few bytes per nonempty bucket, not per value. */
    if (b.len > 2000)
        fail_msg("expected a blob under 2000 bytes for 10002 values, got %zu", b.len);
    argus_buf_free(&b);
    argus_sketch_free(&s);
    argus_sketch_free(&t);
}

/* Values spanning 40 orders of magnitude need more than MAX_BUCKETS (2048 buckets cover 17.8):
 * the lowest values collapse, while the count and the high quantiles survive. */
static void check_collapsed(const argus_sketch *s, const double *v, size_t n, const char *what)
{
    static const double high[] = {0.9, 0.95, 0.99, 0.999};
    double *copy = malloc(n * sizeof(double)), got;
    argus_error err;
    for (size_t j = 0; j < sizeof high / sizeof high[0]; j++) {
        memcpy(copy, v, n * sizeof(double));
        double want = argus_percentile_of(copy, n, high[j]);
        argus_sketch_quantile(s, high[j], &got, &err);
        if (!(rel_error(got, want) <= TOLERANCE))
            fail_msg("%s p%g: expected %.9g within 1%%, got %.9g", what, high[j] * 100, want, got);
    }
    free(copy);
}

static void test_collapse(void **state)
{
    (void)state;
    enum { M = 4001 };
    static double v[M], neg[M];
    argus_sketch s, t;
    argus_error err;
    argus_sketch_init(&s);
    argus_sketch_init(&t);
    for (int i = 0; i < M; i++) {
        v[i] = pow(10, -20 + i * 0.01);
        neg[i] = -v[i];
        assert_int_equal(argus_sketch_add(&s, v[i], &err), 0);
        assert_int_equal(argus_sketch_add(&t, neg[i], &err), 0);
    }
    assert_int_equal(s.count, M);
    assert_int_equal(s.pos.total, M);
    if (s.pos.hi - s.pos.lo >= ARGUS_SKETCH_MAX_BUCKETS ||
        t.neg.hi - t.neg.lo >= ARGUS_SKETCH_MAX_BUCKETS)
        fail_msg("expected at most %d buckets, got %d and %d", ARGUS_SKETCH_MAX_BUCKETS,
                 s.pos.hi - s.pos.lo + 1, t.neg.hi - t.neg.lo + 1);
    check_collapsed(&s, v, M, "positive");
    /* For negatives the lowest values are the largest magnitudes: those collapse, and the values
     * near zero (the high quantiles) stay accurate. */
    check_collapsed(&t, neg, M, "negative");
    /* The median fell into the collapsed range of the positive sketch: it is reported as the
     * lowest kept bucket, far above the true 1.0. That is the documented price. */
    double got;
    argus_sketch_quantile(&s, 0.5, &got, &err);
    assert_true(got > 10.0);

    /* A collapsed sketch serializes within the limits and reads back identically. */
    argus_buf b;
    encode(&s, &b);
    argus_sketch u;
    argus_sketch_init(&u);
    assert_int_equal(argus_sketch_merge_blob(&u, b.data, b.len, &err), 0);
    assert_same_blob(&s, &u, "collapsed round trip");
    /* Merging the positive and negative ones keeps every value. */
    assert_int_equal(argus_sketch_merge(&u, &t, &err), 0);
    assert_int_equal(u.count, 2 * M);
    argus_buf_free(&b);
    argus_sketch_free(&s);
    argus_sketch_free(&t);
    argus_sketch_free(&u);
}

static void expect_bad(const void *data, size_t n, const char *message)
{
    argus_sketch s;
    argus_error err;
    uint64_t count;
    argus_sketch_init(&s);
    argus_sketch_add(&s, 7, &err);
    int rc = argus_sketch_merge_blob(&s, data, n, &err);
    if (rc != ARGUS_EFORMAT)
        fail_msg("expected ARGUS_EFORMAT for a %zu-byte blob, got %d", n, rc);
    if (message && strcmp(err.message, message) != 0)
        fail_msg("expected message \"%s\", got \"%s\"", message, err.message);
    assert_int_equal(s.count, 1); /* untouched */
    assert_int_equal(argus_sketch_blob_count(data, n, &count, &err), ARGUS_EFORMAT);
    argus_sketch_free(&s);
}

static void test_garbage(void **state)
{
    (void)state;
    expect_bad("", 0, "sketch: not a sketch blob");
    expect_bad("\xd5", 1, "sketch: not a sketch blob");
    expect_bad("hello world", 11, "sketch: not a sketch blob");
    expect_bad("\xd5\x02\x00\x00\x00\x00", 6,
               "sketch: blob version 2 is not supported (this build reads 1..1)");
    expect_bad("\xd5\x00\x00\x00\x00\x00", 6, NULL);
    expect_bad("\xd5\x01\x00\x00\x00\x00\x00", 7, "sketch: 1 trailing bytes in blob");
    expect_bad("\xd5\x01\x01\x00\x00\x00", 6, "sketch: blob truncated in min");
    /* count 1 but no bucket holds it */
    expect_bad("\xd5\x01\x01"
               "\0\0\0\0\0\0\xf0\x3f"
               "\0\0\0\0\0\0\xf0\x3f"
               "\x00\x00\x00",
               22, "sketch: bucket counts do not add up to count");
    /* a bucket with count 0 */
    expect_bad("\xd5\x01\x00\x00\x01\x02\x00\x00", 8, "sketch: positive store has an empty bucket");
    /* keys not increasing (delta 0) */
    expect_bad("\xd5\x01\x02"
               "\0\0\0\0\0\0\xf0\x3f"
               "\0\0\0\0\0\0\xf0\x3f"
               "\x00\x02\x00\x01\x00\x01\x00",
               26, "sketch: positive store keys not increasing");
    /* min is NaN */
    expect_bad("\xd5\x01\x01"
               "\0\0\0\0\0\0\xf8\x7f"
               "\0\0\0\0\0\0\xf0\x3f"
               "\x00\x01\x00\x01\x00",
               24, "sketch: min is not finite");

    /* Every proper prefix of a valid blob is rejected, and so is every single-byte corruption
     * that is still accepted only if it is self-consistent (never a crash). */
    argus_sketch s;
    argus_error err;
    argus_sketch_init(&s);
    for (int i = 0; i < 500; i++)
        argus_sketch_add(&s, draw(LOGNORMAL) * (i % 5 ? 1 : -1), &err);
    argus_sketch_add(&s, 0, &err);
    argus_buf b;
    encode(&s, &b);
    for (size_t n = 0; n < b.len; n++)
        expect_bad(b.data, n, NULL);
    unsigned char *copy = malloc(b.len);
    for (size_t i = 0; i < b.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, b.data, b.len);
            copy[i] ^= (unsigned char)(1u << bit);
            argus_sketch t;
            argus_sketch_init(&t);
            uint64_t count;
            int rc = argus_sketch_merge_blob(&t, copy, b.len, &err);
            if (rc == 0) {
                assert_int_equal(argus_sketch_blob_count(copy, b.len, &count, &err), 0);
                assert_int_equal(count, t.count);
                double q;
                rc = argus_sketch_quantile(&t, 0.5, &q, &err);
                assert_true(rc == 0 || (rc == 1 && t.count == 0));
            } else {
                assert_int_equal(rc, ARGUS_EFORMAT);
            }
            argus_sketch_free(&t);
        }
    }
    /* random bytes behind a valid header */
    for (int i = 0; i < 20000; i++) {
        size_t n = 2 + (size_t)(uniform01() * 40);
        copy[0] = ARGUS_SKETCH_MAGIC;
        copy[1] = ARGUS_SKETCH_VERSION;
        for (size_t j = 2; j < n && j < b.len; j++)
            copy[j] = (unsigned char)(uniform01() * 256);
        argus_sketch t;
        argus_sketch_init(&t);
        int rc = argus_sketch_merge_blob(&t, copy, n < b.len ? n : b.len, &err);
        assert_true(rc == 0 || rc == ARGUS_EFORMAT);
        argus_sketch_free(&t);
    }
    free(copy);
    argus_buf_free(&b);
    argus_sketch_free(&s);
}

/* ---- through SQL ---------------------------------------------------------------------------- */

static void test_sql(void **state)
{
    (void)state;
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    if (argus_register_percentile(db, &msg) != SQLITE_OK)
        fail_msg("register: %s", msg ? msg : "?");
    static const argus_test_sql_case cases[] = {
        {"SELECT sketch(x) FROM (SELECT 1 AS x) WHERE 0", "NULL"},
        {"SELECT sketch(NULL)", "NULL"},
        {"SELECT hex(sketch(0))", "D5010100000000000000000000000000000000010000"},
        {"SELECT sketch_count(sketch(x)) FROM (SELECT 1 AS x UNION ALL SELECT NULL UNION ALL "
         "SELECT 2)",
         "2"},
        {"SELECT sketch_quantile(sketch(x), 0.5) FROM (SELECT 5 AS x UNION ALL SELECT 5)", "5.0"},
        {"SELECT sketch_quantile(NULL, 0.5)", "NULL"},
        {"SELECT sketch_quantile(sketch(1), NULL)", "NULL"},
        {"SELECT sketch_count(NULL)", "NULL"},
        {"SELECT sketch_add(NULL, NULL)", "NULL"},
        {"SELECT sketch_count(sketch_add(sketch(1), NULL))", "1"},
        {"SELECT sketch_count(sketch_add(NULL, sketch(1)))", "1"},
        {"SELECT sketch_count(sketch_add(sketch(1), sketch(2)))", "2"},
        {"SELECT sketch_merge(NULL)", "NULL"},
        {"SELECT sketch_quantile(sketch_merge(s), 1) FROM (SELECT sketch(3) AS s UNION ALL SELECT "
         "NULL UNION ALL SELECT sketch(-4.5))",
         "3.0"},
        {"SELECT sketch_quantile(x'd50100000000', 0.5)", "NULL"}, /* empty sketch */
        {"SELECT sketch_quantile('abc', 0.5)",
         "error: sketch: sketch_quantile() expects a sketch blob"},
        {"SELECT sketch_quantile(x'00', 0.5)", "error: sketch: not a sketch blob"},
        {"SELECT sketch_count(x'd509')",
         "error: sketch: blob version 9 is not supported (this build reads 1..1)"},
        {"SELECT sketch_merge(x'd5')", "error: sketch: not a sketch blob"},
        {"SELECT sketch_add(sketch(1), 'x')", "error: sketch: sketch_add() expects a sketch blob"},
        {"SELECT sketch_add(x'', sketch(1))", "error: sketch: not a sketch blob"},
        {"SELECT sketch_quantile(sketch(1), 2)", "error: sketch: p must be between 0 and 1, got 2"},
        {"SELECT sketch_quantile(sketch(1), 'x')", "error: sketch: p must be a number"},
        {"SELECT sketch('fast')", "error: sketch: value must be a number"},
        {"SELECT sketch(9e999)", "error: sketch: value must be a finite number, got inf"},
    };
    argus_test_expect_values(db, cases, ARGUS_TEST_COUNT(cases));
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"test_accuracy_uniform", test_accuracy, NULL, NULL, &accuracy_shapes[0]},
        {"test_accuracy_exponential", test_accuracy, NULL, NULL, &accuracy_shapes[1]},
        {"test_accuracy_pareto", test_accuracy, NULL, NULL, &accuracy_shapes[2]},
        {"test_accuracy_lognormal", test_accuracy, NULL, NULL, &accuracy_shapes[3]},
        {"test_accuracy_constant", test_accuracy, NULL, NULL, &accuracy_shapes[4]},
        {"test_accuracy_negative", test_accuracy, NULL, NULL, &accuracy_shapes[5]},
        {"test_accuracy_integer_ns", test_accuracy, NULL, NULL, &accuracy_shapes[6]},
        cmocka_unit_test(test_accuracy_every_rank),
        cmocka_unit_test(test_zeros_and_signs),
        cmocka_unit_test(test_merge_equivalence),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_collapse),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_sql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
