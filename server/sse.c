/* Live-tail hub; see sse.h.
 *   curl -N 'http://127.0.0.1:8080/api/logs/stream?q=level:>=WARN'
 * Locks: hub->mu guards the client list, the committed id and each client's registration;
 * client->mu guards its buffer (hub thread writes, the HTTP worker running stream_fn reads).
 * The hub never holds hub->mu while it queries, and only wakes a stream under hub->mu after
 * checking that its connection is still there (http.h's lifetime rule). */
#include "sse.h"

#include "log.h"
#include "store.h"
#include "store_read.h"
#include "thread.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A client whose buffer stays full this long is skipped ahead (told how many it missed). */
#define STALL_MS 2000
#define MAX_ARGS 64
/* Each query reads at most ROWS_PER_QUERY rows (the hub appends LIMIT) of at most RANGE_IDS ids:
 * a client far behind (a resume, a skip) catches up in steps, and the rows read are kept for
 * the other clients with the same filter and position (see round_rows). */
#define RANGE_IDS 10000
#define ROWS_PER_QUERY 32
/* A hub whose database was not reachable at start (MariaDB) tries again this often. */
#define REOPEN_MS 1000
#define HELLO "retry: 3000\n: connected\n\n"

typedef struct client {
    struct client *next;
    argus_sse_hub *hub;
    argus_http_stream *stream;
    int refs;   /* the connection's (until stream_done) + the hub thread's while it works on it */
    int gone;   /* the connection finished: never wake it again */
    int listed; /* in hub->clients */

    char *query;
    argus_sse_value args[MAX_ARGS];
    size_t nargs;
    int64_t last_id; /* the last id examined (sent or skipped) */

    pthread_mutex_t mu; /* buf, len, off, skipped, closing */
    char *buf;
    size_t len, off, cap;
    uint64_t skipped; /* records skipped, not told yet */
    int closing;      /* end the stream once the buffer is sent */
    int paused;       /* the buffer is full: the hub waits for the client to read */
    int64_t full_since;
    int64_t last_write_ns;
} client;

struct argus_sse_hub {
    argus_sse_options o;
    argus_config cfg;
    argus_worker wk; /* the hub thread; wk.mu guards what follows (and the clients' refs) */
    client *clients;
    unsigned nclients;
    int64_t committed; /* highest committed log id */
    int dirty;         /* committed moved, or a client joined */
    int reset;         /* ids restarted */
    argus_read *rd;
    int64_t reopen_at_ns;    /* rd == NULL: when to try opening it again */
    struct round_rows *rows; /* rows read, kept while a client still reads from them */
};

/* The rows of one query over the id range (lo, hi], shared by every client with the same query
 * and values whose position is in that range: one query per distinct filter and position, not
 * one per client and round. Kept from round to round while some client reads from them (a
 * client whose buffer filled up takes the rest in later rounds without a new query). */
typedef struct round_rows {
    struct round_rows *next;
    char *query; /* the filter: query and values (copies) */
    argus_sse_value args[MAX_ARGS];
    size_t nargs;
    int used; /* in the current round */
    int64_t lo, hi;
    int rc; /* ARGUS_READ_DONE: the whole range was read; else the error */
    size_t n, cap;
    int64_t *ids;
    size_t *off; /* n + 1 offsets into text */
    char *text;
    size_t len, text_cap;
} round_rows;

static void round_free(round_rows *r)
{
    while (r) {
        round_rows *next = r->next;
        for (size_t i = 0; i < r->nargs; i++)
            free((char *)r->args[i].s);
        free(r->query);
        free(r->ids);
        free(r->off);
        free(r->text);
        free(r);
        r = next;
    }
}

static int same_filter(const round_rows *a, const client *b)
{
    if (a->nargs != b->nargs || strcmp(a->query, b->query) != 0)
        return 0;
    for (size_t i = 0; i < a->nargs; i++) {
        const argus_sse_value *x = &a->args[i], *y = &b->args[i];
        if (x->type != y->type || (x->type == ARGUS_SSE_INT && x->i != y->i) ||
            (x->type == ARGUS_SSE_FLOAT && x->d != y->d) ||
            (x->type == ARGUS_SSE_TEXT && (x->len != y->len || memcmp(x->s, y->s, x->len) != 0)))
            return 0;
    }
    return 1;
}

