/* OTLP/gRPC receiver on the gRPC core C API; see grpc_server.h.
 *   ARGUS_GRPC_LISTEN=127.0.0.1:4317 argus-server
 *   (any OTLP exporter with endpoint http://127.0.0.1:4317, gzip or not)
 * One completion queue polled by several threads. Each Export method keeps CALLS_REQUESTED calls
 * requested (re-requested as soon as one arrives), plus a generic request so unknown methods are
 * answered UNIMPLEMENTED at once. An Export call is answered from the writer thread after its
 * transaction commits; the answer is one batch (metadata, message, status, close). */
#include "grpc_server.h"

#include "grpc_listener.h"
#include "gzip.h"
#include "log.h"
#include "otlp_response.h"
#include "thread.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_posix.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CALLS_REQUESTED 32
#define GENERIC_REQUESTED 2
#define MAX_THREADS 64
/* HTTP/2 streams (Export calls) one connection may have open at once; exporters use far fewer
 * (the JS SDK: 30 by default). */
#define MAX_STREAMS_PER_CONNECTION 64

static const char *const method_paths[ARGUS_SIGNAL_COUNT] = {
    [ARGUS_SIGNAL_TRACES] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    [ARGUS_SIGNAL_LOGS] = "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
};

typedef enum { TAG_REGISTERED, TAG_GENERIC, TAG_FINISH, TAG_SHUTDOWN } tag_kind;

typedef struct gcall {
    tag_kind kind;
    struct argus_grpc *g;
    argus_signal signal; /* TAG_REGISTERED */
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_call_details details; /* TAG_GENERIC */
    grpc_byte_buffer *payload;
    grpc_byte_buffer *response;
    grpc_slice status_details;
    int status_set;
    grpc_metadata trailer; /* grpc-status-details-bin, when trailer_set */
    int trailer_set;
    int cancelled;
} gcall;

struct argus_grpc {
    grpc_server *server;
    grpc_completion_queue *cq;
    void *methods[ARGUS_SIGNAL_COUNT];
    argus_writer *writer;
    size_t max_message_size; /* after decompression */
    grpc_resource_quota *quota;
    pthread_t threads[MAX_THREADS];
    int nthreads;
    atomic_int accepting;
    gcall shutdown_tag;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int shutdown_done;
    int shutdown_started;
    grpc_server_credentials *creds; /* insecure; for each socket the listener admits */
    argus_grpc_listener *listener;
};

static void gcall_free(gcall *c)
{
    if (c->call)
        grpc_call_unref(c->call);
    grpc_metadata_array_destroy(&c->md);
    grpc_call_details_destroy(&c->details);
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    if (c->response)
        grpc_byte_buffer_destroy(c->response);
    if (c->status_set)
        grpc_slice_unref(c->status_details);
    if (c->trailer_set) {
        grpc_slice_unref(c->trailer.key);
        grpc_slice_unref(c->trailer.value);
    }
    free(c);
}

static void request_registered(argus_grpc *g, argus_signal sig)
{
    gcall *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->kind = TAG_REGISTERED;
    c->g = g;
    c->signal = sig;
    grpc_metadata_array_init(&c->md);
    grpc_call_details_init(&c->details);
    grpc_call_error e = grpc_server_request_registered_call(
        g->server, g->methods[sig], &c->call, &c->deadline, &c->md, &c->payload, g->cq, g->cq, c);
    if (e != GRPC_CALL_OK)
        gcall_free(c);
}

static void request_generic(argus_grpc *g)
{
    gcall *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->kind = TAG_GENERIC;
    c->g = g;
    grpc_metadata_array_init(&c->md);
    grpc_call_details_init(&c->details);
    grpc_call_error e =
        grpc_server_request_call(g->server, &c->call, &c->details, &c->md, g->cq, g->cq, c);
    if (e != GRPC_CALL_OK)
        gcall_free(c);
}

