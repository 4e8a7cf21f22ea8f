/* The HTTP layer (server/http.c) on a real loopback listener (port 0), driven over plain sockets:
 * query arguments and {params}, 404/405 JSON, answers from another thread, streaming with
 * suspend/wake (no busy loop, free_cls once, shutdown with streams open), static files with
 * ETag/304/gzip/Cache-Control, per-worker state, slow-client timeouts and the per-address cap.
 *   build/tests/unit/test_http */
#include "config.h"
#include "http.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>

#include <cmocka.h>

/* ---- a tiny HTTP client ------------------------------------------------------------------- */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A connected socket from src (NULL: any) to 127.0.0.1:port, receive timeout timeout_ms. */
static int dial(unsigned port, const char *src, unsigned timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {timeout_ms / 1000, (suseconds_t)(timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (src) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        inet_pton(AF_INET, src, &a.sin_addr);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

/* Reads until the peer closes (or the receive timeout); returns the byte count (-1: timeout). */
static ssize_t read_all(int fd, char *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = recv(fd, out + n, cap - 1 - n, 0);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ECONNRESET)
                break;
            out[n] = 0;
            return -1;
        }
        n += (size_t)r;
        if (n == cap - 1)
            break;
    }
    out[n] = 0;
    return (ssize_t)n;
}

typedef struct reply {
    int status;
    char raw[16384];
    const char *body;
} reply;

/* Sends one request (Connection: close is added) and reads the whole answer. */
static void fetch(unsigned port, reply *rp, const char *fmt, ...)
{
    char req[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req, sizeof req, fmt, ap);
    va_end(ap);
    int fd = dial(port, NULL, 5000);
    send_all(fd, req);
    ssize_t n = read_all(fd, rp->raw, sizeof rp->raw);
    close(fd);
    assert_true(n > 12);
    rp->status = atoi(rp->raw + 9);
    const char *b = strstr(rp->raw, "\r\n\r\n");
    rp->body = b ? b + 4 : "";
}

static void get(unsigned port, reply *rp, const char *target, const char *extra_headers)
{
    fetch(port, rp, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n", target,
          extra_headers ? extra_headers : "");
}

/* The value of a response header, copied into out ("" when absent). */
static const char *header(const reply *rp, const char *name, char *out, size_t n)
{
    out[0] = 0;
    char key[128];
    snprintf(key, sizeof key, "\r\n%s:", name);
    const char *end = strstr(rp->raw, "\r\n\r\n");
    for (const char *p = rp->raw; (p = strcasestr(p, key)) && (!end || p < end); p++) {
        p += strlen(key);
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, "\r");
        snprintf(out, n, "%.*s", (int)len, p);
        break;
    }
    return out;
}

/* ---- the server under test ---------------------------------------------------------------- */
enum { R_ECHO, R_ITEM, R_FILES, R_STREAM, R_LATER, R_WORKER, R_BODY };
static const argus_http_route routes[] = {
    {"GET", "/echo", R_ECHO},
    {"GET", "/items/{id}/parts/{part}", R_ITEM},
    {"DELETE", "/items/{id}/parts/{part}", R_ITEM},
    {"GET", "/files/*", R_FILES},
    {"GET", "/stream", R_STREAM},
    {"GET", "/later", R_LATER},
    {"GET", "/worker", R_WORKER},
    {"POST", "/body", R_BODY},
};

static const unsigned char js[] = "console.log('argus')";
static const unsigned char js_gz[] = "\x1f\x8bGZIPPED";
static const unsigned char html[] = "<!doctype html><title>argus</title>";
static const argus_asset test_assets[] = {
    {"/files/app-3f2a1b.js", "text/javascript", js, sizeof js - 1, js_gz, sizeof js_gz - 1,
     "\"3f2a1b\"", 1},
    {"/files/index.html", "text/html; charset=utf-8", html, sizeof html - 1, NULL, 0, "\"i1\"", 0},
};

/* A publisher of numbered events, as an SSE feed would have. */
typedef struct client {
    struct client *next;
    argus_http_stream *s;
    int greeted;
    int sent;
} client;

static struct {
    pthread_mutex_t mu;
    client *clients;
    int published;
    atomic_int reads; /* calls of the stream callback */
    atomic_int freed; /* free_cls calls */
    atomic_int registered;
} pub = {.mu = PTHREAD_MUTEX_INITIALIZER};

