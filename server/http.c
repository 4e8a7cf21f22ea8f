/* HTTP listeners on libmicrohttpd; see http.h.
 *   curl -s localhost:8080/healthz
 * A thread pool with epoll; a request's body is collected (up to max_body) before its handler
 * runs. When the handler has not answered by the time it returns, the connection is suspended
 * and the answer, given later from another thread, resumes it. Suspension and answering happen
 * under the request's lock, so an early answer is never lost and a late one never races.
 *
 * The request line is taken raw (MHD_OPTION_URI_LOG_CALLBACK, before libmicrohttpd decodes it)
 * so that "/api/services/a%2Fb" keeps its segments and query arguments keep their order and
 * repetitions. Every TCP connection is tracked from accept to close: a reaper thread closes
 * (shutdown(2), libmicrohttpd then cleans up) those too slow to send headers or a body. */
#include "http.h"

#include "argus_buf.h"
#include "config.h"
#include "log.h"
#include "stats.h"
#include "thread.h"

#include <jansson.h>
#include <microhttpd.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARAMS 8
#define STREAM_BLOCK (16 * 1024)
#define MIN_RATE_GRACE_MS 5000
#define REAPER_PERIOD_MS 200

/* The connections and the streams are doubly linked lists (prev/next members) under a lock. */
#define LIST_PUSH(head, x)                                                                         \
    do {                                                                                           \
        (x)->prev = NULL;                                                                          \
        (x)->next = (head);                                                                        \
        if (head)                                                                                  \
            (head)->prev = (x);                                                                    \
        (head) = (x);                                                                              \
    } while (0)
#define LIST_UNLINK(head, x)                                                                       \
    do {                                                                                           \
        if ((x)->prev)                                                                             \
            (x)->prev->next = (x)->next;                                                           \
        else                                                                                       \
            (head) = (x)->next;                                                                    \
        if ((x)->next)                                                                             \
            (x)->next->prev = (x)->prev;                                                           \
    } while (0)

typedef enum { REQ_READING, REQ_RUNNING, REQ_SUSPENDED, REQ_ANSWERED } req_state;

/* Where a TCP connection is; the reaper enforces the deadline of the waiting phases. */
typedef enum { PH_WAIT_FIRST, PH_BODY, PH_BUSY, PH_WAIT_NEXT } conn_phase;

typedef struct http_conn {
    struct http_conn *prev, *next;
    int fd;
    conn_phase phase;
    int64_t since_ms; /* when the phase began */
    uint64_t body_bytes;
    int reaped;
    char *raw_uri; /* the request line's target, until the request takes it */
    char client[INET6_ADDRSTRLEN];
} http_conn;

struct argus_http_request {
    argus_http *h;
    struct MHD_Connection *conn;
    http_conn *tcp;
    const char *method; /* owned by MHD for the request's lifetime */
    char *raw_uri;      /* owned; raw_path points into it */
    const char *raw_path;
    char *path; /* decoded */
    /* the query's arguments, decoded: one allocation, the pairs then their texts */
    struct query_arg {
        const char *name, *value;
    } * query;
    size_t nquery;
    struct {
        const char *name; /* into the route pattern */
        size_t name_len;
        char *value; /* owned */
    } params[MAX_PARAMS];
    size_t nparams;
    argus_buf body;
    int too_large;
    int bad_url; /* a %00 or malformed escape in the target */
    pthread_mutex_t mu;
    req_state state;
    struct MHD_Response *response;
    int response_shared; /* a cached static response: not ours to destroy */
    int queued;
    unsigned status;
};

struct argus_http_stream {
    argus_http *h;
    struct MHD_Connection *conn;
    pthread_mutex_t mu;
    int suspended, woken;
    argus_http_stream_fn fn;
    void *cls;
    void (*free_cls)(void *);
    argus_http_stream *prev, *next; /* h->streams */
};

typedef struct static_entry {
    const argus_asset *asset;
    struct MHD_Response *plain, *gzip;
} static_entry;

typedef struct worker_state {
    struct worker_state *next;
    void *state;
} worker_state;

struct argus_http {
    struct MHD_Daemon *daemon;
    argus_http_options o;
    char name[32];
    unsigned port;
    unsigned max_connections;
    atomic_int inflight;
    atomic_int stopping;
    MHD_socket quiesced_fd;

    pthread_mutex_t mu; /* streams, statics, workers */
    argus_http_stream *streams;
    static_entry *statics;
    size_t nstatics, capstatics;
    pthread_key_t worker_key;
    worker_state *workers;