/* Sends the final answer: initial metadata, the response message when OK, the status. */
static void finish(gcall *c, int code, const char *message, const argus_ingest_result *r)
{
    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].data.send_initial_metadata.count = 0;
    n++;
    if (code == ARGUS_GRPC_OK && r) {
        argus_buf b;
        argus_buf_init(&b);
        if (argus_response_encode(r, 0, &b) != 0) {
            code = ARGUS_GRPC_INTERNAL;
            message = "out of memory";
        } else {
            grpc_slice s = grpc_slice_from_copied_buffer(b.data ? b.data : "", b.len);
            c->response = grpc_raw_byte_buffer_create(&s, 1);
            grpc_slice_unref(s);
            ops[n].op = GRPC_OP_SEND_MESSAGE;
            ops[n].data.send_message.send_message = c->response;
            n++;
        }
        argus_buf_free(&b);
    }
    c->status_details = grpc_slice_from_copied_string(message ? message : "");
    c->status_set = 1;
    /* "Retry later" answers carry google.rpc.RetryInfo: without it OTLP clients treat
     * RESOURCE_EXHAUSTED as final and drop the data. */
    if (code != ARGUS_GRPC_OK && r && r->retry_after_s) {
        argus_buf b;
        argus_buf_init(&b);
        argus_response_status(code, message, r->retry_after_s, 0, &b);
        if (!b.failed) {
            c->trailer.key = grpc_slice_from_static_string("grpc-status-details-bin");
            c->trailer.value = grpc_slice_from_copied_buffer(b.data ? b.data : "", b.len);
            c->trailer_set = 1;
        }
        argus_buf_free(&b);
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)code;
    ops[n].data.send_status_from_server.status_details = code ? &c->status_details : NULL;
    ops[n].data.send_status_from_server.trailing_metadata_count = c->trailer_set ? 1 : 0;
    ops[n].data.send_status_from_server.trailing_metadata = c->trailer_set ? &c->trailer : NULL;
    n++;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n].data.recv_close_on_server.cancelled = &c->cancelled;
    n++;
    c->kind = TAG_FINISH;
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, c, NULL);
    if (e != GRPC_CALL_OK) {
        argus_log(ARGUS_LOG_WARN, "grpc: cannot answer call", "error=%d", (int)e);
        gcall_free(c);
    }
}

static void finish_result(gcall *c, const argus_ingest_result *r)
{
    int code = argus_response_grpc_code(r->status);
    if (code != ARGUS_GRPC_OK)
        argus_log(ARGUS_LOG_DEBUG, "grpc: export refused", "signal=%s code=%d",
                  argus_signal_name(r->signal), code);
    finish(c, code, code == ARGUS_GRPC_OK ? NULL : r->message, r);
}

/* Writer callback: the request's transaction committed (or failed). */
static void on_done(void *ctx, const argus_ingest_result *r)
{
    finish_result(ctx, r);
}

/* The flags of the message a call received, with the bit that says "compressed": grpc core
 * 1.51 reads them only through a test hook (a C++ symbol, not in its headers), looked up once at
 * start; NULL when this libgrpc has none (then a message compressed with an unknown encoding is
 * refused only when its bytes do not decode). */
#define MESSAGE_COMPRESSED 0x80000000u /* GRPC_WRITE_INTERNAL_COMPRESS */
static uint32_t (*message_flags)(grpc_call *);

static void find_message_flags(void)
{
    void *f = dlsym(RTLD_DEFAULT, "_Z37grpc_call_test_only_get_message_flagsP9grpc_call");
    memcpy(&message_flags, &f, sizeof f); /* object to function pointer, as POSIX allows */
    if (!message_flags)
        argus_log(ARGUS_LOG_WARN, "grpc: cannot read message flags from this libgrpc",
                  "effect=\"a message compressed with an unknown grpc-encoding is refused only "
                  "when it does not decode\"");
}

/* grpc core's own messages (e.g. "Error parsing metadata" for a client's bad header) go through
 * our log, so they never block on stderr either. */
static void grpc_core_log(gpr_log_func_args *a)
{
    const char *file = a->file ? strrchr(a->file, '/') : NULL;
    char q[1100];
    argus_log(a->severity == GPR_LOG_SEVERITY_ERROR  ? ARGUS_LOG_WARN
              : a->severity == GPR_LOG_SEVERITY_INFO ? ARGUS_LOG_INFO
                                                     : ARGUS_LOG_DEBUG,
              "grpc core", "at=%s:%d message=%s",
              file      ? file + 1
              : a->file ? a->file
                        : "?",
              a->line, argus_log_quote(q, sizeof q, a->message));
}

