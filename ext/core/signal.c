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

/* One descriptor. SIG names the signal (ARGUS_SIGNAL_<SIG>, ARGUS_POINTER_<SIG>), COL / col the
 * item's column prefix (ARGUS_<COL>_*, argus_<col>_column_*, argus_otlp_<col>_render,
 * <col>_invalid, otlp_<col>s...); the rest are its names in OTLP and in SQL. */
#define SIGNAL_DESC(SIG, COL, col, NAME, ITEMS, ROWS, JSON_KEY, RESOURCE_LEVEL, SCOPE_LEVEL,       \
                    ITEM_LEVEL)                                                                    \
    [ARGUS_SIGNAL_##SIG] = {                                                                       \
        .signal = ARGUS_SIGNAL_##SIG,                                                              \
        .name = NAME,                                                                              \
        .items = ITEMS,                                                                            \
        .rows = ROWS,                                                                              \
        .table_function = "otlp_" #col "s",                                                        \
        .resources_function = "otlp_" #col "_resources",                                           \
        .json_function = "otlp_" #col "s_json",                                                    \
        .pointer_type = ARGUS_POINTER_##SIG,                                                       \
        .json_key = JSON_KEY,                                                                      \
        .level_names = {RESOURCE_LEVEL, SCOPE_LEVEL, ITEM_LEVEL},                                  \
        .ncolumns = ARGUS_##COL##_NCOLUMNS,                                                        \
        .column_names = argus_##col##_column_names,                                                \
        .column_types = argus_##col##_column_types,                                                \
        .context_columns = {ARGUS_##COL##_RESOURCE_ID, ARGUS_##COL##_SERVICE_NAME,                 \
                            ARGUS_##COL##_RESOURCE_ATTRIBUTES, ARGUS_##COL##_RESOURCE_SCHEMA_URL,  \
                            ARGUS_##COL##_SCOPE_NAME, ARGUS_##COL##_SCOPE_VERSION,                 \
                            ARGUS_##COL##_SCOPE_ATTRIBUTES, ARGUS_##COL##_SCOPE_SCHEMA_URL},       \
        .column = argus_otlp_##col##_render,                                                       \
        .invalid = col##_invalid,                                                                  \
    }

static const argus_signal_desc SIGNALS[ARGUS_SIGNAL_COUNT] = {
    SIGNAL_DESC(TRACES, SPAN, span, "traces", "spans", "spans", "resourceSpans", "resource_spans",
                "scope_spans", "spans"),
    SIGNAL_DESC(LOGS, LOG, log, "logs", "log records", "logs", "resourceLogs", "resource_logs",
                "scope_logs", "log_records"),
};

const argus_signal_desc *argus_signal_get(argus_signal s)
{
    return &SIGNALS[(unsigned)s < ARGUS_SIGNAL_COUNT ? s : ARGUS_SIGNAL_TRACES];
}

const char *argus_signal_name(argus_signal s)
{
    return argus_signal_get(s)->name;
}

int argus_signal_stored_columns(const argus_signal_desc *d, int *out, int max)
{
    const int *ctx = d->context_columns;
    int n = 0;
    for (int c = 0; c < d->ncolumns && n < max; c++)
        if (c != ctx[ARGUS_RES_ATTRIBUTES] && c != ctx[ARGUS_RES_SCHEMA_URL] &&
            c != ctx[ARGUS_SCOPE_ATTRIBUTES] && c != ctx[ARGUS_SCOPE_SCHEMA_URL])
            out[n++] = c;
    return n;
}
