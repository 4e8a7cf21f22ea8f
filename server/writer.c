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
#include "thread.h"

#include <errno.h>
#include <malloc.h>
#include <openssl/evp.h>
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
/* How often background retention looks for data older than ARGUS_RETENTION. */
#define RETENTION_EVERY_NS ((int64_t)60 * 1000000000)
#define RETENTION_FIRST_NS ((int64_t)5 * 1000000000)
/* Circuit breaker: open after this many failed batches in a row; while open, requests are
 * answered "retry later" (after this many seconds) without being decoded or queued, and the
 * writer probes the database every PROBE_INTERVAL_MS; the first probe that commits closes it. */
#define BREAKER_FAILURES 3
/* A network database (MariaDB/MySQL) not reachable at start: the server runs anyway, answers
 * exports "retry later", and tries to connect again after 1 s, doubling up to 30 s. */
#define CONNECT_BACKOFF_MIN_MS 1000
#define CONNECT_BACKOFF_MAX_MS 30000
#define BREAKER_RETRY_AFTER_S 2
/* Memory budget: a request's decoded and rendered size is estimated from the wire (estimate())
 * and reserved before decoding; at least this much. */
#define MEMORY_MIN_RESERVE ((size_t)64 << 10)
/* Once this much was released since the last trim, an idle writer returns free heap to the
 * system (malloc_trim), so RSS comes back near its baseline after a burst. */
#define TRIM_AFTER_BYTES ((size_t)32 << 20)
#define TRIM_IDLE_NS ((int64_t)10 * 1000000000)

typedef struct purge_task {
    struct purge_task *next;
    argus_purge_request req;
    argus_purge_done_fn done;
    void *ctx;
    argus_purge_counts counts;
    unsigned chunks;
    int64_t started_ns;
    int retention; /* queued by the writer itself */
} purge_task;

typedef struct job {
    struct job *next;
    argus_signal signal;
    argus_otlp_payload payload[ARGUS_SIGNAL_COUNT]; /* one per signal, each keeping its arena */
    size_t items;                                   /* valid spans / log records */
    size_t bytes;    /* what it holds decoded and rendered (at least its payload bytes) */
    size_t reserved; /* bytes of the memory budget this job holds */
    uint8_t key[16]; /* digest of the signal and payload: a retried request is stored once */
    uint64_t rejected;
    char reject_message[160];
    int64_t enqueued_ns;
    argus_ingest_done_fn done;
    void *ctx;
    /* outcome of the batch for this job */
    argus_ingest_status status;
    char message[256];
    argus_put_result put;
} job;

struct argus_writer {
    argus_config cfg;
    argus_worker wk; /* the writer thread; wk.mu guards the queue, wk.cv signals work or stop */
    job *head, *tail;
    size_t q_items, q_bytes, q_requests;
    argus_store *store; /* writer thread only */
    const argus_store_driver *driver;
    /* health, under mu */
    int db_ok;
    char db_error[256];
    int breaker_open;
    unsigned failures_in_row; /* failed batches and probes since the last commit */
    /* not connected since start yet (a network database that was down): exports are refused
     * and the writer thread tries again at next_connect_ns */
    int connecting;
    unsigned connect_attempts, connect_backoff_ms;
    int64_t next_connect_ns;
    size_t mem_used;      /* the memory budget: bytes reserved by jobs */
    size_t released;      /* bytes released since the last malloc_trim */
    int64_t last_trim_ns; /* writer thread only */
    /* the /readyz connection, under ping_mu */
    pthread_mutex_t ping_mu;
    argus_store_pinger *pinger;
    /* live tail: set before traffic, read by the writer thread */
    argus_commit_fn commit_fn;
    void *commit_ctx;
    /* purges waiting or running, under mu; the head runs one chunk between batches */
    purge_task *purges, *purges_tail;
    int retention_queued;
    int64_t next_retention_ns; /* writer thread only */
    /* shutdown: CLOCK_MONOTONIC ns after which queued requests are answered UNAVAILABLE and
     * database waits give up (0 until argus_writer_stop) */
    _Atomic int64_t drain_deadline_ns;
    /* recycled jobs keep their arenas' last block, so steady traffic stops calling malloc */
    pthread_mutex_t pool_mu;
    job *pool;
    int pool_n;
};

static int open_store(argus_writer *w, char *msg, size_t msglen);

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
        for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
            argus_otlp_payload_init(&j->payload[s], (argus_signal)s);
    }
    j->next = NULL;
    j->items = j->bytes = j->reserved = 0;
    memset(&j->put, 0, sizeof j->put);
    j->rejected = 0;
    j->reject_message[0] = j->message[0] = 0;
    j->status = ARGUS_INGEST_OK;
    return j;
}

static void job_free(job *j)
{
    for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
        argus_otlp_payload_free(&j->payload[s]);
    free(j);
}

/* Gives back bytes of the memory budget (after the memory itself was freed). */
static void release(argus_writer *w, size_t bytes)
{
    if (!bytes)
        return;
    pthread_mutex_lock(&w->wk.mu);
    w->mem_used -= bytes;
    w->released += bytes;
    atomic_store(&argus_stats_get()->memory_used, w->mem_used);
    if (w->released >= TRIM_AFTER_BYTES && w->mem_used == 0)
        pthread_cond_signal(&w->wk.cv); /* the writer trims the heap when idle */
    pthread_mutex_unlock(&w->wk.mu);
}

