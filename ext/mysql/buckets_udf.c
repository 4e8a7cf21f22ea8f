/* Chart bucketing as UDFs: time_bucket(ts_ns, width_ns) and bucket_width(start_ns, end_ns,
 * max_points) (core: buckets.c), the same functions as in SQLite:
 *   SELECT time_bucket(start_time_unix_nano, bucket_width(@s, @e, 120)) AS t, count(*)
 *   FROM spans WHERE start_time_unix_nano >= @s AND start_time_unix_nano < @e GROUP BY t; */
#include "argus_udf.h"

#include "argus_buckets.h"

ARGUS_UDF_SCALAR(time_bucket)
ARGUS_UDF_SCALAR(bucket_width)

/* The integer arguments named names[0..n) as SQLite reads them: numbers (REAL truncated) or
 * numeric text; anything else is an error, not 0. 1 when all are there, 0 when one is NULL (the
 * result is NULL), -1 after reporting an error. n is at most 3. */
static inline int int_args(const argus_udf_args *args, const char *fn, const char *const *names,
                           unsigned n, int64_t *out, char *error)
{
    argus_udf_value v[3];
    for (unsigned i = 0; i < n; i++)
        if ((v[i] = argus_udf_arg(args, i)).type == ARGUS_UV_NULL)
            return 0;
    for (unsigned i = 0; i < n; i++) {
        v[i] = argus_udf_numeric(v[i]);
        if (v[i].type != ARGUS_UV_INT && v[i].type != ARGUS_UV_REAL) {
            argus_udf_failf(error, "%s: %s must be an integer", fn, names[i]);
            return -1;
        }
        out[i] = argus_udf_int64(v[i]);
    }
    return 1;
}

/* The result of a core call: out, or NULL after reporting err. */
static long long int_result(int rc, const argus_error *err, int64_t out, char *is_null, char *error)
{
    *is_null = rc != 0;
    if (rc)
        argus_udf_fail(error, err);
    return rc ? 0 : out;
}

ARGUS_UDF_EXPORT long long time_bucket(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                       char *error)
{
    (void)initid;
    static const char *const names[2] = {"ts_ns", "width_ns"};
    int64_t v[2], out = 0;
    argus_error err;
    *is_null = 1;
    if (int_args(args, "time_bucket", names, 2, v, error) <= 0)
        return 0;
    int rc = argus_buckets_floor(v[0], v[1], &out, &err);
    return int_result(rc, &err, out, is_null, error);
}

ARGUS_UDF_EXPORT long long bucket_width(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                        char *error)
{
    (void)initid;
    static const char *const names[3] = {"start_ns", "end_ns", "max_points"};
    int64_t v[3], out = 0;
    argus_error err;
    *is_null = 1;
    if (int_args(args, "bucket_width", names, 3, v, error) <= 0)
        return 0;
    int rc = argus_buckets_width(v[0], v[1], v[2], &out, &err);
    return int_result(rc, &err, out, is_null, error);
}