static ssize_t stream_fn(void *cls, char *buf, size_t max)
{
    client *c = cls;
    atomic_fetch_add(&pub.reads, 1);
    pthread_mutex_lock(&pub.mu);
    int n = 0;
    if (!c->greeted) {
        c->greeted = 1;
        n = snprintf(buf, max, ": connected\n\n");
    } else if (c->sent < pub.published) {
        c->sent++;
        n = snprintf(buf, max, "data: %d\n\n", c->sent);
    } else if (pub.published < 0) {
        n = -1;
    }
    pthread_mutex_unlock(&pub.mu);
    return n;
}

static void stream_free_cls(void *cls)
{
    client *c = cls;
    pthread_mutex_lock(&pub.mu);
    for (client **p = &pub.clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pthread_mutex_unlock(&pub.mu);
    free(c);
    atomic_fetch_add(&pub.freed, 1);
}

static void publish(void)
{
    pthread_mutex_lock(&pub.mu);
    pub.published++;
    for (client *c = pub.clients; c; c = c->next)
        argus_http_stream_wake(c->s);
    pthread_mutex_unlock(&pub.mu);
}

static atomic_int worker_inits, worker_frees;

static void *worker_init(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&worker_inits, 1);
    return malloc(1);
}

static void worker_free(void *ctx, void *state)
{
    (void)ctx;
    atomic_fetch_add(&worker_frees, 1);
    free(state);
}

static void *answer_later(void *arg)
{
    argus_http_request *r = arg;
    sleep_ms(50);
    argus_http_respond(r, 200, "text/plain", "later", 5, NULL, 0);
    return NULL;
}

static void handler(void *ctx, argus_http_request *r)
{
    (void)ctx;
    unsigned status;
    char allow[64], out[2048];
    const argus_http_route *rt = argus_http_route_match(r, routes, sizeof routes / sizeof routes[0],
                                                        &status, allow, sizeof allow);
    if (!rt) {
        argus_http_header h[] = {{"Allow", allow}};
        if (status == 405)
            argus_http_error(r, 405, "method_not_allowed", h, 1, "use %s", allow);
        else
            argus_http_error(r, 404, "not_found", NULL, 0, "no route for %s", argus_http_path(r));
        return;
    }
    size_t n = 0;
    switch (rt->kind) {
    case R_ECHO:
        n += (size_t)snprintf(out + n, sizeof out - n, "path=%s raw=%s\n", argus_http_path(r),
                              argus_http_raw_path(r));
        for (size_t i = 0; i < argus_http_query_count(r); i++) {
            const char *k, *v;
            argus_http_query_at(r, i, &k, &v);
            n += (size_t)snprintf(out + n, sizeof out - n, "%s=%s\n", k, v);
        }
        const char *a1 = argus_http_query(r, "a", 1), *missing = argus_http_query(r, "zz", 0);
        n += (size_t)snprintf(out + n, sizeof out - n, "a[1]=%s zz=%s", a1 ? a1 : "NULL",
                              missing ? missing : "NULL");
        argus_http_respond(r, 200, "text/plain", out, n, NULL, 0);
        return;
    case R_ITEM:
        n = (size_t)snprintf(out, sizeof out, "%s id=%s part=%s other=%s", argus_http_method(r),
                             argus_http_param(r, "id"), argus_http_param(r, "part"),
                             argus_http_param(r, "other") ? "set" : "NULL");
        argus_http_respond(r, 200, "text/plain", out, n, NULL, 0);
        return;
    case R_FILES:
        for (size_t i = 0; i < sizeof test_assets / sizeof test_assets[0]; i++)
            if (!strcmp(test_assets[i].path, argus_http_path(r))) {
                argus_http_respond_static(r, &test_assets[i]);
                return;
            }
        argus_http_error(r, 404, "not_found", NULL, 0, "no file");
        return;
    case R_STREAM: {
        client *c = calloc(1, sizeof *c);
        argus_http_header h[] = {{"Cache-Control", "no-cache"}};
        argus_http_stream *s = argus_http_respond_stream(r, 200, "text/event-stream", h, 1,
                                                         stream_fn, c, stream_free_cls);
        if (s) {
            pthread_mutex_lock(&pub.mu);
            c->s = s;
            c->next = pub.clients;
            pub.clients = c;
            pthread_mutex_unlock(&pub.mu);
            atomic_fetch_add(&pub.registered, 1);
        }
        return;
    }
    case R_LATER: {
        pthread_t t;
        pthread_create(&t, NULL, answer_later, r);
        pthread_detach(t);
        return;
    }
    case R_WORKER: {
        void *st = argus_http_worker_state(r);
        n = (size_t)snprintf(out, sizeof out, "%s", st ? "state" : "none");
        argus_http_respond(r, 200, "text/plain", out, n, NULL, 0);
        return;
    }
    case R_BODY: {
        size_t len;
        argus_http_body(r, &len);
        n = (size_t)snprintf(out, sizeof out, "len=%zu too_large=%d", len, argus_http_too_large(r));
        argus_http_respond(r, 200, "text/plain", out, n, NULL, 0);
        return;
    }
    }
}

