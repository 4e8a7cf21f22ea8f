/* OTLP payloads as UDFs: otlp_spans_json(payload), otlp_logs_json(payload) (one JSON object per
 * span / log record, the rows of SQLite's otlp_spans() / otlp_logs()), otlp_check(payload
 * [, 'traces'|'logs']) and resource_id(attributes_json [, schema_url]). MySQL has no table
 * functions; JSON_TABLE turns the JSON into rows (docs/mysql.md):
 *   SELECT j.name FROM captures, JSON_TABLE(CONVERT(otlp_spans_json(body) USING utf8mb4),
 *     '$[*]' COLUMNS (name TEXT PATH '$.name')) j; */
#include "argus_udf.h"

#include "argus_otlp_rows.h"

#include <stdio.h>
#include <string.h>

/* Decodes the payload argument into t or l (exactly one non-NULL). 1 on success; 0 with *null
 * set for a NULL payload; -1 after reporting the error. */
static int decode_arg(argus_udf_value v, const char *fname, argus_otlp_traces *t,
                      argus_otlp_logs *l, char *error)
{
    if (v.type == ARGUS_UV_NULL)
        return 0;
    if (v.type != ARGUS_UV_TEXT) {
        argus_udf_failf(error, "%s: payload must be a BLOB or TEXT", fname);
        return -1;
    }
    argus_error err;
    argus_error_clear(&err);
    const char *data = v.s ? v.s : "";
    int rc = t ? argus_otlp_traces_decode(t, data, v.n, &err)
               : argus_otlp_logs_decode(l, data, v.n, &err);
    if (rc) {
        const char *msg = strncmp(err.message, "otlp: ", 6) == 0 ? err.message + 6 : err.message;
        argus_error named;
        argus_error_set(&named, err.code, "%s: %.220s", fname, msg);
        argus_udf_fail(error, &named);
        return -1;
    }
    return 1;
}

static char scalar_init(argus_udf_init *initid, argus_udf_args *args, char *message,
                        const char *name)
{
    if (argus_udf_check_arity(args, name, message))
        return 1;
    return argus_udf_buf_init(initid, message);
}

/* ---- otlp_spans_json / otlp_logs_json ------------------------------------------------------ */

ARGUS_UDF_EXPORT char otlp_spans_json_init(argus_udf_init *initid, argus_udf_args *args,
                                           char *message)
{
    return scalar_init(initid, args, message, "otlp_spans_json");
}

ARGUS_UDF_EXPORT void otlp_spans_json_deinit(argus_udf_init *initid)
{
    argus_udf_buf_deinit(initid);
}

/* The rows of a traces (logs == 0) or logs payload as JSON. */
static char *rows_json(argus_udf_init *initid, argus_udf_args *args, unsigned long *length,
                       char *is_null, char *error, int logs)
{
    argus_udf_buf *b = (argus_udf_buf *)(void *)initid->ptr;
    argus_otlp_traces t;
    argus_otlp_logs l;
    argus_otlp_traces_init(&t);
    argus_otlp_logs_init(&l);
    char *out = NULL;
    *is_null = 1;
    if (decode_arg(argus_udf_arg(args, 0), logs ? "otlp_logs_json" : "otlp_spans_json",
                   logs ? NULL : &t, logs ? &l : NULL, error) > 0) {
        argus_buf_reset(&b->out);
        argus_otlp_rows_json(&b->out, logs ? &l : &t);
        out = argus_udf_result(&b->out, length, is_null, error);
    }
    argus_otlp_traces_free(&t);
    argus_otlp_logs_free(&l);
    return out;
}

ARGUS_UDF_EXPORT char *otlp_spans_json(argus_udf_init *initid, argus_udf_args *args, char *result,
                                       unsigned long *length, char *is_null, char *error)
{
    (void)result;
    return rows_json(initid, args, length, is_null, error, 0);
}

ARGUS_UDF_EXPORT char otlp_logs_json_init(argus_udf_init *initid, argus_udf_args *args,
                                          char *message)
{
    return scalar_init(initid, args, message, "otlp_logs_json");
}

