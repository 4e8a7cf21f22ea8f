/* SQL functions for percentiles and quantile sketches (cores: percentile.c, sketch.c).
 *   SELECT percentile(duration_ns, 0.95) FROM spans;                        -- exact
 *   SELECT sketch_quantile(sketch_merge(duration_sketch), 0.99) FROM span_rollups;  -- sketch
 * Also sketch(value), sketch_add(a, b) (for UPSERT merges) and sketch_count(blob).
 * percentile() is also a window function: percentile(x, .5) OVER (ORDER BY t ROWS 9 PRECEDING). */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_percentile.h"
#include "argus_sketch.h"

#include <stdint.h>
#include <stdlib.h>

/* Reads a numeric argument as a double; 1 for NULL, -1 (error already set) for non-numbers. */
static int number_arg(sqlite3_context *ctx, sqlite3_value *v, const char *module, const char *what,
                      double *out)
{
    switch (sqlite3_value_numeric_type(v)) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: *out = sqlite3_value_double(v); return 0;
    case SQLITE_NULL: return 1;
    default: {
        argus_error err;
        argus_error_set(&err, ARGUS_EINVAL, "%s: %s must be a number", module, what);
        argus_sqlite_result_error(ctx, &err);
        return -1;
    }
    }
}

/* ---- percentile(value, p) ----------------------------------------------------------------- */

static void percentile_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    argus_percentile *pc = argus_sqlite_agg_state(ctx, sizeof *pc);
    if (!pc)
        return;
    argus_error err;
    double p, v;
    int rc = number_arg(ctx, argv[1], "percentile", "p", &p);
    if (rc < 0)
        return;
    if (rc > 0) {
        argus_error_set(&err, ARGUS_EINVAL, "percentile: p must be a number between 0 and 1");
        argus_sqlite_result_error(ctx, &err);
        return;
    }
    if (argus_percentile_set_p(pc, p, &err)) {
        argus_sqlite_result_error(ctx, &err);
        return;
    }
    rc = number_arg(ctx, argv[0], "percentile", "value", &v);
    if (rc == 0 && argus_percentile_add(pc, v, &err))
        argus_sqlite_result_error(ctx, &err);
}

static void percentile_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    argus_percentile *pc = argus_sqlite_agg_state(ctx, sizeof *pc);
    double v;
    argus_error err;
    if (pc && number_arg(ctx, argv[0], "percentile", "value", &v) == 0 &&
        argus_percentile_remove(pc, v, &err))
        argus_sqlite_result_error(ctx, &err);
}

static void percentile_value(sqlite3_context *ctx)
{
    argus_percentile *pc = sqlite3_aggregate_context(ctx, 0);
    double out;
    if (!pc)
        return; /* no rows: NULL */
    /* A window asks at every row: keep the values sorted so each answer is a lookup. */
    argus_percentile_keep_sorted(pc);
    if (argus_percentile_result(pc, &out) == 0)
        sqlite3_result_double(ctx, out);
}

static void percentile_final(sqlite3_context *ctx)
{
    argus_percentile *pc = sqlite3_aggregate_context(ctx, 0);
    double out;
    if (!pc)
        return;
    if (argus_percentile_result(pc, &out) == 0)
        sqlite3_result_double(ctx, out);
    argus_percentile_free(pc);
}

/* ---- sketches ----------------------------------------------------------------------------- */

/* Fetches a sketch blob argument; 1 for NULL, -1 (error set) for anything but a blob. */
static int blob_arg(sqlite3_context *ctx, sqlite3_value *v, const char *fn, const void **data,
                    int *n)
{
    int type = sqlite3_value_type(v);
    if (type == SQLITE_NULL)
        return 1;
    if (type != SQLITE_BLOB) {
        argus_error err;
        argus_error_set(&err, ARGUS_EFORMAT, "sketch: %s expects a sketch blob", fn);
        argus_sqlite_result_error(ctx, &err);
        return -1;
    }
    *data = sqlite3_value_blob(v);
    *n = sqlite3_value_bytes(v);
    return 0;
}

/* Hands the serialized sketch to SQLite (which frees it). */
static void result_sketch(sqlite3_context *ctx, const argus_sketch *s)
{
    argus_buf b;
    argus_error err;
    argus_buf_init(&b);
    if (argus_sketch_encode(s, &b, &err)) {
        argus_buf_free(&b);
        argus_sqlite_result_error(ctx, &err);
        return;
    }
    sqlite3_result_blob(ctx, b.data, (int)b.len, free);
}