/* A listener on a free loopback port with argus-server's default limits and 1 KiB bodies; a test
 * changes what it is about before start(). */
static argus_http_options opts(void)
{
    argus_config cfg;
    argus_config_defaults(&cfg);
    argus_http_options o = {.listen = "127.0.0.1:0",
                            .name = "test",
                            .handler = handler,
                            .max_body = 1024,
                            .threads = cfg.http_threads};
    argus_http_limits(&o, &cfg);
    return o;
}

static argus_http *start(argus_http_options o)
{
    char msg[256];
    argus_http *h = NULL;
    if (argus_http_start(&h, &o, msg, sizeof msg) != 0)
        fail_msg("argus_http_start: %s", msg);
    return h;
}

/* ---- tests -------------------------------------------------------------------------------- */
/* A listener without a limit set is refused with a message, not started with a guess. */
static void test_unset_limit_refused(void **state)
{
    (void)state;
    argus_http_options o = opts();
    o.min_rate = 0;
    argus_http *h = NULL;
    char msg[256] = "";
    assert_int_equal(argus_http_start(&h, &o, msg, sizeof msg), -1);
    assert_null(h);
    assert_string_equal(msg, "http: threads, connection limits and timeouts must not be 0");
}

static void test_query_arguments(void **state)
{
    (void)state;
    argus_http *h = start(opts());
    reply rp;
    get(argus_http_port(h), &rp, "/echo?a=1&b&a=2&sp=x+y%20z&enc=%26%3D%2B&&=v", NULL);
    assert_int_equal(rp.status, 200);
    assert_string_equal(rp.body, "path=/echo raw=/echo\n"
                                 "a=1\nb=\na=2\nsp=x y z\nenc=&=+\n=v\n"
                                 "a[1]=2 zz=NULL");
    get(argus_http_port(h), &rp, "/echo?x=%zz", NULL);
    assert_int_equal(rp.status, 400);
    assert_non_null(strstr(rp.body, "\"code\":\"bad_request\""));
    get(argus_http_port(h), &rp, "/echo?x=a%00b", NULL);
    assert_int_equal(rp.status, 400);
    argus_http_free(h, 1000);
}

