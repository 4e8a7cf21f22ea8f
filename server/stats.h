/* Process-wide ingest counters, updated lock-free (C11 atomics) by the receivers and the writer,
 * read by the periodic log line and, later, GET /api/system.
 *   argus_stats_add(&argus_stats_get()->signal[ARGUS_SIGNAL_TRACES].stored, n);
 *   argus_stats_snapshot snap; argus_stats_read(&snap);
 * Counters only grow; queue_* are current values. */
#ifndef ARGUS_STATS_H
#define ARGUS_STATS_H

#include "argus_signal.h" /* argus_signal, argus_signal_name() */

#include <stdatomic.h>
#include <stdint.h>

typedef struct argus_signal_stats {
    atomic_uint_least64_t requests;     /* Export calls / POSTs received */
    atomic_uint_least64_t bad_requests; /* undecodable payloads (INVALID_ARGUMENT / 400) */
    atomic_uint_least64_t received;     /* items (spans or log records) decoded */
    atomic_uint_least64_t stored;       /* items committed */
    atomic_uint_least64_t rejected;     /* items with invalid ids, skipped (partial success) */
    atomic_uint_least64_t dropped;      /* valid items refused: queue full, database error,
                                           shutting down (the client was told to retry) */
    atomic_uint_least64_t refused;      /* requests refused undecoded: the queue was full */
    atomic_uint_least64_t duplicates;   /* requests identical to one stored before (a retry):
                                           answered as stored, nothing stored twice */
} argus_signal_stats;

typedef struct argus_stats {
    argus_signal_stats signal[ARGUS_SIGNAL_COUNT];
    atomic_uint_least64_t queue_requests; /* requests waiting for the writer */
    atomic_uint_least64_t queue_items;
    atomic_uint_least64_t queue_bytes;
    atomic_uint_least64_t batches;        /* committed transactions */
    atomic_uint_least64_t failed_batches; /* rolled-back transactions */
    atomic_int_least64_t last_commit_unix_ns;
    atomic_int_least64_t started_unix_ns;
    /* the insight worker (insight_worker.c): logs with id <= insight_last_id are tagged */
    atomic_int_least64_t insight_last_id;
    /* max(logs.id) when the worker last looked, or the newest committed since (writer.c) */
    atomic_int_least64_t insight_logs_max_id;
    atomic_uint_least64_t insight_batches; /* committed tagging transactions */
    atomic_uint_least64_t insight_errors;  /* failed attempts (busy database included) */
    /* the database circuit breaker (writer.c): after repeated failed batches requests are
     * answered "retry later" at once, without decoding, until a probe commit succeeds */
    atomic_int breaker_state;                   /* argus_breaker_state */
    atomic_uint_least64_t breaker_opened;       /* closed -> open transitions */
    atomic_uint_least64_t breaker_refused;      /* requests answered at once while open */
    atomic_int_least64_t breaker_since_unix_ns; /* when the state last changed (0: never) */
    /* the memory budget (ARGUS_MEMORY_LIMIT, writer.c) */
    atomic_uint_least64_t memory_used;    /* bytes reserved for requests now */
    atomic_uint_least64_t memory_refused; /* requests refused by the budget (413 and 429) */
    /* the HTTP listeners (http.c): connections closed for sending their request head or body
     * too slowly, or idling past the timeout (ARGUS_HTTP_*_TIMEOUT, ARGUS_HTTP_MIN_RATE) */
    atomic_uint_least64_t http_closed_slow;
    /* log lines dropped because stderr was not read fast enough (log.c) */
    atomic_uint_least64_t log_dropped;
    /* gRPC connections closed at once by the caps (grpc_server.c: ARGUS_GRPC_MAX_CONNECTIONS*,
     * the open-file limit) */
    atomic_uint_least64_t grpc_refused;
} argus_stats;

typedef enum argus_breaker_state {
    ARGUS_BREAKER_CLOSED = 0,    /* normal */
    ARGUS_BREAKER_OPEN = 1,      /* refusing; probing the database every second */
    ARGUS_BREAKER_HALF_OPEN = 2, /* a probe is running */
} argus_breaker_state;

/* "closed" / "open" / "half-open". */
const char *argus_breaker_name(int state);

/* The process-wide counters (never NULL). */
argus_stats *argus_stats_get(void);

static inline void argus_stats_add(atomic_uint_least64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

typedef struct argus_stats_snapshot {
    struct {
        uint64_t requests, bad_requests, received, stored, rejected, dropped, refused, duplicates;
    } signal[ARGUS_SIGNAL_COUNT];
    uint64_t queue_requests, queue_items, queue_bytes, batches, failed_batches;
    int64_t last_commit_unix_ns, started_unix_ns;
    int64_t insight_last_id, insight_logs_max_id;
    uint64_t insight_batches, insight_errors;
    int breaker_state;
    uint64_t breaker_opened, breaker_refused;
    int64_t breaker_since_unix_ns;
    uint64_t memory_used, memory_refused;
    uint64_t http_closed_slow, log_dropped, grpc_refused;
} argus_stats_snapshot;

/* Copies every counter (each read atomically; the set is not one consistent instant). */
void argus_stats_read(argus_stats_snapshot *out);

/* Logs the counters as one info line ("stats ..."). */
void argus_stats_log(void);

#endif
