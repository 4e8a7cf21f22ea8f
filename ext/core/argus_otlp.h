/* OTLP decoding for traces and logs, from protobuf or OTLP/JSON, into protobuf-c structs held in
 * an arena, plus iteration over spans / log records and rendering of their parts as JSON text.
 *   argus_otlp_traces t; argus_otlp_traces_init(&t);
 *   if (argus_otlp_traces_decode(&t, buf, len, &err) == 0)
 *       for (argus_span_iter it = argus_span_iter_start(&t); argus_span_iter_next(&it);) ...
 *   argus_otlp_traces_free(&t);
 * The payload is borrowed only during decode; decoded data lives until the next decode or free.
 * Spans/log records with invalid ids are counted in `rejected` and skipped by the iterators. */
#ifndef ARGUS_OTLP_H
#define ARGUS_OTLP_H

#include "argus_arena.h"
#include "argus_buf.h"
#include "argus_error.h"

#include "opentelemetry/proto/logs/v1/logs.pb-c.h"
#include "opentelemetry/proto/trace/v1/trace.pb-c.h"

#include <stddef.h>
#include <stdint.h>

typedef Opentelemetry__Proto__Common__V1__AnyValue argus_pb_anyvalue;
typedef Opentelemetry__Proto__Common__V1__KeyValue argus_pb_keyvalue;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope argus_pb_scope;
typedef Opentelemetry__Proto__Resource__V1__Resource argus_pb_resource;
typedef Opentelemetry__Proto__Trace__V1__TracesData argus_pb_traces;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans argus_pb_resource_spans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans argus_pb_scope_spans;
typedef Opentelemetry__Proto__Trace__V1__Span argus_pb_span;
typedef Opentelemetry__Proto__Trace__V1__Span__Event argus_pb_event;
typedef Opentelemetry__Proto__Trace__V1__Span__Link argus_pb_link;
typedef Opentelemetry__Proto__Logs__V1__LogsData argus_pb_logs;
typedef Opentelemetry__Proto__Logs__V1__ResourceLogs argus_pb_resource_logs;
typedef Opentelemetry__Proto__Logs__V1__ScopeLogs argus_pb_scope_logs;
typedef Opentelemetry__Proto__Logs__V1__LogRecord argus_pb_log;

/* Limits applied to every payload (documented in docs/sql.md). */
#define ARGUS_OTLP_MAX_DEPTH 64 /* nesting of AnyValue arrays / kvlists */
#define ARGUS_OTLP_MEMORY_BASE ((size_t)64 << 20)
#define ARGUS_OTLP_MEMORY_FACTOR 32 /* decoded bytes allowed per payload byte */

typedef enum argus_otlp_format {
    ARGUS_OTLP_PROTOBUF = 1,
    ARGUS_OTLP_JSON = 2,
} argus_otlp_format;

/* 1 if the payload looks like OTLP/JSON (first non-blank byte is '{'), else 0 (protobuf). */
int argus_otlp_is_json(const void *payload, size_t len);

/* ---- traces ------------------------------------------------------------------------------- */

struct argus_value; /* argus_otlp_rows.h */

typedef struct argus_otlp_traces {
    argus_arena arena;
    argus_pb_traces *data; /* owned by arena; NULL before a successful decode */
    argus_otlp_format format;
    size_t span_count;        /* every span in the payload, valid or not */
    size_t rejected;          /* spans with invalid ids */
    char reject_message[160]; /* why the first rejected span was rejected */
    /* Column values of every valid span, rendered ahead by argus_otlp_traces_render() (in the
     * arena; ARGUS_SPAN_NCOLUMNS per span), or NULL: then columns are rendered on demand. */
    const struct argus_value *rows;
} argus_otlp_traces;

void argus_otlp_traces_init(argus_otlp_traces *t);
void argus_otlp_traces_free(argus_otlp_traces *t);
/* Decodes an ExportTraceServiceRequest / TracesData (protobuf or OTLP/JSON). Returns 0, or
 * ARGUS_EFORMAT / ARGUS_ELIMIT / ARGUS_ENOMEM with err->message saying what is wrong. */