    argus_worker reaper; /* reaper.mu guards the connection list, reaper.cv wakes the reaper */
    http_conn *conns, *conns_tail; /* newest first */
    size_t nconns;                 /* in the list */
    size_t nreaped;                /* of which shut down, waiting for libmicrohttpd's cleanup */
    struct pollfd *polls;          /* the reaper's scratch: connections checked for a hang-up */
    http_conn **polled;
    size_t cappolls;
    atomic_ulong reaped;
};

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    argus_http *h = cls;
    char text[512], q[600];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = 0;
    argus_log(ARGUS_LOG_DEBUG, "http: libmicrohttpd", "listener=%s text=%s", h->name,
              argus_log_quote(q, sizeof q, text));
}

/* Above this many open connections the reaper makes room by closing the oldest ones that are
 * only waiting (for their first request head or between kept-alive requests, for at least
 * EVICT_MIN_AGE_MS), down to EVICT_TO: a flood of idle connections from many addresses cannot fill
 * the listener's cap and lock out new clients (health checks, exporters). */
static size_t evict_above(const argus_http *h)
{
    return (size_t)h->max_connections * 9 / 10;
}
#define EVICT_TO(h) ((size_t)(h)->max_connections * 8 / 10)
/* Only connections waiting at least this long are evicted: a burst of new clients that are about
 * to send their request is left alone. */
#define EVICT_MIN_AGE_MS 1000

/* ---- URL decoding --------------------------------------------------------------------------- */
static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes s[0..n) into out (room for n + 1, always NUL-terminated); plus: '+' is a space.
 * Returns 0, or -1 for a malformed escape or an escaped NUL byte. */
static int url_decode(const char *s, size_t n, int plus, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = n - i < 3 ? -1 : hexval((unsigned char)s[i + 1]);
            int lo = n - i < 3 ? -1 : hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                out[o] = 0;
                return -1;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else
            out[o++] = plus && c == '+' ? ' ' : c;
    }
    out[o] = 0;
    return 0;
}

/* Splits the raw target into raw_path, path and the query arguments. */
static int parse_target(argus_http_request *r)
{
    char *q = strchr(r->raw_uri, '?');
    size_t plen = q ? (size_t)(q - r->raw_uri) : strlen(r->raw_uri);
    char *fragment = strchr(r->raw_uri, '#');
    if (fragment && (!q || fragment > q))
        *fragment = 0;
    r->path = malloc(plen + 1);
    if (!r->path)
        return -1;
    if (url_decode(r->raw_uri, plen, 0, r->path) != 0)
        r->bad_url = 1;
    if (q)
        *q = 0; /* raw_path ends here; the query follows */
    r->raw_path = r->raw_uri;
    if (!q || !q[1])
        return 0;
    const char *qs = q + 1;
    size_t qlen = strlen(qs), count = 1;
    for (size_t i = 0; i < qlen; i++)
        count += qs[i] == '&';
    r->query = malloc(count * sizeof *r->query + qlen + count * 2 + 2);
    if (!r->query)
        return -1;
    char *out = (char *)(r->query + count);
    const char *p = qs;
    for (;;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n) {
            const char *eq = memchr(p, '=', n);
            size_t kn = eq ? (size_t)(eq - p) : n;
            r->query[r->nquery].name = out;
            if (url_decode(p, kn, 1, out) != 0)
                r->bad_url = 1;
            out += strlen(out) + 1;
            r->query[r->nquery].value = out;
            if (eq) {
                if (url_decode(eq + 1, n - kn - 1, 1, out) != 0)
                    r->bad_url = 1;
            } else
                *out = 0;
            out += strlen(out) + 1;
            r->nquery++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* ---- request accessors ---------------------------------------------------------------------- */
const char *argus_http_method(const argus_http_request *r)
{
    return r->method;
}

const char *argus_http_path(const argus_http_request *r)
{
    return r->path;
}

const char *argus_http_raw_path(const argus_http_request *r)
{
    return r->raw_path;
}

const char *argus_http_header_get(const argus_http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const void *argus_http_body(const argus_http_request *r, size_t *len)
{
    *len = r->too_large ? 0 : r->body.len;
    return r->too_large || !r->body.len ? NULL : r->body.data;
}

int argus_http_too_large(const argus_http_request *r)
{
    return r->too_large;
}

const char *argus_http_client(const argus_http_request *r)
{
    return r->tcp ? r->tcp->client : "";
}

void *argus_http_worker_state(const argus_http_request *r)
{
    return r->h->o.worker_init ? pthread_getspecific(r->h->worker_key) : NULL;
}

const char *argus_http_query(const argus_http_request *r, const char *name, size_t index)
{
    for (size_t i = 0; i < r->nquery; i++)
        if (!strcmp(r->query[i].name, name) && index-- == 0)
            return r->query[i].value;
    return NULL;
}

size_t argus_http_query_count(const argus_http_request *r)
{
    return r->nquery;
}

int argus_http_query_at(const argus_http_request *r, size_t i, const char **name,
                        const char **value)
{
    if (i >= r->nquery)
        return -1;
    *name = r->query[i].name;
    *value = r->query[i].value;
    return 0;
}

const char *argus_http_param(const argus_http_request *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->nparams; i++)
        if (r->params[i].name_len == n && !memcmp(r->params[i].name, name, n))
            return r->params[i].value;
    return NULL;
}

/* ---- answering ------------------------------------------------------------------------------ */
static void set_phase(argus_http *h, http_conn *c, conn_phase ph)
{
    if (!c)
        return;
    pthread_mutex_lock(&h->reaper.mu);
    c->phase = ph;
    c->since_ms = argus_mono_ms();
    pthread_mutex_unlock(&h->reaper.mu);
}

/* Hands resp to the request (shared: a cached response we must not destroy). */
static void answer(argus_http_request *r, unsigned status, struct MHD_Response *resp, int shared)
{
    pthread_mutex_lock(&r->mu);
    r->response = resp;
    r->response_shared = shared;
    r->status = status;
    req_state was = r->state;
    r->state = REQ_ANSWERED;
    if (was == REQ_SUSPENDED)
        MHD_resume_connection(r->conn);
    pthread_mutex_unlock(&r->mu);
}

static void add_headers(struct MHD_Response *resp, const char *content_type,
                        const argus_http_header *headers, size_t nheaders)
{
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    for (size_t i = 0; i < nheaders; i++)
        MHD_add_response_header(resp, headers[i].name, headers[i].value);
}

void argus_http_respond(argus_http_request *r, unsigned status, const char *content_type,
                        const void *body, size_t len, const argus_http_header *headers,
                        size_t nheaders)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    if (resp)
        add_headers(resp, content_type, headers, nheaders);
    answer(r, status, resp, 0);
}

void argus_http_error(argus_http_request *r, unsigned status, const char *code,
                      const argus_http_header *headers, size_t nheaders, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    /* Invalid UTF-8 (e.g. from a path) must not make jansson refuse the message. */
    argus_buf clean;
    argus_buf_init(&clean);
    argus_utf8_sanitize(&clean, message, strlen(message));
    json_t *root = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
                             clean.len ? argus_buf_cstr(&clean) : "");
    argus_buf_free(&clean);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text) {
        argus_http_respond(r, 503, "application/json", NULL, 0, NULL, 0);
        return;
    }
    argus_http_respond(r, status, "application/json", text, strlen(text), headers, nheaders);
    free(text);
}

