/* argus-loadgen: an OTLP/gRPC load generator (grpc core C client API). N workers keep one Export
 * call in flight each, over a few separate connections, sending realistic traces and correlated
 * logs (workload.c) with fresh ids on every request; prints throughput and latency.
 *   argus-loadgen --endpoint 127.0.0.1:4317 --concurrent 8 --duration 20 --spans-per-request 1000
 * Exit status: 0 if every request succeeded, 1 if any failed, 2 on usage or setup errors. */
#include "workload.h"

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define TRACE_METHOD "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
#define LOGS_METHOD "/opentelemetry.proto.collector.logs.v1.LogsService/Export"

enum { SIG_TRACES, SIG_LOGS, NSIGNALS };
static const char *const SIGNAL_NAME[NSIGNALS] = {"traces", "logs"};
static const char *const ITEM_NAME[NSIGNALS] = {"spans", "log records"};

typedef struct options {
    const char *endpoint;
    int concurrent, connections;
    long iterations;  /* per worker; -1: until --duration */
    double duration;  /* seconds; 0: until --iterations */
    long spans, logs; /* per request */
    int gzip;
    int retries; /* extra attempts for RESOURCE_EXHAUSTED / UNAVAILABLE; 0: none */
    double timeout;
    int pool;
    uint64_t seed;
    const char *dump; /* write one request of each signal here and exit */
} options;

/* ---- statistics ---------------------------------------------------------------------------- */

typedef struct latencies {
    uint32_t *us;
    size_t n, cap;
} latencies;

typedef struct stats {
    long requests, ok, failed;            /* logical requests (a retried one counts once) */
    long calls, retried;                  /* Export calls, including retries */
    long by_status[17];                   /* final failures by grpc status code */
    char first_error[17][160];            /* the first message seen for each failing code */
    long long items_sent, items_rejected; /* in requests that succeeded */
    char first_rejection[160];
    double bytes;
    latencies lat;
} stats;

static const char *const STATUS_NAME[17] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

static void latency_add(latencies *l, double seconds)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4096;
        uint32_t *nv = realloc(l->us, nc * sizeof *nv);
        if (!nv)
            return; /* the sample is lost, the counts stay right */
        l->us = nv;
        l->cap = nc;
    }
    double us = seconds * 1e6;
    l->us[l->n++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile, in milliseconds; the array must be sorted. */
static double percentile_ms(const latencies *l, double p)
{
    if (!l->n)
        return 0;
    size_t rank = (size_t)ceil(p / 100.0 * (double)l->n);
    if (rank < 1)
        rank = 1;
    return l->us[rank - 1] / 1000.0;
}

/* ---- workers ------------------------------------------------------------------------------- */

enum { W_CALL, W_BACKOFF, W_DONE };

typedef struct worker {
    int id, state;
    grpc_channel *channel;
    void *method[NSIGNALS];
    long iteration;
    int signal; /* being sent */
    int attempt;
    const argus_workload *w;
    argus_id_salt salt;
    int64_t delta_ns;
    double due;                  /* W_BACKOFF: when to try again */
    grpc_status_code last_error; /* W_BACKOFF: why */
    /* the call in flight */
    grpc_call *call;
    grpc_byte_buffer *send, *recv;
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status;
    grpc_slice details;
    double started;
} worker;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

typedef struct run {
    options o;
    grpc_completion_queue *cq;
    argus_workload *pool;
    argus_rng rng;
    long next_template;
    stats st[NSIGNALS];
    double t0, stop_at;
    int stopping;
} run;

static int signal_enabled(const run *r, int sig)
{
    return sig == SIG_TRACES ? r->o.spans > 0 : r->o.logs > 0;
}

/* Starts an Export call for the worker's current signal. Returns 0 or -1 (call not started). */
static int start_call(run *r, worker *k)
{
    const argus_payload *p = k->signal == SIG_TRACES ? &k->w->traces : &k->w->logs;
    grpc_slice s = grpc_slice_malloc(p->len);
    /* An id that the salt turns into all zeros (invalid in OTLP; odds 2^-64 per id) gets another
     * salt; only then would an iteration's logs stop matching its traces. */
    while (argus_payload_render(p, GRPC_SLICE_START_PTR(s), &k->salt, k->delta_ns))
        argus_id_salt_random(&k->salt, &r->rng);
    k->send = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    k->recv = NULL;
    grpc_metadata_array_init(&k->initial_md);
    grpc_metadata_array_init(&k->trailing_md);
    k->details = grpc_empty_slice();
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis((int64_t)(r->o.timeout * 1000), GPR_TIMESPAN));
    k->call = grpc_channel_create_registered_call(k->channel, NULL, GRPC_PROPAGATE_DEFAULTS, r->cq,
                                                  k->method[k->signal], deadline, NULL);
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = k->send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &k->initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &k->recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &k->trailing_md;
    ops[5].data.recv_status_on_client.status = &k->status;
    ops[5].data.recv_status_on_client.status_details = &k->details;
    k->started = now_s();
    stats *st = &r->st[k->signal];
    st->calls++;
    if (k->attempt == 0)
        st->requests++;
    st->bytes += (double)p->len;
    grpc_call_error e = grpc_call_start_batch(k->call, ops, 6, k, NULL);
    if (e != GRPC_CALL_OK) {
        fprintf(stderr, "argus-loadgen: grpc_call_start_batch: error %d\n", (int)e);
        grpc_call_unref(k->call);
        grpc_byte_buffer_destroy(k->send);
        grpc_metadata_array_destroy(&k->initial_md);
        grpc_metadata_array_destroy(&k->trailing_md);
        k->call = NULL;
        return -1;
    }
    k->state = W_CALL;
    return 0;
}

