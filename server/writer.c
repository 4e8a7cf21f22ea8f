/* The batching writer: bounded queue + one thread + group commit; see writer.h.
 *   ARGUS_BATCH_SIZE=10000 ARGUS_BATCH_LATENCY_MS=10 ARGUS_QUEUE_MAX_ITEMS=200000 argus-server
 * Decoding happens in the receivers' threads, so only already-decoded requests wait here and the
 * writer does nothing but run the ingest statements. A failed transaction answers each of its
 * requests "retry later" and the thread backs off, reopening the database when it broke. */
#include "writer.h"

#include "argus_otlp.h"
#include "argus_otlp_rows.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX 32
#define POOL_KEEP_BYTES ((size_t)1 << 20)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define PROBE_INTERVAL_MS 1000
/* Not ready when the oldest queued request has waited this long (plus twice the latency). */
#define STALL_NS ((int64_t)5 * 1000000000)

typedef struct job {
    struct job *next;
    argus_signal signal;
    argus_otlp_traces traces;
    argus_otlp_logs logs;
    size_t items; /* valid spans / log records */
    size_t bytes; /* payload bytes */
    uint64_t rejected;
    char reject_message[160];
    int64_t enqueued_ns;
    argus_ingest_done_fn done;
    void *ctx;
    /* outcome of the batch for this job */
    argus_ingest_status status;
    char message[256];
    size_t stored;
} job;

struct argus_writer {
    argus_config cfg;
    pthread_mutex_t mu;
    pthread_cond_t wake; /* the writer waits on it; signalled on work or stop */
    job *head, *tail;
    size_t q_items, q_bytes, q_requests;
    int stopping;
    int started;
    pthread_t thread;
    argus_store *store; /* writer thread only */
    /* health, under mu */
    int db_ok;
    char db_error[256];
    /* recycled jobs keep their arenas' last block, so steady traffic stops calling malloc */
    pthread_mutex_t pool_mu;
    job *pool;
    int pool_n;
};

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static job *job_get(argus_writer *w)
{
    pthread_mutex_lock(&w->pool_mu);
    job *j = w->pool;
    if (j) {
        w->pool = j->next;
        w->pool_n--;
    }
    pthread_mutex_unlock(&w->pool_mu);
    if (!j) {
        j = calloc(1, sizeof *j);
        if (!j)
            return NULL;
        argus_otlp_traces_init(&j->traces);
        argus_otlp_logs_init(&j->logs);
    }
    j->next = NULL;
    j->items = j->bytes = j->stored = 0;
    j->rejected = 0;
    j->reject_message[0] = j->message[0] = 0;
    j->status = ARGUS_INGEST_OK;
    return j;
}

static void job_free(job *j)
{
    argus_otlp_traces_free(&j->traces);
    argus_otlp_logs_free(&j->logs);
    free(j);
}

static void job_put(argus_writer *w, job *j)
{
    pthread_mutex_lock(&w->pool_mu);
    if (w->pool_n < POOL_MAX) {
        /* Keep at most one small block per arena: a huge request must not pin its memory. */
        argus_arena_reset(&j->traces.arena);
        argus_arena_reset(&j->logs.arena);
        j->traces.data = NULL;
        j->logs.data = NULL;
        if (j->traces.arena.used > POOL_KEEP_BYTES) {
            argus_otlp_traces_free(&j->traces);
            argus_otlp_traces_init(&j->traces);
        }
        if (j->logs.arena.used > POOL_KEEP_BYTES) {
            argus_otlp_logs_free(&j->logs);
            argus_otlp_logs_init(&j->logs);
        }
        j->next = w->pool;
        w->pool = j;
        w->pool_n++;
        j = NULL;
    }
    pthread_mutex_unlock(&w->pool_mu);
    if (j)
        job_free(j);
}

static const char *signal_items(argus_signal s)
{
    return s == ARGUS_SIGNAL_TRACES ? "spans" : "log records";
}

