/* Chart bucketing as UDFs: time_bucket(ts_ns, width_ns) and bucket_width(start_ns, end_ns,
 * max_points) (core: buckets.c), the same functions as in SQLite:
 *   SELECT time_bucket(start_time_unix_nano, bucket_width(@s, @e, 120)) AS t, count(*)
 *   FROM spans WHERE start_time_unix_nano >= @s AND start_time_unix_nano < @e GROUP BY t; */
#include "argus_udf.h"

#include "argus_buckets.h"

/* An integer argument as SQLite reads it: numbers (REAL truncated) or numeric text; anything
 * else is an error, not 0. 0, or -1 with err set. */
static int int_arg(argus_udf_value v, int64_t *out, const char *fn, const char *arg,
                   argus_error *err)
{
    v = argus_udf_numeric(v);
    if (v.type != ARGUS_UV_INT && v.type != ARGUS_UV_REAL) {
        argus_error_set(err, ARGUS_EINVAL, "%s: %s must be an integer", fn, arg);
        return -1;
    }
    *out = argus_udf_int64(v);
    return 0;
}

static char int_init(argus_udf_init *initid, argus_udf_args *args, char *message, const char *name)
{
    if (argus_udf_check_arity(args, name, message))
        return 1;
    initid->maybe_null = 1;
    initid->ptr = NULL;
    return 0;
}

ARGUS_UDF_EXPORT char time_bucket_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    return int_init(initid, args, message, "time_bucket");
}

ARGUS_UDF_EXPORT void time_bucket_deinit(argus_udf_init *initid)
{
    (void)initid;
}

ARGUS_UDF_EXPORT long long time_bucket(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                       char *error)
{
    (void)initid;
    argus_udf_value ts = argus_udf_arg(args, 0), width = argus_udf_arg(args, 1);
    *is_null = 1;
    if (ts.type == ARGUS_UV_NULL || width.type == ARGUS_UV_NULL)
        return 0;
    argus_error err;
    argus_error_clear(&err);
    int64_t t, w, out;
    if (int_arg(ts, &t, "time_bucket", "ts_ns", &err) ||
        int_arg(width, &w, "time_bucket", "width_ns", &err) ||
        argus_buckets_floor(t, w, &out, &err)) {
        argus_udf_fail(error, &err);
        return 0;
    }
    *is_null = 0;
    return out;
}

ARGUS_UDF_EXPORT char bucket_width_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    return int_init(initid, args, message, "bucket_width");
}

ARGUS_UDF_EXPORT void bucket_width_deinit(argus_udf_init *initid)
{
    (void)initid;
}

ARGUS_UDF_EXPORT long long bucket_width(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                        char *error)
{
    (void)initid;
    static const char *const names[3] = {"start_ns", "end_ns", "max_points"};
    int64_t v[3], out;
    argus_error err;
    argus_error_clear(&err);
    *is_null = 1;
    for (unsigned i = 0; i < 3; i++)
        if (argus_udf_arg(args, i).type == ARGUS_UV_NULL)
            return 0;
    for (unsigned i = 0; i < 3; i++)
        if (int_arg(argus_udf_arg(args, i), &v[i], "bucket_width", names[i], &err)) {
            argus_udf_fail(error, &err);
            return 0;
        }
    if (argus_buckets_width(v[0], v[1], v[2], &out, &err)) {
        argus_udf_fail(error, &err);
        return 0;
    }
    *is_null = 0;
    return out;
}
