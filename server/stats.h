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
    atomic_int_least64_t insight_logs_max_id; /* max(logs.id) when the worker last looked */
    atomic_uint_least64_t insight_batches;    /* committed tagging transactions */
    atomic_uint_least64_t insight_errors;     /* failed attempts (busy database included) */
} argus_stats;

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
} argus_stats_snapshot;

/* Copies every counter (each read atomically; the set is not one consistent instant). */
void argus_stats_read(argus_stats_snapshot *out);

/* Logs the counters as one info line ("stats ..."). */
void argus_stats_log(void);

#endif