static void job_put(argus_writer *w, job *j)
{
    size_t reserved = j->reserved;
    j->reserved = 0;
    pthread_mutex_lock(&w->pool_mu);
    if (w->pool_n < POOL_MAX) {
        /* Keep at most one small block per arena: a huge request must not pin its memory. */
        for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
            argus_otlp_recycle(&j->payload[s], POOL_KEEP_BYTES);
        j->next = w->pool;
        w->pool = j;
        w->pool_n++;
        j = NULL;
    }
    pthread_mutex_unlock(&w->pool_mu);
    if (j)
        job_free(j);
    release(w, reserved);
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

/* The memory budget has no room for this request now (held by others: it may fit later).
 * decoding: it ran out while decoding rather than before. Returns 0 (answered). */
static int refuse_memory(const argus_writer *w, argus_ingest_result *now, argus_signal_stats *ss,
                         int decoding)
{
    argus_stats_add(&argus_stats_get()->memory_refused, 1);
    argus_stats_add(&ss->refused, 1);
    now->status = ARGUS_INGEST_FULL;
    now->retry_after_s = 1;
    snprintf(now->message, sizeof now->message,
             decoding ? "memory limit reached while decoding (ARGUS_MEMORY_LIMIT %zu MiB, partly "
                        "held by other requests); retry later"
                      : "memory limit reached (ARGUS_MEMORY_LIMIT %zu MiB held by other "
                        "requests); retry later",
             w->cfg.memory_limit >> 20);
    return 0;
}

/* ---- estimating a request's decoded size from the wire ------------------------------------- */

/* Bytes one message of a type takes decoded (protobuf-c struct, pointer arrays) and rendered
 * into row columns, besides its strings; measured on argus-loadgen and hostile payloads. The most
 * frequent types first (argus_otlp_check_wire() looks them up in order). */
static const argus_otlp_wire_cost MSG_COST[] = {
    {&opentelemetry__proto__common__v1__key_value__descriptor, 96},
    {&opentelemetry__proto__common__v1__any_value__descriptor, 48},
    {&opentelemetry__proto__trace__v1__span__descriptor, 640},
    {&opentelemetry__proto__logs__v1__log_record__descriptor, 520},
    {&opentelemetry__proto__trace__v1__span__event__descriptor, 160},
    {&opentelemetry__proto__trace__v1__span__link__descriptor, 160},
    {&opentelemetry__proto__common__v1__array_value__descriptor, 48},
    {&opentelemetry__proto__common__v1__key_value_list__descriptor, 48},
    {&opentelemetry__proto__resource__v1__resource__descriptor, 96},
    {&opentelemetry__proto__common__v1__instrumentation_scope__descriptor, 96},
    {&opentelemetry__proto__trace__v1__resource_spans__descriptor, 64},
    {&opentelemetry__proto__trace__v1__scope_spans__descriptor, 64},
    {&opentelemetry__proto__logs__v1__resource_logs__descriptor, 64},
    {&opentelemetry__proto__logs__v1__scope_logs__descriptor, 64},
};

/* What a request will hold once decoded and rendered, estimated from its bytes without decoding,
 * into *need: the messages it holds, by type (protobuf: counted while its wire format is checked,
 * a check the decode of p then skips), or its objects (OTLP/JSON), plus its size. 0, or the
 * protobuf's error (err set): the request is malformed. */
static int estimate(argus_otlp_payload *p, argus_otlp_format format, const void *payload,
                    size_t len, size_t *need, argus_error *err)
{
    const unsigned char *b = payload ? payload : (const unsigned char *)"";
    uint64_t cost = (uint64_t)len * 4;
    if (format == ARGUS_OTLP_JSON) {
        /* every object is a message (a span, a KeyValue, an AnyValue...) */
        size_t i = 0;
        while (i < len && i < 64 && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
            i++;
        size_t objects = 0;
        if (i < len && b[i] == '{')
            for (const unsigned char *q = b + i, *end = b + len;
                 (q = memchr(q, '{', (size_t)(end - q))) != NULL; q++)
                objects++;
        cost += (uint64_t)objects * MSG_COST[0].cost;
    } else {
        uint64_t pb = (uint64_t)len * 3;
        int rc = argus_otlp_check_wire(p, payload, len, MSG_COST,
                                       sizeof MSG_COST / sizeof MSG_COST[0], &pb, err);
        if (rc)
            return rc;
        if (pb > cost)
            cost = pb;
    }
    if (cost < MEMORY_MIN_RESERVE)
        cost = MEMORY_MIN_RESERVE;
    *need = cost > SIZE_MAX ? SIZE_MAX : (size_t)cost;
    return 0;
}

/* The first 16 bytes of SHA-256(signal, payload): equal only for identical requests. Computed
 * in the receiver's thread (~1.5 GB/s with SHA extensions), so the writer only looks it up. */
static int request_key(argus_signal sig, const void *payload, size_t len, uint8_t key[16])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char tag = (unsigned char)sig;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, &tag, 1) &&
             EVP_DigestUpdate(ctx, payload ? payload : "", len) &&
             EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen >= 16;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    memcpy(key, md, 16);
    return 0;
}