static void handle_export(gcall *c)
{
    if (!c->payload) {
        finish(c, ARGUS_GRPC_INVALID_ARGUMENT, "missing request message", NULL);
        return;
    }
    /* grpc core hands messages over still compressed (per-message decompression is off, see
     * argus_grpc_start): it would inflate a small gzip bomb completely before checking the
     * size. Here inflating stops at the limit. */
    grpc_compression_algorithm alg =
        c->payload->type == GRPC_BB_RAW ? c->payload->data.raw.compression : GRPC_COMPRESS_NONE;
    /* A message flagged compressed whose grpc-encoding grpc core does not know (it drops the
     * header and reports no compression) or that is identity/absent: its bytes are not what
     * they claim to be; the gRPC spec says UNIMPLEMENTED. Never decode them. */
    if (alg == GRPC_COMPRESS_NONE && message_flags &&
        (message_flags(c->call) & MESSAGE_COMPRESSED)) {
        finish(c, ARGUS_GRPC_UNIMPLEMENTED,
               "message compressed with an unsupported grpc-encoding (or none declared); use "
               "gzip, deflate or identity",
               NULL);
        return;
    }
    if (alg != GRPC_COMPRESS_NONE && alg != GRPC_COMPRESS_GZIP && alg != GRPC_COMPRESS_DEFLATE) {
        finish(c, ARGUS_GRPC_UNIMPLEMENTED, "unsupported grpc-encoding; use gzip, deflate or none",
               NULL);
        return;
    }
    grpc_byte_buffer_reader reader;
    grpc_byte_buffer *plain =
        alg == GRPC_COMPRESS_NONE
            ? c->payload
            : grpc_raw_byte_buffer_create(c->payload->data.raw.slice_buffer.slices,
                                          c->payload->data.raw.slice_buffer.count);
    int ok = plain && grpc_byte_buffer_reader_init(&reader, plain);
    grpc_slice all = grpc_empty_slice();
    if (ok) {
        all = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
    }
    if (plain && plain != c->payload)
        grpc_byte_buffer_destroy(plain);
    grpc_byte_buffer_destroy(c->payload);
    c->payload = NULL;
    if (!ok) {
        finish(c, ARGUS_GRPC_INVALID_ARGUMENT, "cannot read the request message", NULL);
        return;
    }
    const void *data = GRPC_SLICE_START_PTR(all);
    size_t len = GRPC_SLICE_LENGTH(all);
    argus_buf inflated;
    argus_buf_init(&inflated);
    if (alg != GRPC_COMPRESS_NONE) {
        char msg[256];
        int rc = argus_gunzip(data, len, c->g->max_message_size, &inflated, msg, sizeof msg);
        grpc_slice_unref(all);
        all = grpc_empty_slice();
        if (rc != 0) {
            argus_buf_free(&inflated);
            /* too large: the code grpc core gives an oversized message, without RetryInfo */
            finish(c,
                   rc == ARGUS_GZIP_TOO_LARGE ? ARGUS_GRPC_RESOURCE_EXHAUSTED
                   : rc == ARGUS_GZIP_NOMEM   ? ARGUS_GRPC_UNAVAILABLE
                                              : ARGUS_GRPC_INVALID_ARGUMENT,
                   msg, NULL);
            return;
        }
        data = inflated.data ? inflated.data : "";
        len = inflated.len;
    }
    argus_ingest_result now;
    /* gRPC is always protobuf (a protobuf may start like JSON: "\n{"). */
    int pending = argus_writer_ingest(c->g->writer, c->signal, ARGUS_OTLP_PROTOBUF, data, len,
                                      on_done, c, &now);
    grpc_slice_unref(all);
    argus_buf_free(&inflated);
    if (!pending)
        finish_result(c, &now);
    /* else: c may already be answered and freed by another thread; do not touch it. */
}