static enum MHD_Result queue_answer(argus_http_request *r)
{
    r->queued = 1;
    if (!r->response)
        return MHD_NO; /* out of memory: drop the connection */
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->response);
    if (!r->response_shared)
        MHD_destroy_response(r->response);
    r->response = NULL;
    return ret;
}

/* ---- static files --------------------------------------------------------------------------- */
/* The next element of a comma-separated header list at *p, without the blanks around it: its
 * start, its length in *n; NULL when the list has no more. *p moves past it. */
static const char *list_next(const char **p, size_t *n)
{
    const char *s = *p;
    while (*s == ' ' || *s == ',' || *s == '\t')
        s++;
    if (!*s)
        return NULL;
    const char *end = strchr(s, ',');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    *p = s + len;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    *n = len;
    return s;
}

/* 1 when the comma-separated list (If-None-Match) names etag, or is "*". */
static int etag_listed(const char *list, const char *etag)
{
    size_t en = strlen(etag), n;
    for (const char *t; (t = list_next(&list, &n));) {
        if (n == 1 && *t == '*')
            return 1;
        if (n > 2 && t[0] == 'W' && t[1] == '/') { /* weak comparison for If-None-Match */
            t += 2;
            n -= 2;
        }
        if (n == en && !memcmp(t, etag, n))
            return 1;
    }
    return 0;
}

/* 1 when Accept-Encoding allows gzip (named, or "*", with a q-value other than 0). */
static int accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    int star = 0, gzip = -1;
    size_t len;
    for (const char *p; (p = list_next(&ae, &len));) {
        size_t n = strcspn(p, " \t;,");
        int is_gzip =
            (n == 4 && !strncasecmp(p, "gzip", 4)) || (n == 6 && !strncasecmp(p, "x-gzip", 6));
        int is_star = n == 1 && *p == '*';
        int allowed = 1;
        const char *semi = memchr(p, ';', len);
        if (semi) {
            const char *qp = semi + 1;
            while (*qp == ' ')
                qp++;
            if ((*qp == 'q' || *qp == 'Q') && qp[1] == '=')
                allowed = strtod(qp + 2, NULL) > 0;
        }
        if (is_gzip)
            gzip = allowed;
        if (is_star)
            star = allowed;
    }
    return gzip >= 0 ? gzip : star;
}