int argus_writer_ingest(argus_writer *w, argus_signal sig, argus_otlp_format format,
                        const void *payload, size_t len, argus_ingest_done_fn done, void *ctx,
                        argus_ingest_result *now)
{
    argus_stats *stats = argus_stats_get();
    argus_signal_stats *ss = &stats->signal[sig];
    memset(now, 0, sizeof *now);
    now->signal = sig;
    argus_stats_add(&ss->requests, 1);
    /* A queue this request cannot fit in: refuse before spending a decode on it. Decoded and
     * rendered, a request holds ~10 times its protobuf size; 4 times is a safe lower bound. */
    pthread_mutex_lock(&w->wk.mu);
    int full = overflows(w, 1, 4 * len);
    size_t waiting = w->q_items;
    if (w->connecting && !w->wk.stopping) {
        int64_t left_ms = (w->next_connect_ns - argus_mono_ns()) / 1000000;
        now->status = ARGUS_INGEST_UNAVAILABLE;
        now->retry_after_s = left_ms > 1000 ? (unsigned)((left_ms + 999) / 1000) : 1;
        snprintf(now->message, sizeof now->message,
                 "database not reachable yet (after %u attempts): %.200s", w->connect_attempts,
                 w->db_error);
        pthread_mutex_unlock(&w->wk.mu);
        return 0;
    }
    if (w->breaker_open && !w->wk.stopping) {
        now->status = ARGUS_INGEST_UNAVAILABLE;
        now->retry_after_s = BREAKER_RETRY_AFTER_S;
        snprintf(now->message, sizeof now->message,
                 "database unavailable (circuit breaker open): %.200s", w->db_error);
        pthread_mutex_unlock(&w->wk.mu);
        argus_stats_add(&stats->breaker_refused, 1);
        return 0;
    }
    pthread_mutex_unlock(&w->wk.mu);
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
    argus_otlp_payload *p = &j->payload[sig];
    argus_error err;
    argus_error_clear(&err);
    size_t need;
    if (estimate(p, format, payload, len, &need, &err) != 0) {
        /* not well-formed protobuf: what decoding it would answer, without reserving memory */
        now->status = ARGUS_INGEST_INVALID;
        snprintf(now->message, sizeof now->message, "%s", err.message);
        argus_stats_add(&ss->bad_requests, 1);
        job_put(w, j);
        return 0;
    }
    if (need > w->cfg.memory_limit) {
        /* Could never fit, however long the client waits: final. */
        now->status = ARGUS_INGEST_TOO_LARGE;
        snprintf(now->message, sizeof now->message,
                 "request too large: %zu bytes would need about %zu MiB once decoded, more than "
                 "ARGUS_MEMORY_LIMIT (%zu MiB); send smaller batches",
                 len, need >> 20, w->cfg.memory_limit >> 20);
        argus_stats_add(&stats->memory_refused, 1);
        argus_stats_add(&ss->bad_requests, 1);
        job_put(w, j);
        return 0;
    }
    pthread_mutex_lock(&w->wk.mu);
    int fits = w->mem_used + need <= w->cfg.memory_limit;
    if (fits) {
        w->mem_used += need;
        atomic_store(&stats->memory_used, w->mem_used);
    }
    pthread_mutex_unlock(&w->wk.mu);
    if (!fits) {
        job_put(w, j);
        return refuse_memory(w, now, ss, 0);
    }
    j->reserved = need;
    int rc;
    size_t total;
    /* Decoding may take what the budget has free, with this request's reservation: past that
     * the decoder stops (ARGUS_ENOMEM) instead of growing. */
    pthread_mutex_lock(&w->wk.mu);
    size_t others = w->mem_used - need;
    pthread_mutex_unlock(&w->wk.mu);
    p->memory_cap = w->cfg.memory_limit > others ? w->cfg.memory_limit - others : need;
    int capped_by_others = others > 0;
    rc = argus_otlp_decode(p, payload, len, format, &err);
    total = p->item_count;
    j->rejected = p->rejected;
    snprintf(j->reject_message, sizeof j->reject_message, "%s", p->reject_message);
    /* Render the rows here too, in the receiver's thread: the writer then only copies them. */
    if (rc == 0)
        rc = argus_otlp_render(p, &err);
    size_t held = p->arena.used;
    if (rc == 0 && held > w->cfg.memory_limit) {
        /* Decoded, it takes more than the whole budget: it could never be queued. */
        rc = ARGUS_ENOMEM;
        snprintf(err.message, sizeof err.message,
                 "request too large: %zu bytes take %zu MiB once decoded, more than "
                 "ARGUS_MEMORY_LIMIT (%zu MiB); send smaller batches",
                 len, held >> 20, w->cfg.memory_limit >> 20);
    }
    if (rc == ARGUS_ENOMEM && capped_by_others && held <= w->cfg.memory_limit) {
        /* It ran out of what others left free: it may fit once they are stored. */
        job_put(w, j);
        return refuse_memory(w, now, ss, 1);
    }
    if (rc != 0) {
        argus_stats_add(&ss->bad_requests, 1);
        /* The decoder's memory cap (the whole budget) reached: this request needs more memory
         * than a request may take, now and later, so the answer is final too. */
        int too_large = rc == ARGUS_ENOMEM;
        now->status = too_large ? ARGUS_INGEST_TOO_LARGE : ARGUS_INGEST_INVALID;
        if (too_large)
            argus_stats_add(&stats->memory_refused, 1);
        snprintf(now->message, sizeof now->message, "%s",
                 err.message[0] ? err.message : "otlp: undecodable payload");
        job_put(w, j);
        return 0;
    }
    j->items = total - (size_t)j->rejected;
    if (request_key(sig, payload, len, j->key) != 0) {
        now->status = ARGUS_INGEST_UNAVAILABLE;
        now->retry_after_s = 1;
        snprintf(now->message, sizeof now->message, "out of memory");
        job_put(w, j);
        return 0;
    }
    /* What the queue really holds: the decoded and rendered request (~10x its protobuf size). */
    j->bytes = p->arena.used;
    if (j->bytes < len)
        j->bytes = len;
    /* The budget holds what the request really takes from now on. */
    argus_log(ARGUS_LOG_DEBUG, "request decoded", "signal=%s bytes=%zu estimate=%zu decoded=%zu",
              argus_signal_name(sig), len, j->reserved, j->bytes);
    pthread_mutex_lock(&w->wk.mu);
    w->mem_used = w->mem_used - j->reserved + j->bytes;
    if (j->bytes < j->reserved)
        w->released += j->reserved - j->bytes;
    j->reserved = j->bytes;
    atomic_store(&stats->memory_used, w->mem_used);
    pthread_mutex_unlock(&w->wk.mu);
    argus_stats_add(&ss->received, total);
    argus_stats_add(&ss->rejected, j->rejected);
    now->rejected = j->rejected;
    if (j->rejected)
        snprintf(now->message, sizeof now->message, "%llu %s rejected: %s",
                 (unsigned long long)j->rejected, argus_signal_get(sig)->items, j->reject_message);
    if (j->items == 0) {
        /* Nothing to store (an empty request, or every item invalid): answer at once. */
        job_put(w, j);
        return 0;
    }
    j->done = done;
    j->ctx = ctx;
    j->enqueued_ns = argus_mono_ns();
    pthread_mutex_lock(&w->wk.mu);
    if (w->wk.stopping) {
        pthread_mutex_unlock(&w->wk.mu);
        now->status = ARGUS_INGEST_UNAVAILABLE;
        now->retry_after_s = 1;
        snprintf(now->message, sizeof now->message, "server is shutting down");
        argus_stats_add(&ss->dropped, j->items);
        job_put(w, j);
        return 0;
    }
    if (overflows(w, j->items, j->bytes)) {
        size_t qi = w->q_items;
        pthread_mutex_unlock(&w->wk.mu);
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
        pthread_cond_signal(&w->wk.cv);
    pthread_mutex_unlock(&w->wk.mu);
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
                     (unsigned long long)j->rejected, argus_signal_get(j->signal)->items,
                     j->reject_message);
    } else {
        snprintf(r.message, sizeof r.message, "%.*s", (int)sizeof r.message - 1, message);
        r.retry_after_s = status == ARGUS_INGEST_UNAVAILABLE ? 1 : 0;
    }
    j->done(j->ctx, &r);
    job_put(w, j);
}

