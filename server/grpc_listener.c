/* The gRPC port's accept loop with connection caps; see grpc_listener.h.
 *   ARGUS_GRPC_MAX_CONNECTIONS=1000 ARGUS_GRPC_MAX_CONNECTIONS_PER_ADDRESS=100 argus-server
 * One thread polls the listening socket. Each accepted socket is admitted (handed over) or
 * closed at once: over the listener's cap, over the per-address cap, or when accept() fails for
 * lack of descriptors (a spare descriptor is released to accept and close it, so the backlog
 * never fills with clients nobody answers). */
#include "grpc_listener.h"

#include "argus_buf.h"

#include "config.h"
#include "log.h"
#include "stats.h"
#include "thread.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define POLL_MS 100
#define SWEEP_MS 250
#define STALL_MS 2000
#define REFUSAL_LOG_EVERY_MS 10000

typedef struct conn {
    int fd;
    dev_t dev;
    ino_t ino;
    unsigned char addr[16]; /* IPv6, or IPv4-mapped */
} conn;

struct argus_grpc_listener {
    argus_grpc_listener_options o;
    int fd; /* listening socket, -1 once stopped */
    atomic_int stopped;
    int spare; /* a descriptor held back for accepting (and closing) at EMFILE */
    unsigned port;
    argus_worker wk;
    atomic_llong heartbeat_ns; /* last turn of the accept loop */
    atomic_int running;        /* the accept thread was started */
    pthread_mutex_t mu;        /* conns */
    conn *conns;
    size_t nconns, capacity;
    int64_t last_sweep_ns;
    int64_t last_refusal_log_ns;
    uint64_t refused_since_log;
};

static void addr_key(const struct sockaddr_storage *ss, unsigned char out[16])
{
    memset(out, 0, 16);
    if (ss->ss_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    } else if (ss->ss_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    }
}

/* With mu held: forgets the sockets grpc core has closed (the descriptor is gone or now names
 * another file). */
static void sweep(argus_grpc_listener *l)
{
    l->last_sweep_ns = argus_mono_ns();
    for (size_t i = 0; i < l->nconns;) {
        struct stat st;
        if (fstat(l->conns[i].fd, &st) == 0 && st.st_dev == l->conns[i].dev &&
            st.st_ino == l->conns[i].ino) {
            i++;
            continue;
        }
        l->conns[i] = l->conns[--l->nconns];
    }
}

/* With mu held: the reason a new client from key would be refused, or NULL. */
static const char *over_cap(argus_grpc_listener *l, const unsigned char key[16])
{
    if (l->nconns >= l->o.max_connections)
        return "listener cap";
    size_t same = 0;
    for (size_t i = 0; i < l->nconns; i++)
        if (!memcmp(l->conns[i].addr, key, 16))
            same++;
    return same >= l->o.max_per_address ? "per-address cap" : NULL;
}

static void refused(argus_grpc_listener *l, const char *why)
{
    argus_stats_add(&argus_stats_get()->grpc_refused, 1);
    l->refused_since_log++;
    int64_t now = argus_mono_ns();
    if (now - l->last_refusal_log_ns < (int64_t)REFUSAL_LOG_EVERY_MS * 1000000)
        return;
    argus_log(ARGUS_LOG_WARN, "grpc: connections refused", "count=%llu reason=\"%s\" open=%zu",
              (unsigned long long)l->refused_since_log, why, l->nconns);
    l->refused_since_log = 0;
    l->last_refusal_log_ns = now;
}

static void admit(argus_grpc_listener *l, int fd, const struct sockaddr_storage *ss)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return;
    }
    conn c = {.fd = fd, .dev = st.st_dev, .ino = st.st_ino};
    addr_key(ss, c.addr);
    pthread_mutex_lock(&l->mu);
    const char *why = over_cap(l, c.addr);
    if (why) {
        sweep(l);
        why = over_cap(l, c.addr);
    }
    if (!why) {
        conn *grown = argus_array_room(l->conns, l->nconns, &l->capacity, sizeof *grown, 64);
        if (grown)
            l->conns = grown;
        else
            why = "out of memory";
    }
    if (why) {
        refused(l, why);
        pthread_mutex_unlock(&l->mu);
        close(fd);
        return;
    }
    l->conns[l->nconns++] = c;
    pthread_mutex_unlock(&l->mu);
    int one = 1;
    if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    l->o.admit(l->o.ctx, fd);
}

/* accept() failed for lack of descriptors: take the spare to accept the client and close it. */
static void refuse_without_fds(argus_grpc_listener *l)
{
    if (l->spare >= 0) {
        close(l->spare);
        l->spare = -1;
    }
    int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        close(fd);
    l->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pthread_mutex_lock(&l->mu);
    refused(l, "out of file descriptors");
    pthread_mutex_unlock(&l->mu);
}

