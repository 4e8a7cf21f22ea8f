/* Percentiles and quantile sketches as UDFs (cores: percentile.c, sketch.c): the aggregates
 * percentile(value, p) (also a window function: it has percentile_remove), sketch_of(value)
 * (SQLite's sketch(value), renamed: see below) and sketch_merge(sketch), and the scalars
 * sketch_add(a, b), sketch_quantile(sketch, p), sketch_count(sketch). MariaDB has no GROUP BY
 * percentile, so:
 *   SELECT service_name, percentile(duration_ns, 0.95) FROM spans GROUP BY 1;
 *   SELECT percentile(d, 0.5) OVER (ORDER BY t ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) ...;
 * Sketches are binary strings here (MySQL does not tell BLOB from TEXT arguments apart). */
#include "argus_udf.h"

#include "argus_percentile.h"
#include "argus_sketch.h"

/* A numeric argument: 0 with *out, 1 for NULL, -1 after reporting a non-number. */
static int number_arg(argus_udf_value v, const char *module, const char *what, double *out,
                      char *error)
{
    v = argus_udf_numeric(v);
    switch (v.type) {
    case ARGUS_UV_INT:
    case ARGUS_UV_REAL: *out = argus_udf_double(v); return 0;
    case ARGUS_UV_NULL: return 1;
    default: argus_udf_failf(error, "%s: %s must be a number", module, what); return -1;
    }
}

/* A sketch argument: 0 with data/n, 1 for NULL, -1 after reporting a number. */
static int blob_arg(argus_udf_value v, const char *fn, const void **data, size_t *n, char *error)
{
    if (v.type == ARGUS_UV_NULL)
        return 1;
    if (v.type != ARGUS_UV_TEXT) {
        argus_error err;
        argus_error_set(&err, ARGUS_EFORMAT, "sketch: %s expects a sketch blob", fn);
        argus_udf_fail(error, &err);
        return -1;
    }
    *data = v.s ? v.s : "";
    *n = v.n;
    return 0;
}

/* ---- percentile(value, p) ----------------------------------------------------------------- */

ARGUS_UDF_AGGREGATE(percentile, argus_percentile, argus_percentile_free)

ARGUS_UDF_EXPORT void percentile_add(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                     char *error)
{
    (void)is_null;
    argus_percentile *pc = argus_udf_state_of(initid);
    argus_error err;
    double p, v;
    int rc = number_arg(argus_udf_arg(args, 1), "percentile", "p", &p, error);
    if (rc < 0)
        return;
    if (rc > 0) {
        argus_udf_failf(error, "percentile: p must be a number between 0 and 1");
        return;
    }
    if (argus_percentile_set_p(pc, p, &err)) {
        argus_udf_fail(error, &err);
        return;
    }
    rc = number_arg(argus_udf_arg(args, 0), "percentile", "value", &v, error);
    if (rc == 0 && argus_percentile_add(pc, v, &err))
        argus_udf_fail(error, &err);
}

/* The window's inverse step: the row leaving the frame. */
ARGUS_UDF_EXPORT void percentile_remove(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                        char *error)
{
    (void)is_null;
    argus_percentile *pc = argus_udf_state_of(initid);
    argus_error err;
    double v;
    if (number_arg(argus_udf_arg(args, 0), "percentile", "value", &v, error) == 0 &&
        argus_percentile_remove(pc, v, &err))
        argus_udf_fail(error, &err);
}

ARGUS_UDF_EXPORT double percentile(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                   char *error)
{
    (void)args;
    (void)error;
    argus_percentile *pc = argus_udf_state_of(initid);
    double out = 0;
    /* A window asks at every row: keep the values sorted so each answer is a lookup. */
    argus_percentile_keep_sorted(pc);
    *is_null = argus_percentile_result(pc, &out) != 0;
    return out;
}

/* ---- sketch(value), sketch_merge(sketch) --------------------------------------------------- */

typedef struct sketch_agg {
    argus_sketch sk;
    int seen; /* a non-NULL argument arrived */
} sketch_agg;

static void sketch_agg_reset(sketch_agg *a)
{
    argus_sketch_free(&a->sk);
    a->seen = 0;
}

/* The aggregate sketch(value) of SQLite is sketch_of(value) here: the server finds an
 * aggregate's row step under <name>_add, and sketch_add is the scalar merge below. */
ARGUS_UDF_AGGREGATE(sketch_of, sketch_agg, sketch_agg_reset)
ARGUS_UDF_AGGREGATE(sketch_merge, sketch_agg, sketch_agg_reset)

