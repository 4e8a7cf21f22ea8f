/* Groupings of one decoded payload's valid spans (log records), each built with a hash table in one
 * pass over the payload instead of SQL's sort (GROUP BY over otlp_spans() sorts every span first):
 *  - per operation (service, minute, span name): spans, errors (status code 2), requests
 *    (SERVER / CONSUMER or root spans) and request errors — what span_operation_rollups adds up
 *    (a 1000-span argus-loadgen request: 50 groups; GROUP BY ~680 us, this ~60 us);
 *  - per trace: the traces summary row of its spans (spans_20_traces.sql);
 *  - per (service, minute) of the requests: counts and a duration sketch (spans_30_rollups.sql);
 *  - log records per (service, minute, severity group) (logs_30_rollups.sql).
 *   argus_span_operations o; argus_span_operations_init(&o);
 *   if (argus_span_operations_build(&o, &payload) == 0)
 *       for (size_t i = 0; i < o.n; i++) use(&o.ops[i]);
 *   argus_span_operations_free(&o);     // the same shape for argus_span_traces / _rollups
 * Strings of a built grouping live in it until its next build or free. */
#ifndef ARGUS_SPAN_OPERATIONS_H
#define ARGUS_SPAN_OPERATIONS_H

#include "argus_buf.h"
#include "argus_otlp_rows.h"
#include "argus_sketch.h"

#include <stddef.h>
#include <stdint.h>

/* The hash table the groupings share (internal): groups keyed by (text a, integer i, text b), in
 * order of first appearance, each with an item of item_size bytes (zeroed when added: the
 * grouping's row, in items); the key texts are copied into names. */
typedef struct argus_group_key argus_group_key;
typedef struct argus_span_groups {
    argus_group_key *keys;
    size_t n, cap;
    void *items;
    size_t item_size, items_cap;
    uint32_t *slots; /* open addressing: index + 1 into keys, 0 = empty */
    size_t nslots;
    argus_buf names;      /* key texts and other copied texts, by offset while building */
    argus_buf scratch[8]; /* a span's values rendered now (payload not rendered ahead) */
} argus_span_groups;

typedef struct argus_span_operation {
    const char *service; /* service_n bytes (not NUL-terminated) */
    size_t service_n;
    const char *name;
    size_t name_n;
    int64_t minute_ns; /* start_time_unix_nano / 60000000000 * 60000000000 */
    int64_t spans, errors, requests, request_errors;
    unsigned char service_null, name_null; /* the span had no such value (SQL NULL) */
} argus_span_operation;

typedef struct argus_span_operations {
    argus_span_operation *ops; /* in order of first appearance (in g) */
    size_t n;
    argus_span_groups g;
} argus_span_operations;

void argus_span_operations_init(argus_span_operations *o);
void argus_span_operations_free(argus_span_operations *o);
/* Replaces o's groups with those of the valid spans of the traces payload p (keeps memory).
 * 0, or ARGUS_ENOMEM (o then holds no group). */
int argus_span_operations_build(argus_span_operations *o, const argus_otlp_payload *p);

/* One trace of a payload: the row spans_20_traces.sql merges into the traces summary, the same
 * values as GROUP BY trace_id over otlp_spans(payload) with
 *   min(start_time_unix_nano), max(end_time_unix_nano), their difference,
 *   arg_min(service_name, parent_span_id IS NOT NULL, start_time_unix_nano),
 *   arg_min(name, parent_span_id IS NOT NULL, start_time_unix_nano),
 *   max(parent_span_id IS NULL), count(*), sum(status_code = 2), json_group_set(service_name)
 * (the root: a span without parent, else the earliest; the first in payload order on ties). */
