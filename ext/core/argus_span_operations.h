/* Per-operation span counts of one decoded traces payload: one group per (service, minute,
 * span name) with its spans, errors (status code 2), requests (SERVER / CONSUMER or root spans)
 * and request errors — what span_operation_rollups adds up. Grouped with a hash table in one pass
 * over the payload, instead of SQL's sort (measured on a 1000-span argus-loadgen request: 50
 * groups; GROUP BY over otlp_spans() ~680 us, this ~60 us).
 *   argus_span_operations o; argus_span_operations_init(&o);
 *   if (argus_span_operations_build(&o, &payload) == 0)
 *       for (size_t i = 0; i < o.n; i++) use(&o.ops[i]);
 *   argus_span_operations_free(&o); */
#ifndef ARGUS_SPAN_OPERATIONS_H
#define ARGUS_SPAN_OPERATIONS_H

#include "argus_buf.h"
#include "argus_otlp.h"

#include <stddef.h>
#include <stdint.h>

typedef struct argus_span_operation {
    const char *service; /* service_n bytes (not NUL-terminated); valid until the next build */
    size_t service_n;
    const char *name;
    size_t name_n;
    int64_t minute_ns; /* start_time_unix_nano / 60000000000 * 60000000000 */
    int64_t spans, errors, requests, request_errors;
    unsigned char service_null, name_null; /* the span had no such value (SQL NULL) */
    uint64_t hash;                         /* of (service, minute, name), internal */
} argus_span_operation;

typedef struct argus_span_operations {
    argus_span_operation *ops; /* in order of first appearance */
    size_t n, cap;
    uint32_t *slots; /* open addressing: index + 1 into ops, 0 = empty */
    size_t nslots;
    argus_buf names;                 /* the groups' service and span names */
    argus_buf scratch, name_scratch; /* a span's values rendered now (payload not rendered ahead) */
} argus_span_operations;

void argus_span_operations_init(argus_span_operations *o);
void argus_span_operations_free(argus_span_operations *o);
/* Replaces o's groups with those of the valid spans of the traces payload p (keeps memory).
 * 0, or ARGUS_ENOMEM (o then holds no group). */
int argus_span_operations_build(argus_span_operations *o, const argus_otlp_payload *p);

#endif