static int row_add(round_rows *r, int64_t id, const char *j, size_t jl)
{
    if (r->n + 2 > r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        int64_t *ids = realloc(r->ids, cap * sizeof *ids);
        if (ids)
            r->ids = ids;
        size_t *off = realloc(r->off, (cap + 1) * sizeof *off);
        if (off)
            r->off = off;
        if (!ids || !off)
            return -1;
        r->cap = cap;
    }
    if (r->len + jl > r->text_cap) {
        size_t cap = r->text_cap ? 2 * r->text_cap : 65536;
        while (cap < r->len + jl)
            cap *= 2;
        char *t = realloc(r->text, cap);
        if (!t)
            return -1;
        r->text = t;
        r->text_cap = cap;
    }
    if (r->n == 0)
        r->off[0] = 0;
    memcpy(r->text + r->len, j, jl);
    r->len += jl;
    r->ids[r->n++] = id;
    r->off[r->n] = r->len;
    return 0;
}

static void client_free(client *c)
{
    for (size_t i = 0; i < c->nargs; i++)
        free((char *)c->args[i].s);
    free(c->query);
    free(c->buf);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Drops one reference; the caller holds hub->mu. */
static void client_unref(client *c)
{
    if (--c->refs == 0)
        client_free(c);
}

/* Appends bytes unless that would hold more than cap bytes unsent (force: small control
 * lines may go past cap, into the allocation's slack). Caller holds c->mu. */
static int append(client *c, const char *s, size_t n, int force)
{
    size_t alloc = c->cap * 2 + 4096, pending = c->len - c->off;
    if (!force && pending + n > c->cap)
        return 0;
    if (c->len + n > alloc) {
        memmove(c->buf, c->buf + c->off, pending);
        c->len = pending;
        c->off = 0;
    }
    if (c->len + n > alloc)
        return 0;
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    return 1;
}

static void flush_skipped(client *c)
{
    if (!c->skipped)
        return;
    char line[96];
    int n = snprintf(line, sizeof line, "event: skipped\ndata: {\"count\":%llu}\n\n",
                     (unsigned long long)c->skipped);
    if (append(c, line, (size_t)n, 1))
        c->skipped = 0;
}

/* The HTTP side: copies what is buffered, 0 when nothing is (the connection sleeps until a
 * wake), -1 to end. */
static ssize_t stream_fn(void *cls, char *out, size_t max)
{
    client *c = cls;
    pthread_mutex_lock(&c->mu);
    size_t n = c->len - c->off;
    if (n > max)
        n = max;
    memcpy(out, c->buf + c->off, n);
    c->off += n;
    int end = n == 0 && c->closing;
    int resume = c->paused && c->len - c->off < c->cap / 2;
    if (resume)
        c->paused = 0;
    pthread_mutex_unlock(&c->mu);
    if (resume) { /* the hub stopped feeding this client while its buffer was full */
        argus_sse_hub *h = c->hub;
        pthread_mutex_lock(&h->wk.mu);
        h->dirty = 1;
        pthread_cond_signal(&h->wk.cv);
        pthread_mutex_unlock(&h->wk.mu);
    }
    return end ? -1 : (ssize_t)n;
}

static void stream_done(void *cls)
{
    client *c = cls;
    argus_sse_hub *h = c->hub;
    pthread_mutex_lock(&h->wk.mu);
    c->gone = 1;
    h->nclients--;
    for (client **p = &h->clients; c->listed && *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    client_unref(c);
    pthread_mutex_unlock(&h->wk.mu);
}

static int bind_args(argus_read_stmt *st, const client *c, int64_t lo, int64_t hi)
{
    int rc = argus_read_bind_int64(st, 1, lo);
    if (rc == 0)
        rc = argus_read_bind_int64(st, 2, hi);
    for (size_t i = 0; rc == 0 && i < c->nargs; i++) {
        const argus_sse_value *v = &c->args[i];
        int k = (int)i + 3;
        switch (v->type) {
        case ARGUS_SSE_INT: rc = argus_read_bind_int64(st, k, v->i); break;
        case ARGUS_SSE_FLOAT: rc = argus_read_bind_double(st, k, v->d); break;
        case ARGUS_SSE_TEXT: rc = argus_read_bind_text(st, k, v->s, (int)v->len); break;
        default: rc = argus_read_bind_null(st, k);
        }
    }
    return rc;
}

/* Kept rows of c's filter that cover its position lo (marked as used this round), or NULL. */
static round_rows *rows_kept(argus_sse_hub *h, const client *c, int64_t lo)
{
    for (round_rows *r = h->rows; r; r = r->next)
        if (r->lo <= lo && lo < r->hi && r->rc == ARGUS_READ_DONE && same_filter(r, c)) {
            r->used = 1;
            return r;
        }
    return NULL;
}

/* Rows of c's query from its position lo on, up to hi: kept rows of the same filter that cover
 * lo, or read now (at most ROWS_PER_QUERY: the kept range then ends at the last row read). NULL
 * when the query could not even be prepared (the client is closed) or on out of memory. */
static round_rows *rows_for(argus_sse_hub *h, client *c, int64_t lo, int64_t hi)
{
    round_rows *kept = rows_kept(h, c, lo);
    if (kept)
        return kept;
    round_rows *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    *r = (round_rows){.lo = lo, .hi = hi, .rc = ARGUS_READ_DONE, .used = 1, .nargs = c->nargs};
    int bad = !(r->query = strdup(c->query));
    for (size_t i = 0; i < c->nargs; i++) {
        r->args[i] = c->args[i];
        r->args[i].s = NULL;
        if (c->args[i].type == ARGUS_SSE_TEXT) {
            char *t = malloc(c->args[i].len + 1);
            if (t)
                memcpy(t, c->args[i].s, c->args[i].len + 1);
            r->args[i].s = t;
            bad |= !t;
        }
    }
    if (bad) {
        round_free(r);
        return NULL;
    }
    char sql[16384];
    int sl = snprintf(sql, sizeof sql, "%s LIMIT %d", c->query, ROWS_PER_QUERY);
    argus_read_stmt *st;
    if (sl >= (int)sizeof sql || argus_read_prepare(h->rd, sql, sl, &st) != 0) {
        char q[700];
        argus_log(ARGUS_LOG_ERROR, "live tail query failed", "error=%s",
                  argus_log_quote(q, sizeof q,
                                  sl >= (int)sizeof sql ? "the query is too long"
                                                        : argus_read_error(h->rd)));
        round_free(r);
        return NULL;
    }
    int rc = bind_args(st, c, lo, hi);
    while (rc == 0 && (rc = argus_read_step(st)) == ARGUS_READ_ROW) {
        size_t jl;
        int64_t id = argus_read_int64(st, 0);
        const char *j = argus_read_text(st, 1, &jl);
        rc = row_add(r, id, j, jl) == 0 ? 0 : ARGUS_READ_NOMEM;
    }
    r->rc = rc == 0 ? ARGUS_READ_ERROR : rc; /* ARGUS_READ_DONE: the range was read */
    if (r->rc == ARGUS_READ_DONE && r->n == ROWS_PER_QUERY)
        r->hi = r->ids[r->n - 1]; /* more may follow: the next query starts there */
    if (r->rc < 0) {              /* try again at the next round, from the last row read */
        char q[700];
        argus_log(ARGUS_LOG_WARN, "live tail query failed; retrying", "error=%s",
                  argus_log_quote(q, sizeof q, argus_read_error(h->rd)));
    }
    argus_read_done(st);
    r->next = h->rows;
    h->rows = r;
    return r;
}

/* Feeds the client's rows in (last_id, target] into its buffer (at most RANGE_IDS ids a round;
 * *more = 1 when some are left), stopping while the buffer is full. A client whose buffer stays
 * full for STALL_MS is skipped ahead: the rows are counted, not sent, and it is told the count.
 * Returns 1 when bytes were added. */
static int feed(argus_sse_hub *h, client *c, int64_t target, int64_t now, int *more)
{
    if (c->last_id >= target)
        return 0;
    int added = 0;
    pthread_mutex_lock(&c->mu);
    int full = c->len - c->off >= c->cap / 2;
    if (!full)
        c->full_since = 0;
    else if (!c->full_since)
        c->full_since = now;
    int skip = full && now - c->full_since >= (int64_t)STALL_MS * 1000000;
    int wait = full && !skip;
    c->paused = wait;
    pthread_mutex_unlock(&c->mu);
    if (wait) {
        rows_kept(h, c, c->last_id); /* keeps them for when it reads again */
        return 0;
    }
    int64_t hi = target - c->last_id > RANGE_IDS ? c->last_id + RANGE_IDS : target;
    round_rows *r = rows_for(h, c, c->last_id, hi);
    if (!r) {
        pthread_mutex_lock(&c->mu);
        c->closing = 1;
        pthread_mutex_unlock(&c->mu);
        return 1;
    }
    int stop = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t k = 0; k < r->n && !stop; k++) {
        int64_t id = r->ids[k];
        if (id <= c->last_id)
            continue; /* kept rows this client has had */
        if (skip) {
            c->skipped++;
            c->last_id = id;
            continue;
        }
        const char *j = r->text + r->off[k];
        size_t jl = r->off[k + 1] - r->off[k];
        char head[64];
        int hn = snprintf(head, sizeof head, "id: %lld\nevent: log\ndata: ", (long long)id);
        if (c->len - c->off + (size_t)hn + jl + 2 > c->cap) {
            stop = 1; /* full: this row waits for the next round */
            c->paused = 1;
            if (!c->full_since)
                c->full_since = now;
            break;
        }
        flush_skipped(c);
        append(c, head, (size_t)hn, 1);
        append(c, j, jl, 1);
        append(c, "\n\n", 2, 1);
        added = 1;
        c->last_id = id;
    }
    if (!stop && r->rc == ARGUS_READ_DONE) /* the whole range was read */
        c->last_id = r->hi;
    if (c->skipped && skip) {
        flush_skipped(c);
        added = 1;
    }
    pthread_mutex_unlock(&c->mu);
    if (!stop && r->rc == ARGUS_READ_DONE && c->last_id < target)
        *more = 1;
    return added;
}

/* Opens the hub's read connection and starts from what is committed: streams begin at "now" (or
 * their Last-Event-ID). -1 with msg when the database cannot be read (yet). */
static int hub_open(argus_sse_hub *h, char *msg, size_t msglen)
{
    char own[512];
    if (!msg) {
        msg = own;
        msglen = sizeof own;
    }
    argus_read_limits lim = {.statement_ms = h->o.statement_ms, .busy_ms = 5000, .cache = 32};
    argus_read *rd = NULL;
    if (argus_read_open(&rd, &h->cfg, &lim, msg, msglen) != 0) {
        h->reopen_at_ns = argus_mono_ns() + (int64_t)REOPEN_MS * 1000000;
        return -1;
    }
    argus_read_stmt *st;
    int64_t committed = 0;
    if (argus_read_prepare(rd, "SELECT coalesce(max(id), 0) FROM log_records", -1, &st) == 0) {
        if (argus_read_step(st) == ARGUS_READ_ROW)
            committed = argus_read_int64(st, 0);
        argus_read_done(st);
    }
    pthread_mutex_lock(&h->wk.mu);
    if (committed > h->committed)
        h->committed = committed;
    h->rd = rd;
    pthread_mutex_unlock(&h->wk.mu);
    return 0;
}

static void *hub_main(void *arg)
{
    argus_sse_hub *h = arg;
    client *work[1024];
    pthread_mutex_lock(&h->wk.mu);
    while (!h->wk.stopping) {
        int64_t wait_ns = (int64_t)h->o.keepalive_ms * 1000000 / 2;
        if (!h->dirty && argus_worker_wait_until(&h->wk, argus_mono_ns() + wait_ns))
            break;
        h->dirty = 0;
        int64_t target = h->committed;
        int reset = h->reset;
        h->reset = 0;
        size_t n = 0;
        for (client *c = h->clients; c && n < sizeof work / sizeof work[0]; c = c->next) {
            c->refs++;
            work[n++] = c;
        }
        pthread_mutex_unlock(&h->wk.mu);

        int64_t now = argus_mono_ns();
        if (!h->rd && now >= h->reopen_at_ns)
            hub_open(h, NULL, 0);
        int woke[1024], more = 0;
        if (reset) { /* ids start again: rows kept are no one's any more */
            round_free(h->rows);
            h->rows = NULL;
        }
        for (round_rows *r = h->rows; r; r = r->next)
            r->used = 0;
        for (size_t i = 0; i < n; i++) {
            client *c = work[i];
            if (reset)
                c->last_id = 0;
            woke[i] = h->rd ? feed(h, c, target, now, &more) : 0;
            pthread_mutex_lock(&c->mu);
            if (woke[i])
                c->last_write_ns = now;
            else if (now - c->last_write_ns >= (int64_t)h->o.keepalive_ms * 1000000) {
                woke[i] = append(c, ": keep-alive\n\n", 14, 1);
                c->last_write_ns = now;
            }
            pthread_mutex_unlock(&c->mu);
        }
        /* rows no client read from this round are dropped, and failed reads (tried again) */
        for (round_rows **p = &h->rows; *p;) {
            round_rows *r = *p;
            if (r->used && r->rc == ARGUS_READ_DONE) {
                p = &r->next;
                continue;
            }
            *p = r->next;
            r->next = NULL;
            round_free(r);
        }

        pthread_mutex_lock(&h->wk.mu);
        if (more) /* clients far behind: go on at once */
            h->dirty = 1;
        for (size_t i = 0; i < n; i++) {
            if (woke[i] && !work[i]->gone)
                argus_http_stream_wake(work[i]->stream);
            client_unref(work[i]);
        }
    }
    pthread_mutex_unlock(&h->wk.mu);
    return NULL;
}

int argus_sse_hub_start(argus_sse_hub **out, const argus_config *cfg, const argus_sse_options *o,
                        char *msg, size_t msglen)
{
    *out = NULL;
    argus_sse_hub *h = argus_new_component(sizeof *h, "sse", msg, msglen);
    if (!h)
        return -1;
    h->o = *o;
    if (!h->o.keepalive_ms)
        h->o.keepalive_ms = 15000;
    if (!h->o.client_buffer)
        h->o.client_buffer = 256 << 10;
    h->cfg = *cfg;
    argus_worker_init(&h->wk);
    if (hub_open(h, msg, msglen) != 0) {
        /* a database server (MariaDB) may come up after argus-server: the hub opens it later */
        const argus_store_driver *d = argus_store_driver_for(cfg->db_url, NULL, 0);
        if (!d || !d->network) {
            argus_sse_hub_free(h);
            return -1;
        }
        char q[700];
        argus_log(ARGUS_LOG_WARN, "live tail: the database cannot be read yet; retrying",
                  "error=%s", argus_log_quote(q, sizeof q, msg));
    }
    if (argus_worker_start(&h->wk, "argus-sse", hub_main, h, msg, msglen) != 0) {
        argus_sse_hub_free(h);
        return -1;
    }
    *out = h;
    return 0;
}

void argus_sse_hub_publish(argus_sse_hub *h, int64_t last_id)
{
    pthread_mutex_lock(&h->wk.mu);
    if (last_id > h->committed) {
        h->committed = last_id;
        h->dirty = 1;
        pthread_cond_signal(&h->wk.cv);
    }
    pthread_mutex_unlock(&h->wk.mu);
}

void argus_sse_hub_reset(argus_sse_hub *h)
{
    pthread_mutex_lock(&h->wk.mu);
    h->committed = 0;
    h->reset = 1;
    h->dirty = 1;
    pthread_cond_signal(&h->wk.cv);
    pthread_mutex_unlock(&h->wk.mu);
}

unsigned argus_sse_clients(argus_sse_hub *h)
{
    pthread_mutex_lock(&h->wk.mu);
    unsigned n = h->nclients;
    pthread_mutex_unlock(&h->wk.mu);
    return n;
}

int argus_sse_subscribe(argus_sse_hub *h, argus_http_request *req, const char *query,
                        const argus_sse_value *args, size_t nargs, int64_t after_id, int *status,
                        char *msg, size_t msglen)
{
    *status = 500;
    if (nargs > MAX_ARGS) {
        snprintf(msg, msglen, "live tail: at most %d filter values", MAX_ARGS);
        return -1;
    }
    client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(msg, msglen, "live tail: out of memory");
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->hub = h;
    c->cap = h->o.client_buffer;
    c->buf = malloc(c->cap * 2 + 4096);
    c->query = strdup(query);
    c->nargs = nargs;
    c->last_id = after_id;
    c->last_write_ns = argus_mono_ns();
    int bad = !c->buf || !c->query;
    for (size_t i = 0; i < nargs; i++) {
        c->args[i] = args[i];
        c->args[i].s = NULL;
        if (args[i].type == ARGUS_SSE_TEXT) {
            char *s = malloc(args[i].len + 1);
            if (!s) {
                bad = 1;
                continue;
            }
            memcpy(s, args[i].s, args[i].len);
            s[args[i].len] = 0;
            c->args[i].s = s;
        }
    }
    if (bad) {
        client_free(c);
        snprintf(msg, msglen, "live tail: out of memory");
        return -1;
    }
    append(c, HELLO, sizeof HELLO - 1, 1);

    pthread_mutex_lock(&h->wk.mu);
    if (h->wk.stopping || h->nclients >= h->o.max_clients) {
        int stopping = h->wk.stopping;
        pthread_mutex_unlock(&h->wk.mu);
        client_free(c);
        *status = 503;
        snprintf(msg, msglen,
                 stopping ? "the server is shutting down"
                          : "the live tail has its maximum of %u clients; retry later",
                 h->o.max_clients);
        return -1;
    }
    h->nclients++; /* reserved; stream_done gives it back */
    pthread_mutex_unlock(&h->wk.mu);
    /* One reference for the connection (dropped by stream_done), one for this function. */
    c->refs = 2;
    static const argus_http_header hdr[] = {{"Cache-Control", "no-cache"},
                                            {"X-Accel-Buffering", "no"}};
    argus_http_stream *s =
        argus_http_respond_stream(req, 200, "text/event-stream", hdr, 2, stream_fn, c, stream_done);
    pthread_mutex_lock(&h->wk.mu);
    if (s && !c->gone) {
        c->stream = s;
        c->listed = 1;
        c->next = h->clients;
        h->clients = c;
        h->dirty = 1; /* a resuming client catches up now */
        pthread_cond_signal(&h->wk.cv);
    }
    client_unref(c);
    pthread_mutex_unlock(&h->wk.mu);
    return 0; /* answered: by the stream, or with 503 when it could not be made */
}

void argus_sse_hub_stop(argus_sse_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->wk.mu);
    argus_worker_request_stop(&h->wk);
    for (client *c = h->clients; c; c = c->next) {
        pthread_mutex_lock(&c->mu);
        c->closing = 1;
        pthread_mutex_unlock(&c->mu);
        if (!c->gone)
            argus_http_stream_wake(c->stream);
    }
    pthread_mutex_unlock(&h->wk.mu);
    argus_worker_join(&h->wk);
}

void argus_sse_hub_free(argus_sse_hub *h)
{
    if (!h)
        return;
    argus_sse_hub_stop(h);
    /* Streams still open hold their clients; they end when the HTTP listener frees them,
     * which must happen before this (main.c frees the API listener first). */
    round_free(h->rows);
    argus_read_close(h->rd);
    argus_worker_destroy(&h->wk);
    free(h);
}
