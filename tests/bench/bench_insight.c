/* Benchmark: ai_insight and log_template throughput over the labelled log set repeated, through
 * the core functions directly and through SQL (the extension linked statically).
 *   build/tests/bench/bench_insight [lines=500000]
 * Prints lines/s and MB/s; asserts nothing. The fixture is found next to this source file (or
 * under $ARGUS_SOURCE_DIR). */
#include "argus_insight.h"
#include "argus_log_template.h"
#include "argus_schema.h"
#include "argus_sqlite.h"
#include "bench_common.h"
#include "../support/argus_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct line {
    int severity;
    char *attrs;
    char *body;
    size_t body_len;
} line;

static const char *fixture(void)
{
    static char path[4096];
    const char *root = getenv("ARGUS_SOURCE_DIR");
    const char *cut = strstr(__FILE__, "bench/bench_insight.c");
    if (root)
        snprintf(path, sizeof path, "%s/tests/fixtures/insight/labelled.tsv", root);
    else if (cut)
        snprintf(path, sizeof path, "%.*sfixtures/insight/labelled.tsv", (int)(cut - __FILE__),
                 __FILE__);
    else
        snprintf(path, sizeof path, "tests/fixtures/insight/labelled.tsv");
    return path;
}

static line *load(size_t *n)
{
    FILE *f = fopen(fixture(), "r");
    if (!f) {
        fprintf(stderr, "bench_insight: cannot open %s\n", fixture());
        exit(1);
    }
    line *v = NULL;
    size_t cap = 0;
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t len;
    *n = 0;
    while ((len = getline(&buf, &bcap, f)) > 0) {
        if (buf[0] == '#')
            continue;
        if (buf[len - 1] == '\n')
            buf[len - 1] = '\0';
        char *t1 = strchr(buf, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
        if (!t3)
            continue;
        *t1 = *t2 = *t3 = '\0';
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            v = realloc(v, cap * sizeof *v);
            if (!v)
                exit(1);
        }
        v[*n].severity = atoi(t1 + 1);
        v[*n].attrs = strdup(t2 + 1);
        v[*n].body = strdup(t3 + 1);
        v[*n].body_len = argus_test_unescape(v[*n].body);
        (*n)++;
    }
    free(buf);
    fclose(f);
    return v;
}

static void report(const char *what, size_t lines, size_t bytes, double secs)
{
    printf("%-52s %9.0f lines/s  %7.1f MB/s  (%zu lines, %.3f s)\n", what, lines / secs,
           bytes / secs / 1e6, lines, secs);
}

static void sql_timed(sqlite3 *db, const char *what, const char *sql, size_t lines, size_t bytes)
{
    sqlite3_stmt *st = bench_prepare(db, sql);
    double t0 = bench_now();
    long long result = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        result = sqlite3_column_int64(st, 0);
    double t1 = bench_now();
    sqlite3_finalize(st);
    char label[128];
    snprintf(label, sizeof label, "%s [=%lld]", what, result);
    report(label, lines, bytes, t1 - t0);
}

