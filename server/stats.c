/* Process-wide ingest counters; see stats.h.
 *   argus_stats_log();   // "... info stats traces_received=10 traces_stored=10 ... queue_items=0"
 * One static instance: there is one server per process. */
#include "stats.h"

#include "log.h"

#include <time.h>

static argus_stats stats;

argus_stats *argus_stats_get(void)
{
    return &stats;
}

const char *argus_breaker_name(int state)
{
    return state == ARGUS_BREAKER_OPEN        ? "open"
           : state == ARGUS_BREAKER_HALF_OPEN ? "half-open"
                                              : "closed";
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void argus_stats_read(argus_stats_snapshot *out)
{
    for (int i = 0; i < ARGUS_SIGNAL_COUNT; i++) {
        const argus_signal_stats *s = &stats.signal[i];
        out->signal[i].requests = LOAD(s->requests);
        out->signal[i].bad_requests = LOAD(s->bad_requests);
        out->signal[i].received = LOAD(s->received);
        out->signal[i].stored = LOAD(s->stored);
        out->signal[i].rejected = LOAD(s->rejected);
        out->signal[i].dropped = LOAD(s->dropped);
        out->signal[i].refused = LOAD(s->refused);
        out->signal[i].duplicates = LOAD(s->duplicates);
    }
    out->queue_requests = LOAD(stats.queue_requests);
    out->queue_items = LOAD(stats.queue_items);
    out->queue_bytes = LOAD(stats.queue_bytes);
    out->batches = LOAD(stats.batches);
    out->failed_batches = LOAD(stats.failed_batches);
    out->last_commit_unix_ns = LOAD(stats.last_commit_unix_ns);
    out->started_unix_ns = LOAD(stats.started_unix_ns);
    out->insight_last_id = LOAD(stats.insight_last_id);
    out->insight_logs_max_id = LOAD(stats.insight_logs_max_id);
    out->insight_batches = LOAD(stats.insight_batches);
    out->insight_errors = LOAD(stats.insight_errors);
    out->breaker_state = LOAD(stats.breaker_state);
    out->breaker_opened = LOAD(stats.breaker_opened);
    out->breaker_refused = LOAD(stats.breaker_refused);
    out->breaker_since_unix_ns = LOAD(stats.breaker_since_unix_ns);
    out->memory_used = LOAD(stats.memory_used);
    out->memory_refused = LOAD(stats.memory_refused);
    out->http_closed_slow = LOAD(stats.http_closed_slow);
    out->log_dropped = LOAD(stats.log_dropped);
    out->grpc_refused = LOAD(stats.grpc_refused);
}

void argus_stats_log(void)
{
    argus_stats_snapshot s;
    argus_stats_read(&s);
    char when[40] = "never";
    if (s.last_commit_unix_ns) {
        time_t t = (time_t)(s.last_commit_unix_ns / 1000000000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    argus_log(
        ARGUS_LOG_INFO, "stats",
        "spans_received=%llu spans_stored=%llu spans_rejected=%llu spans_dropped=%llu "
        "logs_received=%llu logs_stored=%llu logs_rejected=%llu logs_dropped=%llu "
        "bad_requests=%llu refused_requests=%llu duplicate_requests=%llu queue_requests=%llu "
        "queue_items=%llu "
        "queue_bytes=%llu "
        "batches=%llu failed_batches=%llu last_commit=%s insight_last_id=%lld insight_lag=%lld "
        "insight_batches=%llu insight_errors=%llu breaker=%s breaker_opened=%llu "
        "breaker_refused=%llu memory_used=%llu memory_refused=%llu http_closed_slow=%llu "
        "grpc_refused=%llu log_dropped=%llu",
        (unsigned long long)s.signal[0].received, (unsigned long long)s.signal[0].stored,
        (unsigned long long)s.signal[0].rejected, (unsigned long long)s.signal[0].dropped,
        (unsigned long long)s.signal[1].received, (unsigned long long)s.signal[1].stored,
        (unsigned long long)s.signal[1].rejected, (unsigned long long)s.signal[1].dropped,
        (unsigned long long)(s.signal[0].bad_requests + s.signal[1].bad_requests),
        (unsigned long long)(s.signal[0].refused + s.signal[1].refused),
        (unsigned long long)(s.signal[0].duplicates + s.signal[1].duplicates),
        (unsigned long long)s.queue_requests, (unsigned long long)s.queue_items,
        (unsigned long long)s.queue_bytes, (unsigned long long)s.batches,
        (unsigned long long)s.failed_batches, when, (long long)s.insight_last_id,
        (long long)(s.insight_logs_max_id > s.insight_last_id
                        ? s.insight_logs_max_id - s.insight_last_id
                        : 0),
        (unsigned long long)s.insight_batches, (unsigned long long)s.insight_errors,
        argus_breaker_name(s.breaker_state), (unsigned long long)s.breaker_opened,
        (unsigned long long)s.breaker_refused, (unsigned long long)s.memory_used,
        (unsigned long long)s.memory_refused, (unsigned long long)s.http_closed_slow,
        (unsigned long long)s.grpc_refused, (unsigned long long)s.log_dropped);
}
