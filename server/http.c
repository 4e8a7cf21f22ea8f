/* HTTP listeners on libmicrohttpd; see http.h.
 *   curl -s localhost:8080/healthz
 * A thread pool with epoll; a request's body is collected (up to max_body) before its handler
 * runs. When the handler has not answered by the time it returns, the connection is suspended
 * and the answer, given later from another thread, resumes it. Suspension and answering happen
 * under the request's lock, so an early answer is never lost and a late one never races. */
#include "http.h"

#include "argus_buf.h"
#include "config.h"
#include "log.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef enum { REQ_READING, REQ_RUNNING, REQ_SUSPENDED, REQ_ANSWERED } req_state;

struct argus_http_request {
    argus_http *h;
    struct MHD_Connection *conn;
    const char *method; /* owned by MHD for the request's lifetime */
    char *path;
    argus_buf body;
    int too_large;
    pthread_mutex_t mu;
    req_state state;
    struct MHD_Response *response;
    unsigned status;
};

struct argus_http {
    struct MHD_Daemon *daemon;
    argus_http_options o;
    char name[32];
    atomic_int inflight;
    MHD_socket quiesced_fd;
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

const char *argus_http_method(const argus_http_request *r)
{
    return r->method;
}

const char *argus_http_path(const argus_http_request *r)
{
    return r->path;
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

void argus_http_respond(argus_http_request *r, unsigned status, const char *content_type,
                        const void *body, size_t len, const argus_http_header *headers,
                        size_t nheaders)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    if (resp) {
        if (content_type)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        for (size_t i = 0; i < nheaders; i++)
            MHD_add_response_header(resp, headers[i].name, headers[i].value);
    }
    pthread_mutex_lock(&r->mu);
    r->response = resp;
    r->status = status;
    req_state was = r->state;
    r->state = REQ_ANSWERED;
    if (was == REQ_SUSPENDED)
        MHD_resume_connection(r->conn);
    pthread_mutex_unlock(&r->mu);
}

static enum MHD_Result queue_answer(argus_http_request *r)
{
    if (!r->response)
        return MHD_NO; /* out of memory: drop the connection */
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->response);
    MHD_destroy_response(r->response);
    r->response = NULL;
    return ret;
}

/* Runs the handler; queues its answer or suspends the connection until it comes. */
static enum MHD_Result run_handler(argus_http_request *r)
{
    r->state = REQ_RUNNING;
    r->h->o.handler(r->h->o.ctx, r);
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    argus_http *h = cls;
    (void)version;
    argus_http_request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->h = h;
        r->conn = conn;
        r->method = method;
        r->path = strdup(url ? url : "/");
        if (!r->path) {
            free(r);
            return MHD_NO;
        }
        char *q = strchr(r->path, '?');
        if (q)
            *q = 0;
        argus_buf_init(&r->body);
        pthread_mutex_init(&r->mu, NULL);
        r->state = REQ_READING;
        *con_cls = r;
        atomic_fetch_add(&h->inflight, 1);
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
    if (answered)
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
    if (r->response)
        MHD_destroy_response(r->response);
    argus_buf_free(&r->body);
    pthread_mutex_destroy(&r->mu);
    free(r->path);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&h->inflight, 1);
}

int argus_http_start(argus_http **out, const argus_http_options *o, char *msg, size_t msglen)
{
    *out = NULL;
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
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned threads = o->threads ? o->threads : 2;
    h->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h,
                                 MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
                                 threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, h, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->daemon) {
        snprintf(msg, msglen, "cannot listen on %s (address in use or not local?)", o->listen);
        free(h);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info ? info->port : port;
    argus_log(ARGUS_LOG_INFO, "listening", "proto=%s addr=%s%s%s:%u threads=%u", h->name,
              strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", bound, threads);
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
    /* Let answered requests go out before the connections are closed. */
    for (unsigned waited = 0; atomic_load(&h->inflight) > 0 && waited < timeout_ms; waited += 10) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&h->inflight) > 0)
        argus_log(ARGUS_LOG_WARN, "http: closing connections with requests in flight",
                  "listener=%s inflight=%d", h->name, atomic_load(&h->inflight));
    MHD_stop_daemon(h->daemon);
    if (h->quiesced_fd != MHD_INVALID_SOCKET)
        close(h->quiesced_fd);
    free(h);
}
