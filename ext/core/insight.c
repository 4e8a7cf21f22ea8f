/* ai_insight(body, severity_number, attributes_json): rule-based log insights (argus_insight.h).
 *   SELECT ai_insight('dial tcp 10.0.0.5:5432: connect: connection refused', 17, '{}');
 * Rule patterns compile into Aho-Corasick automata over ASCII-folded bytes (built-ins once per
 * process, user rules per rule set), so a line is scanned once whatever the number of rules. No
 * allocation per call unless attributes hold an HTTP status or exception details (jansson). */
#include "argus_insight.h"
#include "argus_arena.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- built-in rules -------------------------------------------------------------------------
 * patterns: alternatives separated by '|'; groups separated by '&' must all match (in any of the
 * scanned texts); a leading '<' / trailing '>' asks for a word boundary there. Lower case.
 * status_lo..status_hi: the rule also fires for an HTTP status in that range. WEAK rules use
 * words that also appear in harmless lines ("timeout=30s"), so they ignore lines whose severity
 * is TRACE..INFO (1..12); unknown severity (0) still counts. */

#define WEAK 1
#define MAX_GROUPS 8

typedef struct builtin_rule {
    const char *name;
    const char *category;
    const char *patterns;
    const char *tags[4];
    const char *summary;
    const char *suggestion;
    double confidence;
    int priority;
    int flags;
    int status_lo, status_hi;
} builtin_rule;