static void *accept_loop(void *arg)
{
    argus_grpc_listener *l = arg;
    while (!argus_worker_stopping(&l->wk)) {
        atomic_store(&l->heartbeat_ns, argus_mono_ns());
        struct pollfd p = {.fd = l->fd, .events = POLLIN};
        int n = poll(&p, 1, POLL_MS);
        if (argus_mono_ns() - l->last_sweep_ns > (int64_t)SWEEP_MS * 1000000) {
            pthread_mutex_lock(&l->mu);
            sweep(l);
            pthread_mutex_unlock(&l->mu);
        }
        if (n <= 0)
            continue;
        for (int i = 0; i < 256; i++) { /* a burst, then the stop flag and sweep again */
            struct sockaddr_storage ss;
            socklen_t len = sizeof ss;
            int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                admit(l, fd, &ss);
                continue;
            }
            if (errno == EMFILE || errno == ENFILE) {
                refuse_without_fds(l);
                continue;
            }
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                char q[200];
                argus_log(ARGUS_LOG_WARN, "grpc: accept failed", "error=%s",
                          argus_log_quote(q, sizeof q, strerror(errno)));
                argus_sleep_ms(POLL_MS); /* e.g. ENOBUFS: try again shortly */
            }
            break;
        }
    }
    return NULL;
}

int argus_grpc_listener_open(argus_grpc_listener **out, const argus_grpc_listener_options *o,
                             char *msg, size_t msglen)
{
    *out = NULL;
    char host[256];
    unsigned port;
    if (argus_config_split_listen(o->listen, host, sizeof host, &port) != 0) {
        snprintf(msg, msglen, "bad listen address %s", o->listen);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    int gai = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(msg, msglen, "cannot resolve %s: %s", host, gai_strerror(gai));
        return -1;
    }
    argus_grpc_listener *l = argus_new_component(sizeof *l, "grpc listener", msg, msglen);
    if (!l) {
        freeaddrinfo(ai);
        return -1;
    }
    l->o = *o;
    if (!l->o.max_connections)
        l->o.max_connections = 1;
    if (!l->o.max_per_address)
        l->o.max_per_address = 1;
    l->spare = -1;
    pthread_mutex_init(&l->mu, NULL);
    argus_worker_init(&l->wk);
    int err = 0;
    l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(l->fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(l->fd, 4096) != 0)
        err = errno;
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (!err && getsockname(l->fd, (struct sockaddr *)&ss, &len) == 0)
        l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    if (err) {
        snprintf(msg, msglen, "cannot listen on %s: %s", o->listen, strerror(err));
        argus_grpc_listener_free(l);
        return -1;
    }
    l->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    *out = l;
    return 0;
}

unsigned argus_grpc_listener_port(const argus_grpc_listener *l)
{
    return l ? l->port : 0;
}

int argus_grpc_listener_run(argus_grpc_listener *l, char *msg, size_t msglen)
{
    atomic_store(&l->heartbeat_ns, argus_mono_ns());
    if (argus_worker_start(&l->wk, "argus-grpc-acc", accept_loop, l, msg, msglen) != 0)
        return -1;
    atomic_store(&l->running, 1);
    return 0;
}

unsigned argus_grpc_listener_connections(argus_grpc_listener *l)
{
    pthread_mutex_lock(&l->mu);
    sweep(l);
    unsigned n = (unsigned)l->nconns;
    pthread_mutex_unlock(&l->mu);
    return n;
}

int argus_grpc_listener_ready(argus_grpc_listener *l, char *reason, size_t n)
{
    if (!l || atomic_load(&l->stopped) || !atomic_load(&l->running)) {
        snprintf(reason, n, "otlp-grpc listener stopped");
        return 0;
    }
    int64_t quiet = argus_mono_ns() - atomic_load(&l->heartbeat_ns);
    if (quiet > (int64_t)STALL_MS * 1000000) {
        snprintf(reason, n, "otlp-grpc listener not accepting (its loop stalled for %lld ms)",
                 (long long)(quiet / 1000000));
        return 0;
    }
    if (argus_grpc_listener_connections(l) >= l->o.max_connections) {
        snprintf(reason, n, "otlp-grpc listener at its connection cap (%u)", l->o.max_connections);
        return 0;
    }
    return 1;
}

void argus_grpc_listener_stop(argus_grpc_listener *l)
{
    if (!l)
        return;
    atomic_store(&l->stopped, 1);
    argus_worker_stop(&l->wk);
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
}

void argus_grpc_listener_free(argus_grpc_listener *l)
{
    if (!l)
        return;
    argus_grpc_listener_stop(l);
    argus_worker_destroy(&l->wk);
    if (l->spare >= 0)
        close(l->spare);
    free(l->conns);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