static void test_routes_params_404_405(void **state)
{
    (void)state;
    argus_http *h = start(opts());
    unsigned port = argus_http_port(h);
    reply rp;
    get(port, &rp, "/items/a%2Fb%20c/parts/7", NULL);
    assert_int_equal(rp.status, 200);
    assert_string_equal(rp.body, "GET id=a/b c part=7 other=NULL");
    fetch(port, &rp, "DELETE /items/x/parts/y HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_string_equal(rp.body, "DELETE id=x part=y other=NULL");
    get(port, &rp, "/items//parts/7", NULL); /* an empty {param} does not match */
    assert_int_equal(rp.status, 404);
    get(port, &rp, "/items/1/parts/2/extra", NULL);
    assert_int_equal(rp.status, 404);
    assert_string_equal(rp.body, "{\"error\":{\"code\":\"not_found\",\"message\":\"no route for "
                                 "/items/1/parts/2/extra\"}}");
    fetch(port, &rp,
          "PUT /items/1/parts/2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
          "Content-Length: 0\r\n\r\n");
    assert_int_equal(rp.status, 405);
    char v[128];
    assert_string_equal(header(&rp, "Allow", v, sizeof v), "GET, HEAD, DELETE");
    assert_string_equal(header(&rp, "Content-Type", v, sizeof v), "application/json");
    assert_non_null(strstr(rp.body, "\"code\":\"method_not_allowed\""));
    /* HEAD matches a GET route and gets no body. */
    fetch(port, &rp, "HEAD /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_int_equal(rp.status, 200);
    assert_string_equal(rp.body, "");
    argus_http_free(h, 1000);
}

static void test_answer_from_another_thread(void **state)
{
    (void)state;
    argus_http *h = start(opts());
    reply rp;
    get(argus_http_port(h), &rp, "/later", NULL);
    assert_int_equal(rp.status, 200);
    assert_string_equal(rp.body, "later");
    argus_http_free(h, 1000);
}

static void test_body_limit(void **state)
{
    (void)state;
    argus_http_options o = opts();
    o.max_body = 16;
    argus_http *h = start(o);
    reply rp;
    fetch(argus_http_port(h), &rp,
          "POST /body HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello");
    assert_string_equal(rp.body, "len=5 too_large=0");
    fetch(argus_http_port(h), &rp,
          "POST /body HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 20\r\n\r\n"
          "01234567890123456789");
    assert_string_equal(rp.body, "len=0 too_large=1");
    argus_http_free(h, 1000);
}

static void test_static_files(void **state)
{
    (void)state;
    argus_http *h = start(opts());
    unsigned port = argus_http_port(h);
    reply rp;
    char v[128];
    get(port, &rp, "/files/app-3f2a1b.js", NULL);
    assert_int_equal(rp.status, 200);
    assert_string_equal(rp.body, (const char *)js);
    assert_string_equal(header(&rp, "ETag", v, sizeof v), "\"3f2a1b\"");
    assert_string_equal(header(&rp, "Cache-Control", v, sizeof v),
                        "public, max-age=31536000, immutable");
    assert_string_equal(header(&rp, "Vary", v, sizeof v), "Accept-Encoding");
    assert_string_equal(header(&rp, "Content-Encoding", v, sizeof v), "");
    assert_string_equal(header(&rp, "Content-Type", v, sizeof v), "text/javascript");

    get(port, &rp, "/files/app-3f2a1b.js", "Accept-Encoding: br, gzip;q=0.5\r\n");
    assert_string_equal(header(&rp, "Content-Encoding", v, sizeof v), "gzip");
    assert_string_equal(rp.body, (const char *)js_gz);
    get(port, &rp, "/files/app-3f2a1b.js", "Accept-Encoding: gzip;q=0, *\r\n");
    assert_string_equal(header(&rp, "Content-Encoding", v, sizeof v), "");
    assert_string_equal(rp.body, (const char *)js);

    get(port, &rp, "/files/app-3f2a1b.js", "If-None-Match: \"old\", W/\"3f2a1b\"\r\n");
    assert_int_equal(rp.status, 304);
    assert_string_equal(rp.body, "");
    assert_string_equal(header(&rp, "ETag", v, sizeof v), "\"3f2a1b\"");
    get(port, &rp, "/files/app-3f2a1b.js", "If-None-Match: \"old\"\r\n");
    assert_int_equal(rp.status, 200);
    get(port, &rp, "/files/app-3f2a1b.js", "If-None-Match: , \"3f2a1b\"\t \r\n");
    assert_int_equal(rp.status, 304);
    get(port, &rp, "/files/app-3f2a1b.js", "If-None-Match: *\r\n");
    assert_int_equal(rp.status, 304);
    get(port, &rp, "/files/app-3f2a1b.js", "Accept-Encoding: br ,X-GZIP ; q=0.2\r\n");
    assert_string_equal(header(&rp, "Content-Encoding", v, sizeof v), "gzip");

    get(port, &rp, "/files/index.html", "Accept-Encoding: gzip\r\n");
    assert_int_equal(rp.status, 200);
    assert_string_equal(rp.body, (const char *)html);
    assert_string_equal(header(&rp, "Cache-Control", v, sizeof v), "no-cache");
    assert_string_equal(header(&rp, "Content-Encoding", v, sizeof v), "");
    /* The cached response objects are shared: many requests still answer the same. */
    for (int i = 0; i < 20; i++) {
        get(port, &rp, "/files/index.html", NULL);
        assert_string_equal(rp.body, (const char *)html);
    }
    argus_http_free(h, 1000);
}

/* Waits until cond() or timeout; returns cond(). */
static int wait_for(int (*cond)(void), unsigned timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (!cond() && now_ms() < end)
        sleep_ms(5);
    return cond();
}
static int one_registered(void)
{
    return atomic_load(&pub.registered) >= 1;
}
static int one_freed(void)
{
    return atomic_load(&pub.freed) >= 1;
}

/* Reads from fd until buf contains needle (or the receive timeout); returns 1 if found. */
static int read_until(int fd, char *buf, size_t cap, size_t *len, const char *needle)
{
    while (!strstr(buf, needle)) {
        ssize_t r = recv(fd, buf + *len, cap - 1 - *len, 0);
        if (r <= 0)
            return 0;
        *len += (size_t)r;
        buf[*len] = 0;
    }
    return 1;
}

static void test_stream_suspend_wake_free(void **state)
{
    (void)state;
    pub.published = 0;
    atomic_store(&pub.reads, 0);
    atomic_store(&pub.freed, 0);
    atomic_store(&pub.registered, 0);
    argus_http *h = start(opts());
    int fd = dial(argus_http_port(h), NULL, 5000);
    send_all(fd, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
    char buf[8192] = {0};
    size_t len = 0;
    assert_true(read_until(fd, buf, sizeof buf, &len, ": connected\n\n"));
    assert_non_null(strstr(buf, "Content-Type: text/event-stream"));
    assert_true(wait_for(one_registered, 2000));
    /* Nothing to send: the connection is suspended, not polled in a busy loop. */
    sleep_ms(300);
    int idle_reads = atomic_load(&pub.reads);
    assert_in_range(idle_reads, 1, 10);
    for (int i = 1; i <= 3; i++) {
        publish();
        char want[32];
        snprintf(want, sizeof want, "data: %d\n\n", i);
        assert_true(read_until(fd, buf, sizeof buf, &len, want));
        sleep_ms(20);
    }
    /* Many wakes from another thread while the stream drains: none lost, none too many. */
    for (int i = 4; i <= 200; i++)
        publish();
    assert_true(read_until(fd, buf, sizeof buf, &len, "data: 200\n\n"));
    assert_int_equal(atomic_load(&pub.freed), 0);
    /* The client goes away: noticed on the next write, then free_cls runs exactly once. */
    close(fd);
    for (int i = 0; i < 5 && !one_freed(); i++) {
        publish();
        sleep_ms(50);
    }
    assert_true(wait_for(one_freed, 3000));
    assert_int_equal(atomic_load(&pub.freed), 1);
    assert_null(pub.clients);
    argus_http_free(h, 1000);
    assert_int_equal(atomic_load(&pub.freed), 1);
}

static void test_stream_end_and_shutdown(void **state)
{
    (void)state;
    pub.published = 0;
    atomic_store(&pub.freed, 0);
    atomic_store(&pub.registered, 0);
    argus_http *h = start(opts());
    /* fn returning -1 ends the response (chunked encoding's last chunk). */
    int fd = dial(argus_http_port(h), NULL, 5000);
    send_all(fd, "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    char buf[8192] = {0};
    size_t len = 0;
    assert_true(read_until(fd, buf, sizeof buf, &len, ": connected"));
    assert_true(wait_for(one_registered, 2000));
    pthread_mutex_lock(&pub.mu);
    pub.published = -1;
    for (client *c = pub.clients; c; c = c->next)
        argus_http_stream_wake(c->s);
    pthread_mutex_unlock(&pub.mu);
    assert_true(read_until(fd, buf, sizeof buf, &len, "\r\n0\r\n\r\n"));
    close(fd);
    assert_true(wait_for(one_freed, 2000));

    /* Stopping the listener with a suspended stream: it ends, free_cls runs, no hang. */
    pub.published = 0;
    atomic_store(&pub.freed, 0);
    atomic_store(&pub.registered, 0);
    fd = dial(argus_http_port(h), NULL, 5000);
    send_all(fd, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
    len = 0;
    buf[0] = 0;
    assert_true(read_until(fd, buf, sizeof buf, &len, ": connected"));
    assert_true(wait_for(one_registered, 2000));
    sleep_ms(50);
    int64_t t0 = now_ms();
    argus_http_free(h, 3000);
    assert_true(now_ms() - t0 < 2000);
    assert_int_equal(atomic_load(&pub.freed), 1);
    close(fd);
}

static void test_worker_state(void **state)
{
    (void)state;
    atomic_store(&worker_inits, 0);
    atomic_store(&worker_frees, 0);
    argus_http_options o = opts();
    o.worker_init = worker_init;
    o.worker_free = worker_free;
    argus_http *h = start(o);
    reply rp;
    for (int i = 0; i < 10; i++) {
        get(argus_http_port(h), &rp, "/worker", NULL);
        assert_string_equal(rp.body, "state");
    }
    int inits = atomic_load(&worker_inits);
    assert_in_range(inits, 1, 2); /* once per worker thread, not per request */
    argus_http_free(h, 1000);
    assert_int_equal(atomic_load(&worker_frees), inits);
}

/* Returns after the server closed fd (or -1 if it did not within timeout_ms). */
static int64_t closed_after(int fd, unsigned timeout_ms)
{
    int64_t t0 = now_ms();
    char buf[512];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return now_ms() - t0;
        if (r < 0 && errno != EINTR && now_ms() - t0 >= timeout_ms)
            return -1;
    }
}

static void test_slow_clients_are_closed(void **state)
{
    (void)state;
    argus_http_options o = opts();
    o.header_timeout_ms = 300;
    o.body_timeout_ms = 600;
    o.idle_timeout_ms = 400;
    argus_http *h = start(o);
    unsigned port = argus_http_port(h);
    /* Headers never completed. */
    int fd = dial(port, NULL, 3000);
    send_all(fd, "GET /echo HTTP/1.1\r\nHost: t\r\n");
    int64_t ms = closed_after(fd, 3000);
    close(fd);
    assert_in_range(ms, 200, 2000);
    /* A body that stops coming. */
    fd = dial(port, NULL, 3000);
    send_all(fd, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789");
    ms = closed_after(fd, 3000);
    close(fd);
    assert_in_range(ms, 400, 2500);
    /* A kept-alive connection idle after its answer. */
    fd = dial(port, NULL, 3000);
    send_all(fd, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    char buf[4096] = {0};
    size_t len = 0;
    assert_true(read_until(fd, buf, sizeof buf, &len, "zz=NULL"));
    ms = closed_after(fd, 3000);
    close(fd);
    assert_in_range(ms, 200, 2500);
    /* A prompt client is unaffected. */
    reply rp;
    get(port, &rp, "/echo", NULL);
    assert_int_equal(rp.status, 200);
    argus_http_free(h, 1000);
}

static void test_per_address_cap(void **state)
{
    (void)state;
    argus_http_options o = opts();
    o.max_per_address = 3;
    argus_http *h = start(o);
    unsigned port = argus_http_port(h);
    int held[3];
    for (int i = 0; i < 3; i++)
        held[i] = dial(port, "127.0.0.2", 2000);
    sleep_ms(100);
    /* The fourth connection from that address is closed at once. */
    int extra = dial(port, "127.0.0.2", 2000);
    assert_in_range(closed_after(extra, 2000), 0, 1000);
    close(extra);
    /* Another address still gets answers. */
    reply rp;
    get(port, &rp, "/echo?a=1", NULL);
    assert_int_equal(rp.status, 200);
    for (int i = 0; i < 3; i++)
        close(held[i]);
    argus_http_free(h, 1000);
}

/* Idle connections filling the listener's cap: the oldest waiting ones are closed to make room,
 * so a new client still gets in. */
static void test_idle_flood_evicted_at_cap(void **state)
{
    (void)state;
    argus_http_options o = opts();
    o.max_connections = 20;
    argus_http *h = start(o);
    unsigned port = argus_http_port(h);
    int held[20];
    for (int i = 0; i < 20; i++) {
        held[i] = dial(port, "127.0.0.2", 3000);
        sleep_ms(5);
    }
    reply rp;
    int64_t t0 = now_ms();
    get(port, &rp, "/echo?a=1", NULL);
    assert_int_equal(rp.status, 200);
    assert_true(now_ms() - t0 < 2000);
    /* The oldest were closed by the server (down to 80% of the cap), the newest kept. */
    assert_in_range(closed_after(held[0], 2000), 0, 2000);
    int open_newest = 0;
    for (int i = 17; i < 20; i++) {
        char b;
        open_newest += recv(held[i], &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
    }
    assert_int_equal(open_newest, 3);
    for (int i = 0; i < 20; i++)
        close(held[i]);
    argus_http_free(h, 1000);
}

int main(void)
{
    argus_log_set_level(ARGUS_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_limit_refused),
        cmocka_unit_test(test_query_arguments),
        cmocka_unit_test(test_routes_params_404_405),
        cmocka_unit_test(test_answer_from_another_thread),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_static_files),
        cmocka_unit_test(test_stream_suspend_wake_free),
        cmocka_unit_test(test_stream_end_and_shutdown),
        cmocka_unit_test(test_worker_state),
        cmocka_unit_test(test_slow_clients_are_closed),
        cmocka_unit_test(test_per_address_cap),
        cmocka_unit_test(test_idle_flood_evicted_at_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