/* 1 when a request of `items` holding `bytes` would take the queue past a limit (under mu). An
 * empty queue takes any request (up to ARGUS_MAX_MESSAGE_SIZE), so a big one can pass. */
static int overflows(const argus_writer *w, size_t items, size_t bytes)
{
    return w->head && (w->q_items + items > w->cfg.queue_max_items ||
                       w->q_bytes + bytes > w->cfg.queue_max_bytes);
}

static void refuse_full(argus_ingest_result *now, size_t waiting)
{
    now->status = ARGUS_INGEST_FULL;
    now->retry_after_s = 1;
    snprintf(now->message, sizeof now->message,
             "ingest queue is full (%zu items waiting); retry later", waiting);
}

int argus_writer_ingest(argus_writer *w, argus_signal sig, const void *payload, size_t len,
                        argus_ingest_done_fn done, void *ctx, argus_ingest_result *now)
{
    argus_stats *stats = argus_stats_get();
    argus_signal_stats *ss = &stats->signal[sig];
    memset(now, 0, sizeof *now);
    now->signal = sig;
    argus_stats_add(&ss->requests, 1);
    /* A queue this request cannot fit in: refuse before spending a decode on it. Decoded and
     * rendered, a request holds ~10 times its protobuf size; 4 times is a safe lower bound. */
    pthread_mutex_lock(&w->mu);
    int full = overflows(w, 1, 4 * len);
    size_t waiting = w->q_items;
    pthread_mutex_unlock(&w->mu);
    if (full) {
        refuse_full(now, waiting);
        argus_stats_add(&ss->refused, 1);
        return 0;
    }
    job *j = job_get(w);
    if (!j) {
        now->status = ARGUS_INGEST_UNAVAILABLE;
        now->retry_after_s = 1;
        snprintf(now->message, sizeof now->message, "out of memory");
        return 0;
    }
    j->signal = sig;
    argus_error err;
    argus_error_clear(&err);
    int rc;
    size_t total;
    if (sig == ARGUS_SIGNAL_TRACES) {
        rc = argus_otlp_traces_decode(&j->traces, payload ? payload : "", len, &err);
        total = j->traces.item_count;
        j->rejected = j->traces.rejected;
        snprintf(j->reject_message, sizeof j->reject_message, "%s", j->traces.reject_message);
    } else {
        rc = argus_otlp_logs_decode(&j->logs, payload ? payload : "", len, &err);
        total = j->logs.item_count;
        j->rejected = j->logs.rejected;
        snprintf(j->reject_message, sizeof j->reject_message, "%s", j->logs.reject_message);
    }
    /* Render the rows here too, in the receiver's thread: the writer then only copies them. */
    if (rc == 0)
        rc = argus_otlp_render(sig == ARGUS_SIGNAL_TRACES ? &j->traces : &j->logs, &err);
    if (rc != 0) {
        argus_stats_add(&ss->bad_requests, 1);
        now->status = rc == ARGUS_ENOMEM ? ARGUS_INGEST_UNAVAILABLE : ARGUS_INGEST_INVALID;
        now->retry_after_s = rc == ARGUS_ENOMEM; /* invalid input is final: no "retry later" */
        snprintf(now->message, sizeof now->message, "%s",
                 err.message[0] ? err.message : "otlp: undecodable payload");
        job_put(w, j);
        return 0;
    }
    j->items = total - (size_t)j->rejected;
    /* What the queue really holds: the decoded and rendered request (~10x its protobuf size). */
    j->bytes = sig == ARGUS_SIGNAL_TRACES ? j->traces.arena.used : j->logs.arena.used;
    if (j->bytes < len)
        j->bytes = len;
    argus_stats_add(&ss->received, total);
    argus_stats_add(&ss->rejected, j->rejected);
    now->rejected = j->rejected;
    if (j->rejected)
        snprintf(now->message, sizeof now->message, "%llu %s rejected: %s",
                 (unsigned long long)j->rejected, signal_items(sig), j->reject_message);
    if (j->items == 0) {
        /* Nothing to store (an empty request, or every item invalid): answer at once. */
        job_put(w, j);
        return 0;
    }
    j->done = done;
    j->ctx = ctx;
    j->enqueued_ns = now_ns(CLOCK_MONOTONIC);
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        now->status = ARGUS_INGEST_UNAVAILABLE;
        now->retry_after_s = 1;
        snprintf(now->message, sizeof now->message, "server is shutting down");
        argus_stats_add(&ss->dropped, j->items);
        job_put(w, j);
        return 0;
    }
    if (overflows(w, j->items, j->bytes)) {
        size_t qi = w->q_items;
        pthread_mutex_unlock(&w->mu);
        refuse_full(now, qi);
        argus_stats_add(&ss->dropped, j->items);
        job_put(w, j);
        return 0;
    }
    int was_empty = w->head == NULL;
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    w->q_items += j->items;
    w->q_bytes += j->bytes;
    w->q_requests++;
    atomic_store(&stats->queue_items, w->q_items);
    atomic_store(&stats->queue_bytes, w->q_bytes);
    atomic_store(&stats->queue_requests, w->q_requests);
    if (was_empty || w->q_items >= w->cfg.batch_size)
        pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    return 1;
}