/* Reads partial_success.rejected_* from an Export response; 0 when absent. */
static long long rejected_in(int sig, grpc_byte_buffer *bb, char *msg, size_t msgsize)
{
    if (!bb)
        return 0;
    grpc_byte_buffer_reader rd;
    if (!grpc_byte_buffer_reader_init(&rd, bb))
        return 0;
    grpc_slice all = grpc_byte_buffer_reader_readall(&rd);
    grpc_byte_buffer_reader_destroy(&rd);
    size_t len = GRPC_SLICE_LENGTH(all);
    const uint8_t *data = GRPC_SLICE_START_PTR(all);
    /* Both responses are {partial_success = 1: {rejected_<items> = 1 (int64), error_message = 2}}:
     * read them through the generated descriptors. */
    static const ProtobufCMessageDescriptor *const response[NSIGNALS] = {
        &opentelemetry__proto__collector__trace__v1__export_trace_service_response__descriptor,
        &opentelemetry__proto__collector__logs__v1__export_logs_service_response__descriptor};
    const ProtobufCMessageDescriptor *d = response[sig];
    long long n = 0;
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, data);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, 1);
    const ProtobufCMessage *ps =
        m ? *(ProtobufCMessage *const *)((const char *)m + f->offset) : NULL;
    if (ps) {
        const ProtobufCMessageDescriptor *pd = f->descriptor;
        const char *base = (const char *)ps;
        n = *(const int64_t *)(base + protobuf_c_message_descriptor_get_field(pd, 1)->offset);
        const char *why =
            *(char *const *)(base + protobuf_c_message_descriptor_get_field(pd, 2)->offset);
        if (n && why && !msg[0])
            snprintf(msg, msgsize, "%s", why);
    }
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    grpc_slice_unref(all);
    return n;
}

/* Moves the worker to its next request: the other signal of the same iteration (same ids: the
 * logs describe the traces just sent), or a new iteration with a new template, salt and time.
 * first: the worker has sent nothing yet. */
static void next_request(run *r, worker *k, double now, int first)
{
    k->attempt = 0;
    if (!first && k->signal == SIG_TRACES && signal_enabled(r, SIG_LOGS)) {
        k->signal = SIG_LOGS;
        if (start_call(r, k))
            k->state = W_DONE;
        return;
    }
    if (!first)
        k->iteration++;
    if (r->stopping || interrupted || (r->o.iterations >= 0 && k->iteration >= r->o.iterations) ||
        (r->o.duration > 0 && now >= r->stop_at)) {
        k->state = W_DONE;
        return;
    }
    k->w = &r->pool[r->next_template++ % r->o.pool];
    argus_id_salt_random(&k->salt, &r->rng);
    k->delta_ns = (int64_t)(wall_ns() - k->w->base_ns);
    k->signal = signal_enabled(r, SIG_TRACES) ? SIG_TRACES : SIG_LOGS;
    if (start_call(r, k))
        k->state = W_DONE;
}

