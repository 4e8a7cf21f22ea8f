/* argus-server: receives OpenTelemetry traces and logs over OTLP/gRPC (:4317) and OTLP/HTTP
 * (:4318), stores them in SQLite through the batching writer, and serves /healthz and /readyz
 * (:8080). Configuration: flags, environment, ./.env (docs/configuration.md).
 *   argus-server --db sqlite:./data/argus.db
 * SIGTERM/SIGINT: stop accepting, commit everything queued, answer those calls, exit 0. */
#include "api.h"
#include "config.h"
#include "grpc_server.h"
#include "http.h"
#include "insight_worker.h"
#include "log.h"
#include "routes.h"
#include "stats.h"
#include "store.h"
#include "thread.h"
#include "writer.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The open-file limit is shared by the three listeners (gRPC and both HTTP ones), the database
 * connections and the rest: each listener gets at most a third of what is left after a reserve,
 * so together they can never run the process out of descriptors (and /healthz, /readyz always
 * find one). Returns want, lowered to that share. */
static unsigned listener_share(unsigned want)
{
    unsigned long fds = argus_http_raise_fd_limit();
    unsigned long share = fds > 3 * 64 + 128 ? (fds - 128) / 3 : 64;
    return want < share ? want : (unsigned)share;
}

/* Starts one HTTP listener with the connection limits and timeouts both share; 0, or -1 after
 * logging the error with the key that names the address. */
static int start_listener(argus_http **out, const argus_config *cfg, const char *listen,
                          const char *name, const char *key, size_t max_body, unsigned threads,
                          argus_http_handler handler, argus_routes *routes)
{
    argus_http_options o = {.listen = listen,
                            .name = name,
                            .max_body = max_body,
                            .threads = threads,
                            .handler = handler,
                            .ctx = routes};
    argus_http_limits(&o, cfg);
    o.max_connections = listener_share(cfg->http_max_connections);
    char msg[1024], q[1100];
    if (argus_http_start(out, &o, msg, sizeof msg) == 0)
        return 0;
    argus_log(ARGUS_LOG_ERROR, "cannot start an HTTP listener", "proto=%s key=%s error=%s", name,
              key, argus_log_quote(q, sizeof q, msg));
    return -1;
}

static int api_handle(void *api, argus_http_request *req)
{
    return argus_api_handle(api, req);
}

/* With a database whose store driver has no read side yet (MariaDB/MySQL, store_mysql.c): say
 * so. */
static int api_not_on_this_backend(void *api, argus_http_request *req)
{
    (void)api;
    argus_http_error(req, 503, "unavailable", NULL, 0,
                     "the REST API reads sqlite: databases only so far; ARGUS_DB is a MySQL "
                     "database (ingest and /readyz work)");
    return 1;
}