static const builtin_rule builtins[] = {
    /* resources */
    {"out-of-memory",
     "out_of_memory",
     "out of memory|outofmemoryerror|memoryerror|oomkilled|oom-kill|oom_kill|oomkilling|"
     "oom killer|cannot allocate memory|<enomem>|memory limit exceeded|exceeded memory limit|"
     "std::bad_alloc|low on resource: memory|oom command not allowed|failed to allocate memory",
     {"memory", "resources"},
     "The process ran out of memory",
     "Check memory limits and usage trends; look for leaks or unbounded caches and raise the "
     "limit if the working set legitimately grew.",
     0.9,
     90,
     0,
     0,
     0},
    {"disk-full",
     "disk_full",
     "no space left on device|<enospc>|disk full|disk is full|database or disk is full|"
     "disk quota exceeded|<edquot>|insufficient disk space|not enough space on the disk|"
     "could not extend file|low on resource: ephemeral-storage|diskpressure|errno: 28|"
     "errno 28",
     {"disk", "resources"},
     "The disk or volume is full",
     "Free space or grow the volume; check log rotation, retention and temporary files.",
     0.9,
     90,
     0,
     0,
     0},
    /* concurrency */
    {"deadlock",
     "deadlock",
     "<deadlock|all goroutines are asleep|<40p01>|could not serialize access|"
     "serialization failure",
     {"deadlock", "concurrency"},
     "A deadlock or serialization conflict aborted the work",
     "Retry the transaction; take locks in a consistent order and keep transactions short.",
     0.85,
     80,
     0,
     0,
     0},
    {"lock-timeout",
     "timeout",
     "lock wait timeout exceeded|canceling statement due to lock timeout|"
     "canceling statement due to statement timeout|database is locked|could not obtain lock",
     {"timeout", "database", "lock"},
     "A database statement waited too long for a lock or ran past its time limit",
     "Find the blocking transaction (long-running or idle in transaction) and shorten it; "
     "review statement and lock timeouts.",
     0.85,
     78,
     0,
     0,
     0},
    /* network */
    {"dns",
     "dns",
     "no such host|name or service not known|nodename nor servname|"
     "temporary failure in name resolution|unknownhostexception|<enotfound>|<eai_again>|"
     "could not resolve host|could not resolve hostname|dns resolution failed|"
     "server misbehaving|<nxdomain>|name resolution failed|failed to resolve|"
     "getaddrinfo failed|unknown host",
     {"dns", "network"},
     "A host name could not be resolved",
     "Check the host name, the DNS server and the service discovery records (e.g. the "
     "Kubernetes Service exists in that namespace).",
     0.85,
     76,
     0,
     0,
     0},
    {"tls",
     "tls",
     "<x509:|certificate has expired|certificate verify failed|ssl routines|"
     "sslhandshakeexception|tls handshake|handshake failure|unknown certificate authority|"
     "certificate signed by unknown authority|self signed certificate|"
     "self-signed certificate|unable to get local issuer certificate|"
     "pkix path building failed|<err_tls_cert|<cert_has_expired>|wrong version number|"
     "bad certificate|tlsv1 alert|sslerror|ssl error|certificate is not valid|"
     "certificate expired|depth_zero_self_signed_cert",
     {"tls", "security"},
     "A TLS handshake or certificate check failed",
     "Check certificate expiry, the trusted CA bundle, the host name in the certificate and the "
     "TLS versions both sides accept.",
     0.85,
     76,
     0,
     0,
     0},
    {"connection-refused",
     "connection",
     "connection refused|<econnrefused>|connectexception|connect: connection refused|"
     "could not connect to server|can't connect to mysql server|"
     "can't connect to local mysql server",
     {"connection", "network"},
     "The connection was refused: nothing is listening or the service is down",
     "Check that the target service is running and reachable on that host and port (service, "
     "endpoints, firewall, network policy).",
     0.85,
     72,
     0,
     0,
     0},
    {"connect-failed",
     "connection",
     "failed to connect to|unable to connect to|error connecting to",
     {"connection", "network"},
     "A connection to another service could not be established",
     "Check that the target service is running and reachable, and the error that follows for "
     "the reason.",
     0.7,
     55,
     0,
     0,
     0},
    {"connection-reset",
     "connection",
     "connection reset|<econnreset>|reset by peer|broken pipe|<epipe>|connection aborted|"
     "<econnaborted>|server closed the connection unexpectedly|"
     "lost connection to mysql server|mysql server has gone away|"
     "upstream prematurely closed connection|unexpected eof|socket hang up|"
     "connection closed by peer|remote end closed connection",
     {"connection", "network"},
     "The connection was closed unexpectedly by the other side",
     "Look at the peer's logs around this time (restart, crash, idle timeout, proxy limits); "
     "retry idempotent requests.",
     0.8,
     71,
     0,
     0,
     0},
    {"network-unreachable",
     "connection",
     "no route to host|<ehostunreach>|network is unreachable|<enetunreach>|host is down|"
     "host unreachable",
     {"connection", "network"},
     "The network path to the host is unavailable",
     "Check routing, security groups, network policies and that the host is up.",
     0.8,
     71,
     0,
     0,
     0},
    {"connection-pool",
     "database",
     "too many connections|remaining connection slots are reserved|connection pool exhausted|"
     "pool exhausted|timeout waiting for connection from pool|"
     "connection is not available, request timed out|unable to acquire jdbc connection|"
     "sorry, too many clients already",
     {"database", "connection-pool"},
     "The database refused new connections: the connection limit or pool is exhausted",
     "Use a connection pool with a bounded size, look for connection leaks and compare "
     "max_connections with the total pool size of all replicas.",
     0.85,
     74,
     0,
     0,
     0},
    {"timeout",
     "timeout",
     "timed out|timeout exceeded|timeout expired|deadline exceeded|<deadline_exceeded>|"
     "<etimedout>|sockettimeoutexception|timeoutexception|timeouterror|read timeout|"
     "connect timeout|connection timeout|request timeout|gateway timeout|operation timeout|"
     "i/o timeout|<esockettimedout>|context deadline|took too long",
     {"timeout", "latency"},
     "An operation timed out",
     "Check the latency and health of the dependency that timed out; review timeouts, retries "
     "and whether the work can be made smaller.",
     0.8,
     70,
     0,
     0,
     0},
    {"timeout-word",
     "timeout",
     "<timeout>|<timeouts>",
     {"timeout", "latency"},
     "An operation timed out",
     "Check the latency and health of the dependency that timed out; review timeouts, retries "
     "and whether the work can be made smaller.",
     0.6,
     69,
     WEAK,
     0,
     0},
    /* Kubernetes */
    {"crash-loop",
     "crash_loop",
     "crashloopbackoff|back-off restarting failed container|start request repeated too quickly",
     {"kubernetes", "restart"},
     "The container or service keeps crashing and is being restarted with back-off",
     "Read the logs of the previous run (kubectl logs --previous) to find why it exits; check "
     "its configuration, dependencies and probes.",
     0.9,
     85,
     0,
     0,
     0},
    {"image-pull",
     "image_pull",
     "errimagepull|imagepullbackoff|failed to pull image|pull access denied|manifest unknown",
     {"kubernetes", "image"},
     "The container image could not be pulled",
     "Check the image name and tag, that it exists in the registry and the image pull secret.",
     0.9,
     84,
     0,
     0,
     0},
    {"scheduling",
     "scheduling",
     "failedscheduling|nodes are available|insufficient cpu|insufficient memory|"
     "untolerated taint|didn't match node selector|didn't match pod's node affinity|"
     "unschedulable",
     {"kubernetes", "capacity"},
     "The pod cannot be scheduled on any node",
     "Compare the pod's requests, selectors and tolerations with the nodes' free capacity; "
     "scale the cluster or lower the requests.",
     0.85,
     83,
     0,
     0,
     0},
    {"probe-failure",
     "probe_failure",
     "liveness probe failed|readiness probe failed|startup probe failed",
     {"kubernetes", "health-check"},
     "A health probe failed",
     "Check the probe's endpoint, port and timeout against how long the application really "
     "takes to start and answer.",
     0.8,
     80,
     0,
     0,
     0},
    {"service-failure",
     "service_failure",
     "failed with result|entered failed state|main process exited, code=killed|"
     "main process exited, code=exited, status=1|failed to start|exited with code 1",
     {"service", "restart"},
     "A service or unit exited with a failure",
     "Read the unit's or container's earlier log lines for the cause (journalctl -u <unit>) and "
     "check its configuration.",
     0.75,
     66,
     0,
     0,
     0},
    /* access control */
    {"authentication",
     "auth",
     "authentication failed|password authentication failed|access denied for user|"
     "invalid credentials|bad credentials|<unauthorized>|<unauthenticated>|invalid token|"
     "token expired|token is expired|jwt expired|expired token|invalid api key|login failed|"
     "failed password for|authentication failure|invalid password|not authenticated|"
     "authentication required|<noauth>|<wrongpass>|invalid username or password|"
     "signature verification failed|badcredentialsexception|invalidaccesskeyid|"
     "signaturedoesnotmatch|expiredtokenexception|invalidclienttokenid",
     {"auth", "security"},
     "Authentication failed: missing, wrong or expired credentials",
     "Check the credentials or token the client sends (expiry, rotation, secret mounted in the "
     "right place); repeated failures from one source may be an attack.",
     0.8,
     62,
     0,
     401,
     401},
    {"proxy-authentication",
     "auth",
     "proxy authentication required",
     {"auth", "proxy"},
     "Authentication with a proxy failed",
     "Check the proxy credentials configured for this client.",
     0.75,
     61,
     0,
     407,
     407},
    {"permission",
     "permission",
     "permission denied|<eacces>|<forbidden>|not authorized|insufficient privileges|"
     "accessdeniedexception|access is denied|operation not permitted|<eperm>|must be owner of|"
     "<permission_denied>|does not have permission|unauthorizedaccessexception|access denied",
     {"permission", "security"},
     "The caller is not allowed to do this: a permission or authorisation check failed",
     "Check the permissions of the account, role or service account (file modes, IAM policy, "
     "RBAC, database grants) against what the operation needs.",
     0.8,
     60,
     0,
     403,
     403},
    {"rate-limit",
     "rate_limit",
     "rate limit|ratelimit|rate-limit|rate_limit|too many requests|throttled|throttling|"
     "quota exceeded|"
     "<resource_exhausted>|requestlimitexceeded|<slowdown>",
     {"rate-limit", "capacity"},
     "Requests were rejected by rate limiting or a quota",
     "Back off and retry with jitter (honour Retry-After), spread the load, or ask for a higher "
     "limit or quota.",
     0.8,
     65,
     0,
     429,
     429},
    /* code errors */
    {"null-reference",
     "null_reference",
     "nullpointerexception|null pointer|nil pointer dereference|invalid memory address|"
     "cannot read properties of undefined|cannot read properties of null|"
     "cannot read property|undefined is not an object|'nonetype' object|nonetype object|"
     "nullreferenceexception|object reference not set to an instance|for nil:nilclass|"
     "attempt to index a nil value|null reference",
     {"bug", "null"},
     "Code used a null, nil, None or undefined value",
     "A bug: find the first application frame in the stack trace and handle the missing value "
     "(validate input, check the lookup result).",
     0.85,
     64,
     0,
     0,
     0},
    {"database",
     "database",
     "<sqlstate|sqlexception|psqlexception|<psycopg2|sqlalchemy.exc|<pq:|"
     "duplicate key value violates unique constraint|<duplicate entry|"
     "violates foreign key constraint|violates not-null constraint|violates check constraint|"
     "syntax error at or near|you have an error in your sql syntax|unknown column|"
     "no such table|no such column|"
     "the database system is starting up|the database system is shutting down|"
     "terminating connection due to administrator command|<ora-|<misconf>|"
     "readonly you can't write against a read only replica|loading redis is loading|"
     "dataintegrityviolationexception|integrityerror|operationalerror|<er_|mongoerror|"
     "mongoservererror|[error] [my-",
     {"database"},
     "A database error",
     "Read the database error code and message; check the statement, the schema version and "
     "the database's own log at this time.",
     0.75,
     50,
     0,
     0,
     0},
    {"missing-relation",
     "database",
     "relation \"|column \"&does not exist",
     {"database", "schema"},
     "A database table, view or column does not exist",
     "Check that migrations ran on this database and that the schema/search_path is right.",
     0.8,
     52,
     0,
     0,
     0},
    {"go-trace",
     "panic",
     "goroutine &[running]",
     {"crash", "go", "stacktrace"},
     "A Go goroutine stack trace: the process panicked",
     "Read the panic message above the trace and the first frame from your code.",
     0.8,
     40,
     0,
     0,
     0},
    {"panic",
     "panic",
     "<panic:|fatal error: |panicked at|segmentation fault|segfault at|<sigsegv>|"
     "fatal signal|core dumped|stackoverflowerror|stack overflow|<sigabrt>|abort trap",
     {"crash"},
     "The process crashed (panic or fatal signal)",
     "A bug or corrupted state: read the panic message and the first application frame of the "
     "goroutine or thread that crashed.",
     0.85,
     40,
     0,
     0,
     0},
    {"java-exception",
     "exception",
     "exception|error|throwable&.java:|(unknown source)|(native method)&\tat | at ",
     {"exception", "java", "stacktrace"},
     "A Java exception with a stack trace",
     "Read the exception type and message, then the first frame from your code (and any "
     "'Caused by:').",
     0.75,
     30,
     0,
     0,
     0},
    {"python-exception",
     "exception",
     "traceback (most recent call last)",
     {"exception", "python", "stacktrace"},
     "A Python exception with a traceback",
     "Read the last line of the traceback (the exception) and the deepest frame from your "
     "code.",
     0.75,
     30,
     0,
     0,
     0},
    {"node-exception",
     "exception",
     "error|exception&.js:|.ts:|.mjs:|.cjs:|node:internal&    at ",
     {"exception", "node", "stacktrace"},
     "A JavaScript error with a stack trace",
     "Read the error message and the first stack frame from your code; unhandled rejections "
     "need a catch.",
     0.75,
     30,
     0,
     0,
     0},
    {"dotnet-exception",
     "exception",
     "exception&   at &.cs:line",
     {"exception", "dotnet", "stacktrace"},
     "A .NET exception with a stack trace",
     "Read the exception type and message, then the first frame from your code.",
     0.75,
     30,
     0,
     0,
     0},
    {"unhandled-exception",
     "exception",
     "uncaught exception|unhandled exception|unhandledpromiserejection|"
     "unhandled promise rejection|uncaughtexception|unhandled rejection",
     {"exception"},
     "An exception was not handled",
     "Add handling where the exception escapes, or fix its cause.",
     0.75,
     32,
     0,
     0,
     0},
    {"exception",
     "exception",
     "exception|<error:",
     {"exception"},
     "An exception or error was reported",
     "Read the error type and message for the cause.",
     0.5,
     25,
     WEAK,
     0,
     0},
    /* HTTP status from attributes or access-log lines */
    {"http-timeout",
     "timeout",
     "",
     {"http", "timeout"},
     "HTTP {status}: the request timed out",
     "Check the latency of the upstream service and the proxy's timeouts.",
     0.7,
     45,
     0,
     504,
     504},
    {"http-request-timeout",
     "timeout",
     "",
     {"http", "timeout"},
     "HTTP {status}: the client took too long to send its request",
     "Check the client's network and the server's request read timeout.",
     0.6,
     44,
     0,
     408,
     408},
    {"http-unavailable",
     "http_server_error",
     "",
     {"http", "5xx", "availability"},
     "HTTP {status}: the upstream service is unavailable",
     "Check the upstream's health, readiness and capacity (crashing pods, overload, "
     "deployments in progress).",
     0.7,
     22,
     0,
     502,
     503},
    {"http-server-error",
     "http_server_error",
     "",
     {"http", "5xx"},
     "HTTP {status}: the server failed to handle the request",
     "Find the server's error log or trace for this request to see the cause.",
     0.65,
     20,
     0,
     500,
     599},
    {"http-client-error",
     "http_client_error",
     "",
     {"http", "4xx"},
     "HTTP {status}: the request was rejected as invalid",
     "Check the request the client sent (URL, parameters, body) against the API.",
     0.4,
     10,
     0,
     400,
     499},
};