static int retryable(grpc_status_code c)
{
    return c == GRPC_STATUS_RESOURCE_EXHAUSTED || c == GRPC_STATUS_UNAVAILABLE;
}

static void call_done(run *r, worker *k)
{
    double now = now_s();
    stats *st = &r->st[k->signal];
    latency_add(&st->lat, now - k->started);
    grpc_status_code code = k->status;
    int retry = 0;
    if (code == GRPC_STATUS_OK) {
        const argus_payload *p = k->signal == SIG_TRACES ? &k->w->traces : &k->w->logs;
        st->ok++;
        st->items_sent += (long long)p->items;
        st->items_rejected +=
            rejected_in(k->signal, k->recv, st->first_rejection, sizeof st->first_rejection);
    } else if (k->attempt < r->o.retries && retryable(code) && !interrupted) {
        retry = 1;
        st->retried++;
        k->last_error = code;
        /* exponential backoff with full jitter: up to 50 ms, 100 ms, ... capped at 2 s */
        double cap = 0.05 * (double)(1 << (k->attempt < 6 ? k->attempt : 6));
        if (cap > 2)
            cap = 2;
        k->due = now + cap * (argus_rng_below(&r->rng, 1000) + 1) / 1000.0;
        k->attempt++;
    } else {
        int c = (unsigned)code < 17 ? (int)code : (int)GRPC_STATUS_UNKNOWN;
        st->failed++;
        st->by_status[c]++;
        if (!st->first_error[c][0]) {
            char *d = grpc_slice_to_c_string(k->details);
            snprintf(st->first_error[c], sizeof st->first_error[c], "%s", d);
            gpr_free(d);
        }
    }
    grpc_byte_buffer_destroy(k->send);
    if (k->recv)
        grpc_byte_buffer_destroy(k->recv);
    grpc_metadata_array_destroy(&k->initial_md);
    grpc_metadata_array_destroy(&k->trailing_md);
    grpc_slice_unref(k->details);
    grpc_call_unref(k->call);
    k->call = NULL;
    if (retry)
        k->state = W_BACKOFF; /* the same bytes again once k->due has passed */
    else
        next_request(r, k, now, 0);
}

/* ---- setup --------------------------------------------------------------------------------- */

static grpc_channel *open_channel(const options *o, int index)
{
    grpc_arg args[4];
    int n = 0;
    /* separate TCP connections: without this, channels to one target share a subchannel */
    args[n++] = (grpc_arg){
        .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, .value.integer = 1};
    /* --retry is ours; grpc's own retry machinery would only buffer large messages */
    args[n++] =
        (grpc_arg){.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ENABLE_RETRIES, .value.integer = 0};
    args[n++] =
        (grpc_arg){.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_CHANNEL_ID, .value.integer = index};
    if (o->gzip)
        args[n++] = (grpc_arg){.type = GRPC_ARG_INTEGER,
                               .key = GRPC_COMPRESSION_CHANNEL_DEFAULT_ALGORITHM,
                               .value.integer = GRPC_COMPRESS_GZIP};
    grpc_channel_args ca = {(size_t)n, args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    grpc_channel *ch = grpc_channel_create(o->endpoint, creds, &ca);
    grpc_channel_credentials_release(creds);
    return ch;
}

/* Connects a channel before the clock starts, so that connection setup is not measured and an
 * absent server is reported as such. */
static int wait_ready(grpc_channel *ch, double seconds)
{
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis((int64_t)(seconds * 1000), GPR_TIMESPAN));
    grpc_connectivity_state s = grpc_channel_check_connectivity_state(ch, 1);
    int ok = s == GRPC_CHANNEL_READY;
    while (!ok) {
        grpc_channel_watch_connectivity_state(ch, s, deadline, cq, NULL);
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (!ev.success) /* deadline passed with no change */
            break;
        s = grpc_channel_check_connectivity_state(ch, 1);
        ok = s == GRPC_CHANNEL_READY;
    }
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    return ok ? 0 : -1;
}

