/* The descriptors of the traces and logs signals (see argus_signal.h): names, columns and
 * pointer tags, written once for the decoder, the SQL functions, the UDFs and the server.
 *   argus_signal_get(ARGUS_SIGNAL_TRACES)->table_function   // "otlp_spans" */
#include "argus_signal.h"

#include "argus_otlp_rows.h"

static const char *span_invalid(const void *item)
{
    return argus_otlp_span_invalid(item);
}

static const char *log_invalid(const void *item)
{
    return argus_otlp_log_invalid(item);
}

static const argus_signal_desc SIGNALS[ARGUS_SIGNAL_COUNT] = {
    [ARGUS_SIGNAL_TRACES] =
        {
            .signal = ARGUS_SIGNAL_TRACES,
            .name = "traces",
            .items = "spans",
            .rows = "spans",
            .table_function = "otlp_spans",
            .resources_function = "otlp_span_resources",
            .json_function = "otlp_spans_json",
            .pointer_type = ARGUS_POINTER_TRACES,
            .json_key = "resourceSpans",
            .level_names = {"resource_spans", "scope_spans", "spans"},
            .ncolumns = ARGUS_SPAN_NCOLUMNS,
            .column_names = argus_span_column_names,
            .column_types = argus_span_column_types,
            .context_columns = {ARGUS_SPAN_RESOURCE_ID, ARGUS_SPAN_SERVICE_NAME,
                                ARGUS_SPAN_RESOURCE_ATTRIBUTES, ARGUS_SPAN_RESOURCE_SCHEMA_URL,
                                ARGUS_SPAN_SCOPE_NAME, ARGUS_SPAN_SCOPE_VERSION,
                                ARGUS_SPAN_SCOPE_ATTRIBUTES, ARGUS_SPAN_SCOPE_SCHEMA_URL},
            .column = argus_otlp_span_render,
            .invalid = span_invalid,
        },
    [ARGUS_SIGNAL_LOGS] =
        {
            .signal = ARGUS_SIGNAL_LOGS,
            .name = "logs",
            .items = "log records",
            .rows = "logs",
            .table_function = "otlp_logs",
            .resources_function = "otlp_log_resources",
            .json_function = "otlp_logs_json",
            .pointer_type = ARGUS_POINTER_LOGS,
            .json_key = "resourceLogs",
            .level_names = {"resource_logs", "scope_logs", "log_records"},
            .ncolumns = ARGUS_LOG_NCOLUMNS,
            .column_names = argus_log_column_names,
            .column_types = argus_log_column_types,
            .context_columns = {ARGUS_LOG_RESOURCE_ID, ARGUS_LOG_SERVICE_NAME,
                                ARGUS_LOG_RESOURCE_ATTRIBUTES, ARGUS_LOG_RESOURCE_SCHEMA_URL,
                                ARGUS_LOG_SCOPE_NAME, ARGUS_LOG_SCOPE_VERSION,
                                ARGUS_LOG_SCOPE_ATTRIBUTES, ARGUS_LOG_SCOPE_SCHEMA_URL},
            .column = argus_otlp_log_render,
            .invalid = log_invalid,
        },
};

const argus_signal_desc *argus_signal_get(argus_signal s)
{
    return &SIGNALS[(unsigned)s < ARGUS_SIGNAL_COUNT ? s : ARGUS_SIGNAL_TRACES];
}

const char *argus_signal_name(argus_signal s)
{
    return argus_signal_get(s)->name;
}