#define NBUILTIN (sizeof builtins / sizeof builtins[0])

/* Patterns after which an HTTP status follows: access logs ("GET / HTTP/1.1" 503 ...) and
 * key/value lines (status=503). */
static const char *const status_prefixes[] = {
    "http/1.0\" ",   "http/1.1\" ",    "http/2.0\" ",      "http/2\" ",
    "http/3\" ",     "<status=",       "<status:",         "\"status\":",
    "<status_code=", "<status_code: ", "<statuscode=",     "<http_status=",
    "<status code ", "<status code: ", "\"status_code\":", "<http.status_code="};
#define NSTATUS (sizeof status_prefixes / sizeof status_prefixes[0])

/* ---- Aho-Corasick automaton ----------------------------------------------------------------- */

enum { PAT_BOUND_START = 1, PAT_BOUND_END = 2, PAT_STATUS = 4 };

typedef struct ac_pattern {
    uint32_t rule;
    uint8_t group;
    uint8_t flags;
    uint32_t len;
} ac_pattern;

typedef struct ac_input {
    const char *text; /* lower-cased or not: classes fold ASCII case */
    size_t len;
    ac_pattern meta;
} ac_input;

typedef struct ac {
    uint8_t cls[256];
    uint32_t nclass;
    uint32_t nstates;
    uint32_t *delta;     /* nstates * nclass transitions (the full DFA) */
    uint32_t *out_start; /* nstates + 1 offsets into outs */
    uint32_t *outs;      /* pattern indexes ending at each state, including through fail links */
    ac_pattern *pats;
    size_t npats;
} ac;

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static void ac_free(ac *a)
{
    free(a->delta);
    free(a->out_start);
    free(a->outs);
    free(a->pats);
    memset(a, 0, sizeof *a);
}