static int dump(const options *o, const argus_workload *w)
{
    const argus_payload *p[NSIGNALS] = {&w->traces, &w->logs};
    for (int s = 0; s < NSIGNALS; s++) {
        if (!p[s]->len)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.pb", o->dump, SIGNAL_NAME[s]);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(p[s]->data, 1, p[s]->len, f) != p[s]->len || fclose(f)) {
            fprintf(stderr, "argus-loadgen: %s: %s\n", path, strerror(errno));
            return 2;
        }
        printf("wrote %s: %zu %s, %zu bytes\n", path, p[s]->items, ITEM_NAME[s], p[s]->len);
    }
    return 0;
}

/* ---- report -------------------------------------------------------------------------------- */

static void report(run *r, double elapsed)
{
    long requests = 0, ok = 0, failed = 0;
    printf("\n%-14s %.2f s\n", "elapsed", elapsed);
    for (int s = 0; s < NSIGNALS; s++) {
        stats *st = &r->st[s];
        if (!signal_enabled(r, s))
            continue;
        requests += st->requests;
        ok += st->ok;
        failed += st->failed;
        printf("%-14s %ld requests sent, %ld ok, %ld failed", SIGNAL_NAME[s], st->requests, st->ok,
               st->failed);
        if (st->retried)
            printf(" (%ld calls retried)", st->retried);
        printf("\n");
        for (int c = 0; c < 17; c++)
            if (st->by_status[c])
                printf("  %-12s %s x%ld: %s\n", "failed", STATUS_NAME[c], st->by_status[c],
                       st->first_error[c]);
        long long accepted = st->items_sent - st->items_rejected;
        printf("  %-12s %lld accepted, %lld rejected (partial_success): %.0f %s/s\n", ITEM_NAME[s],
               accepted, st->items_rejected, accepted / elapsed, ITEM_NAME[s]);
        if (st->first_rejection[0])
            printf("  %-12s %s\n", "rejection", st->first_rejection);
        printf("  %-12s %.1f requests/s, %.1f MB/s of protobuf%s\n", "rate", st->requests / elapsed,
               st->bytes / elapsed / 1e6, r->o.gzip ? " before gzip" : "");
        qsort(st->lat.us, st->lat.n, sizeof *st->lat.us, cmp_u32);
        printf("  %-12s p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%zu calls)\n",
               "latency", percentile_ms(&st->lat, 50), percentile_ms(&st->lat, 90),
               percentile_ms(&st->lat, 99), percentile_ms(&st->lat, 100), st->lat.n);
    }
    printf("%-14s %ld sent, %ld ok, %ld failed, %.1f requests/s\n", "all requests", requests, ok,
           failed, requests / elapsed);
    /* one line for scripts */
    const stats *t = &r->st[SIG_TRACES], *l = &r->st[SIG_LOGS];
    printf("result: elapsed_s=%.3f requests=%ld ok=%ld failed=%ld spans=%lld logs=%lld "
           "spans_per_s=%.0f logs_per_s=%.0f traces_p50_ms=%.1f traces_p99_ms=%.1f "
           "logs_p50_ms=%.1f logs_p99_ms=%.1f\n",
           elapsed, requests, ok, failed, t->items_sent - t->items_rejected,
           l->items_sent - l->items_rejected, (t->items_sent - t->items_rejected) / elapsed,
           (l->items_sent - l->items_rejected) / elapsed, percentile_ms(&t->lat, 50),
           percentile_ms(&t->lat, 99), percentile_ms(&l->lat, 50), percentile_ms(&l->lat, 99));
}

/* ---- main ---------------------------------------------------------------------------------- */

/* The options: getopt's table, the usage and the parsing are all made from this one. arg is what
 * the usage shows as the argument (NULL: none; "[R]": optional, then the value is bare), help its
 * lines; the value goes to the options field, checked by kind (counts within min..max). */