static void answer(argus_writer *w, job *j, argus_ingest_status status, const char *message)
{
    argus_ingest_result r;
    memset(&r, 0, sizeof r);
    r.signal = j->signal;
    r.status = status;
    r.rejected = j->rejected;
    if (status == ARGUS_INGEST_OK) {
        if (j->rejected)
            snprintf(r.message, sizeof r.message, "%llu %s rejected: %s",
                     (unsigned long long)j->rejected, signal_items(j->signal), j->reject_message);
    } else {
        snprintf(r.message, sizeof r.message, "%.*s", (int)sizeof r.message - 1, message);
        r.retry_after_s = status == ARGUS_INGEST_UNAVAILABLE ? 1 : 0;
    }
    j->done(j->ctx, &r);
    job_put(w, j);
}

static void set_health(argus_writer *w, int ok, const char *error)
{
    pthread_mutex_lock(&w->mu);
    w->db_ok = ok;
    snprintf(w->db_error, sizeof w->db_error, "%s", ok ? "" : error);
    pthread_mutex_unlock(&w->mu);
}

/* Runs one transaction for the list; answers every job. Returns 0 on commit, -1 when the
 * database failed (every job was told to retry). */
static int run_batch(argus_writer *w, job *list)
{
    argus_stats *stats = argus_stats_get();
    char msg[256] = "";
    char q[300];
    int res = ARGUS_STORE_OK;
    if (!w->store) {
        res = argus_store_open(&w->store, &w->cfg, msg, sizeof msg);
        if (res == ARGUS_STORE_OK)
            argus_log(ARGUS_LOG_INFO, "database reopened", "path=%s",
                      argus_log_quote(q, sizeof q, w->cfg.db_path));
    }
    if (res == ARGUS_STORE_OK)
        res = argus_store_begin(w->store, msg, sizeof msg);
    size_t nreq = 0, nitems = 0;
    for (job *j = list; j && res == ARGUS_STORE_OK; j = j->next) {
        void *decoded = j->signal == ARGUS_SIGNAL_TRACES ? (void *)&j->traces : (void *)&j->logs;
        char jmsg[256] = "";
        int r = argus_store_put(w->store, j->signal, decoded, &j->stored, jmsg, sizeof jmsg);
        if (r == ARGUS_STORE_REJECT) {
            j->status = ARGUS_INGEST_INTERNAL;
            snprintf(j->message, sizeof j->message, "storing failed: %s", jmsg);
            argus_log(ARGUS_LOG_ERROR, "request not stored", "signal=%s items=%zu error=%s",
                      argus_signal_name(j->signal), j->items, argus_log_quote(q, sizeof q, jmsg));
        } else if (r == ARGUS_STORE_RETRY) {
            res = r;
            snprintf(msg, sizeof msg, "%s", jmsg);
        } else {
            j->status = ARGUS_INGEST_OK;
            nreq++;
            nitems += j->stored;
        }
    }
    if (res == ARGUS_STORE_OK)
        res = argus_store_commit(w->store, msg, sizeof msg);
    if (res != ARGUS_STORE_OK) {
        argus_store_rollback(w->store);
        if (w->store && argus_store_broken(w->store)) {
            argus_store_close(w->store);
            w->store = NULL;
        }
        argus_stats_add(&stats->failed_batches, 1);
        set_health(w, 0, msg);
        argus_log(ARGUS_LOG_WARN, "batch failed, clients will retry", "error=%s",
                  argus_log_quote(q, sizeof q, msg));
        char why[300];
        snprintf(why, sizeof why, "database unavailable: %s", msg);
        while (list) {
            job *next = list->next;
            argus_stats_add(&stats->signal[list->signal].dropped, list->items);
            answer(w, list, ARGUS_INGEST_UNAVAILABLE, why);
            list = next;
        }
        return -1;
    }
    argus_stats_add(&stats->batches, 1);
    atomic_store(&stats->last_commit_unix_ns, now_ns(CLOCK_REALTIME));
    set_health(w, 1, NULL);
    argus_log(ARGUS_LOG_DEBUG, "batch committed", "requests=%zu items=%zu", nreq, nitems);
    while (list) {
        job *next = list->next;
        if (list->status == ARGUS_INGEST_OK)
            argus_stats_add(&stats->signal[list->signal].stored, list->stored);
        else
            argus_stats_add(&stats->signal[list->signal].dropped, list->items);
        answer(w, list, list->status, list->message);
        list = next;
    }
    return 0;
}

