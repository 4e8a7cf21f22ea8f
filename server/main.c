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
#include "writer.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The connection limits and timeouts both HTTP listeners share. */
static argus_http_options http_options(const argus_config *cfg)
{
    return (argus_http_options){.max_connections = cfg->http_max_connections,
                                .max_per_address = cfg->http_max_per_address,
                                .header_timeout_ms = cfg->http_header_timeout_ms,
                                .body_timeout_ms = cfg->http_body_timeout_ms,
                                .idle_timeout_ms = cfg->http_idle_timeout_ms,
                                .min_rate = (unsigned)cfg->http_min_rate};
}

static int api_handle(void *api, argus_http_request *req)
{
    return argus_api_handle(api, req);
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
    unsigned long fds = argus_http_raise_fd_limit();
    argus_log(ARGUS_LOG_DEBUG, "open-file limit", "nofile=%lu", fds);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    atomic_store(&argus_stats_get()->started_unix_ns, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);

    char q[1100], db[1100], dbq[1200];
    argus_config_db_url_redacted(&cfg, db, sizeof db);
    argus_log_quote(dbq, sizeof dbq, db);
    argus_writer *writer = NULL;
    if (argus_writer_start(&writer, &cfg, msg, sizeof msg) != 0) {
        argus_log(ARGUS_LOG_ERROR, "cannot open the database", "db=%s error=%s", dbq,
                  argus_log_quote(q, sizeof q, msg));
        return 1;
    }
    argus_log(ARGUS_LOG_INFO, "database ready", "db=%s synchronous=%s", dbq,
              cfg.sqlite_synchronous);

    argus_insight_worker *insights = NULL;
    if (cfg.insight_worker && argus_insight_worker_start(&insights, &cfg, msg, sizeof msg) != 0)
        argus_log(ARGUS_LOG_WARN, "logs will not be tagged with insights", "error=%s",
                  argus_log_quote(q, sizeof q, msg));

    argus_routes routes = {.cfg = &cfg, .writer = writer};
    /* The REST API (api.h): Lua handlers on their own worker pool. */
    argus_api *api_dispatch = NULL;
    if (cfg.http_listen[0] && argus_api_start(&api_dispatch, &cfg, writer, msg, sizeof msg) != 0) {
        argus_log(ARGUS_LOG_ERROR, "cannot start the REST API", "error=%s",
                  argus_log_quote(q, sizeof q, msg));
        argus_insight_worker_free(insights);
        argus_writer_stop(writer);
        argus_writer_free(writer);
        return 1;
    }
    routes.api_handle = api_handle;
    routes.api = api_dispatch;
    argus_grpc *grpc = NULL;
    argus_http *otlp_http = NULL, *api = NULL;
    int failed = 0;
    if (cfg.grpc_listen[0] && argus_grpc_start(&grpc, &cfg, writer, msg, sizeof msg) != 0) {
        argus_log(ARGUS_LOG_ERROR, "cannot start OTLP/gRPC", "error=%s",
                  argus_log_quote(q, sizeof q, msg));
        failed = 1;
    }
    if (!failed && cfg.otlp_http_listen[0]) {
        argus_http_options o = http_options(&cfg);
        o.listen = cfg.otlp_http_listen;
        o.name = "otlp-http";
        o.max_body = cfg.max_message_size;
        o.threads = cfg.ingest_threads;
        o.handler = argus_routes_otlp;
        o.ctx = &routes;
        if (argus_http_start(&otlp_http, &o, msg, sizeof msg) != 0) {
            argus_log(ARGUS_LOG_ERROR, "cannot start OTLP/HTTP",
                      "key=ARGUS_OTLP_HTTP_LISTEN error=%s", argus_log_quote(q, sizeof q, msg));
            failed = 1;
        }
    }
    if (otlp_http)
        argus_routes_add_ready_check(&routes, argus_routes_listener_ready, otlp_http);
    if (!failed && cfg.http_listen[0]) {
        argus_http_options o = http_options(&cfg);
        o.listen = cfg.http_listen;
        o.name = "api";
        o.max_body = cfg.http_max_body;
        o.threads = cfg.http_threads;
        o.handler = argus_routes_api;
        o.ctx = &routes;
        if (argus_http_start(&api, &o, msg, sizeof msg) != 0) {
            argus_log(ARGUS_LOG_ERROR, "cannot start the API listener",
                      "key=ARGUS_HTTP_LISTEN error=%s", argus_log_quote(q, sizeof q, msg));
            failed = 1;
        }
    }

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