static int ac_build(ac *a, const ac_input *in, size_t n)
{
    memset(a, 0, sizeof *a);
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        total += in[i].len;
        for (size_t k = 0; k < in[i].len; k++) {
            int c = lower((unsigned char)in[i].text[k]);
            if (!a->cls[c])
                a->cls[c] = (uint8_t)++a->nclass;
        }
    }
    if (a->nclass > 255 || total > UINT32_MAX / 256)
        return ARGUS_ELIMIT;
    a->nclass++; /* class 0: bytes no pattern uses */
    for (int c = 'A'; c <= 'Z'; c++)
        a->cls[c] = a->cls[c + 32];
    uint32_t nc = a->nclass;
    uint32_t *own_head = NULL, *pat_next = NULL, *fail = NULL, *queue = NULL, *count = NULL;
    a->delta = calloc(total * nc, sizeof *a->delta);
    a->pats = malloc((n ? n : 1) * sizeof *a->pats);
    own_head = malloc(total * sizeof *own_head);
    pat_next = malloc((n ? n : 1) * sizeof *pat_next);
    fail = calloc(total, sizeof *fail);
    queue = malloc(total * sizeof *queue);
    count = calloc(total, sizeof *count);
    a->out_start = malloc((total + 1) * sizeof *a->out_start);
    int rc = ARGUS_ENOMEM;
    if (!a->delta || !a->pats || !own_head || !pat_next || !fail || !queue || !count ||
        !a->out_start)
        goto out;
    memset(own_head, 0xff, total * sizeof *own_head);
    /* the trie; 0 in delta means "no child" until the BFS fills it (the root is no child) */
    uint32_t nstates = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = 0;
        for (size_t k = 0; k < in[i].len; k++) {
            uint32_t c = a->cls[lower((unsigned char)in[i].text[k])];
            if (!a->delta[s * nc + c])
                a->delta[s * nc + c] = nstates++;
            s = a->delta[s * nc + c];
        }
        a->pats[i] = in[i].meta;
        a->pats[i].len = (uint32_t)in[i].len;
        pat_next[i] = own_head[s];
        own_head[s] = (uint32_t)i;
        count[s]++;
    }
    a->npats = n;
    a->nstates = nstates;
    /* BFS: fail links, full transitions, output counts (own + the fail state's) */
    size_t qh = 0, qt = 0;
    queue[qt++] = 0;
    while (qh < qt) {
        uint32_t u = queue[qh++];
        if (u)
            count[u] += count[fail[u]];
        for (uint32_t c = 0; c < nc; c++) {
            uint32_t v = a->delta[u * nc + c];
            if (v) {
                fail[v] = u ? a->delta[fail[u] * nc + c] : 0;
                queue[qt++] = v;
            } else {
                a->delta[u * nc + c] = u ? a->delta[fail[u] * nc + c] : 0;
            }
        }
    }
    size_t nout = 0;
    for (uint32_t s = 0; s < nstates; s++) {
        a->out_start[s] = (uint32_t)nout;
        nout += count[s];
    }
    a->out_start[nstates] = (uint32_t)nout;
    a->outs = malloc((nout ? nout : 1) * sizeof *a->outs);
    if (!a->outs)
        goto out;
    /* in BFS order a state's fail state is complete before it */
    for (size_t q = 0; q < qt; q++) {
        uint32_t s = queue[q], w = a->out_start[s];
        for (uint32_t p = own_head[s]; p != UINT32_MAX; p = pat_next[p])
            a->outs[w++] = p;
        if (s)
            for (uint32_t k = a->out_start[fail[s]]; k < a->out_start[fail[s] + 1]; k++)
                a->outs[w++] = a->outs[k];
    }
    rc = 0;