static void *cq_thread(void *arg)
{
    argus_grpc *g = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(g->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        gcall *c = ev.tag;
        switch (c->kind) {
        case TAG_SHUTDOWN:
            pthread_mutex_lock(&g->mu);
            g->shutdown_done = 1;
            pthread_cond_broadcast(&g->cond);
            pthread_mutex_unlock(&g->mu);
            break;
        case TAG_REGISTERED:
            if (!ev.success) {
                gcall_free(c); /* the server is shutting down */
                break;
            }
            if (atomic_load(&g->accepting))
                request_registered(g, c->signal);
            handle_export(c);
            break;
        case TAG_GENERIC:
            if (!ev.success) {
                gcall_free(c);
                break;
            }
            if (atomic_load(&g->accepting))
                request_generic(g);
            {
                char q[300], m[256];
                snprintf(m, sizeof m, "%.*s", (int)GRPC_SLICE_LENGTH(c->details.method),
                         (const char *)GRPC_SLICE_START_PTR(c->details.method));
                argus_log(ARGUS_LOG_DEBUG, "grpc: unknown method", "method=%s",
                          argus_log_quote(q, sizeof q, m));
                char text[300];
                snprintf(text, sizeof text, "unknown method %s", m);
                finish(c, ARGUS_GRPC_UNIMPLEMENTED, text, NULL);
            }
            break;
        case TAG_FINISH: gcall_free(c); break;
        }
    }
    return NULL;
}

/* The listener admitted a socket: grpc core serves it from now on (and closes it). */
static void admit_socket(void *ctx, int fd)
{
    argus_grpc *g = ctx;
    grpc_server_add_channel_from_fd(g->server, fd, g->creds);
}

