/* The ingest pipeline behind both OTLP receivers: decode in the caller's thread, then a bounded
 * queue, then one writer thread committing many requests per transaction (group commit). A
 * request is answered only after the transaction holding it has committed.
 *   argus_writer *w; argus_writer_start(&w, &cfg, msg, sizeof msg);
 *   argus_ingest_result now;
 *   if (!argus_writer_ingest(w, ARGUS_SIGNAL_TRACES, ARGUS_OTLP_PROTOBUF, buf, len, on_done,
 *                            call, &now))
 *       answer(call, &now);         // else on_done(call, &result) runs later, once
 *   argus_writer_stop(w); argus_writer_free(w);
 */
#ifndef ARGUS_WRITER_H
#define ARGUS_WRITER_H

#include "argus_otlp.h"
#include "config.h"
#include "stats.h"

#include <stddef.h>
#include <stdint.h>

typedef enum argus_ingest_status {
    ARGUS_INGEST_OK = 0,      /* stored; rejected > 0 makes it a partial success */
    ARGUS_INGEST_INVALID,     /* undecodable: INVALID_ARGUMENT / 400, do not retry */
    ARGUS_INGEST_FULL,        /* queue full: RESOURCE_EXHAUSTED / 429, retry later */
    ARGUS_INGEST_UNAVAILABLE, /* database failing or shutting down: UNAVAILABLE / 503, retry */
    ARGUS_INGEST_INTERNAL,    /* this request cannot be stored: INTERNAL / 500 */
    ARGUS_INGEST_TOO_LARGE,   /* could never fit in ARGUS_MEMORY_LIMIT: INVALID_ARGUMENT / 413,
                                 do not retry */
} argus_ingest_status;

typedef struct argus_ingest_result {
    argus_ingest_status status;
    argus_signal signal;
    uint64_t rejected;      /* items skipped as invalid (partial success) */
    char message[256];      /* the error, or the partial-success message; may be empty */
    unsigned retry_after_s; /* for FULL / UNAVAILABLE: the suggested client delay */
} argus_ingest_result;

/* Called exactly once per pending request, from the writer thread; r is valid during the call. */
typedef void (*argus_ingest_done_fn)(void *ctx, const argus_ingest_result *r);

typedef struct argus_writer argus_writer;

/* Opens the database (creating and migrating it) and starts the writer thread. Returns 0, or -1
 * with msg when the database cannot be opened, except a network database (driver->network) whose
 * open failed with ARGUS_STORE_RETRY: then 0, and the writer connects later (see below). */
int argus_writer_start(argus_writer **out, const argus_config *cfg, char *msg, size_t msglen);

/* Decodes payload (borrowed during the call) in the format the transport says (gRPC: always
 * ARGUS_OTLP_PROTOBUF; OTLP/HTTP: by Content-Type) and queues it. Returns 1 when
 * queued: done(ctx, result) will be called later from the writer thread (possibly before this
 * returns). Returns 0 when the answer is already known (undecodable, nothing to store, queue
 * full, stopping): *now holds it and done is never called. Thread-safe. */
int argus_writer_ingest(argus_writer *w, argus_signal sig, argus_otlp_format format,
                        const void *payload, size_t len, argus_ingest_done_fn done, void *ctx,
                        argus_ingest_result *now);

/* 0 while a database server that was not reachable at start has not been connected yet (the
 * writer thread retries with back-off, 1 s doubling to 30 s; exports are answered "retry later"
 * meanwhile), else 1. */
int argus_writer_connected(argus_writer *w);

/* 1 when the database answered the last attempt and the queue is moving, else 0 with reason. */
int argus_writer_ready(argus_writer *w, char *reason, size_t reasonlen);

/* Live tail: fn(ctx, sig, first_id, last_id) runs on the writer thread after each COMMIT, once
 * per signal that got rows, with the committed row ids (log_records.id / span_records.id, both
 * ends included, consecutive). It must return fast and never block (wake the subscribers; read
 * the rows from another thread). One callback; a later call replaces it, fn NULL removes it. Set
 * it before traffic arrives (it is read without a lock by the writer thread). Ids restart at 1
 * after a delete-all purge (argus_purge_result.all tells subscribers). */
typedef void (*argus_commit_fn)(void *ctx, argus_signal sig, int64_t first_id, int64_t last_id);
void argus_writer_on_commit(argus_writer *w, argus_commit_fn fn, void *ctx);

/* Data management through the single writer: POST /api/data/purge (older than), DELETE
 * /api/data (everything) and background retention (ARGUS_RETENTION) all run here, in chunks of
 * a bounded number of rows, each chunk its own short transaction taken between ingest batches,
 * so ingest never waits more than one chunk. The traces summary, span rollups, log_patterns,
 * the log search index and the resources stay consistent with what is left (store.h). */
typedef struct argus_purge_request {
    int all;           /* 1: delete everything; before_unix_ns is ignored */
    int64_t before_ns; /* else: delete data older than this (unix ns; spans by their trace's
                          start, logs by time_unix_nano) */
    unsigned signals;  /* bits (1u << ARGUS_SIGNAL_TRACES) | (1u << ARGUS_SIGNAL_LOGS); 0: both */
} argus_purge_request;

typedef struct argus_purge_result {
    int ok;  /* 1: finished; 0: stopped by a database error or shutdown (message says which);
                what was deleted before stays deleted, and the purge can simply be asked again */
    int all; /* the request's all: row ids start again at 1 */
    uint64_t spans, traces, logs, rollups, patterns;
    unsigned chunks;
    double seconds;
    char message[256];
} argus_purge_result;

/* Called exactly once per accepted purge, from the writer thread; r is valid during the call. */
typedef void (*argus_purge_done_fn)(void *ctx, const argus_purge_result *r);

/* Queues a purge (req copied). Returns 0: done(ctx, result) runs later from the writer thread
 * (done may be NULL). Returns -1 with msg when refused (shutting down, out of memory, a
 * before_ns <= 0 without all). Purges run one after another, in the order asked. Thread-safe. */
int argus_writer_purge(argus_writer *w, const argus_purge_request *req, argus_purge_done_fn done,
                       void *ctx, char *msg, size_t msglen);

/* Refuses new requests, commits everything queued (answering each), and joins the thread. The
 * drain is bounded by cfg->shutdown_timeout_ms: past it, and after any failed batch during
 * shutdown, the requests still queued are answered UNAVAILABLE at once, and a wait for a locked
 * database ends at the deadline, so no batch waits the busy timeout more than once. */
void argus_writer_stop(argus_writer *w);
void argus_writer_free(argus_writer *w);

#endif