out:
    free(own_head);
    free(pat_next);
    free(fail);
    free(queue);
    free(count);
    if (rc)
        ac_free(a);
    return rc;
}

/* ---- compiled rules ------------------------------------------------------------------------- */

typedef struct user_rule {
    int64_t id;
    const char *pattern;
    const char *category;
    const char *summary;
    const char *suggestion;
    const char **tags;
    size_t ntags;
    double confidence;
    int64_t priority;
} user_rule;

struct argus_insight_rules {
    uint8_t builtin_off[NBUILTIN];
    user_rule *user;
    size_t nuser;
    ac user_ac;
    argus_arena arena;
};

static struct {
    pthread_once_t once;
    int rc;
    ac ac;
    uint8_t need[NBUILTIN]; /* bitmask of the groups each rule needs */
} shared = {PTHREAD_ONCE_INIT, 0, {{0}, 0, 0, NULL, NULL, NULL, NULL, 0}, {0}};

/* Splits a built-in pattern spec into automaton inputs (inputs may be NULL to count). */
static size_t parse_spec(uint32_t rule, const char *spec, ac_input *inputs, uint8_t *need)
{
    size_t count = 0;
    uint8_t group = 0;
    const char *p = spec;
    if (!*p)
        return 0;
    for (;;) {
        const char *e = p;
        while (*e && *e != '|' && *e != '&')
            e++;
        const char *s = p;
        uint8_t flags = 0;
        if (s < e && *s == '<') {
            flags |= PAT_BOUND_START;
            s++;
        }
        const char *t = e;
        if (t > s && t[-1] == '>') {
            flags |= PAT_BOUND_END;
            t--;
        }
        if (inputs) {
            inputs[count].text = s;
            inputs[count].len = (size_t)(t - s);
            inputs[count].meta = (ac_pattern){rule, group, flags, 0};
        }
        count++;
        if (need)
            *need |= (uint8_t)(1u << group);
        if (!*e)
            break;
        if (*e == '&' && group + 1 < MAX_GROUPS)
            group++;
        p = e + 1;
    }
    return count;
}

static void build_shared(void)
{
    size_t n = NSTATUS;
    for (size_t r = 0; r < NBUILTIN; r++)
        n += parse_spec((uint32_t)r, builtins[r].patterns, NULL, &shared.need[r]);
    ac_input *in = malloc(n * sizeof *in);
    if (!in) {
        shared.rc = ARGUS_ENOMEM;
        return;
    }
    size_t k = 0;
    for (size_t r = 0; r < NBUILTIN; r++)
        k += parse_spec((uint32_t)r, builtins[r].patterns, in + k, NULL);
    for (size_t i = 0; i < NSTATUS; i++) {
        parse_spec(UINT32_MAX, status_prefixes[i], in + k, NULL);
        in[k].meta.flags |= PAT_STATUS;
        k++;
    }
    shared.rc = ac_build(&shared.ac, in, k);
    free(in);
}

/* Runs when the extension is unloaded (or the process ends), so leak checkers see the built-in
 * automaton freed like everything else. */
__attribute__((destructor)) static void free_shared(void)
{
    ac_free(&shared.ac);
}

static int ensure_shared(argus_error *err)
{
    pthread_once(&shared.once, build_shared);
    if (shared.rc)
        return argus_error_set(err, shared.rc, "insight: building the built-in rules failed");
    return 0;
}

/* The rule whose texts describe a category in general: the one named after it ("disk_full" ->
 * "disk-full"), else the first of the category. */
static const builtin_rule *builtin_of_category(const char *category)
{
    const builtin_rule *first = NULL;
    for (size_t r = 0; category && r < NBUILTIN; r++) {
        if (strcmp(builtins[r].category, category) != 0)
            continue;
        if (!first)
            first = &builtins[r];
        const char *a = builtins[r].name, *b = category;
        while (*a && (*a == *b || (*a == '-' && *b == '_'))) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return &builtins[r];
    }
    return first;
}

static int cmp_user(const void *a, const void *b)
{
    const user_rule *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const char *dup(argus_arena *a, const char *s)
{
    return s ? argus_arena_strndup(a, s, strlen(s)) : NULL;
}

/* Parses tags_json into r->tags (arena strings). */
static int parse_tags(argus_insight_rules *rules, user_rule *r, const char *tags_json,
                      argus_error *err)
{
    if (!tags_json) {
        r->ntags = r->category ? 1 : 0;
        r->tags = argus_arena_alloc(&rules->arena, sizeof *r->tags);
        if (!r->tags)
            return argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
        r->tags[0] = r->category;
        return 0;
    }
    json_error_t jerr;
    json_t *arr = json_loads(tags_json, 0, &jerr);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return argus_error_set(err, ARGUS_EINVAL,
                               "insight: rule %lld: tags must be a JSON array of strings",
                               (long long)r->id);
    }
    size_t n = json_array_size(arr);
    r->tags = argus_arena_alloc(&rules->arena, (n ? n : 1) * sizeof *r->tags);
    if (!r->tags) {
        json_decref(arr);
        return argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v)) {
            json_decref(arr);
            return argus_error_set(err, ARGUS_EINVAL,
                                   "insight: rule %lld: tags must be a JSON array of strings",
                                   (long long)r->id);
        }
        r->tags[i] =
            argus_arena_strndup(&rules->arena, json_string_value(v), json_string_length(v));
    }
    r->ntags = n;
    json_decref(arr);
    return 0;
}

