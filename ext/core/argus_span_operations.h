/* Groupings of one decoded payload's valid spans (log records), each built with a hash table in one
 * pass over the payload instead of SQL's sort (GROUP BY over otlp_spans() sorts every span first):
 *  - per operation (service, minute, span name): spans, errors (status code 2), requests
 *    (SERVER / CONSUMER or root spans) and request errors — what span_operation_rollups adds up
 *    (a 1000-span argus-loadgen request: 50 groups; GROUP BY ~680 us, this ~60 us);
 *  - per trace: the traces summary row of its spans (spans_20_traces.sql);
 *  - per (service, minute) of the requests: counts and a duration sketch (spans_30_rollups.sql);
 *  - log records per (service, minute, severity group) (logs_30_rollups.sql).
 * Every grouping fills the same container, argus_grouping, with its own row struct:
 *   argus_grouping g; argus_grouping_init(&g);
 *   if (argus_span_operations_build(&g, &payload) == 0)
 *       for (size_t i = 0; i < g.n; i++) use(&((const argus_span_operation *)g.rows)[i]);
 *   argus_grouping_free(&g);
 * A build replaces the container's rows (any grouping's, keeping memory); their strings live in
 * it until its next build or free. */
#ifndef ARGUS_SPAN_OPERATIONS_H
#define ARGUS_SPAN_OPERATIONS_H

#include "argus_buf.h"
#include "argus_error.h"
#include "argus_otlp_rows.h"
#include "argus_sketch.h"

#include <stddef.h>
#include <stdint.h>

/* One payload's groups: n rows of the struct its last build fills (argus_span_operation,
 * argus_span_trace, argus_span_rollup or argus_log_rollup), in that build's order. Internally a
 * hash table of the groups' keys, (text a, integer i, integer j, text b), rows[k]'s at keys[k]
 * while grouping, and buffers (arenas) for the texts the rows point into. */
typedef struct argus_group_key argus_group_key;
typedef struct argus_grouping {
    void *rows;
    size_t n;
    size_t row_size, rows_bytes; /* (internal, as everything below) */
    void (*row_free)(void *row); /* frees what a row owns (a rollup's sketch), or NULL */
    argus_group_key *keys;
    size_t keys_cap;
    uint32_t *slots; /* open addressing: index + 1 into keys, 0 = empty */
    size_t nslots;
    argus_buf names;      /* key texts and other copied texts, by offset while building */
    argus_buf out;        /* what a build renders from its rows: services arrays, sketch blobs */
    argus_buf lists[2];   /* a build's own arrays (the traces' distinct services) */
    argus_buf scratch[8]; /* a span's values rendered now (payload not rendered ahead) */
    const struct argus_hash_key *hash_key; /* the process's (argus_hash.h) */
} argus_grouping;

void argus_grouping_init(argus_grouping *g);
void argus_grouping_free(argus_grouping *g);

/* The builds: each replaces g's rows with the groups of the valid spans (log records) of the
 * payload p (a traces payload, or a logs one for argus_log_rollups_build). 0, or ARGUS_ENOMEM
 * (g then holds no row). */

/* A row of argus_span_operations_build(): one (service, minute, span name), in order of first
 * appearance. */
typedef struct argus_span_operation {
    const char *service; /* service_n bytes (not NUL-terminated) */
    size_t service_n;
    const char *name;
    size_t name_n;
    int64_t minute_ns; /* start_time_unix_nano / 60000000000 * 60000000000 */
    int64_t spans, errors, requests, request_errors;
    unsigned char service_null, name_null; /* the span had no such value (SQL NULL) */
} argus_span_operation;

int argus_span_operations_build(argus_grouping *g, const argus_otlp_payload *p);

/* A row of argus_span_traces_build(), in trace_id order: one trace of a payload, the row
 * spans_20_traces.sql merges into the traces summary, the same values as GROUP BY trace_id over
 * otlp_spans(payload) with min(start_time_unix_nano), max(end_time_unix_nano), their difference,
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

int argus_span_traces_build(argus_grouping *g, const argus_otlp_payload *p);

/* A row of argus_span_rollups_build(), in order of first appearance: one (service, minute) of a
 * payload's requests (SERVER / CONSUMER or root spans): the row
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

/* Also ARGUS_ELIMIT (a sketch count overflow); either with err set. */
int argus_span_rollups_build(argus_grouping *g, const argus_otlp_payload *p, argus_error *err);

/* A row of argus_log_rollups_build(), in order of first appearance: one (service, minute,
 * severity group) of a logs payload's records: the row logs_30_rollups.sql
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

int argus_log_rollups_build(argus_grouping *g, const argus_otlp_payload *p);

#endif
