/* The insight worker; see insight_worker.h.
 *   ARGUS_INSIGHT_WORKER=on ARGUS_INSIGHT_BATCH=2000 ARGUS_INSIGHT_INTERVAL_MS=200 argus-server
 * Ingest stores logs untagged (insight and pattern_id NULL), so the writer never pays for
 * ai_insight(); this thread then tags them by id range, each batch in one short transaction that
 * also merges the lines into log_patterns and advances argus_jobs. It yields to the writer: it
 * sleeps whenever the writer has requests queued, and a busy database only means "try later". */
#include "insight_worker.h"

#include "log.h"
#include "stats.h"
#include "store.h"
#include "thread.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_NAME "insights"
#define BACKOFF_MAX_MS 5000

/* The statements of the job, in the order of their files in sql/<dialect>/jobs/
 * (insights_N_*.sql), taken from the storage driver: last_id, max_id, tag (?1, ?2],
 * patterns (?1, ?2], save ?1. */
enum { S_LAST_ID, S_MAX_ID, S_TAG, S_PATTERNS, S_SAVE, NSTMTS };

/* tick() result when the progress row moved under us (a purge reset it): not an error */
#define MOVED 1

struct argus_insight_worker {
    argus_config cfg;
    argus_worker wk;
    const argus_store_driver *d;
    /* worker thread only */
    const char *sql[NSTMTS]; /* from the driver */
    argus_store_job *job;    /* the worker's connection, through the driver */
    int have_last;
    int64_t last_id;
};

static void close_job(argus_insight_worker *w)
{
    w->d->job_close(w->job);
    w->job = NULL;
    w->have_last = 0;
}

/* Tags the logs with ids in (lo, hi], merges them into log_patterns and records hi, atomically.
 * ARGUS_STORE_OK, MOVED (the saved progress is not lo any more), or a store error with msg. */
static int run_batch(argus_insight_worker *w, int64_t lo, int64_t hi, char *msg, size_t msglen)
{
    const argus_store_driver *d = w->d;
    int rc = d->job_begin(w->job, msg, msglen);
    if (rc != ARGUS_STORE_OK)
        return rc;
    /* A purge of every log resets the progress (ids start again at 1): start over from it. */
    int64_t saved = 0, range[2] = {lo, hi};
    if ((rc = d->job_step(w->job, S_LAST_ID, NULL, 0, &saved, "reading progress", msg, msglen)) !=
            ARGUS_STORE_OK ||
        saved != lo) {
        d->job_rollback(w->job);
        if (rc == ARGUS_STORE_OK)
            w->have_last = 0;
        return rc == ARGUS_STORE_OK ? MOVED : rc;
    }
    if ((rc = d->job_step(w->job, S_TAG, range, 2, NULL, "tagging logs", msg, msglen)) ==
            ARGUS_STORE_OK &&
        (rc = d->job_step(w->job, S_PATTERNS, range, 2, NULL, "updating log_patterns", msg,
                          msglen)) == ARGUS_STORE_OK &&
        (rc = d->job_step(w->job, S_SAVE, &hi, 1, NULL, "saving progress", msg, msglen)) ==
            ARGUS_STORE_OK)
        rc = d->job_commit(w->job, msg, msglen);
    if (rc != ARGUS_STORE_OK)
        d->job_rollback(w->job);
    return rc;
}

/* One step of the loop: 1 when a batch was committed, 0 when there was nothing to do, else a
 * store error (ARGUS_STORE_BUSY or RETRY) with msg. */