static const char *cache_control(const argus_asset *a)
{
    return a->immutable ? "public, max-age=31536000, immutable" : "no-cache";
}

static struct MHD_Response *static_response(const argus_asset *a, int gz)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        gz ? a->gzip_len : a->len, (void *)(gz ? a->gzip : a->data), MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
    if (a->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control(a));
    if (a->gzip)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (gz)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    return resp;
}

void argus_http_respond_static(argus_http_request *r, const argus_asset *a)
{
    argus_http *h = r->h;
    const char *inm = argus_http_header_get(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (a->etag && inm && etag_listed(inm, a->etag)) {
        argus_http_header hd[3] = {{MHD_HTTP_HEADER_ETAG, a->etag},
                                   {MHD_HTTP_HEADER_CACHE_CONTROL, cache_control(a)},
                                   {MHD_HTTP_HEADER_VARY, "Accept-Encoding"}};
        argus_http_respond(r, 304, NULL, NULL, 0, hd, a->gzip ? 3 : 2);
        return;
    }
    int gz = a->gzip && accepts_gzip(argus_http_header_get(r, MHD_HTTP_HEADER_ACCEPT_ENCODING));
    struct MHD_Response *resp = NULL;
    pthread_mutex_lock(&h->mu);
    static_entry *e = NULL;
    for (size_t i = 0; i < h->nstatics && !e; i++)
        if (h->statics[i].asset == a)
            e = &h->statics[i];
    static_entry *grown;
    if (!e && (grown = argus_array_room(h->statics, h->nstatics, &h->capstatics, sizeof *grown,
                                        16)) != NULL)
        h->statics = grown;
    if (!e && h->nstatics < h->capstatics) {
        e = &h->statics[h->nstatics++];
        *e = (static_entry){.asset = a};
    }
    if (e) {
        struct MHD_Response **slot = gz ? &e->gzip : &e->plain;
        if (!*slot)
            *slot = static_response(a, gz);
        resp = *slot;
    }
    pthread_mutex_unlock(&h->mu);
    if (!resp) {
        argus_http_error(r, 503, "unavailable", NULL, 0, "out of memory");
        return;
    }
    answer(r, 200, resp, 1);
}

/* ---- streams -------------------------------------------------------------------------------- */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    argus_http_stream *s = cls;
    for (;;) {
        if (atomic_load(&s->h->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        ssize_t n = s->fn(s->cls, buf, max);
        if (n > 0)
            return n;
        if (n < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        pthread_mutex_lock(&s->mu);
        if (s->woken || atomic_load(&s->h->stopping)) {
            s->woken = 0;
            pthread_mutex_unlock(&s->mu);
            continue;
        }
        s->suspended = 1;
        MHD_suspend_connection(s->conn);
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
}

static void stream_free(void *cls)
{
    argus_http_stream *s = cls;
    argus_http *h = s->h;
    if (s->free_cls)
        s->free_cls(s->cls);
    pthread_mutex_lock(&h->mu);
    LIST_UNLINK(h->streams, s);
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void argus_http_stream_wake(argus_http_stream *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->suspended) {
        s->suspended = 0;
        MHD_resume_connection(s->conn);
    } else
        s->woken = 1;
    pthread_mutex_unlock(&s->mu);
}

argus_http_stream *argus_http_respond_stream(argus_http_request *r, unsigned status,
                                             const char *content_type,
                                             const argus_http_header *headers, size_t nheaders,
                                             argus_http_stream_fn fn, void *cls,
                                             void (*free_cls)(void *))
{
    argus_http *h = r->h;
    argus_http_stream *s = calloc(1, sizeof *s);
    struct MHD_Response *resp = NULL;
    if (s) {
        s->h = h;
        s->conn = r->conn;
        s->fn = fn;
        s->cls = cls;
        s->free_cls = free_cls;
        pthread_mutex_init(&s->mu, NULL);
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s,
                                                 stream_free);
    }
    if (!resp) {
        if (s) {
            pthread_mutex_destroy(&s->mu);
            free(s);
        }
        if (free_cls)
            free_cls(cls);
        argus_http_error(r, 503, "unavailable", NULL, 0, "out of memory");
        return NULL;
    }
    add_headers(resp, content_type, headers, nheaders);
    pthread_mutex_lock(&h->mu);
    LIST_PUSH(h->streams, s);
    pthread_mutex_unlock(&h->mu);
    answer(r, status, resp, 0);
    return s;
}

/* ---- libmicrohttpd callbacks ---------------------------------------------------------------- */
static void *worker_state_get(argus_http *h)
{
    if (!h->o.worker_init)
        return NULL;
    void *st = pthread_getspecific(h->worker_key);
    if (st)
        return st;
    st = h->o.worker_init(h->o.ctx);
    worker_state *w = st ? malloc(sizeof *w) : NULL;
    if (!w) {
        if (st && h->o.worker_free)
            h->o.worker_free(h->o.ctx, st);
        return NULL;
    }
    w->state = st;
    pthread_mutex_lock(&h->mu);
    w->next = h->workers;
    h->workers = w;
    pthread_mutex_unlock(&h->mu);
    pthread_setspecific(h->worker_key, st);
    return st;
}

/* Runs the handler; queues its answer or suspends the connection until it comes. */
static enum MHD_Result run_handler(argus_http_request *r)
{
    r->state = REQ_RUNNING;
    set_phase(r->h, r->tcp, PH_BUSY);
    if (r->bad_url)
        argus_http_error(r, 400, "bad_request", NULL, 0,
                         "malformed percent-escape or NUL byte in the URL");
    else {
        worker_state_get(r->h);
        r->h->o.handler(r->h->o.ctx, r);
    }
    pthread_mutex_lock(&r->mu);
    if (r->state == REQ_ANSWERED) {
        pthread_mutex_unlock(&r->mu);
        return queue_answer(r);
    }
    MHD_suspend_connection(r->conn);
    r->state = REQ_SUSPENDED;
    pthread_mutex_unlock(&r->mu);
    return MHD_YES;
}

static http_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    http_conn *c = conn_of(conn);
    if (c) {
        free(c->raw_uri);
        c->raw_uri = strdup(uri ? uri : "/");
    }
    return NULL;
}

/* Frees r and what it holds (its response aside). */
static void request_free(argus_http_request *r)
{
    argus_buf_free(&r->body);
    pthread_mutex_destroy(&r->mu);
    for (size_t i = 0; i < r->nparams; i++)
        free(r->params[i].value);
    free(r->raw_uri);
    free(r->path);
    free(r->query);
    free(r);
}

static argus_http_request *request_new(argus_http *h, struct MHD_Connection *conn, const char *url,
                                       const char *method)
{
    argus_http_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->h = h;
    r->conn = conn;
    r->method = method;
    r->tcp = conn_of(conn);
    if (r->tcp && r->tcp->raw_uri) {
        r->raw_uri = r->tcp->raw_uri;
        r->tcp->raw_uri = NULL;
    } else
        r->raw_uri = strdup(url ? url : "/");
    argus_buf_init(&r->body);
    pthread_mutex_init(&r->mu, NULL);
    r->state = REQ_READING;
    if (!r->raw_uri || parse_target(r) != 0) {
        request_free(r);
        return NULL;
    }
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    argus_http *h = cls;
    (void)version;
    argus_http_request *r = *con_cls;
    if (!r) {
        r = request_new(h, conn, url, method);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        atomic_fetch_add(&h->inflight, 1);
        set_phase(h, r->tcp, PH_BODY);
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > h->o.max_body) {
            /* Answer before reading the body; libmicrohttpd closes the connection after. */
            r->too_large = 1;
            return run_handler(r);
        }
        return MHD_YES;
    }
    if (r->state == REQ_READING && *upload_data_size) {
        if (r->tcp) {
            pthread_mutex_lock(&h->reaper.mu);
            r->tcp->body_bytes += *upload_data_size;
            pthread_mutex_unlock(&h->reaper.mu);
        }
        if (!r->too_large && r->body.len + *upload_data_size <= r->h->o.max_body) {
            argus_buf_append(&r->body, upload_data, *upload_data_size);
            if (r->body.failed)
                return MHD_NO;
        } else {
            r->too_large = 1;
            argus_buf_free(&r->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->state == REQ_READING)
        return run_handler(r);
    pthread_mutex_lock(&r->mu);
    int answered = r->state == REQ_ANSWERED;
    pthread_mutex_unlock(&r->mu);
    if (answered && !r->queued)
        return queue_answer(r);
    *upload_data_size = 0; /* body left over after an early answer: ignore it */
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    argus_http *h = cls;
    (void)conn;
    (void)toe;
    argus_http_request *r = *con_cls;
    if (!r)
        return;
    if (r->response && !r->response_shared)
        MHD_destroy_response(r->response); /* never queued: a stream's free_cls runs here */
    set_phase(h, r->tcp, PH_WAIT_NEXT);
    request_free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&h->inflight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    argus_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        http_conn *c = calloc(1, sizeof *c);
        if (!c)
            return;
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c->fd = fd ? fd->connect_fd : -1;
        const union MHD_ConnectionInfo *ca =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ca && ca->client_addr) {
            const struct sockaddr *sa = ca->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                          c->client, sizeof c->client);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                          c->client, sizeof c->client);
        }
        c->phase = PH_WAIT_FIRST;
        c->since_ms = argus_mono_ms();
        pthread_mutex_lock(&h->reaper.mu);
        LIST_PUSH(h->conns, c);
        if (!c->next)
            h->conns_tail = c;
        h->nconns++;
        if (h->nconns - h->nreaped > evict_above(h))
            pthread_cond_signal(&h->reaper.cv); /* make room now, not at the next tick */
        pthread_mutex_unlock(&h->reaper.mu);
        *socket_context = c;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        http_conn *c = *socket_context;
        if (!c)
            return;
        pthread_mutex_lock(&h->reaper.mu);
        LIST_UNLINK(h->conns, c);
        if (!c->next)
            h->conns_tail = c->prev;
        h->nconns--;
        if (c->reaped)
            h->nreaped--;
        pthread_mutex_unlock(&h->reaper.mu);
        free(c->raw_uri);
        free(c);
        *socket_context = NULL;
    }
}