static void deadline_after(struct timespec *ts, int64_t ns_from_now)
{
    int64_t t = now_ns(CLOCK_MONOTONIC) + ns_from_now;
    ts->tv_sec = (time_t)(t / 1000000000);
    ts->tv_nsec = (long)(t % 1000000000);
}

/* Opens the database if needed and takes and releases the write lock. */
static void probe(argus_writer *w)
{
    char msg[256] = "";
    int res = ARGUS_STORE_OK;
    if (!w->store)
        res = argus_store_open(&w->store, &w->cfg, msg, sizeof msg);
    if (res == ARGUS_STORE_OK)
        res = argus_store_begin(w->store, msg, sizeof msg);
    if (w->store)
        argus_store_rollback(w->store);
    if (res != ARGUS_STORE_OK && w->store && argus_store_broken(w->store)) {
        argus_store_close(w->store);
        w->store = NULL;
    }
    set_health(w, res == ARGUS_STORE_OK, msg);
    if (res == ARGUS_STORE_OK)
        argus_log(ARGUS_LOG_INFO, "database writable again", NULL);
}

static void *writer_main(void *arg)
{
    pthread_setname_np(pthread_self(), "argus-writer");
    argus_writer *w = arg;
    argus_stats *stats = argus_stats_get();
    unsigned backoff_ms = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping) {
            if (w->db_ok) {
                pthread_cond_wait(&w->wake, &w->mu);
                continue;
            }
            /* Idle with a failing database: check it now and then, so /readyz recovers even
             * when no export arrives to prove it. */
            struct timespec ts;
            deadline_after(&ts, (int64_t)PROBE_INTERVAL_MS * 1000000);
            if (pthread_cond_timedwait(&w->wake, &w->mu, &ts) == ETIMEDOUT && !w->head &&
                !w->stopping) {
                pthread_mutex_unlock(&w->mu);
                probe(w);
                pthread_mutex_lock(&w->mu);
            }
        }
        if (!w->head && w->stopping)
            break;
        /* Group commit: wait for a full batch, at most batch latency after the oldest arrived. */
        int64_t deadline = w->head->enqueued_ns + (int64_t)w->cfg.batch_latency_ms * 1000000;
        while (!w->stopping && w->q_items < w->cfg.batch_size) {
            int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
            if (left <= 0)
                break;
            struct timespec ts;
            deadline_after(&ts, left);
            pthread_cond_timedwait(&w->wake, &w->mu, &ts);
        }
        /* Take about one batch, not the whole queue: the requests left queued keep this thread
         * busy while the clients of the committed ones send their next requests. */
        job *list = w->head, *last = list;
        size_t items = last->items, bytes = last->bytes, requests = 1;
        while (last->next && items + last->next->items <= w->cfg.batch_size) {
            last = last->next;
            items += last->items;
            bytes += last->bytes;
            requests++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        w->q_items -= items;
        w->q_bytes -= bytes;
        w->q_requests -= requests;
        atomic_store(&stats->queue_items, w->q_items);
        atomic_store(&stats->queue_bytes, w->q_bytes);
        atomic_store(&stats->queue_requests, w->q_requests);
        pthread_mutex_unlock(&w->mu);

        int failed = run_batch(w, list) != 0;

        pthread_mutex_lock(&w->mu);
        if (failed && !w->stopping) {
            /* Give the database (and the clients' retries) some room before the next attempt. */
            backoff_ms = backoff_ms ? backoff_ms * 2 : BACKOFF_MIN_MS;
            if (backoff_ms > BACKOFF_MAX_MS)
                backoff_ms = BACKOFF_MAX_MS;
            struct timespec ts;
            deadline_after(&ts, (int64_t)backoff_ms * 1000000);
            while (!w->stopping && pthread_cond_timedwait(&w->wake, &w->mu, &ts) != ETIMEDOUT)
                ;
        } else if (!failed) {
            backoff_ms = 0;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int argus_writer_start(argus_writer **out, const argus_config *cfg, char *msg, size_t msglen)
{
    *out = NULL;
    argus_writer *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(msg, msglen, "writer: out of memory");
        return -1;
    }
    w->cfg = *cfg;
    w->db_ok = 1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->pool_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (argus_store_open(&w->store, cfg, msg, msglen) != ARGUS_STORE_OK) {
        argus_writer_free(w);
        return -1;
    }
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(msg, msglen, "writer: cannot start thread");
        argus_writer_free(w);
        return -1;
    }
    w->started = 1;
    *out = w;
    return 0;
}

