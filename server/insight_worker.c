/* The insight worker; see insight_worker.h.
 *   ARGUS_INSIGHT_WORKER=on ARGUS_INSIGHT_BATCH=2000 ARGUS_INSIGHT_INTERVAL_MS=200 argus-server
 * Ingest stores logs untagged (insight and pattern_id NULL), so the writer never pays for
 * ai_insight(); this thread then tags them by id range, each batch in one short transaction that
 * also merges the lines into log_patterns and advances argus_jobs. It yields to the writer: it
 * sleeps whenever the writer has requests queued, and a busy database only means "try later". */
#include "insight_worker.h"

#include "argus_sqlite.h"
#include "log.h"
#include "stats.h"
#include "store.h"
#include "thread.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOB_NAME "insights"
#define BUSY_TIMEOUT_MS 2000
#define BACKOFF_MAX_MS 5000

/* The statements of the job, in the order of their files in sql/sqlite/jobs/ (insights_N_*.sql),
 * taken from the storage driver: last_id, max_id, tag (?1, ?2], patterns (?1, ?2], save ?1. */
enum { S_LAST_ID, S_MAX_ID, S_TAG, S_PATTERNS, S_SAVE, NSTMTS };

struct argus_insight_worker {
    argus_config cfg;
    argus_worker wk;
    /* worker thread only */
    const char *sql[NSTMTS]; /* from the driver */
    sqlite3 *db;
    sqlite3_stmt *stmt[NSTMTS];
    int have_last;
    int64_t last_id;
};

static void close_db(argus_insight_worker *w)
{
    for (int i = 0; i < NSTMTS; i++) {
        sqlite3_finalize(w->stmt[i]);
        w->stmt[i] = NULL;
    }
    if (w->db && sqlite3_close(w->db) != SQLITE_OK)
        argus_log(ARGUS_LOG_WARN, "insight worker: close failed", "error=\"%s\"",
                  sqlite3_errmsg(w->db));
    w->db = NULL;
    w->have_last = 0;
}

/* The one place SQLite errors become worker messages; returns rc. */
static int fail(argus_insight_worker *w, int rc, const char *what, char *msg, size_t msglen)
{
    snprintf(msg, msglen, "sqlite: %s: %s", what,
             w->db ? sqlite3_errmsg(w->db) : sqlite3_errstr(rc));
    return rc;
}

static int exec(argus_insight_worker *w, const char *sql, char *msg, size_t msglen)
{
    int rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SQLITE_OK : fail(w, rc, sql, msg, msglen);
}