ARGUS_UDF_EXPORT void otlp_logs_json_deinit(argus_udf_init *initid)
{
    argus_udf_buf_deinit(initid);
}

ARGUS_UDF_EXPORT char *otlp_logs_json(argus_udf_init *initid, argus_udf_args *args, char *result,
                                      unsigned long *length, char *is_null, char *error)
{
    (void)result;
    return rows_json(initid, args, length, is_null, error, 1);
}

/* ---- otlp_check ---------------------------------------------------------------------------- */

ARGUS_UDF_EXPORT char otlp_check_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    return scalar_init(initid, args, message, "otlp_check");
}

ARGUS_UDF_EXPORT void otlp_check_deinit(argus_udf_init *initid)
{
    argus_udf_buf_deinit(initid);
}

/* As SQLite's otlp_check: without a kind, a payload is traces when it decodes as traces, unless
 * it holds no resource and decodes as logs with some (OTLP/JSON logs). */
ARGUS_UDF_EXPORT char *otlp_check(argus_udf_init *initid, argus_udf_args *args, char *result,
                                  unsigned long *length, char *is_null, char *error)
{
    (void)result;
    argus_udf_buf *b = (argus_udf_buf *)(void *)initid->ptr;
    char num[40];
    size_t wn = 0;
    const char *want = NULL;
    *is_null = 1;
    if (args->arg_count > 1) {
        want = argus_udf_text(argus_udf_arg(args, 1), num, &wn);
        if (want && !((wn == 6 && memcmp(want, "traces", 6) == 0) ||
                      (wn == 4 && memcmp(want, "logs", 4) == 0)))
            return argus_udf_failf(error, "otlp_check: second argument must be 'traces' or 'logs'");
    }
    argus_udf_value v = argus_udf_arg(args, 0);
    argus_otlp_traces t;
    argus_otlp_logs l;
    argus_otlp_traces_init(&t);
    argus_otlp_logs_init(&l);
    int is_logs = 0, ok = 0;
    if (!want && v.type == ARGUS_UV_TEXT) {
        argus_error err;
        const char *data = v.s ? v.s : "";
        if (argus_otlp_traces_decode(&t, data, v.n, &err) == 0) {
            is_logs = t.resource_count == 0 && argus_otlp_logs_decode(&l, data, v.n, &err) == 0 &&
                      l.resource_count > 0;
            ok = 1;
        } else {
            is_logs = 1;
        }
    } else {
        is_logs = want && wn == 4;
    }
    if (!ok)
        ok = is_logs ? decode_arg(v, "otlp_check", NULL, &l, error) > 0
                     : decode_arg(v, "otlp_check", &t, NULL, error) > 0;
    char *out = NULL;
    if (ok) {
        argus_buf_reset(&b->out);
        argus_otlp_check_json(&b->out, is_logs ? &l : &t);
        out = argus_udf_result(&b->out, length, is_null, error);
    }
    argus_otlp_traces_free(&t);
    argus_otlp_logs_free(&l);
    return out;
}

/* ---- resource_id --------------------------------------------------------------------------- */

ARGUS_UDF_EXPORT char resource_id_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    if (argus_udf_check_arity(args, "resource_id", message))
        return 1;
    initid->maybe_null = 0;
    initid->ptr = NULL;
    return 0;
}

ARGUS_UDF_EXPORT void resource_id_deinit(argus_udf_init *initid)
{
    (void)initid;
}

/* NULL attributes count as '{}', as in SQLite. */
ARGUS_UDF_EXPORT long long resource_id(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                       char *error)
{
    (void)initid;
    (void)error;
    char b1[40], b2[40];
    size_t n = 0, m = 0;
    const char *a = argus_udf_text(argus_udf_arg(args, 0), b1, &n);
    if (!a) {
        a = "{}";
        n = 2;
    }
    const char *u = args->arg_count > 1 ? argus_udf_text(argus_udf_arg(args, 1), b2, &m) : NULL;
    *is_null = 0;
    return argus_otlp_resource_id(a, n, u, u ? m : 0);
}
