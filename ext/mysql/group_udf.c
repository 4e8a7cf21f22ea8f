/* The aggregates the trace summary uses, as UDFs: arg_min(value, key1 [, key2 .. key4]) (the
 * value of the row whose keys sort first, as ORDER BY key1, key2 would; NULL < numbers < text)
 * and json_group_set(value) (a sorted JSON array of the distinct non-NULL values):
 *   SELECT trace_id, arg_min(name, start_time_unix_nano), json_group_set(service_name)
 *   FROM spans GROUP BY trace_id;
 * arg_min returns text here: a UDF has one result type. Thin glue over core aggregate.c, which
 * the SQLite side uses too. */
#include "argus_aggregate.h"
#include "argus_udf.h"

#include <string.h>

/* Reports a core error; out of memory under the function's own name, as before. */
static void fail(char *error, const char *name, argus_error *err)
{
    if (err->code == ARGUS_ENOMEM)
        argus_error_set(err, ARGUS_ENOMEM, "%s: out of memory", name);
    argus_udf_fail(error, err);
}

/* An argument as the core's datum (strings borrowed from the server's buffer). */
static argus_datum datum(const argus_udf_args *args, unsigned i)
{
    argus_udf_value v = argus_udf_arg(args, i);
    argus_datum d;
    memset(&d, 0, sizeof d);
    switch (v.type) {
    case ARGUS_UV_INT:
        d.type = ARGUS_DATUM_INT;
        d.i = v.i;
        break;
    case ARGUS_UV_REAL:
        d.type = ARGUS_DATUM_REAL;
        d.d = v.r;
        break;
    case ARGUS_UV_TEXT:
        d.type = ARGUS_DATUM_TEXT;
        d.p = v.s;
        d.n = v.n;
        break;
    default: d.type = ARGUS_DATUM_NULL;
    }
    return d;
}

/* ---- arg_min(value, key1 [, key2 .. key4]) -------------------------------------------------- */

ARGUS_UDF_AGGREGATE(arg_min, argus_arg_min, argus_arg_min_free)

ARGUS_UDF_EXPORT void arg_min_add(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                  char *error)
{
    (void)is_null;
    int nkeys = (int)args->arg_count - 1;
    argus_datum keys[ARGUS_ARG_MIN_MAX_KEYS];
    for (int i = 0; i < nkeys && i < ARGUS_ARG_MIN_MAX_KEYS; i++)
        keys[i] = datum(args, (unsigned)i + 1);
    argus_datum value = datum(args, 0);
    argus_error err;
    if (argus_arg_min_add(argus_udf_state_of(initid), &value, keys, nkeys, &err))
        fail(error, "arg_min", &err);
}

ARGUS_UDF_EXPORT char *arg_min(argus_udf_init *initid, argus_udf_args *args, char *result,
                               unsigned long *length, char *is_null, char *error)
{
    (void)args;
    (void)result;
    const argus_datum *d = argus_arg_min_value(argus_udf_state_of(initid));
    *is_null = 1;
    if (!d || d->type == ARGUS_DATUM_NULL)
        return NULL;
    argus_udf_value v = {ARGUS_UV_TEXT, d->i, d->d, d->p, d->n};
    if (d->type == ARGUS_DATUM_INT)
        v.type = ARGUS_UV_INT;
    else if (d->type == ARGUS_DATUM_REAL)
        v.type = ARGUS_UV_REAL;
    char num[40];
    size_t n = 0;
    const char *text = argus_udf_text(v, num, &n);
    argus_buf *out = &argus_udf_ctx_of(initid)->out;
    argus_buf_reset(out);
    argus_buf_append(out, text, n);
    return argus_udf_result(out, length, is_null, error);
}

/* ---- json_group_set(value) ------------------------------------------------------------------ */

ARGUS_UDF_AGGREGATE(json_group_set, argus_string_set, argus_string_set_free)

ARGUS_UDF_EXPORT void json_group_set_add(argus_udf_init *initid, argus_udf_args *args,
                                         char *is_null, char *error)
{
    (void)is_null;
    char num[40];
    size_t n = 0;
    const char *text = argus_udf_text_arg(args, 0, num, &n);
    if (!text)
        return;
    /* SQLite also keeps a text only up to its first NUL. */
    argus_error err;
    if (argus_string_set_add(argus_udf_state_of(initid), text, strnlen(text, n), &err))
        fail(error, "json_group_set", &err);
}

ARGUS_UDF_EXPORT char *json_group_set(argus_udf_init *initid, argus_udf_args *args, char *result,
                                      unsigned long *length, char *is_null, char *error)
{
    (void)args;
    (void)result;
    argus_buf *out = &argus_udf_ctx_of(initid)->out;
    argus_buf_reset(out);
    argus_string_set_json(argus_udf_state_of(initid), out);
    return argus_udf_result(out, length, is_null, error);
}
