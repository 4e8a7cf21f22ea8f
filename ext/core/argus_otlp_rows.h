/* The row shape of decoded OTLP data: the columns of otlp_spans() / otlp_logs() and their values,
 * shared by the SQLite virtual tables, the *_json() scalar functions and the MySQL UDFs.
 *   argus_value v; argus_otlp_column(&it, ARGUS_SPAN_NAME, &v, &scratch);
 *   argus_otlp_rows_json(&out, &payload);   // [{"trace_id":...}, ...] */
#ifndef ARGUS_OTLP_ROWS_H
#define ARGUS_OTLP_ROWS_H

#include "argus_otlp.h"

typedef enum argus_value_type {
    ARGUS_VAL_NULL = 0,
    ARGUS_VAL_INT,  /* i */
    ARGUS_VAL_TEXT, /* s[0..n), valid UTF-8 */
    ARGUS_VAL_JSON, /* s[0..n), a JSON document (object or array) */
} argus_value_type;

/* One column value. s is borrowed: from the decoded data or the scratch buffer, valid until the
 * next call that uses the same scratch buffer or the next decode. */
typedef struct argus_value {
    argus_value_type type;
    int64_t i;
    const char *s;
    size_t n;
} argus_value;

enum argus_span_column {
    ARGUS_SPAN_TRACE_ID,
    ARGUS_SPAN_SPAN_ID,
    ARGUS_SPAN_PARENT_SPAN_ID,
    ARGUS_SPAN_TRACE_STATE,
    ARGUS_SPAN_FLAGS,
    ARGUS_SPAN_NAME,
    ARGUS_SPAN_KIND,
    ARGUS_SPAN_START_TIME,
    ARGUS_SPAN_END_TIME,
    ARGUS_SPAN_DURATION,
    ARGUS_SPAN_STATUS_CODE,
    ARGUS_SPAN_STATUS_MESSAGE,
    ARGUS_SPAN_SERVICE_NAME,
    ARGUS_SPAN_ATTRIBUTES,
    ARGUS_SPAN_EVENTS,
    ARGUS_SPAN_LINKS,
    ARGUS_SPAN_RESOURCE_ATTRIBUTES,
    ARGUS_SPAN_SCOPE_NAME,
    ARGUS_SPAN_SCOPE_VERSION,
    ARGUS_SPAN_SCOPE_ATTRIBUTES,
    ARGUS_SPAN_DROPPED_ATTRIBUTES,
    ARGUS_SPAN_DROPPED_EVENTS,
    ARGUS_SPAN_DROPPED_LINKS,
    ARGUS_SPAN_RESOURCE_SCHEMA_URL,
    ARGUS_SPAN_SCOPE_SCHEMA_URL,
    ARGUS_SPAN_RESOURCE_ID,
    ARGUS_SPAN_NCOLUMNS
};

enum argus_log_column {
    ARGUS_LOG_TIME,
    ARGUS_LOG_OBSERVED_TIME,
    ARGUS_LOG_SEVERITY_NUMBER,
    ARGUS_LOG_SEVERITY_TEXT,
    ARGUS_LOG_BODY,
    ARGUS_LOG_BODY_TYPE,
    ARGUS_LOG_ATTRIBUTES,
    ARGUS_LOG_TRACE_ID,
    ARGUS_LOG_SPAN_ID,
    ARGUS_LOG_FLAGS,
    ARGUS_LOG_EVENT_NAME,
    ARGUS_LOG_DROPPED_ATTRIBUTES,
    ARGUS_LOG_SERVICE_NAME,
    ARGUS_LOG_RESOURCE_ATTRIBUTES,
    ARGUS_LOG_SCOPE_NAME,
    ARGUS_LOG_SCOPE_VERSION,
    ARGUS_LOG_SCOPE_ATTRIBUTES,
    ARGUS_LOG_RESOURCE_SCHEMA_URL,
    ARGUS_LOG_SCOPE_SCHEMA_URL,
    ARGUS_LOG_RESOURCE_ID,
    ARGUS_LOG_NCOLUMNS
};

/* Column names and SQL types ("TEXT", "INTEGER"), indexed by the enums above. */
extern const char *const argus_span_column_names[ARGUS_SPAN_NCOLUMNS];
extern const char *const argus_span_column_types[ARGUS_SPAN_NCOLUMNS];
extern const char *const argus_log_column_names[ARGUS_LOG_NCOLUMNS];
extern const char *const argus_log_column_types[ARGUS_LOG_NCOLUMNS];

/* Fills *out with column col of the iterator's current span / log record: from the rows rendered
 * ahead when the payload has them (argus_otlp_render(); then out->s lives as long as the decoded
 * payload), else rendered now (out->s may point into scratch, owned by caller, which is reset). */
void argus_otlp_column(const argus_otlp_iter *it, int col, argus_value *out, argus_buf *scratch);
/* The same, for an iterator known to be on a span / a log record. */
void argus_otlp_span_column(const argus_otlp_iter *it, int col, argus_value *out,
                            argus_buf *scratch);
void argus_otlp_log_column(const argus_otlp_iter *it, int col, argus_value *out,
                           argus_buf *scratch);
/* Column col rendered from the decoded structs, ignoring rows rendered ahead (the descriptors'
 * column renderers). */
void argus_otlp_span_render(const argus_otlp_iter *it, int col, argus_value *out,
                            argus_buf *scratch);
void argus_otlp_log_render(const argus_otlp_iter *it, int col, argus_value *out,
                           argus_buf *scratch);

/* Renders every column of every valid item into the payload's arena (p->rows), so that iterators
 * started afterwards return them without rendering: lets a server do this in its receiving
 * threads instead of its one writer. A resource's columns are rendered once and shared by its
 * items. ARGUS_ENOMEM when the arena's limit is reached. */
int argus_otlp_render(argus_otlp_payload *p, argus_error *err);

/* The id a resource is stored under (resources.id): a 63-bit hash of its attributes JSON (as
 * rendered into resource_attributes) and its schema URL (NULL and "" are the same). Equal
 * resources get equal ids; different ones almost surely different ids (the schema refuses to
 * store a collision rather than mix two resources up). */
int64_t argus_otlp_resource_id(const char *attrs_json, size_t n, const char *schema_url, size_t m);

/* Appends every valid item as a JSON array of objects keyed by column name (otlp_spans_json()). */
void argus_otlp_rows_json(argus_buf *out, const argus_otlp_payload *p);

/* Appends otlp_check()'s summary of a decoded payload (SQLite function and MySQL UDF):
 * {"type":"traces"|"logs","format":"protobuf"|"json","resources":n,"items":n,"rejected":n,
 *  "error":"why the first rejected item was rejected"|null}. */
void argus_otlp_check_json(argus_buf *out, const argus_otlp_payload *p);

#endif