/* Records the outcome of the last write; the log says when writing works again (after a commit,
 * never after a mere BEGIN, which a full or read-only disk still allows). */
static void set_breaker(argus_breaker_state state)
{
    argus_stats *stats = argus_stats_get();
    atomic_store(&stats->breaker_state, (int)state);
    atomic_store(&stats->breaker_since_unix_ns, argus_wall_ns());
}

static void set_health(argus_writer *w, int ok, const char *error)
{
    pthread_mutex_lock(&w->wk.mu);
    int was = w->db_ok, was_open = w->breaker_open;
    w->db_ok = ok;
    snprintf(w->db_error, sizeof w->db_error, "%s", ok ? "" : error);
    w->failures_in_row = ok ? 0 : w->failures_in_row + 1;
    if (ok)
        w->breaker_open = 0;
    else if (w->failures_in_row >= BREAKER_FAILURES)
        w->breaker_open = 1;
    int open = w->breaker_open;
    unsigned failures = w->failures_in_row;
    pthread_mutex_unlock(&w->wk.mu);
    if (ok && !was)
        argus_log(ARGUS_LOG_INFO, "database writable again", NULL);
    if (open && !was_open) {
        argus_stats_add(&argus_stats_get()->breaker_opened, 1);
        set_breaker(ARGUS_BREAKER_OPEN);
        char q[300];
        argus_log(ARGUS_LOG_WARN, "database circuit breaker open: answering retry later at once",
                  "failures=%u retry_after_s=%d error=%s", failures, BREAKER_RETRY_AFTER_S,
                  argus_log_quote(q, sizeof q, error));
    } else if (!open && was_open) {
        set_breaker(ARGUS_BREAKER_CLOSED);
        argus_log(ARGUS_LOG_INFO, "database circuit breaker closed", NULL);
    } else if (open) {
        set_breaker(ARGUS_BREAKER_OPEN); /* back from half-open */
    }
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
        res = open_store(w, msg, sizeof msg);
        if (res == ARGUS_STORE_OK)
            argus_log(ARGUS_LOG_INFO, "database reopened", "path=%s",
                      argus_log_quote(q, sizeof q, w->cfg.db_path));
    }
    if (res == ARGUS_STORE_OK)
        res = argus_store_begin(w->store, msg, sizeof msg);
    size_t nreq = 0, nitems = 0;
    argus_id_range ids[ARGUS_SIGNAL_COUNT];
    memset(ids, 0, sizeof ids);
    for (job *j = list; j && res == ARGUS_STORE_OK; j = j->next) {
        void *decoded = &j->payload[j->signal];
        char jmsg[256] = "";
        int r = argus_store_put(w->store, j->signal, decoded, j->key, &j->put, jmsg, sizeof jmsg);
        if (r == ARGUS_STORE_REJECT) {
            /* the database refuses this request's data (a value it cannot hold, a resource id
             * collision): retrying cannot help, so 400 / INVALID_ARGUMENT naming the reason --
             * never 500, which clients neither retry nor read as "your data" */
            j->status = ARGUS_INGEST_INVALID;
            snprintf(j->message, sizeof j->message, "storing failed: %s", jmsg);
            argus_log(ARGUS_LOG_ERROR, "request not stored", "signal=%s items=%zu error=%s",
                      argus_signal_name(j->signal), j->items, argus_log_quote(q, sizeof q, jmsg));
        } else if (r == ARGUS_STORE_RETRY) {
            res = r;
            snprintf(msg, sizeof msg, "%s", jmsg);
        } else {
            j->status = ARGUS_INGEST_OK;
            nreq++;
            nitems += j->put.stored;
            argus_id_range *r = &ids[j->signal];
            if (j->put.ids.first) {
                if (!r->first)
                    r->first = j->put.ids.first;
                r->last = j->put.ids.last;
            }
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
    atomic_store(&stats->last_commit_unix_ns, argus_wall_ns());
    /* the insight lag of the stats line counts what is committed now, not only what the insight
     * worker saw at its last look (it may look once a minute) */
    if (ids[ARGUS_SIGNAL_LOGS].last > atomic_load(&stats->insight_logs_max_id))
        atomic_store(&stats->insight_logs_max_id, ids[ARGUS_SIGNAL_LOGS].last);
    set_health(w, 1, NULL);
    argus_log(ARGUS_LOG_DEBUG, "batch committed", "requests=%zu items=%zu", nreq, nitems);
    /* Publish before answering: a client that reads right after its acknowledgement finds the
     * live tail already told. */
    pthread_mutex_lock(&w->wk.mu);
    argus_commit_fn fn = w->commit_fn;
    void *fn_ctx = w->commit_ctx;
    pthread_mutex_unlock(&w->wk.mu);
    if (fn)
        for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
            if (ids[s].first)
                fn(fn_ctx, (argus_signal)s, ids[s].first, ids[s].last);
    while (list) {
        job *next = list->next;
        if (list->status == ARGUS_INGEST_OK) {
            argus_stats_add(&stats->signal[list->signal].stored, list->put.stored);
            if (list->put.duplicate)
                argus_stats_add(&stats->signal[list->signal].duplicates, 1);
        } else
            argus_stats_add(&stats->signal[list->signal].dropped, list->items);
        answer(w, list, list->status, list->message);
        list = next;
    }
    return 0;
}

/* Opens the database for the writer thread; its waits end at the drain deadline. */
static int open_store(argus_writer *w, char *msg, size_t msglen)
{
    int res = argus_store_open(&w->store, &w->cfg, msg, msglen);
    if (res == ARGUS_STORE_OK)
        w->store->driver->set_wait_deadline(w->store, &w->drain_deadline_ns);
    return res;
}

/* Shutdown past its deadline, or after a failed batch: every queued request is answered "retry
 * later" at once (under mu; returns with mu held). */
static void abandon_queue(argus_writer *w, const char *why, const char *answer_message)
{
    argus_stats *stats = argus_stats_get();
    job *list = w->head;
    size_t n = w->q_requests;
    w->head = w->tail = NULL;
    w->q_items = w->q_bytes = w->q_requests = 0;
    atomic_store(&stats->queue_items, 0);
    atomic_store(&stats->queue_bytes, 0);
    atomic_store(&stats->queue_requests, 0);
    pthread_mutex_unlock(&w->wk.mu);
    if (list)
        argus_log(ARGUS_LOG_WARN, "answering queued requests with retry later",
                  "requests=%zu reason=\"%s\"", n, why);
    while (list) {
        job *next = list->next;
        argus_stats_add(&stats->signal[list->signal].dropped, list->items);
        answer(w, list, ARGUS_INGEST_UNAVAILABLE, answer_message);
        list = next;
    }
    pthread_mutex_lock(&w->wk.mu);
}

/* Opens the database if needed and commits a small write (driver probe): only a commit proves
 * the database writable. */
static void probe(argus_writer *w)
{
    char msg[256] = "";
    int res = ARGUS_STORE_OK;
    pthread_mutex_lock(&w->wk.mu);
    int open = w->breaker_open;
    pthread_mutex_unlock(&w->wk.mu);
    if (open)
        set_breaker(ARGUS_BREAKER_HALF_OPEN);
    if (!w->store)
        res = open_store(w, msg, sizeof msg);
    if (res == ARGUS_STORE_OK)
        res = argus_store_probe(w->store, msg, sizeof msg);
    if (res != ARGUS_STORE_OK && w->store && argus_store_broken(w->store)) {
        argus_store_close(w->store);
        w->store = NULL;
    }
    set_health(w, res == ARGUS_STORE_OK, msg);
}

/* The database server of cfg for logs: "host:port" or the socket path, quoted when needed. */
static void db_server(const argus_config *cfg, char *out, size_t n)
{
    char s[600];
    if (cfg->db_socket[0])
        snprintf(s, sizeof s, "%s", cfg->db_socket);
    else
        snprintf(s, sizeof s, "%s:%u", cfg->db_host, (unsigned)cfg->db_port);
    argus_log_quote(out, n, s);
}

/* One more attempt to connect to a database that was not reachable at start; on success the
 * migrations have run (argus_store_open) and ingest proceeds. */
static void connect_attempt(argus_writer *w)
{
    char msg[256] = "", q[700];
    int res = open_store(w, msg, sizeof msg);
    db_server(&w->cfg, q, sizeof q);
    pthread_mutex_lock(&w->wk.mu);
    unsigned attempt = ++w->connect_attempts;
    if (res == ARGUS_STORE_OK) {
        w->connecting = 0;
        w->db_ok = 1;
        w->db_error[0] = 0;
        pthread_mutex_unlock(&w->wk.mu);
        argus_log(ARGUS_LOG_INFO, "database ready", "server=%s attempts=%u", q, attempt);
        return;
    }
    w->connect_backoff_ms = w->connect_backoff_ms * 2 > CONNECT_BACKOFF_MAX_MS
                                ? CONNECT_BACKOFF_MAX_MS
                                : w->connect_backoff_ms * 2;
    unsigned next_ms = w->connect_backoff_ms;
    w->next_connect_ns = argus_mono_ns() + (int64_t)next_ms * 1000000;
    snprintf(w->db_error, sizeof w->db_error, "%s", msg);
    pthread_mutex_unlock(&w->wk.mu);
    char e[300];
    argus_log(ARGUS_LOG_ERROR, "cannot connect to the database, retrying",
              "server=%s attempt=%u retry_in_ms=%u error=%s", q, attempt, next_ms,
              argus_log_quote(e, sizeof e, msg));
}

/* ---- purges ---------------------------------------------------------------------------------- */

static void purge_finish(argus_writer *w, purge_task *t, int ok, const char *message)
{
    pthread_mutex_lock(&w->wk.mu);
    w->purges = t->next;
    if (!w->purges)
        w->purges_tail = NULL;
    if (t->retention)
        w->retention_queued = 0;
    pthread_mutex_unlock(&w->wk.mu);
    argus_purge_result r;
    memset(&r, 0, sizeof r);
    r.ok = ok;
    r.all = t->req.all;
    r.spans = t->counts.spans;
    r.traces = t->counts.traces;
    r.logs = t->counts.logs;
    r.rollups = t->counts.rollups;
    r.patterns = t->counts.patterns;
    r.chunks = t->chunks;
    r.seconds = (double)(argus_mono_ns() - t->started_ns) / 1e9;
    snprintf(r.message, sizeof r.message, "%s", message ? message : "");
    if (!t->retention || r.spans || r.logs || !ok) {
        char q[300];
        argus_log(ok ? ARGUS_LOG_INFO : ARGUS_LOG_WARN, ok ? "purge finished" : "purge stopped",
                  "kind=%s spans=%llu traces=%llu logs=%llu rollups=%llu patterns=%llu chunks=%u "
                  "seconds=%.2f error=%s",
                  t->retention ? "retention"
                  : t->req.all ? "all"
                               : "older-than",
                  (unsigned long long)r.spans, (unsigned long long)r.traces,
                  (unsigned long long)r.logs, (unsigned long long)r.rollups,
                  (unsigned long long)r.patterns, r.chunks, r.seconds,
                  argus_log_quote(q, sizeof q, r.message));
    }
    if (t->done)
        t->done(t->ctx, &r);
    free(t);
}

/* Runs one chunk of the oldest purge (writer thread). */
static void purge_step(argus_writer *w)
{
    pthread_mutex_lock(&w->wk.mu);
    purge_task *t = w->purges;
    pthread_mutex_unlock(&w->wk.mu);
    if (!t)
        return;
    char msg[256] = "";
    int res = ARGUS_STORE_OK;
    if (!w->store)
        res = open_store(w, msg, sizeof msg);
    int more = 0;
    if (res == ARGUS_STORE_OK) {
        argus_purge_spec spec = {
            .all = t->req.all, .before_ns = t->req.before_ns, .signals = t->req.signals};
        res = argus_store_purge_chunk(w->store, &spec, &t->counts, &more, msg, sizeof msg);
        t->chunks++;
    }
    if (res == ARGUS_STORE_OK && more)
        return;
    if (res != ARGUS_STORE_OK && w->store && argus_store_broken(w->store)) {
        argus_store_close(w->store);
        w->store = NULL;
    }
    purge_finish(w, t, res == ARGUS_STORE_OK, res == ARGUS_STORE_OK ? NULL : msg);
}

static int queue_purge(argus_writer *w, const argus_purge_request *req, argus_purge_done_fn done,
                       void *ctx, int retention)
{
    purge_task *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->req = *req;
    t->done = done;
    t->ctx = ctx;
    t->retention = retention;
    t->started_ns = argus_mono_ns();
    /* under mu */
    if (w->purges_tail)
        w->purges_tail->next = t;
    else
        w->purges = t;
    w->purges_tail = t;
    if (retention)
        w->retention_queued = 1;
    pthread_cond_signal(&w->wk.cv);
    return 0;
}

int argus_writer_purge(argus_writer *w, const argus_purge_request *req, argus_purge_done_fn done,
                       void *ctx, char *msg, size_t msglen)
{
    if (!req->all && req->before_ns <= 0) {
        snprintf(msg, msglen, "purge: a cut-off time (before) or all is required");
        return -1;
    }
    if (req->signals & ~((1u << ARGUS_SIGNAL_COUNT) - 1)) {
        snprintf(msg, msglen, "purge: unknown signal bits 0x%x", req->signals);
        return -1;
    }
    pthread_mutex_lock(&w->wk.mu);
    int rc = -1;
    if (w->wk.stopping)
        snprintf(msg, msglen, "purge: the server is shutting down");
    else if ((rc = queue_purge(w, req, done, ctx, 0)) != 0)
        snprintf(msg, msglen, "purge: out of memory");
    pthread_mutex_unlock(&w->wk.mu);
    return rc;
}

void argus_writer_on_commit(argus_writer *w, argus_commit_fn fn, void *ctx)
{
    pthread_mutex_lock(&w->wk.mu);
    w->commit_fn = fn;
    w->commit_ctx = ctx;
    pthread_mutex_unlock(&w->wk.mu);
}

/* Background retention: every RETENTION_EVERY_NS, a purge of what is older than the retention
 * (under mu). */
static void retention_tick(argus_writer *w)
{
    if (!w->cfg.retention_s || w->retention_queued || w->wk.stopping)
        return;
    int64_t now = argus_mono_ns();
    if (now < w->next_retention_ns)
        return;
    w->next_retention_ns = now + RETENTION_EVERY_NS;
    argus_purge_request req = {.before_ns =
                                   argus_wall_ns() - (int64_t)w->cfg.retention_s * 1000000000};
    queue_purge(w, &req, NULL, NULL, 1);
}

static void *writer_main(void *arg)
{
    argus_writer *w = arg;
    argus_stats *stats = argus_stats_get();
    unsigned backoff_ms = 0;
    pthread_mutex_lock(&w->wk.mu);
    w->next_retention_ns = argus_mono_ns() + RETENTION_FIRST_NS;
    for (;;) {
        while (!w->head && !w->wk.stopping) {
            int64_t now = argus_mono_ns();
            if ((w->released >= TRIM_AFTER_BYTES && w->mem_used == 0) ||
                now - w->last_trim_ns >= TRIM_IDLE_NS) {
                /* Idle after a burst (or now and then: grpc core and the HTTP layer free
                 * connection buffers too): give the freed heap back (RSS near its baseline). */
                w->released = 0;
                w->last_trim_ns = now;
                pthread_mutex_unlock(&w->wk.mu);
                malloc_trim(0);
                pthread_mutex_lock(&w->wk.mu);
                continue;
            }
            if (w->connecting) {
                /* Nothing is queued or purged before the first connection. */
                int64_t left = w->next_connect_ns - argus_mono_ns();
                if (left <= 0) {
                    pthread_mutex_unlock(&w->wk.mu);
                    connect_attempt(w);
                    pthread_mutex_lock(&w->wk.mu);
                    continue;
                }
                argus_cond_wait_until(&w->wk.cv, &w->wk.mu, w->next_connect_ns);
                continue;
            }
            retention_tick(w);
            if (w->purges && w->db_ok) {
                /* Idle: purge chunk after chunk; a request arriving waits one chunk at most. */
                pthread_mutex_unlock(&w->wk.mu);
                purge_step(w);
                pthread_mutex_lock(&w->wk.mu);
                continue;
            }
            /* Sleep until work, the next retention round, or (with a failing database) the
             * next probe, so /readyz recovers even when no export arrives to prove it. */
            int64_t wait = w->cfg.retention_s ? w->next_retention_ns - argus_mono_ns()
                                              : (int64_t)3600 * 1000000000;
            if (!w->db_ok && wait > (int64_t)PROBE_INTERVAL_MS * 1000000)
                wait = (int64_t)PROBE_INTERVAL_MS * 1000000;
            if (wait > TRIM_IDLE_NS)
                wait = TRIM_IDLE_NS;
            if (wait <= 0)
                continue;
            if (argus_cond_wait_until(&w->wk.cv, &w->wk.mu, argus_mono_ns() + wait) == ETIMEDOUT &&
                !w->db_ok && !w->head && !w->wk.stopping) {
                pthread_mutex_unlock(&w->wk.mu);
                probe(w);
                pthread_mutex_lock(&w->wk.mu);
            }
        }
        if (!w->head && w->wk.stopping)
            break;
        if (w->wk.stopping && argus_mono_ns() >= atomic_load(&w->drain_deadline_ns)) {
            abandon_queue(w, "shutdown: drain deadline (ARGUS_SHUTDOWN_TIMEOUT_MS) passed",
                          "server is shutting down; retry later");
            continue;
        }
        /* Group commit: wait for a full batch, at most batch latency after the oldest arrived. */
        int64_t deadline = w->head->enqueued_ns + (int64_t)w->cfg.batch_latency_ms * 1000000;
        while (!w->wk.stopping && w->q_items < w->cfg.batch_size) {
            int64_t left = deadline - argus_mono_ns();
            if (left <= 0)
                break;
            argus_cond_wait_until(&w->wk.cv, &w->wk.mu, deadline);
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
        pthread_mutex_unlock(&w->wk.mu);

        int failed = run_batch(w, list) != 0;

        pthread_mutex_lock(&w->wk.mu);
        if (failed && w->wk.stopping) {
            /* One batch has waited for the database already: the rest would wait in turn. */
            abandon_queue(w, "shutdown: the database failed during shutdown",
                          "server is shutting down; retry later");
        } else if (failed && w->breaker_open) {
            /* The breaker just opened: what is queued would fail the same way. */
            char why[300];
            snprintf(why, sizeof why, "database unavailable (circuit breaker open): %.200s",
                     w->db_error);
            abandon_queue(w, "circuit breaker open", why);
        } else if (failed) {
            /* Give the database (and the clients' retries) some room before the next attempt. */
            backoff_ms = backoff_ms ? backoff_ms * 2 : BACKOFF_MIN_MS;
            if (backoff_ms > BACKOFF_MAX_MS)
                backoff_ms = BACKOFF_MAX_MS;
            int64_t until = argus_mono_ns() + (int64_t)backoff_ms * 1000000;
            while (!w->wk.stopping &&
                   argus_cond_wait_until(&w->wk.cv, &w->wk.mu, until) != ETIMEDOUT)
                ;
        } else if (!failed) {
            backoff_ms = 0;
            if (w->purges && !w->wk.stopping) {
                /* Busy: one purge chunk between batches. */
                pthread_mutex_unlock(&w->wk.mu);
                purge_step(w);
                pthread_mutex_lock(&w->wk.mu);
            }
        }
    }
    pthread_mutex_unlock(&w->wk.mu);
    while (w->purges)
        purge_finish(w, w->purges, 0, "the server is shutting down");
    return NULL;
}

int argus_writer_start(argus_writer **out, const argus_config *cfg, char *msg, size_t msglen)
{
    *out = NULL;
    argus_writer *w = argus_new_component(sizeof *w, "writer", msg, msglen);
    if (!w)
        return -1;
    w->cfg = *cfg;
    w->db_ok = 1;
    argus_worker_init(&w->wk);
    pthread_mutex_init(&w->pool_mu, NULL);
    pthread_mutex_init(&w->ping_mu, NULL);
    if (!(w->driver = argus_store_driver_for(cfg->db_url, msg, msglen))) {
        argus_writer_free(w);
        return -1;
    }
    int res = open_store(w, msg, msglen);
    if (res != ARGUS_STORE_OK && (res != ARGUS_STORE_RETRY || !w->driver->network)) {
        argus_writer_free(w);
        return -1;
    }
    if (res != ARGUS_STORE_OK) {
        /* A database server not reachable yet (down, starting, too many connections): run
         * anyway, not ready, and connect from the writer thread with back-off. */
        w->connecting = 1;
        w->db_ok = 0;
        w->connect_attempts = 1;
        w->connect_backoff_ms = CONNECT_BACKOFF_MIN_MS;
        w->next_connect_ns = argus_mono_ns() + (int64_t)CONNECT_BACKOFF_MIN_MS * 1000000;
        snprintf(w->db_error, sizeof w->db_error, "%s", msg);
        char q[700], e[300];
        db_server(cfg, q, sizeof q);
        argus_log(ARGUS_LOG_ERROR, "cannot connect to the database, retrying",
                  "server=%s attempt=1 retry_in_ms=%d error=%s", q, CONNECT_BACKOFF_MIN_MS,
                  argus_log_quote(e, sizeof e, msg));
    }
    if (argus_worker_start(&w->wk, "argus-writer", writer_main, w, msg, msglen) != 0) {
        argus_writer_free(w);
        return -1;
    }
    *out = w;
    return 0;
}

int argus_writer_connected(argus_writer *w)
{
    pthread_mutex_lock(&w->wk.mu);
    int connected = !w->connecting;
    pthread_mutex_unlock(&w->wk.mu);
    return connected;
}

int argus_writer_ready(argus_writer *w, char *reason, size_t reasonlen)
{
    int ok = 1;
    pthread_mutex_lock(&w->wk.mu);
    if (w->wk.stopping) {
        ok = 0;
        snprintf(reason, reasonlen, "shutting down");
    } else if (w->connecting) {
        ok = 0;
        int64_t left_ms = (w->next_connect_ns - argus_mono_ns()) / 1000000;
        snprintf(reason, reasonlen, "database not reachable yet (%u attempts, next in %lld ms): %s",
                 w->connect_attempts, (long long)(left_ms > 0 ? left_ms : 0), w->db_error);
    } else if (w->breaker_open) {
        ok = 0;
        snprintf(reason, reasonlen,
                 "database circuit breaker open (%u failed attempts in a row; probing every "
                 "%d ms): %s",
                 w->failures_in_row, PROBE_INTERVAL_MS, w->db_error);
    } else if (!w->db_ok) {
        ok = 0;
        snprintf(reason, reasonlen, "database write failed: %s", w->db_error);
    } else if (w->head && argus_mono_ns() - w->head->enqueued_ns >
                              STALL_NS + 2 * (int64_t)w->cfg.batch_latency_ms * 1000000) {
        ok = 0;
        snprintf(reason, reasonlen, "writer is not keeping up: oldest request waited %lld ms",
                 (long long)((argus_mono_ns() - w->head->enqueued_ns) / 1000000));
    }
    pthread_mutex_unlock(&w->wk.mu);
    if (ok) {
        char msg[256];
        pthread_mutex_lock(&w->ping_mu);
        int rc = w->driver->ping(&w->pinger, &w->cfg, msg, sizeof msg);
        pthread_mutex_unlock(&w->ping_mu);
        if (rc != 0) {
            ok = 0;
            snprintf(reason, reasonlen, "database unreachable: %s", msg);
        }
    }
    return ok;
}

void argus_writer_stop(argus_writer *w)
{
    if (!w || !w->wk.started)
        return;
    atomic_store(&w->drain_deadline_ns,
                 argus_mono_ns() + (int64_t)w->cfg.shutdown_timeout_ms * 1000000);
    argus_worker_stop(&w->wk);
}

void argus_writer_free(argus_writer *w)
{
    if (!w)
        return;
    argus_writer_stop(w);
    argus_store_close(w->store);
    if (w->driver)
        w->driver->pinger_free(w->pinger);
    while (w->pool) {
        job *j = w->pool;
        w->pool = j->next;
        job_free(j);
    }
    argus_worker_destroy(&w->wk);
    pthread_mutex_destroy(&w->pool_mu);
    pthread_mutex_destroy(&w->ping_mu);
    free(w);
}