enum { O_TEXT, O_FLAG, O_COUNT, O_SECONDS, O_SEED };
#define FIELD(f) offsetof(options, f), sizeof(((options *)0)->f)
typedef struct opt_def {
    const char *name, *arg;
    int kind;
    size_t offset, size;
    long min, max, bare;
    const char *help;
} opt_def;
/* clang-format off */
static const opt_def OPTIONS[] = {
    {"endpoint", "HOST:PORT", O_TEXT, FIELD(endpoint), 0, 0, 0,
     "OTLP/gRPC server (default 127.0.0.1:4317)"},
    {"concurrent", "N", O_COUNT, FIELD(concurrent), 1, 100000, 0,
     "workers, each with one call in flight (default 8)"},
    {"connections", "C", O_COUNT, FIELD(connections), 1, 1000, 0,
     "TCP connections shared by the workers (default min(N, 4))"},
    {"iterations", "M", O_COUNT, FIELD(iterations), 1, LONG_MAX, 0,
     "iterations per worker (default 100; with --duration: no limit)"},
    {"duration", "SECONDS", O_SECONDS, FIELD(duration), 0, 0, 0,
     "stop starting iterations after this long"},
    {"spans-per-request", "K", O_COUNT, FIELD(spans), 0, 1000000, 0,
     "spans per traces Export, 0 = no traces (default 1000)"},
    {"logs-per-request", "K", O_COUNT, FIELD(logs), 0, 1000000, 0,
     "log records per logs Export, 0 = no logs (default 400)"},
    {"gzip", NULL, O_FLAG, FIELD(gzip), 0, 0, 0, "gzip-compress requests (grpc-encoding: gzip)"},
    {"retry", "[R]", O_COUNT, FIELD(retries), 0, 100, 5,
     "retry RESOURCE_EXHAUSTED/UNAVAILABLE up to R times (default R 5)\n"
     "with exponential backoff; without it they count as failed"},
    {"timeout", "SECONDS", O_SECONDS, FIELD(timeout), 0, 0, 0, "per-call deadline (default 30)"},
    {"pool", "P", O_COUNT, FIELD(pool), 1, 100000, 0,
     "request templates built before the clock starts (default 16)"},
    {"seed", "S", O_SEED, FIELD(seed), 0, 0, 0, "random seed (default: from the system)"},
    {"dump", "DIR", O_TEXT, FIELD(dump), 0, 0, 0,
     "write one traces.pb / logs.pb request to DIR and exit"},
};
/* clang-format on */
#define NOPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: argus-loadgen [options]\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        char flag[48];
        snprintf(flag, sizeof flag, "--%s%s%s", OPTIONS[i].name, OPTIONS[i].arg ? " " : "",
                 OPTIONS[i].arg ? OPTIONS[i].arg : "");
        const char *h = OPTIONS[i].help;
        int n = (int)strcspn(h, "\n");
        fprintf(f, "  %-27s%.*s\n", flag, n, h);
        for (h += n; *h; h += n) {
            n = (int)strcspn(++h, "\n");
            fprintf(f, "%29s%.*s\n", "", n, h);
        }
    }
    fprintf(f, "An iteration sends one traces Export and then one logs Export describing the same\n"
               "traces (when both are enabled). Every request gets fresh trace and span ids.\n");
}

static int parse_long(const char *s, long lo, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo)
        return -1;
    *out = v;
    return 0;
}

/* Stores one option's value (NULL: given without one) in its field; -1 when it is not valid. */
static int set_option(options *o, const opt_def *d, const char *arg)
{
    char *field = (char *)o + d->offset, *end;
    long n = d->bare;
    double x;
    uint64_t u;
    switch (d->kind) {
    case O_TEXT: memcpy(field, &arg, sizeof arg); return 0;
    case O_FLAG: memcpy(field, &(int){1}, sizeof(int)); return 0;
    case O_SECONDS:
        x = strtod(arg, &end);
        if (end == arg || *end || !(x > 0))
            return -1;
        memcpy(field, &x, sizeof x);
        return 0;
    case O_SEED:
        u = strtoull(arg, &end, 0);
        if (end == arg || *end)
            return -1;
        memcpy(field, &u, sizeof u);
        return 0;
    default: /* O_COUNT: an int or a long field */
        if (arg && (parse_long(arg, d->min, &n) || n > d->max))
            return -1;
        if (d->size == sizeof(int))
            memcpy(field, &(int){(int)n}, sizeof(int));
        else
            memcpy(field, &n, sizeof n);
        return 0;
    }
}