static int open_db(argus_insight_worker *w, char *msg, size_t msglen)
{
    int rc =
        sqlite3_open_v2(w->cfg.db_path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_extended_result_codes(w->db, 1);
    sqlite3_busy_timeout(w->db, BUSY_TIMEOUT_MS);
    char *err = NULL;
    rc = argus_sqlite_register_all(w->db, &err);
    if (rc != SQLITE_OK) {
        snprintf(msg, msglen, "sqlite: %s", err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        close_db(w);
        return rc;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", w->cfg.sqlite_synchronous);
    if ((rc = exec(w, "PRAGMA journal_mode=WAL", msg, msglen)) != SQLITE_OK ||
        (rc = exec(w, pragma, msg, msglen)) != SQLITE_OK) {
        close_db(w);
        return rc;
    }
    for (int i = 0; i < NSTMTS; i++) {
        rc = sqlite3_prepare_v3(w->db, w->sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->stmt[i], NULL);
        if (rc != SQLITE_OK)
            goto fail;
    }
    return SQLITE_OK;
fail:
    fail(w, rc, "opening the database", msg, msglen);
    close_db(w);
    return rc;
}

/* Runs s (already bound) to completion; *out gets column 0 of the first row when out != NULL. */
static int step(argus_insight_worker *w, sqlite3_stmt *s, int64_t *out, const char *what, char *msg,
                size_t msglen)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (out)
            *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : fail(w, rc, what, msg, msglen);
}

/* Tags the logs with ids in (lo, hi], merges them into log_patterns and records hi, atomically. */
static int run_batch(argus_insight_worker *w, int64_t lo, int64_t hi, char *msg, size_t msglen)
{
    int rc = exec(w, "BEGIN IMMEDIATE", msg, msglen);
    if (rc != SQLITE_OK)
        return rc;
    /* A purge of every log resets the progress (ids start again at 1): start over from it. */
    int64_t saved = 0;
    if ((rc = step(w, w->stmt[S_LAST_ID], &saved, "reading progress", msg, msglen)) != SQLITE_OK ||
        saved != lo) {
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            w->have_last = 0;
        return rc == SQLITE_OK ? SQLITE_ABORT_ROLLBACK : rc;
    }
    for (int i = S_TAG; i <= S_PATTERNS; i++) {
        sqlite3_bind_int64(w->stmt[i], 1, lo);
        sqlite3_bind_int64(w->stmt[i], 2, hi);
    }
    sqlite3_bind_int64(w->stmt[S_SAVE], 1, hi);
    if ((rc = step(w, w->stmt[S_TAG], NULL, "tagging logs", msg, msglen)) == SQLITE_OK &&
        (rc = step(w, w->stmt[S_PATTERNS], NULL, "updating log_patterns", msg, msglen)) ==
            SQLITE_OK &&
        (rc = step(w, w->stmt[S_SAVE], NULL, "saving progress", msg, msglen)) == SQLITE_OK)
        rc = exec(w, "COMMIT", msg, msglen);
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(w->db))
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* One step of the loop: 1 when a batch was committed, 0 when there was nothing to do, else a
 * SQLite error code (negated) with msg. */
static int tick(argus_insight_worker *w, char *msg, size_t msglen)
{
    argus_stats *stats = argus_stats_get();
    int rc;
    if (!w->db && (rc = open_db(w, msg, msglen)) != SQLITE_OK)
        return -rc;
    if (!w->have_last) {
        int64_t last = 0;
        if ((rc = step(w, w->stmt[S_LAST_ID], &last, "reading progress", msg, msglen)) != SQLITE_OK)
            return -rc;
        w->last_id = last;
        w->have_last = 1;
        atomic_store(&stats->insight_last_id, last);
    }
    int64_t max_id = 0;
    if ((rc = step(w, w->stmt[S_MAX_ID], &max_id, "reading max(logs.id)", msg, msglen)) !=
        SQLITE_OK)
        return -rc;
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
    if ((rc = run_batch(w, w->last_id, hi, msg, msglen)) == SQLITE_ABORT_ROLLBACK)
        return 0;
    if (rc != SQLITE_OK)
        return -rc;
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
        int rc = -r;
        argus_stats_add(&stats->insight_errors, 1);
        char q[600];
        if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
            argus_log(ARGUS_LOG_DEBUG, "insight worker: database busy, retrying later", "error=%s",
                      argus_log_quote(q, sizeof q, msg));
        } else {
            argus_log(ARGUS_LOG_WARN, "insight worker: batch failed, retrying later",
                      "last_id=%lld retry_ms=%u error=%s", (long long)w->last_id, backoff,
                      argus_log_quote(q, sizeof q, msg));
            close_db(w); /* reopened on the next tick: it may be the connection that broke */
        }
        if (argus_worker_sleep_ms(&w->wk, backoff))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    close_db(w);
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
    const argus_store_driver *d = argus_store_driver_for(cfg->db_url, msg, msglen);
    size_t n = 0;
    for (const argus_job_statement *j = d && d->jobs ? d->jobs : NULL; j && j->job; j++)
        if (strcmp(j->job, JOB_NAME) == 0 && n < NSTMTS)
            w->sql[n++] = j->sql;
    if (!d || n != NSTMTS) {
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
