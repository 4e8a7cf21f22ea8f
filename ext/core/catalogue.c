/* The function catalogue (see argus_catalogue.h): one row per SQL function, in docs/sql.md order.
 *   argus_function_find("time_bucket")->max_args   // 2 */
#include "argus_catalogue.h"

#include "argus_aggregate.h"

#include <string.h>

#define PURE (ARGUS_FN_PURE | ARGUS_FN_SAFE)

const argus_function argus_functions[] = {
    /* decoding OTLP */
    {"otlp_spans", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_otlp_decode"},
    {"otlp_logs", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_otlp_decode"},
    {"otlp_span_resources", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_otlp_decode"},
    {"otlp_log_resources", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_otlp_decode"},
    {"otlp_span_operations", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY,
     "argus_span_operations_build"},
    {"otlp_span_traces", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_span_traces_build"},
    {"otlp_span_rollups", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_span_rollups_build"},
    {"otlp_log_rollups", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_log_rollups_build"},
    {"otlp_spans_json", 1, 1, ARGUS_FN_SCALAR, PURE, "argus_otlp_rows_json"},
    {"otlp_logs_json", 1, 1, ARGUS_FN_SCALAR, PURE, "argus_otlp_rows_json"},
    {"otlp_check", 1, 2, ARGUS_FN_SCALAR, PURE, "argus_otlp_decode_any"},
    {"resource_id", 1, 2, ARGUS_FN_SCALAR, PURE, "argus_otlp_resource_id"},
    /* storing */
    {"argus_store", 1, 2, ARGUS_FN_SCALAR, ARGUS_FN_DIRECT | ARGUS_FN_SQLITE_ONLY,
     "argus_otlp_decode_any"},
    {"argus_migrate", 0, 0, ARGUS_FN_SCALAR, ARGUS_FN_DIRECT | ARGUS_FN_SQLITE_ONLY,
     "argus_schema_migrate"},
    {"arg_min", 2, 1 + ARGUS_ARG_MIN_MAX_KEYS, ARGUS_FN_AGGREGATE, PURE, "argus_arg_min_add"},
    {"json_group_set", 1, 1, ARGUS_FN_AGGREGATE, PURE, "argus_string_set_add"},
    /* traces */
    {"trace_waterfall", 1, 1, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_waterfall_build"},
    {"waterfall_json", 4, 8, ARGUS_FN_AGGREGATE, PURE, "argus_waterfall_json"},
    /* charts */
    {"time_bucket", 2, 2, ARGUS_FN_SCALAR, PURE, "argus_buckets_floor"},
    {"bucket_width", 3, 3, ARGUS_FN_SCALAR, PURE, "argus_buckets_width"},
    {"bucket_series", 3, 3, ARGUS_FN_TABLE, ARGUS_FN_SQLITE_ONLY, "argus_buckets_count"},
    {"percentile", 2, 2, ARGUS_FN_WINDOW, PURE, "argus_percentile_add"},
    {"sketch", 1, 1, ARGUS_FN_AGGREGATE, PURE, "argus_sketch_add"},
    {"sketch_merge", 1, 1, ARGUS_FN_AGGREGATE, PURE, "argus_sketch_merge_blob"},
    {"sketch_add", 2, 2, ARGUS_FN_SCALAR, PURE, "argus_sketch_add"},
    {"sketch_quantile", 2, 2, ARGUS_FN_SCALAR, PURE, "argus_sketch_quantile"},
    {"sketch_count", 1, 1, ARGUS_FN_SCALAR, PURE, "argus_sketch_blob_count"},
    /* logs */
    {"log_template", 1, 1, ARGUS_FN_SCALAR, PURE, "argus_log_template_render"},
    {"log_pattern_id", 1, 1, ARGUS_FN_SCALAR, PURE, "argus_log_template_id"},
    /* reads the insight_rules table: neither pure nor safe, so a query sees committed changes */
    {"ai_insight", 1, 3, ARGUS_FN_SCALAR, 0, "argus_insight_eval"},
    {"insight_builtin_rules", 0, 0, ARGUS_FN_SCALAR, PURE, "argus_insight_builtin_json"},
};

const size_t argus_functions_count = sizeof argus_functions / sizeof argus_functions[0];

const argus_function *argus_function_find(const char *name)
{
    for (size_t i = 0; i < argus_functions_count; i++)
        if (strcmp(argus_functions[i].name, name) == 0)
            return &argus_functions[i];
    return NULL;
}