static int parse_options(int argc, char **argv, options *o)
{
    enum { OPT_KEY = 1000 };
    struct option longopts[NOPTIONS + 2];
    for (size_t i = 0; i < NOPTIONS; i++)
        longopts[i] = (struct option){OPTIONS[i].name,
                                      !OPTIONS[i].arg            ? no_argument
                                      : OPTIONS[i].arg[0] == '[' ? optional_argument
                                                                 : required_argument,
                                      NULL, OPT_KEY + (int)i};
    longopts[NOPTIONS] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[NOPTIONS + 1] = (struct option){NULL, 0, NULL, 0};
    *o = (options){.endpoint = "127.0.0.1:4317",
                   .concurrent = 8,
                   .iterations = -2,
                   .spans = 1000,
                   .logs = 400, /* what the traces of 1000 spans log: all correlate */
                   .timeout = 30,
                   .pool = 16};
    int have_seed = 0, opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            exit(0);
        }
        if (opt < OPT_KEY) {
            usage(stderr);
            return -1;
        }
        const opt_def *d = &OPTIONS[opt - OPT_KEY];
        if (d->arg && d->arg[0] == '[' && !optarg && optind < argc && argv[optind][0] >= '0' &&
            argv[optind][0] <= '9')
            optarg = argv[optind++]; /* "--retry 3" as well as "--retry=3" */
        if (set_option(o, d, optarg) != 0) {
            fprintf(stderr, "argus-loadgen: bad value for --%s: %s\n", d->name, optarg);
            return -1;
        }
        have_seed |= d->kind == O_SEED;
    }
    if (optind < argc) {
        fprintf(stderr, "argus-loadgen: unexpected argument: %s\n", argv[optind]);
        return -1;
    }
    if (o->spans == 0 && o->logs == 0) {
        fprintf(stderr, "argus-loadgen: nothing to send (--spans-per-request and "
                        "--logs-per-request are both 0)\n");
        return -1;
    }
    if (o->iterations == -2)
        o->iterations = o->duration > 0 ? -1 : 100;
    if (!o->connections)
        o->connections = o->concurrent < 4 ? o->concurrent : 4;
    if (o->connections > o->concurrent)
        o->connections = o->concurrent;
    if (!have_seed && getrandom(&o->seed, sizeof o->seed, 0) != sizeof o->seed)
        o->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return 0;
}