typedef struct argus_span_trace {
    const char *trace_id; /* 32 hex digits */
    size_t trace_id_n;
    int64_t start_ns, end_ns;
    int64_t root_start_ns;               /* start of the span picked as root */
    argus_value root_service, root_name; /* ARGUS_VAL_TEXT or ARGUS_VAL_NULL */
    int has_root;
    int64_t spans, errors;
    const char *services; /* the sorted set of service names as a JSON array */
    size_t services_n;
    uint32_t service_head; /* internal: its last service in the set list, + 1 */
} argus_span_trace;

typedef struct argus_span_set_item argus_span_set_item;
typedef struct argus_span_traces {
    argus_span_trace *traces; /* sorted by trace_id (in g) */
    size_t n;
    argus_span_set_item *set; /* every trace's distinct services (internal) */
    size_t nset, set_cap;
    void *sorted; /* one trace's services while sorting them (internal) */
    size_t sorted_cap;
    argus_buf json; /* the traces' services arrays */
    argus_span_groups g;
} argus_span_traces;

void argus_span_traces_init(argus_span_traces *t);
void argus_span_traces_free(argus_span_traces *t);
/* Replaces t's traces with those of p's valid spans. 0, or ARGUS_ENOMEM (t then holds none). */
int argus_span_traces_build(argus_span_traces *t, const argus_otlp_payload *p);

/* One (service, minute) of a payload's requests (SERVER / CONSUMER or root spans): the row
 * spans_30_rollups.sql merges into span_rollups, the same values as
 *   SELECT service_name, start_time_unix_nano / 60000000000 * 60000000000, count(*),
 *          sum(status_code = 2), sketch(duration_ns)
 *   FROM otlp_spans(payload) WHERE kind IN (2, 5) OR parent_span_id IS NULL GROUP BY 1, 2 */
typedef struct argus_rollup_key {
    const char *service; /* service_n bytes (not NUL-terminated); SQL NULL when service_null */
    size_t service_n;
    unsigned char service_null;
    int64_t minute_ns;
} argus_rollup_key;

typedef struct argus_span_rollup {
    argus_rollup_key key;
    int64_t requests, errors;
    argus_sketch sketch;
    const unsigned char *sketch_blob; /* the sketch serialized (argus_sketch_encode()) */
    size_t sketch_n;
} argus_span_rollup;

typedef struct argus_span_rollups {
    argus_span_rollup *rollups; /* in order of first appearance (in g) */
    size_t n;
    argus_buf blobs;
    argus_span_groups g;
} argus_span_rollups;

void argus_span_rollups_init(argus_span_rollups *r);
void argus_span_rollups_free(argus_span_rollups *r);
/* Replaces r's groups with those of p's valid spans. 0, or ARGUS_ENOMEM / ARGUS_ELIMIT (a sketch
 * count overflow) with err set (r then holds none). */
int argus_span_rollups_build(argus_span_rollups *r, const argus_otlp_payload *p, argus_error *err);

/* One (service, minute, severity group) of a logs payload's records: the row logs_30_rollups.sql
 * adds to log_rollups, the same values as
 *   SELECT service_name, t / 60000000000 * 60000000000,
 *          CASE WHEN severity_number BETWEEN 1 AND 24 THEN (severity_number - 1) / 4 * 4 + 1
 *               ELSE 0 END, count(*)
 *   FROM otlp_logs(payload) GROUP BY 1, 2, 3
 * where t is time_unix_nano, or observed_time_unix_nano when that is 0. */
typedef struct argus_log_rollup {
    argus_rollup_key key;
    int64_t severity, count;
} argus_log_rollup;

typedef struct argus_log_rollups {
    argus_log_rollup *rollups; /* in order of first appearance (in g) */
    size_t n;
    argus_span_groups g;
} argus_log_rollups;

void argus_log_rollups_init(argus_log_rollups *r);
void argus_log_rollups_free(argus_log_rollups *r);
/* Replaces r's groups with those of the logs payload p's valid records. 0, or ARGUS_ENOMEM. */
int argus_log_rollups_build(argus_log_rollups *r, const argus_otlp_payload *p);

#endif