/* Shuts c down (reaper.mu held): libmicrohttpd's next read fails and it cleans up in its own
 * thread; the descriptor stays valid until then because NOTIFY_CLOSED unlinks it under the same
 * lock. */
static void reap(argus_http *h, http_conn *c, const char *why, int64_t age)
{
    c->reaped = 1;
    h->nreaped++;
    shutdown(c->fd, SHUT_RDWR);
    atomic_fetch_add(&h->reaped, 1);
    argus_stats_add(&argus_stats_get()->http_closed_slow, 1);
    argus_log(ARGUS_LOG_DEBUG, "http: closed a connection",
              "listener=%s client=%s why=%s after_ms=%lld", h->name, c->client, why,
              (long long)age);
}

/* Closes the connections not busy with a request whose client has gone (hung up or reset)
 * (reaper.mu held). libmicrohttpd notices a hang-up only on its next read, and it may never read
 * again a connection accepted after its client had already sent everything and closed (seen
 * with a backlog of such connections at the connection cap): they would hold their slot until a
 * timeout. One poll(2) over all of them per tick. */
static void reap_hung_up(argus_http *h, int64_t now)
{
    if (h->cappolls < h->nconns) {
        size_t cap = h->nconns * 2;
        struct pollfd *p = realloc(h->polls, cap * sizeof *p);
        if (p)
            h->polls = p;
        http_conn **c = realloc(h->polled, cap * sizeof *c);
        if (c)
            h->polled = c;
        if (!p || !c)
            return;
        h->cappolls = cap;
    }
    size_t n = 0;
    for (http_conn *c = h->conns; c; c = c->next)
        if (!c->reaped && c->fd >= 0 && c->phase != PH_BUSY) {
            h->polls[n] = (struct pollfd){.fd = c->fd, .events = POLLRDHUP};
            h->polled[n++] = c;
        }
    if (!n || poll(h->polls, (nfds_t)n, 0) <= 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (h->polls[i].revents & (POLLRDHUP | POLLHUP | POLLERR))
            reap(h, h->polled[i], "gone", now - h->polled[i]->since_ms);
}

/* Closes connections that are too slow: no complete headers within header_timeout_ms (or
 * idle_timeout_ms on a kept-alive connection), a body taking longer than body_timeout_ms or
 * arriving slower than min_rate; and, near the connection cap, the oldest waiting ones. */
static void *reaper_main(void *arg)
{
    argus_http *h = arg;
    pthread_mutex_lock(&h->reaper.mu);
    while (!h->reaper.stopping) {
        argus_cond_wait_ms(&h->reaper.cv, &h->reaper.mu, REAPER_PERIOD_MS);
        int64_t now = argus_mono_ms();
        for (http_conn *c = h->conns; c; c = c->next) {
            if (c->reaped || c->fd < 0)
                continue;
            int64_t age = now - c->since_ms;
            const char *why = NULL;
            if (c->phase == PH_WAIT_FIRST && age > (int64_t)h->o.header_timeout_ms)
                why = "headers";
            else if (c->phase == PH_WAIT_NEXT && age > (int64_t)h->o.idle_timeout_ms)
                why = "idle";
            else if (c->phase == PH_BODY && age > (int64_t)h->o.body_timeout_ms)
                why = "body";
            else if (c->phase == PH_BODY && age > MIN_RATE_GRACE_MS &&
                     c->body_bytes * 1000 < (uint64_t)age * h->o.min_rate)
                why = "rate";
            if (why)
                reap(h, c, why, age);
        }
        reap_hung_up(h, now);
        if (h->nconns - h->nreaped > evict_above(h))
            for (http_conn *c = h->conns_tail; c && h->nconns - h->nreaped > EVICT_TO(h);
                 c = c->prev)
                if (!c->reaped && c->fd >= 0 && now - c->since_ms >= EVICT_MIN_AGE_MS &&
                    (c->phase == PH_WAIT_FIRST || c->phase == PH_WAIT_NEXT))
                    reap(h, c, "evicted", now - c->since_ms);
    }
    pthread_mutex_unlock(&h->reaper.mu);
    return NULL;
}

/* ---- route tables --------------------------------------------------------------------------- */
static int method_matches(const char *route_method, const char *method)
{
    return !strcmp(route_method, "*") || !strcmp(route_method, method) ||
           (!strcmp(route_method, "GET") && !strcmp(method, "HEAD"));
}

/* Matches pattern against the raw path; fills r->params (decoded) when keep. */
static int pattern_matches(argus_http_request *r, const char *pattern, int keep)
{
    const char *p = pattern, *s = r->raw_path;
    size_t np = 0;
    while (*p == '/' && *s == '/') {
        p++;
        s++;
        if (p[0] == '*' && p[1] == 0)
            break; /* the rest, whatever it is */
        size_t pl = strcspn(p, "/"), sl = strcspn(s, "/");
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (sl == 0 || np == MAX_PARAMS)
                return 0;
            if (keep) {
                char *v = malloc(sl + 1);
                if (!v || url_decode(s, sl, 0, v) != 0) {
                    free(v);
                    return 0;
                }
                r->params[np].name = p + 1;
                r->params[np].name_len = pl - 2;
                r->params[np].value = v;
            }
            np++;
        } else if (pl != sl || memcmp(p, s, pl) != 0)
            return 0;
        p += pl;
        s += sl;
        if (!*p && !*s)
            break;
    }
    if (p[0] == '*' && p[1] == 0) {
        if (keep)
            r->nparams = np;
        return 1;
    }
    if (*p || *s)
        return 0;
    if (keep)
        r->nparams = np;
    return 1;
}

