/* OTLP decoding for traces and logs, from protobuf or OTLP/JSON, into protobuf-c structs held in
 * an arena, plus iteration over spans / log records and rendering of their parts as JSON text.
 *   argus_otlp_payload p; argus_otlp_payload_init(&p, ARGUS_SIGNAL_TRACES);
 *   if (argus_otlp_decode(&p, buf, len, ARGUS_OTLP_PROTOBUF, &err) == 0)
 *       for (argus_otlp_iter it = argus_otlp_iter_start(&p); argus_otlp_iter_next(&it);) ...
 *   argus_otlp_payload_free(&p);
 * The payload is borrowed only during decode; decoded data lives until the next decode or free.
 * Spans/log records with invalid ids are counted in `rejected` and skipped by the iterators. */
#ifndef ARGUS_OTLP_H
#define ARGUS_OTLP_H

#include "argus_arena.h"
#include "argus_buf.h"
#include "argus_error.h"
#include "argus_signal.h"

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
    /* Guess from the bytes, never refusing a valid protobuf: a payload that looks like JSON
     * (argus_otlp_is_json()) and does not decode as OTLP/JSON is tried as protobuf (a protobuf
     * whose first ResourceSpans is 123 bytes long starts "\n{"); when both fail, the JSON error
     * is reported. For SQL users; a server knows the format from its transport. */
    ARGUS_OTLP_AUTO = 0,
    ARGUS_OTLP_PROTOBUF = 1,
    ARGUS_OTLP_JSON = 2,
} argus_otlp_format;

/* 1 if the payload looks like OTLP/JSON (first non-blank byte is '{'), else 0. A hint only: a
 * valid protobuf may look like JSON too (see ARGUS_OTLP_AUTO). */
int argus_otlp_is_json(const void *payload, size_t len);

struct argus_value; /* argus_otlp_rows.h */

/* A decoded OTLP payload of one signal: an ExportTraceServiceRequest / TracesData or an
 * ExportLogsServiceRequest / LogsData, held in the payload's arena. Reused across decodes (the
 * arena keeps its last block); argus_otlp_recycle() bounds what it keeps between requests. */
typedef struct argus_otlp_payload {
    argus_signal signal;
    argus_arena arena;
    union { /* owned by arena; NULL before a successful decode */
        void *data;
        argus_pb_traces *traces; /* signal == ARGUS_SIGNAL_TRACES */
        argus_pb_logs *logs;     /* signal == ARGUS_SIGNAL_LOGS */
    };
    argus_otlp_format format; /* the format it was decoded from */
    size_t resource_count;    /* ResourceSpans / ResourceLogs entries */
    size_t item_count;        /* every span / log record in the payload, valid or not */
    size_t rejected;          /* items with invalid ids */
    char reject_message[160]; /* why the first rejected item was rejected */
    /* Column values of every valid item, rendered ahead by argus_otlp_render() (in the arena;
     * the signal's ncolumns per item), or NULL: then columns are rendered on demand. */
    const struct argus_value *rows;
    /* Set by the caller before argus_otlp_decode (0 = none): decoding and rendering may hold at
     * most this many bytes, below the built-in ARGUS_OTLP_MEMORY_* limit (the server's memory
     * budget). Reaching it fails with ARGUS_ENOMEM. Kept across decodes. */
    size_t memory_cap;
    /* The bytes argus_otlp_check_wire() found well-formed (the next decode's only) */
    const void *wire_checked;
    size_t wire_checked_len;
} argus_otlp_payload;

/* Initialises an empty payload of signal sig (no allocation yet). */
void argus_otlp_payload_init(argus_otlp_payload *p, argus_signal sig);
/* Releases all memory; the payload may be initialised again. */
void argus_otlp_payload_free(argus_otlp_payload *p);
/* Decodes payload bytes (borrowed during the call) of the payload's signal, in the given format
 * (ARGUS_OTLP_AUTO: see there). Replaces what p held. Returns 0, or ARGUS_EFORMAT /
 * ARGUS_ELIMIT / ARGUS_ENOMEM with err->message saying what is wrong. */
int argus_otlp_decode(argus_otlp_payload *p, const void *payload, size_t len,
                      argus_otlp_format format, argus_error *err);
