/* Benchmark of OTLP decoding and storing through SQL (prints figures, asserts nothing).
 *   build/tests/bench/bench_otlp [spans_per_request=1000] [requests=200] [db=/tmp/argus-bench.db]
 * Measures, on one realistic payload: raw protobuf-c unpack with an arena; the Argus decoder;
 * SELECT count(*) FROM otlp_spans(?); INSERT INTO span_records ... SELECT FROM otlp_spans(?); and a
 * hand-written prepared-statement insert of the same rows into the same schema. */
#include "argus_otlp_rows.h"
#include "bench_common.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- a realistic request: 5 services, HTTP/DB spans with typical attribute sets ------------ */

static Opentelemetry__Proto__Common__V1__AnyValue *sv(const char *s)
{
    Opentelemetry__Proto__Common__V1__AnyValue *v = calloc(1, sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
    v->string_value = strdup(s);
    return v;
}

static Opentelemetry__Proto__Common__V1__AnyValue *iv(int64_t i)
{
    Opentelemetry__Proto__Common__V1__AnyValue *v = calloc(1, sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
    v->int_value = i;
    return v;
}

static argus_pb_keyvalue *kv(const char *k, Opentelemetry__Proto__Common__V1__AnyValue *v)
{
    argus_pb_keyvalue *p = calloc(1, sizeof *p);
    opentelemetry__proto__common__v1__key_value__init(p);
    p->key = strdup(k);
    p->value = v;
    return p;
}

static uint8_t *make_request(int nspans, size_t *len)
{
    static const char *services[] = {"frontend", "checkout", "payments", "inventory", "shipping"};
    static const char *routes[] = {"/api/cart", "/api/checkout", "/api/orders/{id}", "/healthz",
                                   "/api/products"};
    unsigned seed = 42;
    int nres = 5;
    argus_pb_traces td;
    opentelemetry__proto__trace__v1__traces_data__init(&td);
    td.n_resource_spans = (size_t)nres;
    td.resource_spans = calloc((size_t)nres, sizeof *td.resource_spans);
    for (int r = 0; r < nres; r++) {
        argus_pb_resource_spans *rs = calloc(1, sizeof *rs);
        opentelemetry__proto__trace__v1__resource_spans__init(rs);
        argus_pb_resource *res = calloc(1, sizeof *res);
        opentelemetry__proto__resource__v1__resource__init(res);
        res->n_attributes = 5;
        res->attributes = calloc(5, sizeof *res->attributes);
        res->attributes[0] = kv("service.name", sv(services[r]));
        res->attributes[1] = kv("service.version", sv("1.4.2"));
        res->attributes[2] = kv("host.name", sv("ip-10-0-3-17"));
        res->attributes[3] = kv("telemetry.sdk.language", sv("nodejs"));
        res->attributes[4] = kv("deployment.environment", sv("production"));
        rs->resource = res;
        argus_pb_scope_spans *ss = calloc(1, sizeof *ss);
        opentelemetry__proto__trace__v1__scope_spans__init(ss);
        argus_pb_scope *scope = calloc(1, sizeof *scope);
        opentelemetry__proto__common__v1__instrumentation_scope__init(scope);
        scope->name = "@opentelemetry/instrumentation-http";
        scope->version = "0.52.1";
        ss->scope = scope;
        int n = nspans / nres + (r < nspans % nres);
        ss->n_spans = (size_t)n;
        ss->spans = calloc((size_t)n, sizeof *ss->spans);
        for (int i = 0; i < n; i++) {
            argus_pb_span *s = calloc(1, sizeof *s);
            opentelemetry__proto__trace__v1__span__init(s);
            uint8_t *tid = malloc(16), *sid = malloc(8), *pid = malloc(8);
            for (int k = 0; k < 16; k++)
                tid[k] = (uint8_t)(rand_r(&seed) | 1);
            for (int k = 0; k < 8; k++) {
                sid[k] = (uint8_t)(rand_r(&seed) | 1);
                pid[k] = (uint8_t)(rand_r(&seed) | 1);
            }
            s->trace_id = (ProtobufCBinaryData){16, tid};
            s->span_id = (ProtobufCBinaryData){8, sid};
            if (i % 4)
                s->parent_span_id = (ProtobufCBinaryData){8, pid};
            s->name = strdup(i % 3 ? "SELECT orders" : "GET /api/orders/{id}");
            s->kind = i % 3 ? 3 : 2;
            s->flags = 0x101;
            s->start_time_unix_nano = 1700000000000000000ULL + (uint64_t)i * 1000000ULL;
            s->end_time_unix_nano =
                s->start_time_unix_nano + 1000000ULL + (uint64_t)(rand_r(&seed) % 50000000);
            s->n_attributes = 7;
            s->attributes = calloc(7, sizeof *s->attributes);
            s->attributes[0] = kv("http.request.method", sv("GET"));
            s->attributes[1] = kv("http.route", sv(routes[i % 5]));
            s->attributes[2] = kv("http.response.status_code", iv(i % 17 ? 200 : 503));
            s->attributes[3] =
                kv("url.full", sv("http://checkout:8080/api/orders/84213?expand=items"));
            s->attributes[4] = kv("server.address", sv("checkout.internal"));
            s->attributes[5] =
                kv("db.statement", sv("SELECT * FROM orders WHERE id = $1 AND tenant_id = $2"));
            s->attributes[6] = kv("user_agent.original", sv("Mozilla/5.0 (X11; Linux x86_64)"));
            Opentelemetry__Proto__Trace__V1__Status *st = calloc(1, sizeof *st);
            opentelemetry__proto__trace__v1__status__init(st);
            st->code = i % 17 ? 0 : 2;
            s->status = st;
            ss->spans[i] = s;
        }
        rs->n_scope_spans = 1;
        rs->scope_spans = calloc(1, sizeof *rs->scope_spans);
        rs->scope_spans[0] = ss;
        td.resource_spans[r] = rs;
    }
    *len = opentelemetry__proto__trace__v1__traces_data__get_packed_size(&td);
    uint8_t *buf = malloc(*len);
    opentelemetry__proto__trace__v1__traces_data__pack(&td, buf);
    /* The request structs are left to process exit: a benchmark, built once. */
    return buf;
}

/* The columns span_records stores, filled in by main (bench_stored_columns). */
static bench_columns COLS;

/* Runs st (an INSERT ... SELECT FROM otlp_spans(?1)) nreq times, 10 per transaction, with ?1
 * the payload, or the decoded `pre` when not NULL; returns the seconds taken (exits on error). */
static double insert_requests(sqlite3 *db, sqlite3_stmt *st, int nreq, const void *payload,
                              size_t len, argus_otlp_traces *pre)
{
    double t0 = bench_now();
    for (int i = 0; i < nreq; i++) {
        if (i % 10 == 0)
            bench_exec(db, "BEGIN");
        if (pre)
            sqlite3_bind_pointer(st, 1, pre, ARGUS_POINTER_TRACES, NULL);
        else
            sqlite3_bind_blob(st, 1, payload, (int)len, SQLITE_STATIC);
        bench_step_done(db, st, "insert");
        if (i % 10 == 9 || i == nreq - 1)
            bench_exec(db, "COMMIT");
    }
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    int nspans = argc > 1 ? atoi(argv[1]) : 1000;
    int nreq = argc > 2 ? atoi(argv[2]) : 200;
    const char *path = argc > 3 ? argv[3] : "/tmp/argus-bench.db";
    bench_stored_columns(ARGUS_SIGNAL_TRACES, &COLS);
    size_t len;
    uint8_t *payload = make_request(nspans, &len);
    double total = (double)nspans * nreq;
    const char *dump = getenv("ARGUS_BENCH_DUMP"); /* write the payload there, for other tools */
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (f) {
            fwrite(payload, 1, len, f);
            fclose(f);
        }
    }
    printf("payload: %d spans, %zu bytes (%.0f bytes/span); %d requests per measurement\n", nspans,
           len, (double)len / nspans, nreq);

    /* 1. raw protobuf-c unpack into an arena */
    argus_arena arena;
    argus_arena_init(&arena, 0);
    ProtobufCAllocator pa = argus_arena_protobuf(&arena);
    double t0 = bench_now();
    for (int i = 0; i < nreq; i++) {
        argus_arena_reset(&arena);
        if (!protobuf_c_message_unpack(&opentelemetry__proto__trace__v1__traces_data__descriptor,
                                       &pa, len, payload))
            return 1;
    }
    double raw = total / (bench_now() - t0);
    argus_arena_free(&arena);
    printf("%-58s %10.0f spans/s\n", "protobuf-c unpack (arena)", raw);

    /* 2. the Argus decoder (wire check + unpack + validation) */
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    argus_error err;
    t0 = bench_now();
    for (int i = 0; i < nreq; i++)
        if (argus_otlp_traces_decode(&t, payload, len, &err))
            return 1;
    printf("%-58s %10.0f spans/s\n", "argus_otlp_traces_decode", total / (bench_now() - t0));

    /* 3. SELECT count(*) FROM otlp_spans(?) */
    sqlite3 *db = bench_open_db(path);
    sqlite3_stmt *st;
    st = bench_prepare(db, "SELECT count(*) FROM otlp_spans(?1)");
    t0 = bench_now();
    for (int i = 0; i < nreq; i++) {
        sqlite3_bind_blob(st, 1, payload, (int)len, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    double tvf = total / (bench_now() - t0);
    sqlite3_finalize(st);
    printf("%-58s %10.0f spans/s (%.0f%% of raw unpack)\n", "SELECT count(*) FROM otlp_spans(?)",
           tvf, 100 * tvf / raw);

    /* 3b. every column rendered */
    st = bench_prepare(db, "SELECT * FROM otlp_spans(?1)");
    t0 = bench_now();
    for (int i = 0; i < nreq; i++) {
        sqlite3_bind_blob(st, 1, payload, (int)len, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            for (int c = 0; c < ARGUS_SPAN_NCOLUMNS; c++)
                sqlite3_column_text(st, c);
        sqlite3_reset(st);
    }
    printf("%-58s %10.0f spans/s\n", "SELECT * FROM otlp_spans(?) (all columns read)",
           total / (bench_now() - t0));
    sqlite3_finalize(st);

    /* 4. INSERT INTO span_records ... SELECT ... FROM otlp_spans(?), 10 requests per transaction */
    char sql[2048];
    snprintf(sql, sizeof sql, "INSERT INTO span_records (%s) SELECT %s FROM otlp_spans(?1)",
             COLS.names, COLS.names);
    st = bench_prepare(db, sql);
    double viasql = total / insert_requests(db, st, nreq, payload, len, NULL);
    printf("%-58s %10.0f spans/s\n", "INSERT INTO span_records SELECT FROM otlp_spans(?)", viasql);

    /* 4b. the same from a payload decoded and rendered beforehand (the server's writer) */
    sqlite3_finalize(st);
    sqlite3_close(db);
    db = bench_open_db(path);
    st = bench_prepare(db, sql);
    argus_otlp_traces pre;
    argus_otlp_traces_init(&pre);
    if (argus_otlp_traces_decode(&pre, payload, len, &err) || argus_otlp_render(&pre, &err))
        return 1;
    printf("%-58s %10.0f spans/s\n", "  ... rows decoded and rendered beforehand",
           total / insert_requests(db, st, nreq, payload, len, &pre));
    argus_otlp_traces_free(&pre);
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* 5. hand-written prepared insert of the same rows, values rendered beforehand */
    db = bench_open_db(path);
    argus_otlp_traces_decode(&t, payload, len, &err);
    typedef struct {
        argus_value v[ARGUS_SPAN_NCOLUMNS];
    } row;
    row *rows = calloc((size_t)nspans, sizeof *rows);
    argus_buf scratch;
    argus_buf_init(&scratch);
    int n = 0;
    for (argus_otlp_iter it = argus_otlp_iter_start(&t); argus_otlp_iter_next(&it); n++)
        for (int c = 0; c < COLS.n; c++) {
            argus_otlp_span_column(&it, COLS.map[c], &rows[n].v[c], &scratch);
            if (rows[n].v[c].type == ARGUS_VAL_TEXT || rows[n].v[c].type == ARGUS_VAL_JSON)
                rows[n].v[c].s = strndup(rows[n].v[c].s, rows[n].v[c].n);
        }
    int sl = snprintf(sql, sizeof sql, "INSERT INTO span_records (%s) VALUES (", COLS.names);
    for (int c = 0; c < COLS.n; c++)
        sl += snprintf(sql + sl, sizeof sql - (size_t)sl, c + 1 < COLS.n ? "?," : "?)");
    st = bench_prepare(db, sql);
    t0 = bench_now();
    for (int i = 0; i < nreq; i++) {
        if (i % 10 == 0)
            bench_exec(db, "BEGIN");
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < COLS.n; c++)
                bench_bind_value(st, c + 1, &rows[r].v[c]);
            bench_step_done(db, st, "hand-written insert");
        }
        if (i % 10 == 9 || i == nreq - 1)
            bench_exec(db, "COMMIT");
    }
    double hand = total / (bench_now() - t0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    printf("%-58s %10.0f spans/s\n", "hand-written INSERT, values rendered beforehand", hand);

    /* 5b. a hand-written ingest program: decode with the core, render, bind, insert */
    db = bench_open_db(path);
    st = bench_prepare(db, sql);
    argus_buf cols[ARGUS_SPAN_NCOLUMNS];
    for (int c = 0; c < COLS.n; c++)
        argus_buf_init(&cols[c]);
    t0 = bench_now();
    for (int i = 0; i < nreq; i++) {
        if (i % 10 == 0)
            bench_exec(db, "BEGIN");
        if (argus_otlp_traces_decode(&t, payload, len, &err))
            return 1;
        /* resource_id: hashed once per resource, as the virtual table does */
        argus_value res_id = {0};
        size_t res_of = SIZE_MAX;
        for (argus_otlp_iter it = argus_otlp_iter_start(&t); argus_otlp_iter_next(&it);) {
            for (int c = 0; c < COLS.n; c++) {
                argus_value v;
                if (COLS.map[c] == ARGUS_SPAN_RESOURCE_ID) {
                    if (it.ri != res_of) {
                        argus_otlp_span_column(&it, COLS.map[c], &res_id, &cols[c]);
                        res_of = it.ri;
                    }
                    v = res_id;
                } else {
                    argus_otlp_span_column(&it, COLS.map[c], &v, &cols[c]);
                }
                bench_bind_value(st, c + 1, &v);
            }
            bench_step_done(db, st, "hand-written insert");
        }
        if (i % 10 == 9 || i == nreq - 1)
            bench_exec(db, "COMMIT");
    }
    double hand2 = total / (bench_now() - t0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    for (int c = 0; c < COLS.n; c++)
        argus_buf_free(&cols[c]);
    printf("%-58s %10.0f spans/s\n", "hand-written decode + render + prepared INSERT", hand2);
    printf("%-58s %10.0f%%\n", "storing through SQL vs hand-written decode+insert",
           100 * viasql / hand2);
    printf("%-58s %10.0f%%\n", "storing through SQL vs pre-rendered insert", 100 * viasql / hand);

    /* 6. the full ingest path: every sql/sqlite/ingest/spans_* statement per request */
    db = bench_open_db(path);
    double full = bench_ingest(db, "spans", &t, ARGUS_POINTER_TRACES, nreq, (size_t)nspans);
    printf("%-58s %10.0f spans/s (decoded once)\n",
           "full ingest (spans + traces summary + rollups)", full);
    sqlite3_close(db);
    argus_otlp_traces_free(&t);
    argus_buf_free(&scratch);
    free(payload);
    return 0;
}