/* Appends ", method" to allow unless it is already listed. */
static void allow_add(char *allow, size_t allowlen, const char *method)
{
    size_t len = strlen(allow), ml = strlen(method);
    for (const char *a = allow; *a;) {
        size_t n = strcspn(a, ",");
        if (n == ml && !strncmp(a, method, ml))
            return;
        a += n;
        while (*a == ',' || *a == ' ')
            a++;
    }
    if (len + ml + 3 < allowlen)
        snprintf(allow + len, allowlen - len, "%s%s", len ? ", " : "", method);
}

const argus_http_route *argus_http_route_match(argus_http_request *r, const argus_http_route *t,
                                               size_t n, unsigned *status, char *allow,
                                               size_t allowlen)
{
    for (size_t i = 0; i < r->nparams; i++)
        free(r->params[i].value);
    r->nparams = 0;
    if (allowlen)
        allow[0] = 0;
    int path_seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pattern_matches(r, t[i].pattern, 0))
            continue;
        if (method_matches(t[i].method, r->method)) {
            if (!pattern_matches(r, t[i].pattern, 1)) {
                *status = 404; /* a {param} that does not decode */
                return NULL;
            }
            *status = 200;
            return &t[i];
        }
        path_seen = 1;
        allow_add(allow, allowlen, t[i].method);
        if (!strcmp(t[i].method, "GET"))
            allow_add(allow, allowlen, "HEAD");
    }
    *status = path_seen ? 405 : 404;
    return NULL;
}