int argus_writer_ready(argus_writer *w, char *reason, size_t reasonlen)
{
    int ok = 1;
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        ok = 0;
        snprintf(reason, reasonlen, "shutting down");
    } else if (!w->db_ok) {
        ok = 0;
        snprintf(reason, reasonlen, "database write failed: %s", w->db_error);
    } else if (w->head && now_ns(CLOCK_MONOTONIC) - w->head->enqueued_ns >
                              STALL_NS + 2 * (int64_t)w->cfg.batch_latency_ms * 1000000) {
        ok = 0;
        snprintf(reason, reasonlen, "writer is not keeping up: oldest request waited %lld ms",
                 (long long)((now_ns(CLOCK_MONOTONIC) - w->head->enqueued_ns) / 1000000));
    }
    pthread_mutex_unlock(&w->mu);
    if (ok) {
        char msg[256];
        if (argus_store_ping(&w->cfg, msg, sizeof msg) != 0) {
            ok = 0;
            snprintf(reason, reasonlen, "database unreachable: %s", msg);
        }
    }
    return ok;
}

void argus_writer_stop(argus_writer *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->started = 0;
}

void argus_writer_free(argus_writer *w)
{
    if (!w)
        return;
    argus_writer_stop(w);
    argus_store_close(w->store);
    while (w->pool) {
        job *j = w->pool;
        w->pool = j->next;
        job_free(j);
    }
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->pool_mu);
    pthread_cond_destroy(&w->wake);
    free(w);
}