/* The encoded sketch of a non-empty aggregate, NULL when no value arrived. */
static char *sketch_agg_result(argus_udf_init *initid, argus_udf_args *args, unsigned long *length,
                               char *is_null, char *error, int merge)
{
    (void)args;
    (void)merge;
    sketch_agg *a = argus_udf_state_of(initid);
    argus_buf *out = &argus_udf_ctx_of(initid)->out;
    argus_error err;
    *is_null = 1;
    if (!a->seen)
        return NULL;
    argus_buf_reset(out);
    int rc = argus_sketch_encode(&a->sk, out, &err);
    return argus_udf_answer(initid, rc, &err, length, is_null, error);
}

/* A row of sketch_of (a value, merge == 0) or sketch_merge (a sketch). */
static void sketch_agg_add(argus_udf_init *initid, argus_udf_args *args, char *error, int merge)
{
    sketch_agg *a = argus_udf_state_of(initid);
    argus_udf_value arg = argus_udf_arg(args, 0);
    const void *data = NULL;
    size_t n = 0;
    double v = 0;
    argus_error err;
    if (merge ? blob_arg(arg, "sketch_merge()", &data, &n, error)
              : number_arg(arg, "sketch", "value", &v, error))
        return;
    a->seen = 1;
    if (merge ? argus_sketch_merge_blob(&a->sk, data, n, &err) : argus_sketch_add(&a->sk, v, &err))
        argus_udf_fail(error, &err);
}

ARGUS_UDF_ADD_VIA(sketch_of, sketch_agg_add, 0)
ARGUS_UDF_ADD_VIA(sketch_merge, sketch_agg_add, 1)
ARGUS_UDF_STRING_VIA(sketch_of, sketch_agg_result, 0)
ARGUS_UDF_STRING_VIA(sketch_merge, sketch_agg_result, 1)

/* ---- scalars ------------------------------------------------------------------------------- */

ARGUS_UDF_SCALAR(sketch_add)
ARGUS_UDF_SCALAR(sketch_quantile)
ARGUS_UDF_SCALAR(sketch_count)

/* sketch_add(a, b): the merge of two sketches; a NULL side yields the other (validated). */
ARGUS_UDF_EXPORT char *sketch_add(argus_udf_init *initid, argus_udf_args *args, char *result,
                                  unsigned long *length, char *is_null, char *error)
{
    (void)result;
    argus_buf *out = &argus_udf_ctx_of(initid)->out;
    const void *da = NULL, *db = NULL;
    size_t na = 0, nb = 0;
    *is_null = 1;
    int ra = blob_arg(argus_udf_arg(args, 0), "sketch_add()", &da, &na, error);
    if (ra < 0)
        return NULL;
    int rb = blob_arg(argus_udf_arg(args, 1), "sketch_add()", &db, &nb, error);
    if (rb < 0 || (ra && rb))
        return NULL;
    argus_error err;
    argus_sketch s;
    argus_sketch_init(&s);
    int rc = 0;
    if (!ra)
        rc = argus_sketch_merge_blob(&s, da, na, &err);
    if (!rc && !rb)
        rc = argus_sketch_merge_blob(&s, db, nb, &err);
    argus_buf_reset(out);
    if (!rc)
        rc = argus_sketch_encode(&s, out, &err);
    argus_sketch_free(&s);
    return argus_udf_answer(initid, rc, &err, length, is_null, error);
}

ARGUS_UDF_EXPORT double sketch_quantile(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                        char *error)
{
    (void)initid;
    const void *data = NULL;
    size_t n = 0;
    double p, out = 0;
    *is_null = 1;
    if (blob_arg(argus_udf_arg(args, 0), "sketch_quantile()", &data, &n, error) != 0)
        return 0;
    if (number_arg(argus_udf_arg(args, 1), "sketch", "p", &p, error) != 0)
        return 0;
    argus_error err;
    argus_sketch s;
    argus_sketch_init(&s);
    int rc = argus_sketch_merge_blob(&s, data, n, &err);
    if (rc == 0)
        rc = argus_sketch_quantile(&s, p, &out, &err);
    argus_sketch_free(&s);
    if (rc < 0)
        argus_udf_fail(error, &err);
    else if (rc == 0)
        *is_null = 0;
    return rc == 0 ? out : 0;
}

ARGUS_UDF_EXPORT long long sketch_count(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                        char *error)
{
    (void)initid;
    const void *data = NULL;
    size_t n = 0;
    uint64_t count;
    argus_error err;
    *is_null = 1;
    if (blob_arg(argus_udf_arg(args, 0), "sketch_count()", &data, &n, error) != 0)
        return 0;
    if (argus_sketch_blob_count(data, n, &count, &err)) {
        argus_udf_fail(error, &err);
        return 0;
    }
    if (count > INT64_MAX) {
        argus_error_set(&err, ARGUS_ELIMIT, "sketch: count does not fit an integer");
        argus_udf_fail(error, &err);
        return 0;
    }
    *is_null = 0;
    return (long long)count;
}