/* ---- listener ------------------------------------------------------------------------------- */
unsigned long argus_http_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max;
        if (want == RLIM_INFINITY || want > 1048576)
            want = 1048576;
        if (want > rl.rlim_cur) {
            rl.rlim_cur = want;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1048576UL : (unsigned long)rl.rlim_cur;
}

static unsigned long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    unsigned long n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n > 2 ? n - 2 : 0;
}

int argus_http_accepting(argus_http *h, char *reason, size_t n)
{
    if (!h || !h->daemon || atomic_load(&h->stopping) || h->quiesced_fd != MHD_INVALID_SOCKET) {
        snprintf(reason, n, "%s listener stopped", h ? h->name : "http");
        return 0;
    }
    const union MHD_DaemonInfo *ci =
        MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (ci && ci->num_connections >= h->max_connections) {
        snprintf(reason, n, "%s listener at its connection cap (%u)", h->name, h->max_connections);
        return 0;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        unsigned long used = open_fds();
        if (used + 4 >= (unsigned long)rl.rlim_cur) {
            snprintf(reason, n, "out of file descriptors (%lu of %lu open)", used,
                     (unsigned long)rl.rlim_cur);
            return 0;
        }
    }
    return 1;
}

unsigned argus_http_port(const argus_http *h)
{
    return h ? h->port : 0;
}

void argus_http_limits(argus_http_options *o, const argus_config *cfg)
{
    o->max_connections = cfg->http_max_connections;
    o->max_per_address = cfg->http_max_per_address;
    o->header_timeout_ms = cfg->http_header_timeout_ms;
    o->body_timeout_ms = cfg->http_body_timeout_ms;
    o->idle_timeout_ms = cfg->http_idle_timeout_ms;
    o->min_rate = (unsigned)cfg->http_min_rate;
}