int argus_insight_rules_new(const argus_insight_rule *user, size_t n, argus_insight_rules **out,
                            argus_error *err)
{
    *out = NULL;
    int rc = ensure_shared(err);
    if (rc)
        return rc;
    argus_insight_rules *r = calloc(1, sizeof *r);
    if (!r)
        return argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
    argus_arena_init(&r->arena, 0);
    r->user = calloc(n ? n : 1, sizeof *r->user);
    ac_input *in = calloc(n ? n : 1, sizeof *in);
    if (!r->user || !in) {
        rc = argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const argus_insight_rule *u = &user[i];
        if (!u->pattern) {
            rc = argus_error_set(err, ARGUS_EINVAL, "insight: rule %lld: pattern is NULL",
                                 (long long)u->id);
            goto fail;
        }
        if (strcmp(u->pattern, "*") == 0) {
            for (size_t b = 0; !u->enabled && u->category && b < NBUILTIN; b++)
                if (strcmp(builtins[b].category, u->category) == 0)
                    r->builtin_off[b] = 1;
            continue;
        }
        if (!u->enabled || !u->pattern[0])
            continue;
        user_rule *ur = &r->user[r->nuser];
        ur->id = u->id;
        ur->pattern = dup(&r->arena, u->pattern);
        ur->category = dup(&r->arena, u->category);
        const builtin_rule *b = builtin_of_category(u->category);
        ur->summary = dup(&r->arena, u->summary ? u->summary : b ? b->summary : NULL);
        if (!ur->summary && ur->category) {
            char tmp[64];
            snprintf(tmp, sizeof tmp, "Matched user rule %lld", (long long)u->id);
            ur->summary = dup(&r->arena, tmp);
        }
        ur->suggestion = dup(&r->arena, u->suggestion ? u->suggestion : b ? b->suggestion : NULL);
        ur->confidence = isnan(u->confidence) || u->confidence < 0 ? 0.7
                         : u->confidence > 1                       ? 1
                                                                   : u->confidence;
        ur->priority = u->priority;
        if ((rc = parse_tags(r, ur, u->tags_json, err)))
            goto fail;
        if (r->arena.exhausted) {
            rc = argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
            goto fail;
        }
        r->nuser++;
    }
    /* precedence is the index order: the automaton reports rule indexes */
    qsort(r->user, r->nuser, sizeof *r->user, cmp_user);
    for (size_t i = 0; i < r->nuser; i++) {
        in[i].text = r->user[i].pattern;
        in[i].len = strlen(r->user[i].pattern);
        in[i].meta = (ac_pattern){(uint32_t)i, 0, 0, 0};
    }
    rc = ac_build(&r->user_ac, in, r->nuser);
    if (rc) {
        argus_error_set(err, rc, "insight: compiling user rules failed");
        goto fail;
    }
    free(in);
    *out = r;
    return 0;
fail:
    free(in);
    argus_insight_rules_free(r);
    return rc;
}

void argus_insight_rules_free(argus_insight_rules *r)
{
    if (!r)
        return;
    ac_free(&r->user_ac);
    free(r->user);
    argus_arena_free(&r->arena);
    free(r);
}

size_t argus_insight_rules_user_count(const argus_insight_rules *r)
{
    return r ? r->nuser : 0;
}

/* ---- matching ------------------------------------------------------------------------------- */

#define MAX_USER_HITS 16

typedef struct scan_state {
    uint8_t hit[NBUILTIN]; /* groups seen per built-in rule */
    uint32_t user_hits[MAX_USER_HITS];
    size_t nuser_hits;
    int body_status;
} scan_state;

static int word_byte(int c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c == '_';
}

/* Three digits 100..599 after optional quotes/spaces, not followed by another digit. */
static int status_after(const unsigned char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '"' || s[i] == '\''))
        i++;
    if (i + 3 > n || s[i] < '1' || s[i] > '5')
        return 0;
    for (size_t k = 1; k < 3; k++)
        if (s[i + k] < '0' || s[i + k] > '9')
            return 0;
    if (i + 3 < n && s[i + 3] >= '0' && s[i + 3] <= '9')
        return 0;
    return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
}

static void on_match(const ac_pattern *p, const unsigned char *s, size_t n, size_t end, int user,
                     scan_state *st)
{
    size_t start = end - p->len;
    if ((p->flags & PAT_BOUND_START) && start > 0 && word_byte(s[start - 1]))
        return;
    if ((p->flags & PAT_BOUND_END) && end < n && word_byte(s[end]))
        return;
    if (p->flags & PAT_STATUS) {
        if (!st->body_status)
            st->body_status = status_after(s, n, end);
        return;
    }
    if (!user) {
        st->hit[p->rule] |= (uint8_t)(1u << p->group);
        return;
    }
    for (size_t k = 0; k < st->nuser_hits; k++)
        if (st->user_hits[k] == p->rule)
            return;
    if (st->nuser_hits < MAX_USER_HITS) {
        st->user_hits[st->nuser_hits++] = p->rule;
    } else {
        /* keep the MAX_USER_HITS rules of highest precedence (lowest index) */
        size_t worst = 0;
        for (size_t k = 1; k < st->nuser_hits; k++)
            if (st->user_hits[k] > st->user_hits[worst])
                worst = k;
        if (p->rule < st->user_hits[worst])
            st->user_hits[worst] = p->rule;
    }
}