int argus_otlp_traces_decode(argus_otlp_traces *t, const void *payload, size_t len,
                             argus_error *err);

/* ---- logs --------------------------------------------------------------------------------- */

typedef struct argus_otlp_logs {
    argus_arena arena;
    argus_pb_logs *data;
    argus_otlp_format format;
    size_t log_count;
    size_t rejected;
    char reject_message[160];
    const struct argus_value *rows; /* as for traces; ARGUS_LOG_NCOLUMNS per record */
} argus_otlp_logs;

void argus_otlp_logs_init(argus_otlp_logs *l);
void argus_otlp_logs_free(argus_otlp_logs *l);
int argus_otlp_logs_decode(argus_otlp_logs *l, const void *payload, size_t len, argus_error *err);

/* ---- OTLP/JSON (otlp_json.c): payload -> the same protobuf-c structs, allocated in `a` ------ */

int argus_otlp_json_decode_traces(const char *json, size_t len, argus_arena *a,
                                  argus_pb_traces **out, argus_error *err);
int argus_otlp_json_decode_logs(const char *json, size_t len, argus_arena *a, argus_pb_logs **out,
                                argus_error *err);

/* ---- iteration ---------------------------------------------------------------------------- */

/* Per-resource values shared by its spans / log records. */
typedef struct argus_otlp_resource_info {
    const argus_pb_resource *resource; /* may be NULL */
    const char *service_name;          /* "unknown_service" when absent; borrowed */
    size_t service_name_len;
} argus_otlp_resource_info;

typedef struct argus_span_iter {
    const argus_pb_traces *data;
    size_t ri, si, ki; /* next position */
    argus_otlp_resource_info res;
    const argus_pb_scope *scope;    /* may be NULL */
    const argus_pb_span *span;      /* current span after a successful next() */
    size_t n;                       /* valid spans returned so far (the current one is n - 1) */
    const struct argus_value *rows; /* the payload's rendered rows, or NULL */
} argus_span_iter;

argus_span_iter argus_span_iter_start(const argus_otlp_traces *t);
/* Advances to the next valid span; 1 if positioned on one, 0 at the end. */
int argus_span_iter_next(argus_span_iter *it);

typedef struct argus_log_iter {
    const argus_pb_logs *data;
    size_t ri, si, ki;
    argus_otlp_resource_info res;
    const argus_pb_scope *scope;
    const argus_pb_log *log;
    size_t n;
    const struct argus_value *rows;
} argus_log_iter;

argus_log_iter argus_log_iter_start(const argus_otlp_logs *l);
int argus_log_iter_next(argus_log_iter *it);

/* Validity rules: 0 if valid, else a static message naming the bad field. */
const char *argus_otlp_span_invalid(const argus_pb_span *s);
const char *argus_otlp_log_invalid(const argus_pb_log *l);

/* ---- rendering ---------------------------------------------------------------------------- */

/* Appends the AnyValue as JSON (string, true/false, number, base64 string for bytes, array,
 * object for kvlist; null when unset). */
void argus_otlp_anyvalue_json(argus_buf *b, const argus_pb_anyvalue *v);
/* Appends attributes as a JSON object {"key": value, ...}. */
void argus_otlp_attributes_json(argus_buf *b, argus_pb_keyvalue *const *kv, size_t n);
/* Appends the span's events / links as JSON arrays (see docs/sql.md for the shape). */
void argus_otlp_events_json(argus_buf *b, const argus_pb_span *s);
void argus_otlp_links_json(argus_buf *b, const argus_pb_span *s);
/* Name of an AnyValue's type: "string", "bool", "int", "double", "bytes", "array", "kvlist";
 * NULL when unset. */
const char *argus_otlp_anyvalue_type(const argus_pb_anyvalue *v);
/* Appends a log body as text: a string body verbatim (invalid UTF-8 replaced), any other value
 * as JSON. Returns 0 when there is no body (nothing appended), else 1. */
int argus_otlp_body_text(argus_buf *b, const argus_pb_anyvalue *v);

#endif