static void http_destroy(argus_http *h)
{
    argus_worker_stop(&h->reaper);
    for (size_t i = 0; i < h->nstatics; i++) {
        if (h->statics[i].plain)
            MHD_destroy_response(h->statics[i].plain);
        if (h->statics[i].gzip)
            MHD_destroy_response(h->statics[i].gzip);
    }
    free(h->statics);
    free(h->polls);
    free(h->polled);
    while (h->workers) {
        worker_state *w = h->workers;
        h->workers = w->next;
        if (h->o.worker_free)
            h->o.worker_free(h->o.ctx, w->state);
        free(w);
    }
    pthread_key_delete(h->worker_key);
    argus_worker_destroy(&h->reaper);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int argus_http_start(argus_http **out, const argus_http_options *o, char *msg, size_t msglen)
{
    *out = NULL;
    if (!o->threads || !o->max_connections || !o->max_per_address || !o->header_timeout_ms ||
        !o->body_timeout_ms || !o->idle_timeout_ms || !o->min_rate) {
        snprintf(msg, msglen, "http: threads, connection limits and timeouts must not be 0");
        return -1;
    }
    char host[256];
    unsigned port;
    if (argus_config_split_listen(o->listen, host, sizeof host, &port) != 0) {
        snprintf(msg, msglen, "http: bad listen address %s", o->listen);
        return -1;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(msg, msglen, "cannot resolve %s: %s", host, gai_strerror(gai));
        return -1;
    }
    argus_http *h = calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(ai);
        snprintf(msg, msglen, "http: out of memory");
        return -1;
    }
    h->o = *o;
    h->quiesced_fd = MHD_INVALID_SOCKET;
    snprintf(h->name, sizeof h->name, "%s", o->name ? o->name : "http");
    pthread_mutex_init(&h->mu, NULL);
    argus_worker_init(&h->reaper);
    pthread_key_create(&h->worker_key, NULL);
    /* Leave descriptors for the database, the other listeners and the reaper's margin. */
    unsigned long fds = argus_http_raise_fd_limit();
    unsigned long cap = fds > 256 ? fds - 128 : fds / 2;
    h->max_connections = h->o.max_connections < cap ? h->o.max_connections : (unsigned)cap;
    if (argus_worker_start(&h->reaper, "argus-http-reap", reaper_main, h, msg, msglen) != 0) {
        freeaddrinfo(ai);
        http_destroy(h);
        return -1;
    }
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned idle_s = (h->o.idle_timeout_ms + 999) / 1000;
    unsigned body_s = (h->o.body_timeout_ms + 999) / 1000;
    h->daemon = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, h->o.threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s > body_s ? idle_s : body_s,
        MHD_OPTION_CONNECTION_LIMIT, h->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        h->o.max_per_address, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, h, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->daemon) {
        snprintf(msg, msglen, "cannot listen on %s (address in use or not local?)", o->listen);
        http_destroy(h);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    argus_log(ARGUS_LOG_INFO, "listening",
              "proto=%s addr=%s%s%s:%u threads=%u max_connections=%u max_per_address=%u", h->name,
              strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", h->port,
              h->o.threads, h->max_connections, h->o.max_per_address);
    *out = h;
    return 0;
}

void argus_http_stop_accepting(argus_http *h)
{
    if (h && h->daemon && h->quiesced_fd == MHD_INVALID_SOCKET)
        h->quiesced_fd = MHD_quiesce_daemon(h->daemon);
}

void argus_http_free(argus_http *h, unsigned timeout_ms)
{
    if (!h)
        return;
    argus_http_stop_accepting(h);
    /* End every stream: resume the suspended ones; their next read sees stopping. */
    atomic_store(&h->stopping, 1);
    pthread_mutex_lock(&h->mu);
    for (argus_http_stream *s = h->streams; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        if (s->suspended) {
            s->suspended = 0;
            MHD_resume_connection(s->conn);
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&h->mu);
    /* Let answered requests go out before the connections are closed. */
    for (unsigned waited = 0; atomic_load(&h->inflight) > 0 && waited < timeout_ms; waited += 10)
        argus_sleep_ms(10);
    if (atomic_load(&h->inflight) > 0)
        argus_log(ARGUS_LOG_WARN, "http: closing connections with requests in flight",
                  "listener=%s inflight=%d", h->name, atomic_load(&h->inflight));
    MHD_stop_daemon(h->daemon);
    if (h->quiesced_fd != MHD_INVALID_SOCKET)
        close(h->quiesced_fd);
    http_destroy(h);
}
