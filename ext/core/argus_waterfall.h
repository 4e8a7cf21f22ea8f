/* Trace waterfall assembly: the display order of a trace's spans (roots by start time, children
 * depth-first by start time) with depth, offset from trace start, self time, Jaeger-style critical
 * path, error propagation and orphan/cycle/duplicate handling. Backs trace_waterfall(trace_id) and
 * the waterfall_json(...) aggregate (SQLite and MySQL):
 *   argus_waterfall_row *rows = malloc(n * sizeof *rows);
 *   argus_waterfall_build(spans, n, rows, &err);  // rows[0..n) in display order */
#ifndef ARGUS_WATERFALL_H
#define ARGUS_WATERFALL_H

#include "argus_arena.h"
#include "argus_buf.h"
#include "argus_error.h"

#include <stddef.h>
#include <stdint.h>

/* OTLP SpanKind values the assembly cares about. */
enum { ARGUS_SPAN_KIND_PRODUCER = 4, ARGUS_SPAN_KIND_CONSUMER = 5 };
/* OTLP Status.code of a failed span. */
enum { ARGUS_STATUS_ERROR = 2 };

/* The most spans one assembly accepts (ARGUS_ELIMIT beyond). */
#define ARGUS_WATERFALL_MAX_SPANS 1000000
/* argus_waterfall_row.parent of a root. */
#define ARGUS_WATERFALL_NONE ((size_t)-1)

/* One input span. All strings are borrowed and need not be NUL-terminated; they must outlive the
 * argus_waterfall_build / _json call. */
typedef struct argus_waterfall_span {
    const char *span_id; /* compared byte-wise; the empty id is a valid (if odd) id */
    size_t span_id_len;
    const char *parent_span_id; /* NULL or length 0: the span is a root */
    size_t parent_span_id_len;
    int64_t start_ns;
    int64_t end_ns;  /* an end before the start is treated as the start (zero duration) */
    int kind;        /* OTLP SpanKind (0..5) */
    int status_code; /* OTLP Status.code; 2 = error */
    int64_t
        index; /* opaque to the assembly (e.g. spans.id); callers use it to find other columns */
    const char *name; /* optional (NULL = unknown), only written by argus_waterfall_json */
    size_t name_len;
    const char *service_name; /* optional, as name */
    size_t service_name_len;
} argus_waterfall_span;

/* One output row; rows[k] is the k-th span in display order. */
typedef struct argus_waterfall_row {
    size_t span;         /* position of the span in the input array */
    size_t parent;       /* display position of the span shown as parent, or ARGUS_WATERFALL_NONE */
    int depth;           /* 0 for roots */
    int64_t offset_ns;   /* start - earliest start of the trace */
    int64_t duration_ns; /* end - start, at least 0 */
    int64_t self_ns;     /* duration minus the union of the children's intervals clipped to it */
    int64_t child_count; /* spans shown directly below this one */
    unsigned char is_critical;      /* on the critical path of its root */
    unsigned char has_error;        /* status_code = 2 */
    unsigned char descendant_error; /* some span below it has status_code = 2 */
    unsigned char is_orphan; /* names a parent but is shown as a root (parent missing or cycle) */
    unsigned char is_duplicate; /* an earlier span has the same span_id; it never has children */
} argus_waterfall_row;

/* Assembles spans[0..n) into rows[0..n) (caller-owned, n entries), in display order:
 *  - order: roots by (start, span_id, end, input position); below each span its children in the
 *    same order, depth first;
 *  - duplicate span ids: the first span in that order keeps the id (children attach to it); the
 *    others are shown under their own parent like any span, marked is_duplicate, childless;
 *  - a parent id that is not in the input makes the span a root marked is_orphan;
 *  - parent cycles (including a span that is its own parent): in each cycle the first span in the
 *    order above loses its parent link, becoming a root marked is_orphan;
 *  - critical path: for every root, Jaeger's walk: from a span, descend into the child (clipped to
 *    the span, entirely-outside children ignored) that finishes last; when a span has no child left
 *    that finishes before the point reached, return to its parent with that point set to the
 *    span's start. CONSUMER children of a PRODUCER span are asynchronous: never walked into.
 * Iterative (no recursion, any depth), O(n log n). ARGUS_ENOMEM, or ARGUS_ELIMIT above
 * ARGUS_WATERFALL_MAX_SPANS. n = 0 is valid and produces nothing. */
int argus_waterfall_build(const argus_waterfall_span *spans, size_t n, argus_waterfall_row *rows,
                          argus_error *err);

/* Appends the assembly of spans[0..n) to out as a JSON array of objects in display order:
 *   [{"span_id":"..","parent_span_id":null,"name":"..","service_name":"..","kind":2,
 *     "start_time_unix_nano":..,"end_time_unix_nano":..,"duration_ns":..,"status_code":0,
 *     "depth":0,"offset_ns":0,"self_ns":..,"child_count":1,"is_critical":true,"has_error":false,
 *     "descendant_error":false,"is_orphan":false,"is_duplicate":false}, ...]
 * Errors as argus_waterfall_build, or ARGUS_ENOMEM when out failed. */
int argus_waterfall_json(argus_buf *out, const argus_waterfall_span *spans, size_t n,
                         argus_error *err);

/* An accumulating set of spans that owns copies of their strings: the state of the
 * waterfall_json aggregate. A zeroed struct is a valid empty set (SQLite aggregate contexts are
 * zeroed), so _init is equivalent to memset 0. */
typedef struct argus_waterfall_set {
    argus_waterfall_span *spans; /* owned; spans[0..n), strings in arena */
    size_t n;
    size_t cap;
    argus_arena arena;
} argus_waterfall_set;

void argus_waterfall_set_init(argus_waterfall_set *set);
/* Releases everything; the set is empty afterwards and may be reused. */
void argus_waterfall_set_free(argus_waterfall_set *set);
/* Adds a copy of *span (strings are copied; index is kept as given). ARGUS_ENOMEM, or
 * ARGUS_ELIMIT when the set already holds ARGUS_WATERFALL_MAX_SPANS spans. */
int argus_waterfall_set_add(argus_waterfall_set *set, const argus_waterfall_span *span,
                            argus_error *err);

#endif