int main(int argc, char **argv)
{
    /* Block the shutdown signals before any thread exists (gRPC, libmicrohttpd and the writer
     * inherit the mask) so only sigwait below sees them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A file size limit (ulimit -f, LimitFSIZE=) would kill the process at the first write past
     * it; ignored, the write fails with EFBIG and is handled like a full disk (retry later). */
    signal(SIGXFSZ, SIG_IGN);

    argus_config cfg;
    char msg[1024];
    int rc = argus_config_load(&cfg, argc, argv, ".env", msg, sizeof msg);
    if (rc == 1)
        return 0;
    if (rc != 0) {
        char q[1100];
        argus_log(ARGUS_LOG_ERROR, "invalid configuration", "error=%s",
                  argus_log_quote(q, sizeof q, msg));
        return 2;
    }
    argus_log_set_level(cfg.log_level);
    argus_config_log(&cfg);
    if (cfg.ingest_threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.ingest_threads = n < 2 ? 2 : n > 16 ? 16 : (unsigned)n;
    }
    argus_log(ARGUS_LOG_INFO, "open-file limit", "nofile=%lu", argus_http_raise_fd_limit());
    atomic_store(&argus_stats_get()->started_unix_ns, argus_wall_ns());

    char q[1100], db[1100], dbq[1200];
    argus_config_db_url_redacted(&cfg, db, sizeof db);
    argus_log_quote(dbq, sizeof dbq, db);
    argus_writer *writer = NULL;
    if (argus_writer_start(&writer, &cfg, msg, sizeof msg) != 0) {
        argus_log(ARGUS_LOG_ERROR, "cannot open the database", "db=%s error=%s", dbq,
                  argus_log_quote(q, sizeof q, msg));
        return 1;
    }
    if (argus_writer_connected(writer))
        argus_log(ARGUS_LOG_INFO, "database ready", "db=%s synchronous=%s", dbq,
                  cfg.sqlite_synchronous);

    argus_insight_worker *insights = NULL;
    /* every backend whose driver has the job's statements (sql/<dialect>/jobs/) */
    if (cfg.insight_worker && argus_insight_worker_start(&insights, &cfg, msg, sizeof msg) != 0)
        argus_log(ARGUS_LOG_WARN, "logs will not be tagged with insights", "error=%s",
                  argus_log_quote(q, sizeof q, msg));

    argus_routes routes = {.cfg = &cfg, .writer = writer};
    /* The REST API (api.h): Lua handlers on their own worker pool. */
    argus_api *api_dispatch = NULL;
    /* The API reads through the read side of ARGUS_DB's store driver (store_read.h). */
    const argus_store_driver *driver = argus_store_driver_for(cfg.db_url, msg, sizeof msg);
    int readable = driver && driver->read;
    if (cfg.http_listen[0] && !readable)
        argus_log(ARGUS_LOG_WARN, "the REST API and UI are not served on this database yet",
                  "db=%s", cfg.db_scheme);
    else if (cfg.http_listen[0] &&
             argus_api_start(&api_dispatch, &cfg, writer, msg, sizeof msg) != 0) {
        argus_log(ARGUS_LOG_ERROR, "cannot start the REST API", "error=%s",
                  argus_log_quote(q, sizeof q, msg));
        argus_insight_worker_free(insights);
        argus_writer_stop(writer);
        argus_writer_free(writer);
        return 1;
    }
    routes.api_handle = readable ? api_handle : api_not_on_this_backend;
    routes.api = api_dispatch;
    argus_grpc *grpc = NULL;
    argus_http *otlp_http = NULL, *api = NULL;
    int failed = 0;
    cfg.grpc_max_connections = listener_share(cfg.grpc_max_connections);
    if (cfg.grpc_listen[0] && argus_grpc_start(&grpc, &cfg, writer, msg, sizeof msg) != 0) {
        argus_log(ARGUS_LOG_ERROR, "cannot start OTLP/gRPC", "error=%s",
                  argus_log_quote(q, sizeof q, msg));
        failed = 1;
    }
    if (grpc)
        argus_routes_add_ready_check(&routes, argus_grpc_ready, grpc);
    if (!failed && cfg.otlp_http_listen[0] &&
        start_listener(&otlp_http, &cfg, cfg.otlp_http_listen, "otlp-http",
                       "ARGUS_OTLP_HTTP_LISTEN", cfg.max_message_size, cfg.ingest_threads,
                       argus_routes_otlp, &routes) != 0)
        failed = 1;
    if (otlp_http)
        argus_routes_add_ready_check(&routes, argus_routes_listener_ready, otlp_http);
    if (!failed && cfg.http_listen[0] &&
        start_listener(&api, &cfg, cfg.http_listen, "api", "ARGUS_HTTP_LISTEN", cfg.http_max_body,
                       cfg.http_threads, argus_routes_api, &routes) != 0)
        failed = 1;

    int sig = 0;
    if (!failed) {
        argus_log(ARGUS_LOG_INFO, "started", "pid=%ld", (long)getpid());
        for (;;) {
            struct timespec wait = {cfg.stats_interval_s ? (time_t)cfg.stats_interval_s : 3600, 0};
            siginfo_t info;
            sig = sigtimedwait(&stop_signals, &info, &wait);
            if (sig == SIGINT || sig == SIGTERM)
                break;
            if (cfg.stats_interval_s)
                argus_stats_log();
        }
        argus_log(ARGUS_LOG_INFO, "shutting down", "signal=%s",
                  sig == SIGINT ? "SIGINT" : "SIGTERM");
    }

    /* Stop taking requests, commit what is queued (answering each call), then close. */
    argus_grpc_stop_accepting(grpc);
    argus_http_stop_accepting(otlp_http);
    argus_insight_worker_stop(insights); /* its connection closes before the writer's */
    argus_writer_stop(writer);
    argus_grpc_free(grpc, cfg.shutdown_timeout_ms);
    argus_http_free(otlp_http, cfg.shutdown_timeout_ms);
    argus_http_stop_accepting(api);
    argus_api_stop(api_dispatch); /* queued API requests answered, handlers finished */
    argus_http_free(api, 1000);
    argus_api_free(api_dispatch);
    argus_stats_log();
    argus_insight_worker_free(insights);
    argus_writer_free(writer);
    argus_log(failed ? ARGUS_LOG_ERROR : ARGUS_LOG_INFO,
              failed ? "stopped after an error" : "stopped", NULL);
    return failed ? 1 : 0;
}