int main(int argc, char **argv)
{
    size_t total = argc > 1 ? (size_t)atol(argv[1]) : 500000;
    size_t n;
    line *v = load(&n);
    size_t bytes = 0;
    for (size_t i = 0; i < total; i++)
        bytes += v[i % n].body_len;
    printf("bench_insight: %zu labelled lines repeated to %zu (%.1f MB of bodies)\n", n, total,
           bytes / 1e6);

    argus_error err;
    argus_insight_rules *rules;
    if (argus_insight_rules_new(NULL, 0, &rules, &err)) {
        fprintf(stderr, "bench_insight: %s\n", err.message);
        return 1;
    }
    argus_buf out;
    argus_buf_init(&out);
    size_t hits = 0;
    double t0 = bench_now();
    for (size_t i = 0; i < total; i++) {
        const line *l = &v[i % n];
        argus_buf_reset(&out);
        hits += argus_insight_eval(rules, l->body, l->body_len, l->severity, l->attrs,
                                   strlen(l->attrs), &out, &err) > 0;
    }
    report("core argus_insight_eval (built-in rules)", total, bytes, bench_now() - t0);
    printf("  %zu of %zu lines got an insight\n", hits, total);
    argus_insight_rules_free(rules);

    /* the same with 200 user rules on top */
    argus_insight_rule user[200];
    char pats[200][32];
    for (int k = 0; k < 200; k++) {
        snprintf(pats[k], sizeof pats[k], "custom failure %03d", k);
        user[k] = (argus_insight_rule){
            .id = k + 1, .pattern = pats[k], .category = "custom", .confidence = 0.8, .enabled = 1};
    }
    double tb = bench_now();
    if (argus_insight_rules_new(user, 200, &rules, &err)) {
        fprintf(stderr, "bench_insight: %s\n", err.message);
        return 1;
    }
    printf("  compiling built-in + 200 user rules: %.3f ms\n", (bench_now() - tb) * 1e3);
    t0 = bench_now();
    for (size_t i = 0; i < total; i++) {
        const line *l = &v[i % n];
        argus_buf_reset(&out);
        argus_insight_eval(rules, l->body, l->body_len, l->severity, l->attrs, strlen(l->attrs),
                           &out, &err);
    }
    report("core argus_insight_eval (+200 user rules)", total, bytes, bench_now() - t0);
    argus_insight_rules_free(rules);

    t0 = bench_now();
    size_t tbytes = 0;
    for (size_t i = 0; i < total; i++) {
        const line *l = &v[i % n];
        argus_buf_reset(&out);
        argus_log_template_render(l->body, l->body_len, &out, &err);
        tbytes += out.len;
    }
    report("core argus_log_template_render", total, bytes, bench_now() - t0);
    printf("  (templates average %.0f bytes)\n", (double)tbytes / (double)total);
    char id[17];
    t0 = bench_now();
    for (size_t i = 0; i < total; i++) {
        const line *l = &v[i % n];
        argus_log_template_id(l->body, l->body_len, &out, id, &err);
    }
    report("core argus_log_template_id", total, bytes, bench_now() - t0);
    argus_buf_free(&out);

    /* through SQL: an in-memory logs-like table */
    sqlite3 *db;
    char *zerr = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        argus_sqlite_register_all(db, &zerr) != SQLITE_OK || argus_schema_migrate(db, &zerr)) {
        fprintf(stderr, "bench_insight: setup: %s\n", zerr ? zerr : sqlite3_errmsg(db));
        return 1;
    }
    bench_exec(db, "CREATE TABLE b (body TEXT, severity INTEGER, attrs TEXT)");
    bench_exec(db, "BEGIN");
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO b VALUES (?, ?, ?)", -1, &ins, NULL);
    for (size_t i = 0; i < total; i++) {
        const line *l = &v[i % n];
        sqlite3_bind_text(ins, 1, l->body, (int)l->body_len, SQLITE_STATIC);
        sqlite3_bind_int(ins, 2, l->severity);
        sqlite3_bind_text(ins, 3, l->attrs, -1, SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    bench_exec(db, "COMMIT");
    sql_timed(db, "sql SELECT count(body) (scan baseline)", "SELECT count(body) FROM b", total,
              bytes);
    sql_timed(db, "sql count(ai_insight(body, severity, attrs))",
              "SELECT count(ai_insight(body, severity, attrs)) FROM b", total, bytes);
    bench_exec(db,
               "INSERT INTO insight_rules (pattern, category) VALUES ('card declined', 'payment')");
    sql_timed(db, "sql count(ai_insight(...)) with a user rule",
              "SELECT count(ai_insight(body, severity, attrs)) FROM b", total, bytes);
    sql_timed(db, "sql count(log_template(body))", "SELECT count(log_template(body)) FROM b", total,
              bytes);
    sql_timed(db, "sql count(DISTINCT log_pattern_id(body))",
              "SELECT count(DISTINCT log_pattern_id(body)) FROM b", total, bytes);
    sqlite3_close(db);
    for (size_t i = 0; i < n; i++) {
        free(v[i].attrs);
        free(v[i].body);
    }
    free(v);
    return 0;
}
