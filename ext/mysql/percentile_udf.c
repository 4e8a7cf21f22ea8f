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

#include <stdlib.h>

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

static char real_init(argus_udf_init *initid)
{
    initid->maybe_null = 1;
    initid->decimals = ARGUS_UDF_DECIMALS;
    initid->max_length = 24;
    return 0;
}

/* ---- percentile(value, p) ----------------------------------------------------------------- */

ARGUS_UDF_EXPORT char percentile_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    if (argus_udf_check_arity(args, "percentile", message))
        return 1;
    argus_percentile *pc = calloc(1, sizeof *pc);
    if (!pc)
        return argus_udf_refuse(message, "percentile: out of memory");
    initid->ptr = (char *)pc;
    return real_init(initid);
}

ARGUS_UDF_EXPORT void percentile_deinit(argus_udf_init *initid)
{
    argus_percentile *pc = (argus_percentile *)(void *)initid->ptr;
    if (pc)
        argus_percentile_free(pc);
    free(pc);
}

ARGUS_UDF_EXPORT void percentile_clear(argus_udf_init *initid, char *is_null, char *error)
{
    (void)is_null;
    (void)error;
    argus_percentile_free((argus_percentile *)(void *)initid->ptr);
}

ARGUS_UDF_EXPORT void percentile_add(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                     char *error)
{
    (void)is_null;
    argus_percentile *pc = (argus_percentile *)(void *)initid->ptr;
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
    argus_percentile *pc = (argus_percentile *)(void *)initid->ptr;
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
    argus_percentile *pc = (argus_percentile *)(void *)initid->ptr;
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
    argus_buf out;
} sketch_agg;

static char sketch_agg_init(argus_udf_init *initid, argus_udf_args *args, char *message,
                            const char *name)
{
    if (argus_udf_check_arity(args, name, message))
        return 1;
    sketch_agg *a = calloc(1, sizeof *a);
    if (!a)
        return argus_udf_refuse(message, "sketch: out of memory");
    argus_buf_init(&a->out);
    initid->ptr = (char *)a;
    initid->maybe_null = 1;
    initid->max_length = ARGUS_UDF_MAX_LENGTH;
    return 0;
}

static void sketch_agg_deinit(argus_udf_init *initid)
{
    sketch_agg *a = (sketch_agg *)(void *)initid->ptr;
    if (!a)
        return;
    argus_sketch_free(&a->sk);
    argus_buf_free(&a->out);
    free(a);
}

static void sketch_agg_clear(argus_udf_init *initid)
{
    sketch_agg *a = (sketch_agg *)(void *)initid->ptr;
    argus_sketch_free(&a->sk);
    a->seen = 0;
}

/* The encoded sketch of a non-empty aggregate, NULL when no value arrived. */
static char *sketch_agg_result(argus_udf_init *initid, unsigned long *length, char *is_null,
                               char *error)
{
    sketch_agg *a = (sketch_agg *)(void *)initid->ptr;
    argus_error err;
    *is_null = 1;
    if (!a->seen)
        return NULL;
    argus_buf_reset(&a->out);
    if (argus_sketch_encode(&a->sk, &a->out, &err))
        return argus_udf_fail(error, &err);
    return argus_udf_result(&a->out, length, is_null, error);
}

/* The aggregate sketch(value) of SQLite is sketch_of(value) here: the server finds an
 * aggregate's row step under <name>_add, and sketch_add is the scalar merge below. */
ARGUS_UDF_EXPORT char sketch_of_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    return sketch_agg_init(initid, args, message, "sketch_of");
}

ARGUS_UDF_EXPORT void sketch_of_deinit(argus_udf_init *initid)
{
    sketch_agg_deinit(initid);
}

ARGUS_UDF_EXPORT void sketch_of_clear(argus_udf_init *initid, char *is_null, char *error)
{
    (void)is_null;
    (void)error;
    sketch_agg_clear(initid);
}

