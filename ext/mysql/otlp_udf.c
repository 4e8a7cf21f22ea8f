/* OTLP payloads as UDFs: otlp_spans_json(payload), otlp_logs_json(payload) (one JSON object per
 * span / log record, the rows of SQLite's otlp_spans() / otlp_logs()), otlp_check(payload
 * [, 'traces'|'logs']) and resource_id(attributes_json [, schema_url]). MySQL has no table
 * functions; JSON_TABLE turns the JSON into rows (docs/mysql.md):
 *   SELECT j.name FROM captures, JSON_TABLE(CONVERT(otlp_spans_json(body) USING utf8mb4),
 *     '$[*]' COLUMNS (name TEXT PATH '$.name')) j; */
#include "argus_udf.h"

#include "argus_otlp_rows.h"

#include <string.h>

ARGUS_UDF_SCALAR(otlp_spans_json)
ARGUS_UDF_SCALAR(otlp_logs_json)
ARGUS_UDF_SCALAR(otlp_check)
ARGUS_UDF_SCALAR(resource_id)

/* ---- otlp_spans_json, otlp_logs_json, otlp_check -------------------------------------------- */

enum payload_fn { SPANS_JSON, LOGS_JSON, CHECK };
static const char *const payload_fn_names[] = {"otlp_spans_json", "otlp_logs_json", "otlp_check"};

/* Decodes the payload argument as signal `want` (-1: whichever it is, as SQLite's otlp_check
 * decides) into t or l, *out the one decoded. 1 on success; 0 for a NULL payload; -1 after
 * reporting the error under the function's name. */
static int decode_arg(argus_udf_value v, const char *fname, int want, argus_otlp_payload *t,
                      argus_otlp_payload *l, argus_otlp_payload **out, char *error)
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
    *out = want == ARGUS_SIGNAL_LOGS ? l : t;
    int rc = want < 0 ? argus_otlp_decode_any(t, l, data, v.n, ARGUS_OTLP_AUTO, out, &err)
                      : argus_otlp_decode(*out, data, v.n, ARGUS_OTLP_AUTO, &err);
    if (rc) {
        const char *msg = strncmp(err.message, "otlp: ", 6) == 0 ? err.message + 6 : err.message;
        argus_error named;
        argus_error_set(&named, err.code, "%s: %.220s", fname, msg);
        argus_udf_fail(error, &named);
        return -1;
    }
    return 1;
}

/* otlp_spans_json / otlp_logs_json: the rows of a traces / logs payload as JSON; otlp_check: the
 * payload's summary, decoded as the signal its second argument names, else as whichever it is. */
static char *payload_json(argus_udf_init *initid, argus_udf_args *args, unsigned long *length,
                          char *is_null, char *error, enum payload_fn fn)
{
    int want = fn == SPANS_JSON ? ARGUS_SIGNAL_TRACES : fn == LOGS_JSON ? ARGUS_SIGNAL_LOGS : -1;
    char num[40];
    size_t wn = 0;
    const char *kind = fn == CHECK ? argus_udf_text_arg(args, 1, num, &wn) : NULL;
    *is_null = 1;
    if (kind && wn == 6 && memcmp(kind, "traces", 6) == 0)
        want = ARGUS_SIGNAL_TRACES;
    else if (kind && wn == 4 && memcmp(kind, "logs", 4) == 0)
        want = ARGUS_SIGNAL_LOGS;
    else if (kind)
        return argus_udf_failf(error, "otlp_check: second argument must be 'traces' or 'logs'");
    argus_otlp_payload t, l, *p = NULL;
    argus_otlp_traces_init(&t);
    argus_otlp_logs_init(&l);
    char *out = NULL;
    if (decode_arg(argus_udf_arg(args, 0), payload_fn_names[fn], want, &t, &l, &p, error) > 0) {
        argus_buf *b = &argus_udf_ctx_of(initid)->out;
        argus_buf_reset(b);
        if (fn == CHECK)
            argus_otlp_check_json(b, p);
        else
            argus_otlp_rows_json(b, p);
        out = argus_udf_result(b, length, is_null, error);
    }
    argus_otlp_traces_free(&t);
    argus_otlp_logs_free(&l);
    return out;
}

ARGUS_UDF_STRING_VIA(otlp_spans_json, payload_json, SPANS_JSON)
ARGUS_UDF_STRING_VIA(otlp_logs_json, payload_json, LOGS_JSON)
ARGUS_UDF_STRING_VIA(otlp_check, payload_json, CHECK)

/* ---- resource_id --------------------------------------------------------------------------- */

/* NULL attributes count as '{}', as in SQLite. */
ARGUS_UDF_EXPORT long long resource_id(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                       char *error)
{
    (void)initid;
    (void)error;
    char b1[40], b2[40];
    size_t n = 0, m = 0;
    const char *a = argus_udf_text_arg(args, 0, b1, &n);
    if (!a) {
        a = "{}";
        n = 2;
    }
    const char *u = argus_udf_text_arg(args, 1, b2, &m);
    *is_null = 0;
    return argus_otlp_resource_id(a, n, u, u ? m : 0);
}