/* Decodes a payload whose signal is not known: as traces when it decodes as such (the two share a
 * wire shape at the top), unless it holds no resource while it decodes as logs with some (as
 * OTLP/JSON logs do: "resourceLogs" is an unknown key to traces); otherwise as logs, whose error
 * is the one reported. tr and lg are payloads initialised for each signal; *out is set to the
 * one holding the result. An empty payload is empty traces. */
int argus_otlp_decode_any(argus_otlp_payload *tr, argus_otlp_payload *lg, const void *payload,
                          size_t len, argus_otlp_format format, argus_otlp_payload **out,
                          argus_error *err);
/* What a message of a kind costs, for argus_otlp_check_wire(). */
typedef struct argus_otlp_wire_cost {
    const ProtobufCMessageDescriptor *message;
    unsigned cost;
} argus_otlp_wire_cost;
/* Checks payload[0..len) as the protobuf of p's signal, as the decoder does first, and adds to
 * *cost what the payload holds: costs[k].cost for every message of type costs[k].message (ncosts
 * entries; the first matching one counts) and the length of every string, bytes or unknown
 * length-delimited field. The next argus_otlp_decode() of p with these very bytes (the same
 * pointer and length, unchanged in between) skips its own check. Lets a server price a request
 * before decoding it without a second pass over its bytes. 0, or ARGUS_EFORMAT / ARGUS_ELIMIT
 * with err saying what is wrong (what was added to *cost so far stays). */
int argus_otlp_check_wire(argus_otlp_payload *p, const void *payload, size_t len,
                          const argus_otlp_wire_cost *costs, size_t ncosts, uint64_t *cost,
                          argus_error *err);
/* Valid items (item_count - rejected). */
size_t argus_otlp_valid_items(const argus_otlp_payload *p);
/* Forgets the decoded data for the next decode, keeping the arena's most recent block for reuse
 * unless that block is larger than keep_bytes (a huge request must not pin its memory). */
void argus_otlp_recycle(argus_otlp_payload *p, size_t keep_bytes);

/* ---- per-signal names (the same payload type; kept for readability at call sites) --------- */

typedef argus_otlp_payload argus_otlp_traces;
typedef argus_otlp_payload argus_otlp_logs;

void argus_otlp_traces_init(argus_otlp_traces *t);
void argus_otlp_traces_free(argus_otlp_traces *t);
/* argus_otlp_decode(t, payload, len, ARGUS_OTLP_AUTO, err) as traces. */
int argus_otlp_traces_decode(argus_otlp_traces *t, const void *payload, size_t len,
                             argus_error *err);
void argus_otlp_logs_init(argus_otlp_logs *l);
void argus_otlp_logs_free(argus_otlp_logs *l);
int argus_otlp_logs_decode(argus_otlp_logs *l, const void *payload, size_t len, argus_error *err);

/* ---- OTLP/JSON (otlp_json.c): payload -> the same protobuf-c structs, allocated in `a` ------ */

/* d is the top-level message (TracesData / LogsData); *out is set to the decoded message. */
int argus_otlp_json_decode(const char *json, size_t len, argus_arena *a,
                           const ProtobufCMessageDescriptor *d, void **out, argus_error *err);
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

/* Walks the valid items of a payload of any signal, in payload order. */
typedef struct argus_otlp_iter {
    const argus_signal_desc *sig;
    const void *data;  /* the payload's top-level message */
    size_t ri, si, ki; /* next position */
    argus_otlp_resource_info res;
    const void *resource_entry;  /* current ResourceSpans / ResourceLogs */
    const void *scope_entry;     /* current ScopeSpans / ScopeLogs */
    const char *resource_schema; /* their schema URLs ("" when absent) */
    const char *scope_schema;
    const argus_pb_scope *scope; /* may be NULL */
    union {                      /* current item after a successful next() */
        const void *item;
        const argus_pb_span *span;
        const argus_pb_log *log;
    };
    size_t n;                       /* valid items returned so far (the current one is n - 1) */
    const struct argus_value *rows; /* the payload's rendered rows, or NULL */
    int all_valid; /* decoding found no invalid item: next() need not check each one again */
} argus_otlp_iter;

argus_otlp_iter argus_otlp_iter_start(const argus_otlp_payload *p);
/* Advances to the next valid item; 1 if positioned on one, 0 at the end. */
int argus_otlp_iter_next(argus_otlp_iter *it);

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