int main(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    if (parse_options(argc, argv, &r.o))
        return 2;
    options *o = &r.o;
    argus_rng_seed(&r.rng, o->seed);
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* the request pool, built before anything is measured */
    double t = now_s();
    uint64_t base = wall_ns();
    r.pool = calloc((size_t)o->pool, sizeof *r.pool);
    size_t bytes[NSIGNALS] = {0, 0};
    if (o->dump)
        o->pool = 1;
    for (int i = 0; r.pool && i < o->pool; i++) {
        if (argus_workload_build(&r.pool[i], &r.rng, (size_t)o->spans, (size_t)o->logs, base)) {
            fprintf(stderr, "argus-loadgen: cannot build the workload\n");
            return 2;
        }
        bytes[SIG_TRACES] += r.pool[i].traces.len;
        bytes[SIG_LOGS] += r.pool[i].logs.len;
    }
    if (!r.pool)
        return 2;
    if (o->dump) {
        int rc = dump(o, &r.pool[0]);
        argus_workload_free(&r.pool[0]);
        free(r.pool);
        return rc;
    }
    printf("argus-loadgen: %s, %d workers over %d connections, %s, %s%s\n", o->endpoint,
           o->concurrent, o->connections,
           o->iterations >= 0 ? "fixed iterations" : "fixed duration",
           o->gzip ? "gzip" : "uncompressed", o->retries ? ", retrying" : "");
    for (int s = 0; s < NSIGNALS; s++)
        if (signal_enabled(&r, s))
            printf("  %s: %ld %s per request, ~%.0f KB per request (%.0f bytes per item)\n",
                   SIGNAL_NAME[s], s == SIG_TRACES ? o->spans : o->logs, ITEM_NAME[s],
                   (double)bytes[s] / o->pool / 1024,
                   (double)bytes[s] / o->pool / (double)(s == SIG_TRACES ? o->spans : o->logs));
    printf("  %d request templates built in %.2f s; stop after %s\n", o->pool, now_s() - t,
           o->iterations >= 0 ? "iterations" : "duration");

    grpc_init();
    grpc_channel **channels = calloc((size_t)o->connections, sizeof *channels);
    worker *workers = calloc((size_t)o->concurrent, sizeof *workers);
    if (!channels || !workers)
        return 2;
    int rc = 0;
    for (int i = 0; i < o->connections; i++)
        channels[i] = open_channel(o, i);
    for (int i = 0; i < o->connections && rc == 0; i++)
        if (wait_ready(channels[i], 10)) {
            fprintf(stderr, "argus-loadgen: cannot connect to %s\n", o->endpoint);
            rc = 2;
        }
    if (rc == 0) {
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        r.cq = grpc_completion_queue_create_for_next(NULL);
        /* methods are registered once per channel: calls then skip parsing the method path */
        void *(*methods)[NSIGNALS] = calloc((size_t)o->connections, sizeof *methods);
        if (!methods)
            return 2;
        for (int c = 0; c < o->connections; c++) {
            methods[c][SIG_TRACES] =
                grpc_channel_register_call(channels[c], TRACE_METHOD, NULL, NULL);
            methods[c][SIG_LOGS] = grpc_channel_register_call(channels[c], LOGS_METHOD, NULL, NULL);
        }
        r.t0 = now_s();
        r.stop_at = r.t0 + o->duration;
        int active = 0;
        for (int i = 0; i < o->concurrent; i++) {
            worker *k = &workers[i];
            int c = i % o->connections;
            k->id = i;
            k->channel = channels[c];
            k->method[SIG_TRACES] = methods[c][SIG_TRACES];
            k->method[SIG_LOGS] = methods[c][SIG_LOGS];
            k->state = W_CALL;
            next_request(&r, k, r.t0, 1);
            active += k->state != W_DONE;
        }
        free(methods);
        double last_progress = r.t0;
        while (active > 0) {
            double now = now_s(), wake = now + 0.1;
            for (int i = 0; i < o->concurrent; i++)
                if (workers[i].state == W_BACKOFF && workers[i].due < wake)
                    wake = workers[i].due;
            gpr_timespec deadline = gpr_time_add(
                gpr_now(GPR_CLOCK_MONOTONIC),
                gpr_time_from_micros((int64_t)((wake > now ? wake - now : 0) * 1e6), GPR_TIMESPAN));
            grpc_event ev = grpc_completion_queue_next(r.cq, deadline, NULL);
            if (ev.type == GRPC_OP_COMPLETE) {
                worker *k = ev.tag;
                call_done(&r, k);
                if (k->state == W_DONE)
                    active--;
            }
            now = now_s();
            if (interrupted && !r.stopping) {
                r.stopping = 1;
                fprintf(stderr, "argus-loadgen: interrupted, finishing calls in flight\n");
            }
            for (int i = 0; i < o->concurrent; i++) {
                worker *k = &workers[i];
                if (k->state == W_BACKOFF && (k->due <= now || r.stopping)) {
                    if (r.stopping) { /* give up: the last attempt's failure stands */
                        stats *st = &r.st[k->signal];
                        st->failed++;
                        st->by_status[k->last_error]++;
                        if (!st->first_error[k->last_error][0])
                            snprintf(st->first_error[k->last_error],
                                     sizeof st->first_error[k->last_error],
                                     "(interrupted while waiting to retry)");
                        k->state = W_DONE;
                        active--;
                    } else if (start_call(&r, k)) {
                        k->state = W_DONE;
                        active--;
                    }
                }
            }
            if (now - last_progress >= 5) {
                last_progress = now;
                fprintf(stderr, "  %.0f s: %ld traces, %ld logs requests done\n", now - r.t0,
                        r.st[SIG_TRACES].ok + r.st[SIG_TRACES].failed,
                        r.st[SIG_LOGS].ok + r.st[SIG_LOGS].failed);
            }
        }
        double elapsed = now_s() - r.t0;
        report(&r, elapsed);
        rc = r.st[SIG_TRACES].failed || r.st[SIG_LOGS].failed ? 1 : 0;
        grpc_completion_queue_shutdown(r.cq);
        while (grpc_completion_queue_next(r.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(r.cq);
    }
    for (int i = 0; i < o->connections; i++)
        grpc_channel_destroy(channels[i]);
    free(channels);
    free(workers);
    grpc_shutdown();
    for (int i = 0; i < o->pool; i++)
        argus_workload_free(&r.pool[i]);
    free(r.pool);
    for (int s = 0; s < NSIGNALS; s++)
        free(r.st[s].lat.us);
    return rc;
}