static int tick(argus_insight_worker *w, char *msg, size_t msglen)
{
    const argus_store_driver *d = w->d;
    argus_stats *stats = argus_stats_get();
    int rc;
    if (!w->job &&
        (rc = d->job_open(&w->job, &w->cfg, w->sql, NSTMTS, msg, msglen)) != ARGUS_STORE_OK)
        return rc;
    if (!w->have_last) {
        int64_t last = 0;
        if ((rc = d->job_step(w->job, S_LAST_ID, NULL, 0, &last, "reading progress", msg,
                              msglen)) != ARGUS_STORE_OK)
            return rc;
        w->last_id = last;
        w->have_last = 1;
        atomic_store(&stats->insight_last_id, last);
    }
    int64_t max_id = 0;
    if ((rc = d->job_step(w->job, S_MAX_ID, NULL, 0, &max_id, "reading max(logs.id)", msg,
                          msglen)) != ARGUS_STORE_OK)
        return rc;
    atomic_store(&stats->insight_logs_max_id, max_id);
    if (max_id <= w->last_id) {
        /* Rows above the last id were deleted (retention, a reset): start over from max_id. */
        if (max_id < w->last_id)
            w->last_id = max_id;
        return 0;
    }
    int64_t hi = w->last_id + (int64_t)w->cfg.insight_batch;
    if (hi > max_id)
        hi = max_id;
    if ((rc = run_batch(w, w->last_id, hi, msg, msglen)) == MOVED)
        return 0;
    if (rc != ARGUS_STORE_OK)
        return rc;
    w->last_id = hi;
    atomic_store(&stats->insight_last_id, hi);
    argus_stats_add(&stats->insight_batches, 1);
    return 1;
}

static void *worker_main(void *arg)
{
    argus_insight_worker *w = arg;
    argus_stats *stats = argus_stats_get();
    unsigned backoff = w->cfg.insight_interval_ms;
    char msg[512];
    while (!argus_worker_stopping(&w->wk)) {
        int r = tick(w, msg, sizeof msg);
        if (r == 1) {
            backoff = w->cfg.insight_interval_ms;
            /* Catch up at full speed, but never while the writer has requests waiting. */
            if (atomic_load(&stats->queue_requests) > 0 &&
                argus_worker_sleep_ms(&w->wk, w->cfg.insight_interval_ms))
                break;
            continue;
        }
        if (r == 0) {
            backoff = w->cfg.insight_interval_ms;
            if (argus_worker_sleep_ms(&w->wk, w->cfg.insight_interval_ms))
                break;
            continue;
        }
        char q[600];
        if (r == ARGUS_STORE_BUSY) {
            /* The writer holds the database: a wait, not a failure (not counted in errors). */
            argus_log(ARGUS_LOG_DEBUG, "insight worker: database busy, retrying later", "error=%s",
                      argus_log_quote(q, sizeof q, msg));
        } else {
            argus_stats_add(&stats->insight_errors, 1);
            argus_log(ARGUS_LOG_WARN, "insight worker: batch failed, retrying later",
                      "last_id=%lld retry_ms=%u error=%s", (long long)w->last_id, backoff,
                      argus_log_quote(q, sizeof q, msg));
            close_job(w); /* reopened on the next tick: it may be the connection that broke */
        }
        if (argus_worker_sleep_ms(&w->wk, backoff))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    close_job(w);
    return NULL;
}

int argus_insight_worker_start(argus_insight_worker **out, const argus_config *cfg, char *msg,
                               size_t msglen)
{
    *out = NULL;
    argus_insight_worker *w = argus_new_component(sizeof *w, "insight worker", msg, msglen);
    if (!w)
        return -1;
    w->cfg = *cfg;
    const argus_store_driver *d = w->d = argus_store_driver_for(cfg->db_url, msg, msglen);
    size_t n = 0;
    for (const argus_job_statement *j = d && d->jobs ? d->jobs : NULL; j && j->job; j++)
        if (strcmp(j->job, JOB_NAME) == 0 && n < NSTMTS)
            w->sql[n++] = j->sql;
    if (!d || n != NSTMTS || !d->job_open) {
        if (d)
            snprintf(msg, msglen, "insight worker: the %s backend has no insight job statements",
                     d->name);
        free(w);
        return -1;
    }
    if (w->cfg.insight_interval_ms == 0)
        w->cfg.insight_interval_ms = 1;
    argus_worker_init(&w->wk);
    if (argus_worker_start(&w->wk, "argus-insight", worker_main, w, msg, msglen) != 0) {
        argus_insight_worker_free(w);
        return -1;
    }
    argus_log(ARGUS_LOG_INFO, "insight worker started", "batch=%zu interval_ms=%u",
              w->cfg.insight_batch, w->cfg.insight_interval_ms);
    *out = w;
    return 0;
}

void argus_insight_worker_stop(argus_insight_worker *w)
{
    if (w)
        argus_worker_stop(&w->wk);
}

void argus_insight_worker_free(argus_insight_worker *w)
{
    if (!w)
        return;
    argus_worker_destroy(&w->wk);
    free(w);
}