/* Aggregate state of sketch() and sketch_merge(); zeroed by SQLite. */
typedef struct sketch_agg {
    argus_sketch sk;
    int seen; /* a non-NULL argument arrived */
} sketch_agg;

static void sketch_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sketch_agg *a = argus_sqlite_agg_state(ctx, sizeof *a);
    double v;
    argus_error err;
    if (!a || number_arg(ctx, argv[0], "sketch", "value", &v) != 0)
        return;
    a->seen = 1;
    if (argus_sketch_add(&a->sk, v, &err))
        argus_sqlite_result_error(ctx, &err);
}

static void sketch_merge_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sketch_agg *a = argus_sqlite_agg_state(ctx, sizeof *a);
    const void *data = NULL;
    int n = 0;
    argus_error err;
    if (!a || blob_arg(ctx, argv[0], "sketch_merge()", &data, &n) != 0)
        return;
    a->seen = 1;
    if (argus_sketch_merge_blob(&a->sk, data, (size_t)n, &err))
        argus_sqlite_result_error(ctx, &err);
}

static void sketch_final(sqlite3_context *ctx)
{
    sketch_agg *a = sqlite3_aggregate_context(ctx, 0);
    if (!a)
        return;
    if (a->seen)
        result_sketch(ctx, &a->sk);
    argus_sketch_free(&a->sk);
}

/* sketch_add(a, b): the merge of two sketch blobs; a NULL side yields the other (validated). */
static void sketch_add_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const void *da = NULL, *db = NULL;
    int na = 0, nb = 0;
    int ra = blob_arg(ctx, argv[0], "sketch_add()", &da, &na);
    if (ra < 0)
        return;
    int rb = blob_arg(ctx, argv[1], "sketch_add()", &db, &nb);
    if (rb < 0 || (ra && rb))
        return;
    argus_error err;
    argus_sketch s;
    argus_sketch_init(&s);
    int rc = 0;
    if (!ra)
        rc = argus_sketch_merge_blob(&s, da, (size_t)na, &err);
    if (!rc && !rb)
        rc = argus_sketch_merge_blob(&s, db, (size_t)nb, &err);
    if (rc)
        argus_sqlite_result_error(ctx, &err);
    else
        result_sketch(ctx, &s);
    argus_sketch_free(&s);
}

static void sketch_quantile_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const void *data = NULL;
    int n = 0;
    double p, out;
    if (blob_arg(ctx, argv[0], "sketch_quantile()", &data, &n) != 0)
        return;
    if (number_arg(ctx, argv[1], "sketch", "p", &p) != 0)
        return;
    argus_error err;
    argus_sketch s;
    argus_sketch_init(&s);
    int rc = argus_sketch_merge_blob(&s, data, (size_t)n, &err);
    if (rc == 0)
        rc = argus_sketch_quantile(&s, p, &out, &err);
    if (rc < 0)
        argus_sqlite_result_error(ctx, &err);
    else if (rc == 0)
        sqlite3_result_double(ctx, out);
    argus_sketch_free(&s);
}

static void sketch_count_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const void *data = NULL;
    int n = 0;
    uint64_t count;
    argus_error err;
    if (blob_arg(ctx, argv[0], "sketch_count()", &data, &n) != 0)
        return;
    if (argus_sketch_blob_count(data, (size_t)n, &count, &err)) {
        argus_sqlite_result_error(ctx, &err);
        return;
    }
    if (count > INT64_MAX) {
        argus_error_set(&err, ARGUS_ELIMIT, "sketch: count does not fit an integer");
        argus_sqlite_result_error(ctx, &err);
        return;
    }
    sqlite3_result_int64(ctx, (sqlite3_int64)count);
}

/* ---- registration ------------------------------------------------------------------------- */

int argus_register_percentile(sqlite3 *db, char **pzErrMsg)
{
    const argus_sqlite_glue glue[] = {
        {.name = "percentile",
         .step = percentile_step,
         .final = percentile_final,
         .value = percentile_value,
         .inverse = percentile_inverse},
        {.name = "sketch", .step = sketch_step, .final = sketch_final},
        {.name = "sketch_merge", .step = sketch_merge_step, .final = sketch_final},
        {.name = "sketch_add", .func = sketch_add_func},
        {.name = "sketch_quantile", .func = sketch_quantile_func},
        {.name = "sketch_count", .func = sketch_count_func},
    };
    return argus_sqlite_register(db, glue, sizeof glue / sizeof glue[0], pzErrMsg);
}