int argus_grpc_start(argus_grpc **out, const argus_config *cfg, argus_writer *writer, char *msg,
                     size_t msglen)
{
    *out = NULL;
    argus_grpc *g = argus_new_component(sizeof *g, "grpc", msg, msglen);
    if (!g)
        return -1;
    gpr_set_log_function(grpc_core_log);
    grpc_init();
    find_message_flags();
    g->writer = writer;
    g->shutdown_tag.kind = TAG_SHUTDOWN;
    pthread_mutex_init(&g->mu, NULL);
    argus_cond_init(&g->cond);
    g->max_message_size = cfg->max_message_size;
    /* grpc core's own buffers (partial messages of every connection) count against a quota:
     * a quarter of ARGUS_MEMORY_LIMIT, the rest is the writer's budget for decoded requests. */
    g->quota = grpc_resource_quota_create("argus-otlp-grpc");
    grpc_resource_quota_resize(g->quota, cfg->memory_limit / 4);
    grpc_arg args[8];
    memset(args, 0, sizeof args);
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_ALLOW_REUSEPORT; /* a second server must not share the port */
    args[0].value.integer = 0;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH; /* compressed size: see handle_export */
    args[1].value.integer = (int)cfg->max_message_size;
    args[2].type = GRPC_ARG_INTEGER;
    args[2].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[2].value.integer = 1 << 20;
    args[3].type = GRPC_ARG_INTEGER;
    args[3].key = GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION; /* we inflate, with a limit */
    args[3].value.integer = 0;
    args[4].type = GRPC_ARG_INTEGER;
    args[4].key = GRPC_ARG_MAX_CONCURRENT_STREAMS; /* calls in flight per connection */
    args[4].value.integer = MAX_STREAMS_PER_CONNECTION;
    args[5].type = GRPC_ARG_POINTER;
    args[5].key = GRPC_ARG_RESOURCE_QUOTA;
    args[5].value.pointer.p = g->quota;
    args[5].value.pointer.vtable = grpc_resource_quota_arg_vtable();
    args[6].type = GRPC_ARG_INTEGER;
    args[6].key = GRPC_ARG_MAX_METADATA_SIZE;
    args[6].value.integer = 16 << 10;
    args[7].type = GRPC_ARG_INTEGER;
    args[7].key = GRPC_ARG_MAX_CONNECTION_IDLE_MS; /* connections without calls are closed */
    args[7].value.integer = (int)cfg->http_idle_timeout_ms;
    grpc_channel_args chargs = {.num_args = 8, .args = args};
    g->server = grpc_server_create(&chargs, NULL);
    grpc_resource_quota_unref(g->quota); /* the server holds its own reference */
    g->quota = NULL;
    g->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(g->server, g->cq, NULL);
    for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
        g->methods[s] = grpc_server_register_method(g->server, method_paths[s], NULL,
                                                    GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    /* Our own accept loop (grpc_listener.c) hands sockets to grpc core: the caps, and a port
     * that keeps accepting when descriptors run out, are ours. */
    g->creds = grpc_insecure_server_credentials_create();
    argus_grpc_listener_options lo = {.listen = cfg->grpc_listen,
                                      .max_connections = cfg->grpc_max_connections,
                                      .max_per_address = cfg->grpc_max_per_address,
                                      .admit = admit_socket,
                                      .ctx = g};
    char why[512];
    if (argus_grpc_listener_open(&g->listener, &lo, why, sizeof why) != 0) {
        snprintf(msg, msglen, "config: ARGUS_GRPC_LISTEN: %s", why);
        grpc_server_credentials_release(g->creds);
        grpc_server_destroy(g->server);
        grpc_completion_queue_shutdown(g->cq);
        while (grpc_completion_queue_next(g->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(g->cq);
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cond);
        free(g);
        grpc_shutdown();
        return -1;
    }
    unsigned port = argus_grpc_listener_port(g->listener);
    grpc_server_start(g->server);
    atomic_store(&g->accepting, 1);
    for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
        for (int i = 0; i < CALLS_REQUESTED; i++)
            request_registered(g, (argus_signal)s);
    for (int i = 0; i < GENERIC_REQUESTED; i++)
        request_generic(g);
    int want = (int)cfg->ingest_threads;
    if (want > MAX_THREADS)
        want = MAX_THREADS;
    for (int i = 0; i < want; i++) {
        if (argus_thread_start(&g->threads[i], "argus-grpc", cq_thread, g) != 0)
            break;
        g->nthreads++;
    }
    *out = g;
    if (argus_grpc_listener_run(g->listener, msg, msglen) != 0) {
        argus_grpc_free(g, 0);
        *out = NULL;
        return -1;
    }
    char host[256];
    unsigned ignored;
    if (argus_config_split_listen(cfg->grpc_listen, host, sizeof host, &ignored) != 0)
        snprintf(host, sizeof host, "?");
    argus_log(ARGUS_LOG_INFO, "listening",
              "proto=otlp-grpc addr=%s%s%s:%u threads=%d max_connections=%u max_per_address=%u",
              strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port, g->nthreads,
              cfg->grpc_max_connections, cfg->grpc_max_per_address);
    return 0;
}

void argus_grpc_stop_accepting(argus_grpc *g)
{
    if (!g || g->shutdown_started)
        return;
    g->shutdown_started = 1;
    atomic_store(&g->accepting, 0);
    argus_grpc_listener_stop(g->listener); /* no socket is handed over after shutdown starts */
    grpc_server_shutdown_and_notify(g->server, g->cq, &g->shutdown_tag);
}

void argus_grpc_free(argus_grpc *g, unsigned timeout_ms)
{
    if (!g)
        return;
    argus_grpc_stop_accepting(g);
    int64_t until = argus_mono_ns() + (int64_t)timeout_ms * 1000000;
    pthread_mutex_lock(&g->mu);
    while (!g->shutdown_done)
        if (argus_cond_wait_until(&g->cond, &g->mu, until) != 0)
            break;
    int done = g->shutdown_done;
    pthread_mutex_unlock(&g->mu);
    if (!done) {
        argus_log(ARGUS_LOG_WARN, "grpc: cancelling calls still running at shutdown", NULL);
        grpc_server_cancel_all_calls(g->server);
        pthread_mutex_lock(&g->mu);
        while (!g->shutdown_done)
            pthread_cond_wait(&g->cond, &g->mu);
        pthread_mutex_unlock(&g->mu);
    }
    grpc_completion_queue_shutdown(g->cq);
    for (int i = 0; i < g->nthreads; i++)
        pthread_join(g->threads[i], NULL);
    grpc_server_destroy(g->server);
    grpc_completion_queue_destroy(g->cq);
    grpc_server_credentials_release(g->creds);
    argus_grpc_listener_free(g->listener);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cond);
    free(g);
    grpc_shutdown();
}

int argus_grpc_ready(void *g, char *reason, size_t n)
{
    return argus_grpc_listener_ready(((argus_grpc *)g)->listener, reason, n);
}