static void ac_scan(const ac *a, const char *text, size_t n, int user, scan_state *st)
{
    if (!a->nstates || !text)
        return;
    const unsigned char *s = (const unsigned char *)text;
    const uint32_t *delta = a->delta, *os = a->out_start;
    const uint8_t *cls = a->cls;
    uint32_t nc = a->nclass, state = 0;
    for (size_t i = 0; i < n; i++) {
        state = delta[state * nc + cls[s[i]]];
        for (uint32_t k = os[state]; k < os[state + 1]; k++)
            on_match(&a->pats[a->outs[k]], s, n, i + 1, user, st);
    }
}

static int find_mem(const char *h, size_t n, const char *needle)
{
    return h && memmem(h, n, needle, strlen(needle)) != NULL;
}

static int json_status(json_t *v)
{
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        int x = 0, k = 0;
        for (; s[k] >= '0' && s[k] <= '9' && k < 4; k++)
            x = x * 10 + (s[k] - '0');
        return k == 3 && !s[k] ? x : 0;
    }
    return 0;
}

/* Attributes that say what failed: scanned like the body. */
static const char *const scanned_attributes[] = {"exception.type",       "exception.message",
                                                 "exception.stacktrace", "error.type",
                                                 "error.message",        "k8s.event.reason"};

/* Reads the HTTP status and scans exception/error attributes; returns the attribute status. */
static int scan_attributes(const argus_insight_rules *r, const char *attrs, size_t an,
                           scan_state *st)
{
    if (!attrs || an < 2)
        return 0;
    int has_status = find_mem(attrs, an, "status_code");
    int has_text = find_mem(attrs, an, "exception.") || find_mem(attrs, an, "error.") ||
                   find_mem(attrs, an, "k8s.event.reason");
    if (!has_status && !has_text)
        return 0;
    json_error_t jerr;
    json_t *root = json_loadb(attrs, an, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return 0;
    }
    int status = 0;
    if (has_status) {
        status = json_status(json_object_get(root, "http.response.status_code"));
        if (!status)
            status = json_status(json_object_get(root, "http.status_code"));
    }
    for (size_t i = 0; has_text && i < sizeof scanned_attributes / sizeof *scanned_attributes;
         i++) {
        json_t *v = json_object_get(root, scanned_attributes[i]);
        if (json_is_string(v)) {
            ac_scan(&shared.ac, json_string_value(v), json_string_length(v), 0, st);
            ac_scan(&r->user_ac, json_string_value(v), json_string_length(v), 1, st);
        }
    }
    json_decref(root);
    return status < 100 || status > 599 ? 0 : status;
}

static double severity_adjust(int severity)
{
    if (severity <= 0)
        return 0;
    if (severity <= 8)
        return -0.3;
    if (severity <= 12)
        return -0.15;
    if (severity <= 16)
        return 0;
    if (severity <= 20)
        return 0.05;
    return 0.1;
}

static void add_tags(argus_insight_match *m, const char *const *tags, size_t n)
{
    for (size_t i = 0; i < n && tags[i]; i++) {
        size_t k = 0;
        while (k < m->ntags && strcmp(m->tags[k], tags[i]) != 0)
            k++;
        if (k == m->ntags && m->ntags < ARGUS_INSIGHT_MAX_TAGS)
            m->tags[m->ntags++] = tags[i];
    }
}

static size_t builtin_ntags(const builtin_rule *b)
{
    size_t n = 0;
    while (n < 4 && b->tags[n])
        n++;
    return n;
}

int argus_insight_classify(const argus_insight_rules *r, const char *body, size_t n, int severity,
                           const char *attrs, size_t attrs_n, argus_insight_match *m)
{
    scan_state st;
    memset(&st, 0, offsetof(scan_state, user_hits));
    st.nuser_hits = 0;
    st.body_status = 0;
    memset(m, 0, sizeof *m);
    ac_scan(&shared.ac, body, n, 0, &st);
    ac_scan(&r->user_ac, body, n, 1, &st);
    int status = scan_attributes(r, attrs, attrs_n, &st);
    if (!status)
        status = st.body_status;
    m->status = status;
    int weak_ok = severity <= 0 || severity >= 13;

    /* candidates: every fully matched built-in rule (or one whose HTTP status range fits) */
    size_t cand[NBUILTIN], ncand = 0;
    for (size_t b = 0; b < NBUILTIN; b++) {
        if (r->builtin_off[b] || ((builtins[b].flags & WEAK) && !weak_ok))
            continue;
        int by_text = shared.need[b] && st.hit[b] == shared.need[b];
        int by_status = status && builtins[b].status_lo && status >= builtins[b].status_lo &&
                        status <= builtins[b].status_hi;
        if (by_text || by_status)
            cand[ncand++] = b;
    }
    /* order built-in candidates by priority (stable: table order on ties) */
    for (size_t i = 1; i < ncand; i++) {
        size_t v = cand[i], j = i;
        while (j > 0 && builtins[cand[j - 1]].priority < builtins[v].priority) {
            cand[j] = cand[j - 1];
            j--;
        }
        cand[j] = v;
    }
    /* user rules first: lowest index = highest precedence */
    for (size_t i = 1; i < st.nuser_hits; i++) {
        uint32_t v = st.user_hits[i];
        size_t j = i;
        while (j > 0 && st.user_hits[j - 1] > v) {
            st.user_hits[j] = st.user_hits[j - 1];
            j--;
        }
        st.user_hits[j] = v;
    }
    double base;
    if (st.nuser_hits) {
        const user_rule *u = &r->user[st.user_hits[0]];
        if (!u->category)
            return 0; /* a silencing rule */
        m->category = u->category;
        m->summary = u->summary;
        m->suggestion = u->suggestion;
        m->user_id = u->id;
        base = u->confidence;
    } else if (ncand) {
        const builtin_rule *b = &builtins[cand[0]];
        m->category = b->category;
        m->summary = b->summary;
        m->suggestion = b->suggestion;
        m->builtin_name = b->name;
        base = b->confidence;
    } else {
        return 0;
    }
    for (size_t i = 0; i < st.nuser_hits; i++) {
        const user_rule *u = &r->user[st.user_hits[i]];
        add_tags(m, u->tags, u->ntags);
    }
    for (size_t i = 0; i < ncand; i++)
        add_tags(m, builtins[cand[i]].tags, builtin_ntags(&builtins[cand[i]]));
    double c = base + severity_adjust(severity);
    c = c < 0.05 ? 0.05 : c > 1 ? 1 : c;
    m->confidence = round(c * 100) / 100;
    return 1;
}