ARGUS_UDF_EXPORT void sketch_of_add(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                    char *error)
{
    (void)is_null;
    sketch_agg *a = (sketch_agg *)(void *)initid->ptr;
    argus_error err;
    double v;
    if (number_arg(argus_udf_arg(args, 0), "sketch", "value", &v, error) != 0)
        return;
    a->seen = 1;
    if (argus_sketch_add(&a->sk, v, &err))
        argus_udf_fail(error, &err);
}

ARGUS_UDF_EXPORT char *sketch_of(argus_udf_init *initid, argus_udf_args *args, char *result,
                                 unsigned long *length, char *is_null, char *error)
{
    (void)args;
    (void)result;
    return sketch_agg_result(initid, length, is_null, error);
}

ARGUS_UDF_EXPORT char sketch_merge_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    return sketch_agg_init(initid, args, message, "sketch_merge");
}

ARGUS_UDF_EXPORT void sketch_merge_deinit(argus_udf_init *initid)
{
    sketch_agg_deinit(initid);
}

ARGUS_UDF_EXPORT void sketch_merge_clear(argus_udf_init *initid, char *is_null, char *error)
{
    (void)is_null;
    (void)error;
    sketch_agg_clear(initid);
}

ARGUS_UDF_EXPORT void sketch_merge_add(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                       char *error)
{
    (void)is_null;
    sketch_agg *a = (sketch_agg *)(void *)initid->ptr;
    const void *data = NULL;
    size_t n = 0;
    argus_error err;
    if (blob_arg(argus_udf_arg(args, 0), "sketch_merge()", &data, &n, error) != 0)
        return;
    a->seen = 1;
    if (argus_sketch_merge_blob(&a->sk, data, n, &err))
        argus_udf_fail(error, &err);
}

ARGUS_UDF_EXPORT char *sketch_merge(argus_udf_init *initid, argus_udf_args *args, char *result,
                                    unsigned long *length, char *is_null, char *error)
{
    (void)args;
    (void)result;
    return sketch_agg_result(initid, length, is_null, error);
}

/* ---- scalars ------------------------------------------------------------------------------- */

ARGUS_UDF_EXPORT char sketch_add_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    if (argus_udf_check_arity(args, "sketch_add", message))
        return 1;
    return argus_udf_buf_init(initid, message);
}

ARGUS_UDF_EXPORT void sketch_add_deinit(argus_udf_init *initid)
{
    argus_udf_buf_deinit(initid);
}

/* sketch_add(a, b): the merge of two sketches; a NULL side yields the other (validated). */
ARGUS_UDF_EXPORT char *sketch_add(argus_udf_init *initid, argus_udf_args *args, char *result,
                                  unsigned long *length, char *is_null, char *error)
{
    (void)result;
    argus_udf_buf *b = (argus_udf_buf *)(void *)initid->ptr;
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
    argus_buf_reset(&b->out);
    if (!rc)
        rc = argus_sketch_encode(&s, &b->out, &err);
    argus_sketch_free(&s);
    if (rc)
        return argus_udf_fail(error, &err);
    return argus_udf_result(&b->out, length, is_null, error);
}

ARGUS_UDF_EXPORT char sketch_quantile_init(argus_udf_init *initid, argus_udf_args *args,
                                           char *message)
{
    if (argus_udf_check_arity(args, "sketch_quantile", message))
        return 1;
    initid->ptr = NULL;
    return real_init(initid);
}

ARGUS_UDF_EXPORT void sketch_quantile_deinit(argus_udf_init *initid)
{
    (void)initid;
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

ARGUS_UDF_EXPORT char sketch_count_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    if (argus_udf_check_arity(args, "sketch_count", message))
        return 1;
    initid->ptr = NULL;
    initid->maybe_null = 1;
    return 0;
}

ARGUS_UDF_EXPORT void sketch_count_deinit(argus_udf_init *initid)
{
    (void)initid;
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
