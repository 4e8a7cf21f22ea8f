/* Server logging to stderr, one event per line; see log.h.
 *   argus_log(ARGUS_LOG_WARN, "batch failed", "error=%s", argus_log_quote(q, sizeof q, msg));
 * A line is formatted on the caller's stack and copied whole into a bounded ring buffer; one log
 * thread (started by the first line) writes the buffer to stderr. A caller never waits for
 * stderr: when nobody reads it (a full pipe) the ring fills and further lines are dropped and
 * counted; once stderr moves again the log thread writes how many were lost. Lines from
 * different threads never interleave. At exit the buffer is written out for up to a second. */
#include "log.h"

#include "stats.h"
#include "thread.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048
#define RING_BYTES (256 * 1024) /* lines waiting for stderr; more are dropped */
#define EXIT_DRAIN_MS 1000

static atomic_int min_level = ARGUS_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t more;    /* lines were added (or stop) */
    pthread_cond_t drained; /* the log thread wrote everything it had */
    char ring[RING_BYTES];
    size_t head, len;  /* unwritten bytes: ring[head .. head+len) modulo RING_BYTES */
    uint64_t dropped;  /* lines dropped since the last report */
    int writing;       /* the log thread is in write() */
    int thread_failed; /* no log thread: lines are written by the caller */
} L = {.mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t start_once = PTHREAD_ONCE_INIT;

void argus_log_set_level(argus_log_level level)
{
    atomic_store(&min_level, (int)level);
}

int argus_log_parse_level(const char *s, argus_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (argus_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = ARGUS_LOG_WARN;
        return 0;
    }
    return -1;
}

int argus_log_enabled(argus_log_level level)
{
    return (int)level >= atomic_load(&min_level);
}

/* Writes all of p to stderr, waiting while it is full (also when a parent left it
 * non-blocking); stops at an error other than EINTR/EAGAIN. */
static void write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = STDERR_FILENO, .events = POLLOUT};
            poll(&pfd, 1, 1000);
        } else if (!(w < 0 && errno == EINTR)) {
            return;
        }
    }
}

/* "2024-05-01T12:00:00.123Z level msg" into line; returns the length. */
static size_t line_start(char *line, size_t size, argus_log_level level, const char *msg)
{
    int64_t ns = argus_wall_ns();
    time_t sec = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    int n = snprintf(line, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(ns % 1000000000 / 1000000), level_names[level], msg);
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

static void *log_thread(void *arg)
{
    (void)arg;
    static char chunk[64 * 1024];
    pthread_mutex_lock(&L.mu);
    for (;;) {
        while (!L.len && !L.dropped)
            pthread_cond_wait(&L.more, &L.mu);
        uint64_t dropped = L.dropped;
        L.dropped = 0;
        size_t n = L.len < sizeof chunk ? L.len : sizeof chunk;
        size_t first = RING_BYTES - L.head < n ? RING_BYTES - L.head : n;
        memcpy(chunk, L.ring + L.head, first);
        memcpy(chunk + first, L.ring, n - first);
        L.head = (L.head + n) % RING_BYTES;
        L.len -= n;
        L.writing = 1;
        pthread_mutex_unlock(&L.mu);
        write_all(chunk, n);
        if (dropped) {
            /* After the lines that were waiting when the ring filled up: where the gap is. */
            char line[256];
            size_t m = line_start(line, sizeof line, ARGUS_LOG_WARN, "log lines dropped");
            int k = snprintf(line + m, sizeof line - m,
                             " count=%llu reason=\"stderr was not read fast enough\"\n",
                             (unsigned long long)dropped);
            if (k > 0)
                write_all(line, m + (size_t)k < sizeof line ? m + (size_t)k : sizeof line - 1);
        }
        pthread_mutex_lock(&L.mu);
        L.writing = 0;
        if (!L.len)
            pthread_cond_broadcast(&L.drained);
    }
    return NULL;
}

/* At exit: give the log thread up to EXIT_DRAIN_MS to write what is buffered. */
static void drain_at_exit(void)
{
    int64_t until = argus_mono_ns() + (int64_t)EXIT_DRAIN_MS * 1000000;
    pthread_mutex_lock(&L.mu);
    while ((L.len || L.writing) && !L.thread_failed)
        if (argus_cond_wait_until(&L.drained, &L.mu, until) != 0)
            break;
    pthread_mutex_unlock(&L.mu);
}

static void start_thread(void)
{
    argus_cond_init(&L.more);
    argus_cond_init(&L.drained);
    pthread_t t;
    if (argus_thread_start(&t, "argus-log", log_thread, NULL) != 0) {
        L.thread_failed = 1;
        return;
    }
    pthread_detach(t);
    atexit(drain_at_exit);
}

void argus_log(argus_log_level level, const char *msg, const char *kv_fmt, ...)
{
    if (!argus_log_enabled(level))
        return;
    char line[LINE_MAX_BYTES];
    size_t len = line_start(line, sizeof line, level, msg);
    if (kv_fmt && kv_fmt[0] && len < sizeof line - 2) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, kv_fmt);
        int m = vsnprintf(line + len, sizeof line - len, kv_fmt, ap);
        va_end(ap);
        if (m > 0)
            len += (size_t)m < sizeof line - len ? (size_t)m : sizeof line - len - 1;
    }
    if (len >= sizeof line - 1)
        len = sizeof line - 2;
    line[len++] = '\n';
    pthread_once(&start_once, start_thread);
    pthread_mutex_lock(&L.mu);
    if (L.thread_failed) {
        pthread_mutex_unlock(&L.mu);
        write_all(line, len);
        return;
    }
    if (L.len + len > RING_BYTES) {
        L.dropped++;
        pthread_mutex_unlock(&L.mu);
        argus_stats_add(&argus_stats_get()->log_dropped, 1);
        return;
    }
    size_t tail = (L.head + L.len) % RING_BYTES;
    size_t first = RING_BYTES - tail < len ? RING_BYTES - tail : len;
    memcpy(L.ring + tail, line, first);
    memcpy(L.ring, line + first, len - first);
    L.len += len;
    pthread_cond_signal(&L.more);
    pthread_mutex_unlock(&L.mu);
}

const char *argus_log_quote(char *out, unsigned n, const char *s)
{
    if (!n)
        return out;
    if (!s)
        s = "";
    int plain = s[0] != 0;
    for (const char *p = s; *p && plain; p++)
        if ((unsigned char)*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            plain = 0;
    if (plain) {
        snprintf(out, n, "%s", s);
        return out;
    }
    unsigned j = 0;
    if (j + 1 < n)
        out[j++] = '"';
    for (const char *p = s; *p && j + 3 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = (char)c;
        } else if (c == '\n') {
            out[j++] = '\\';
            out[j++] = 'n';
        } else if (c < ' ' || c == 0x7f) {
            out[j++] = ' ';
        } else {
            out[j++] = (char)c;
        }
    }
    if (j + 1 < n)
        out[j++] = '"';
    out[j < n ? j : n - 1] = 0;
    return out;
}