/* Writes s as a JSON string with each "{status}" replaced by the HTTP status code (or "error"
 * when there is none). */
/* The member ,"tags":[...] of the n tags. */
static void tags_json(argus_buf *out, const char *const *tags, size_t n)
{
    argus_buf_appends(out, ",\"tags\":[");
    for (size_t i = 0; i < n; i++)
        argus_json_field_cstr(out, i ? "," : "", tags[i]);
    argus_buf_appendc(out, ']');
}

static void summary_json(argus_buf *out, const char *s, int status)
{
    if (!strstr(s, "{status}")) {
        argus_json_string(out, s, strlen(s));
        return;
    }
    char code[16];
    snprintf(code, sizeof code, status ? "%d" : "error", status);
    /* built-in summaries fit the stack buffer; long user summaries take the heap */
    char small[512];
    argus_buf tmp = {small, 0, sizeof small, 0};
    int heap = 0;
    for (const char *p; (p = strstr(s, "{status}")); s = p + 8) {
        size_t need = (size_t)(p - s) + strlen(code) + strlen(p + 8) + 1;
        if (!heap && tmp.len + need > tmp.cap) {
            argus_buf h;
            argus_buf_init(&h);
            argus_buf_append(&h, small, tmp.len);
            tmp = h;
            heap = 1;
        }
        argus_buf_append(&tmp, s, (size_t)(p - s));
        argus_buf_appends(&tmp, code);
    }
    if (!heap && tmp.len + strlen(s) + 1 > tmp.cap) {
        argus_buf h;
        argus_buf_init(&h);
        argus_buf_append(&h, small, tmp.len);
        tmp = h;
        heap = 1;
    }
    argus_buf_appends(&tmp, s);
    if (tmp.failed)
        out->failed = 1;
    else
        argus_json_string(out, tmp.data, tmp.len);
    if (heap)
        argus_buf_free(&tmp);
}

int argus_insight_render(const argus_insight_match *m, argus_buf *out, argus_error *err)
{
    argus_json_field_cstr(out, "{\"category\":", m->category);
    tags_json(out, m->tags, m->ntags);
    argus_buf_appends(out, ",\"summary\":");
    summary_json(out, m->summary, m->status);
    argus_json_field_cstr(out, ",\"suggestion\":", m->suggestion);
    argus_json_field_double(out, ",\"confidence\":", m->confidence);
    char rule[96];
    if (m->builtin_name)
        snprintf(rule, sizeof rule, "builtin:%s", m->builtin_name);
    else
        snprintf(rule, sizeof rule, "user:%lld", (long long)m->user_id);
    argus_json_field_cstr(out, ",\"rule\":", rule);
    argus_buf_appendc(out, '}');
    if (out->failed || !argus_buf_cstr(out))
        return argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
    return 0;
}

int argus_insight_eval(const argus_insight_rules *r, const char *body, size_t n, int severity,
                       const char *attrs, size_t attrs_n, argus_buf *out, argus_error *err)
{
    argus_insight_match m;
    if (!argus_insight_classify(r, body, n, severity, attrs, attrs_n, &m))
        return 0;
    int rc = argus_insight_render(&m, out, err);
    return rc ? rc : 1;
}

int argus_insight_builtin_json(argus_buf *out, argus_error *err)
{
    argus_buf_appendc(out, '[');
    for (size_t r = 0; r < NBUILTIN; r++) {
        const builtin_rule *b = &builtins[r];
        if (r)
            argus_buf_appendc(out, ',');
        argus_json_field_cstr(out, "{\"name\":", b->name);
        argus_json_field_cstr(out, ",\"category\":", b->category);
        argus_json_field_cstr(out, ",\"patterns\":", b->patterns);
        tags_json(out, b->tags, builtin_ntags(b));
        argus_json_field_cstr(out, ",\"summary\":", b->summary);
        argus_json_field_cstr(out, ",\"suggestion\":", b->suggestion);
        argus_json_field_double(out, ",\"confidence\":", b->confidence);
        argus_json_field_int(out, ",\"priority\":", b->priority);
        if (b->status_lo) {
            argus_json_field_int(out, ",\"http_status\":[", b->status_lo);
            argus_json_field_int(out, ",", b->status_hi);
            argus_buf_appendc(out, ']');
        }
        argus_json_field_bool(out, ",\"weak\":", b->flags & WEAK);
        argus_buf_appendc(out, '}');
    }
    argus_buf_appendc(out, ']');
    if (out->failed || !argus_buf_cstr(out))
        return argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
    return 0;
}
