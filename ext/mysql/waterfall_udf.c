/* waterfall_json(span_id, parent_span_id, start_ns, end_ns [, kind [, status_code [, name
 * [, service_name]]]]) as an aggregate UDF (core: waterfall.c): a trace's spans in display order
 * with depth, offset, self time and critical path, as one JSON array:
 *   SELECT waterfall_json(span_id, parent_span_id, start_time_unix_nano, end_time_unix_nano,
 *                         kind, status_code, name, service_name) FROM spans WHERE trace_id = ?;
 * Rows without a span id or times are ignored, as other aggregates ignore NULLs. */
#include "argus_udf.h"

#include "argus_waterfall.h"

#include <string.h>

static const char *const arg_names[] = {"span_id", "parent_span_id", "start_ns", "end_ns",
                                        "kind",    "status_code",    "name",     "service_name"};

ARGUS_UDF_AGGREGATE(waterfall_json, argus_waterfall_set, argus_waterfall_set_free)

ARGUS_UDF_EXPORT void waterfall_json_add(argus_udf_init *initid, argus_udf_args *args,
                                         char *is_null, char *error)
{
    (void)is_null;
    argus_waterfall_set *set = argus_udf_state_of(initid);
    if (argus_udf_arg(args, 0).type == ARGUS_UV_NULL ||
        argus_udf_arg(args, 2).type == ARGUS_UV_NULL ||
        argus_udf_arg(args, 3).type == ARGUS_UV_NULL)
        return;
    argus_error err;
    argus_error_clear(&err);
    int64_t ints[4] = {0, 0, 0, 0}; /* start, end, kind, status_code */
    for (unsigned i = 2; i < args->arg_count && i < 6; i++) {
        argus_udf_value v = argus_udf_numeric(argus_udf_arg(args, i));
        if (v.type == ARGUS_UV_NULL)
            continue;
        if (v.type != ARGUS_UV_INT && v.type != ARGUS_UV_REAL) {
            argus_udf_failf(error, "waterfall_json: %s must be an integer", arg_names[i]);
            return;
        }
        ints[i - 2] = argus_udf_int64(v);
    }
    argus_waterfall_span s;
    memset(&s, 0, sizeof s);
    s.start_ns = ints[0];
    s.end_ns = ints[1];
    s.kind = (int)ints[2];
    s.status_code = (int)ints[3];
    char bufs[4][40];
    s.span_id = argus_udf_text_arg(args, 0, bufs[0], &s.span_id_len);
    s.parent_span_id = argus_udf_text_arg(args, 1, bufs[1], &s.parent_span_id_len);
    s.name = argus_udf_text_arg(args, 6, bufs[2], &s.name_len);
    s.service_name = argus_udf_text_arg(args, 7, bufs[3], &s.service_name_len);
    s.index = (int64_t)set->n;
    if (argus_waterfall_set_add(set, &s, &err))
        argus_udf_fail(error, &err);
}

ARGUS_UDF_EXPORT char *waterfall_json(argus_udf_init *initid, argus_udf_args *args, char *result,
                                      unsigned long *length, char *is_null, char *error)
{
    (void)args;
    (void)result;
    argus_waterfall_set *set = argus_udf_state_of(initid);
    argus_buf *out = &argus_udf_ctx_of(initid)->out;
    argus_error err;
    argus_error_clear(&err);
    argus_buf_reset(out);
    int rc = argus_waterfall_json(out, set->spans, set->n, &err);
    return argus_udf_answer(initid, rc, &err, length, is_null, error);
}
