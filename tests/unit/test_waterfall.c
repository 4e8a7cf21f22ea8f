/* Unit tests of trace waterfall assembly: the core (ext/core/waterfall.c) and, through an
 * in-memory database, trace_waterfall() and waterfall_json() (ext/sqlite/waterfall_sqlite.c).
 *   build/tests/unit/test_waterfall
 * Shapes are written as "id:parent:start:end[:kind[:status]]" lists; results are compared as
 * strings ("r .a ..b" = display order with one dot per depth) so failures show the whole tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "argus_sqlite.h"
#include "argus_waterfall.h"
#include "../support/argus_test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct tree {
    argus_waterfall_span *spans;
    argus_waterfall_row *rows;
    size_t n;
    char *text; /* owns the id strings */
} tree;

/* Parses "r::0:100 a:r:10:40:3:2 ..." (parent may be empty; kind and status optional). */
static tree parse(const char *shape)
{
    tree t = {0};
    t.text = strdup(shape);
    size_t cap = 1;
    for (const char *p = shape; *p; p++)
        cap += *p == ' ';
    t.spans = calloc(cap, sizeof *t.spans);
    t.rows = calloc(cap, sizeof *t.rows);
    char *save = NULL;
    for (char *tok = strtok_r(t.text, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        argus_waterfall_span *s = &t.spans[t.n];
        char *f[6] = {0};
        int nf = 0;
        for (char *c = tok; nf < 6;) {
            f[nf++] = c;
            c = strchr(c, ':');
            if (!c)
                break;
            *c++ = '\0';
        }
        assert_true(nf >= 4);
        s->span_id = f[0];
        s->span_id_len = strlen(f[0]);
        s->parent_span_id = f[1][0] ? f[1] : NULL;
        s->parent_span_id_len = strlen(f[1]);
        s->start_ns = strtoll(f[2], NULL, 10);
        s->end_ns = strtoll(f[3], NULL, 10);
        s->kind = nf > 4 ? atoi(f[4]) : 1;
        s->status_code = nf > 5 ? atoi(f[5]) : 0;
        s->index = (int64_t)t.n;
        t.n++;
    }
    return t;
}

static void tree_free(tree *t)
{
    free(t->spans);
    free(t->rows);
    free(t->text);
}

/* Checks what must hold for every assembly: each span once, parents shown before their children
 * and one level above them, child_count consistent. */
static void check_invariants(const tree *t)
{
    char *seen = calloc(t->n ? t->n : 1, 1);
    int64_t *kids = calloc(t->n ? t->n : 1, sizeof(int64_t));
    for (size_t k = 0; k < t->n; k++) {
        const argus_waterfall_row *r = &t->rows[k];
        if (r->span >= t->n || seen[r->span])
            fail_msg("row %zu: span %zu shown twice or out of range (n = %zu)", k, r->span, t->n);
        seen[r->span] = 1;
        if (r->parent == ARGUS_WATERFALL_NONE) {
            if (r->depth != 0)
                fail_msg("row %zu: root with depth %d, expected 0", k, r->depth);
            continue;
        }
        if (r->parent >= k)
            fail_msg("row %zu: parent row %zu is not before it", k, r->parent);
        if (r->depth != t->rows[r->parent].depth + 1)
            fail_msg("row %zu: depth %d, expected parent depth + 1 = %d", k, r->depth,
                     t->rows[r->parent].depth + 1);
        kids[r->parent]++;
    }
    for (size_t k = 0; k < t->n; k++)
        if (kids[k] != t->rows[k].child_count)
            fail_msg("row %zu: child_count %lld, expected %lld", k,
                     (long long)t->rows[k].child_count, (long long)kids[k]);
    free(seen);
    free(kids);
}

static tree build(const char *shape)
{
    tree t = parse(shape);
    argus_error err;
    argus_error_clear(&err);
    int rc = argus_waterfall_build(t.spans, t.n, t.rows, &err);
    if (rc)
        fail_msg("argus_waterfall_build: expected 0, got %d (%s)", rc, err.message);
    check_invariants(&t);
    return t;
}

/* "r .a ..b": ids in display order, one dot per depth level. */
static const char *order_of(const tree *t)
{
    static char buf[4096];
    size_t at = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < t->n && at < sizeof buf - 64; k++) {
        const argus_waterfall_row *r = &t->rows[k];
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%.*s%s", k ? " " : "", r->depth,
                               "..........", t->spans[r->span].span_id);
    }
    return buf;
}

/* The ids of the rows for which flag(row) is set, in display order. */
static const char *ids_where(const tree *t, int which)
{
    static char buf[4096];
    size_t at = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < t->n && at < sizeof buf - 64; k++) {
        const argus_waterfall_row *r = &t->rows[k];
        int v = which == 0   ? r->is_critical
                : which == 1 ? r->is_orphan
                : which == 2 ? r->is_duplicate
                : which == 3 ? r->has_error
                             : r->descendant_error;
        if (v)
            at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", at ? " " : "",
                                   t->spans[r->span].span_id);
    }
    return buf;
}
#define CRITICAL 0
#define ORPHAN 1
#define DUPLICATE 2
#define ERROR 3
#define DESC_ERROR 4

/* The row of the span with this id (the first such row). */
static const argus_waterfall_row *row_of(const tree *t, const char *id)
{
    for (size_t k = 0; k < t->n; k++)
        if (strcmp(t->spans[t->rows[k].span].span_id, id) == 0)
            return &t->rows[k];
    fail_msg("span %s not in the output", id);
    return NULL;
}

static void test_empty(void **state)
{
    (void)state;
    argus_error err;
    argus_error_clear(&err);
    assert_int_equal(argus_waterfall_build(NULL, 0, NULL, &err), 0);
    argus_buf b;
    argus_buf_init(&b);
    assert_int_equal(argus_waterfall_json(&b, NULL, 0, &err), 0);
    assert_string_equal(argus_buf_cstr(&b), "[]");
    argus_buf_free(&b);
}

static void test_single(void **state)
{
    (void)state;
    tree t = build("only::1000:1500:2:2");
    assert_string_equal(order_of(&t), "only");
    const argus_waterfall_row *r = &t.rows[0];
    assert_int_equal(r->offset_ns, 0);
    assert_int_equal(r->duration_ns, 500);
    assert_int_equal(r->self_ns, 500);
    assert_int_equal(r->child_count, 0);
    assert_string_equal(ids_where(&t, CRITICAL), "only");
    assert_string_equal(ids_where(&t, ERROR), "only");
    assert_string_equal(ids_where(&t, DESC_ERROR), "");
    assert_int_equal(r->span, 0);
    tree_free(&t);
}

static void test_order_and_self_time(void **state)
{
    (void)state;
    /* Input shuffled on purpose; children sorted by start, ties by span id. */
    tree t = build("c:r:70:90 b:r:20:60:1:2 r::0:100 d:b:25:50 a:r:10:40 e:b:25:30");
    assert_string_equal(order_of(&t), "r .a .b ..d ..e .c");
    /* r: 100 - union([10,60], [70,90]) = 100 - 70 */
    assert_int_equal(row_of(&t, "r")->self_ns, 30);
    /* b: 40 - union([25,50], [25,30]) = 15 (overlapping children counted once) */
    assert_int_equal(row_of(&t, "b")->self_ns, 15);
    assert_int_equal(row_of(&t, "d")->offset_ns, 25);
    assert_int_equal(row_of(&t, "c")->offset_ns, 70);
    assert_int_equal(row_of(&t, "r")->child_count, 3);
    assert_string_equal(ids_where(&t, ERROR), "b");
    assert_string_equal(ids_where(&t, DESC_ERROR), "r");
    tree_free(&t);
}

static void test_offsets_from_earliest_start(void **state)
{
    (void)state;
    /* The orphan starts before the root: offsets count from it, and it sorts first. */
    tree t = build("r::1000:2000 x:missing:900:950");
    assert_string_equal(order_of(&t), "x r");
    assert_int_equal(row_of(&t, "x")->offset_ns, 0);
    assert_int_equal(row_of(&t, "r")->offset_ns, 100);
    tree_free(&t);
}

static void test_orphans(void **state)
{
    (void)state;
    tree t = build("r::0:100 a:r:10:20 o:gone:30:60 oc:o:35:40 p:gone2:50:55");
    assert_string_equal(order_of(&t), "r .a o .oc p");
    assert_string_equal(ids_where(&t, ORPHAN), "o p");
    /* Each root gets its own critical path. */
    assert_string_equal(ids_where(&t, CRITICAL), "r a o oc p");
    tree_free(&t);
}

static void test_cycles(void **state)
{
    (void)state;
    /* a -> b -> a: cut at the earlier-starting a. */
    tree t = build("a:b:0:10 b:a:5:8");
    assert_string_equal(order_of(&t), "a .b");
    assert_string_equal(ids_where(&t, ORPHAN), "a");
    tree_free(&t);

    /* Self parent. */
    t = build("s:s:0:10 k:s:2:3");
    assert_string_equal(order_of(&t), "s .k");
    assert_string_equal(ids_where(&t, ORPHAN), "s");
    tree_free(&t);

    /* A three-cycle with a tail hanging off it and a separate normal tree: the cut goes to the
     * first of the cycle in (start, id) order, whatever order the input came in. */
    t = build("z::0:1 y:x:30:40 x:w:20:50 w:y:25:30 tail:x:21:22");
    assert_string_equal(order_of(&t), "z x .tail .y ..w");
    assert_string_equal(ids_where(&t, ORPHAN), "x");
    tree_free(&t);
    t = build("w:y:25:30 tail:x:21:22 x:w:20:50 z::0:1 y:x:30:40");
    assert_string_equal(order_of(&t), "z x .tail .y ..w");
    tree_free(&t);
}

static void test_duplicates(void **state)
{
    (void)state;
    /* Two spans with id d: the first in (start, ...) order keeps the id and the child. */
    tree t = build("r::0:100 d:r:40:60 d:r:10:30 k:d:12:20");
    assert_string_equal(order_of(&t), "r .d ..k .d");
    assert_int_equal(row_of(&t, "d")->duration_ns, 20); /* the first row is the 10..30 one */
    assert_string_equal(ids_where(&t, DUPLICATE), "d");
    assert_int_equal(t.rows[3].is_duplicate, 1);
    assert_int_equal(t.rows[3].child_count, 0);
    assert_int_equal(t.rows[3].span, 1);
    tree_free(&t);

    /* Fully identical rows: both kept, the later input position is the duplicate. */
    t = build("r::0:10 r::0:10");
    assert_string_equal(order_of(&t), "r r");
    assert_int_equal(t.rows[0].span, 0);
    assert_int_equal(t.rows[1].span, 1);
    assert_int_equal(t.rows[1].is_duplicate, 1);
    tree_free(&t);
}

static void test_zero_durations(void **state)
{
    (void)state;
    tree t = build("r::100:100 a:r:100:100 b:r:100:100");
    assert_string_equal(order_of(&t), "r .a .b");
    for (size_t k = 0; k < t.n; k++) {
        assert_int_equal(t.rows[k].duration_ns, 0);
        assert_int_equal(t.rows[k].self_ns, 0);
        assert_int_equal(t.rows[k].offset_ns, 0);
    }
    tree_free(&t);
    /* An end before the start counts as zero duration. */
    t = build("r::100:50");
    assert_int_equal(t.rows[0].duration_ns, 0);
    tree_free(&t);
}

static void test_children_outside_parent(void **state)
{
    (void)state;
    /* early starts before r, late ends after it, out is entirely after r. */
    tree t = build("r::100:200 early:r:50:150 late:r:180:300 out:r:250:260");
    assert_string_equal(order_of(&t), "r .early .late .out");
    /* Clipped to r: [100,150] and [180,200] cover 70 of 100. */
    assert_int_equal(row_of(&t, "r")->self_ns, 30);
    assert_int_equal(row_of(&t, "early")->offset_ns, 0);
    assert_int_equal(row_of(&t, "r")->offset_ns, 50);
    /* late (clipped end 200) is walked first, then early (ends 150 < 180); out is ignored. */
    assert_string_equal(ids_where(&t, CRITICAL), "r early late");
    tree_free(&t);
}

static void test_critical_fan_out(void **state)
{
    (void)state;
    /* Classic: root fans out to three parallel calls then one sequential call. The longest of the
     * parallel calls (b) and the trailing call (d) are critical, and inside d only its last
     * sequential step chain. */
    tree t = build("root::0:100 a:root:10:30 b:root:10:50 c:root:10:40 d:root:55:95 "
                   "d1:d:60:70 d2:d:72:90 d3:d:60:88");
    assert_string_equal(order_of(&t), "root .a .b .c .d ..d1 ..d3 ..d2");
    /* From d: last finishing d2 (90); before 72: d1 (ends 70) — d3 overlaps d2, not critical. */
    assert_string_equal(ids_where(&t, CRITICAL), "root b d d1 d2");
    tree_free(&t);
}

static void test_producer_consumer(void **state)
{
    (void)state;
    /* server -> producer (publish) -> consumer (process, long after publish returns). The
     * consumer does not block the producer: the critical path stops at the producer. */
    tree t = build("srv::0:100:2 work:srv:5:40:1 pub:srv:50:60:4 proc:pub:55:59:5 "
                   "child:proc:56:58:1");
    assert_string_equal(order_of(&t), "srv .work .pub ..proc ...child");
    assert_string_equal(ids_where(&t, CRITICAL), "srv work pub");
    /* Self time still subtracts the consumer: it ran inside the producer's interval. */
    assert_int_equal(row_of(&t, "pub")->self_ns, 6);
    tree_free(&t);

    /* A consumer under a non-producer parent is an ordinary child. */
    t = build("srv::0:100:2 proc:srv:10:90:5");
    assert_string_equal(ids_where(&t, CRITICAL), "srv proc");
    tree_free(&t);
}

static void test_descendant_error(void **state)
{
    (void)state;
    tree t = build("r::0:100 a:r:1:50 b:a:2:40 c:b:3:30:1:2 s:r:60:70:1:2");
    assert_string_equal(ids_where(&t, ERROR), "c s");
    assert_string_equal(ids_where(&t, DESC_ERROR), "r a b");
    tree_free(&t);
}

static void test_deep_chain(void **state)
{
    (void)state;
    enum { N = 100000 }; /* far deeper than any recursion could survive */
    argus_waterfall_span *s = calloc(N, sizeof *s);
    argus_waterfall_row *rows = calloc(N, sizeof *rows);
    char(*ids)[16] = calloc(N, 16);
    for (size_t i = 0; i < N; i++) {
        snprintf(ids[i], 16, "%zx", i);
        /* Stored backwards to make sure order does not come from the input. */
        size_t at = N - 1 - i;
        s[at].span_id = ids[i];
        s[at].span_id_len = strlen(ids[i]);
        s[at].parent_span_id = i ? ids[i - 1] : NULL;
        s[at].parent_span_id_len = i ? strlen(ids[i - 1]) : 0;
        s[at].start_ns = (int64_t)i;
        s[at].end_ns = 2 * N - (int64_t)i;
    }
    argus_error err;
    argus_error_clear(&err);
    assert_int_equal(argus_waterfall_build(s, N, rows, &err), 0);
    for (size_t k = 0; k < N; k++) {
        if (rows[k].depth != (int)k || !rows[k].is_critical)
            fail_msg("row %zu: expected depth %zu on the critical path, got depth %d critical %d",
                     k, k, rows[k].depth, rows[k].is_critical);
    }
    assert_int_equal(rows[N - 1].self_ns, 2 * N - 2 * (N - 1));
    /* And a chain of 1000 through the SQL-facing JSON path. */
    argus_buf b;
    argus_buf_init(&b);
    assert_int_equal(argus_waterfall_json(&b, s + (N - 1000), 1000, &err), 0);
    assert_non_null(strstr(argus_buf_cstr(&b), "\"depth\":999,"));
    argus_buf_free(&b);
    free(s);
    free(rows);
    free(ids);
}

static void test_cycle_ring_large(void **state)
{
    (void)state;
    /* 10k spans in one big ring: exactly one cut, everything shown once. */
    enum { N = 10000 };
    argus_waterfall_span *s = calloc(N, sizeof *s);
    argus_waterfall_row *rows = calloc(N, sizeof *rows);
    char(*ids)[16] = calloc(N, 16);
    for (size_t i = 0; i < N; i++)
        snprintf(ids[i], 16, "%05zu", i);
    for (size_t i = 0; i < N; i++) {
        s[i].span_id = ids[i];
        s[i].span_id_len = 5;
        s[i].parent_span_id = ids[(i + 1) % N];
        s[i].parent_span_id_len = 5;
        s[i].start_ns = 7;
        s[i].end_ns = 9;
    }
    argus_error err;
    argus_error_clear(&err);
    assert_int_equal(argus_waterfall_build(s, N, rows, &err), 0);
    tree t = {s, rows, N, NULL};
    check_invariants(&t);
    assert_int_equal(rows[0].span, 0); /* "00000" is first in (start, id) order */
    assert_int_equal(rows[0].is_orphan, 1);
    assert_int_equal(rows[N - 1].depth, N - 1);
    free(s);
    free(rows);
    free(ids);
}

static void test_10k_spans(void **state)
{
    (void)state;
    enum { N = 10000 };
    argus_waterfall_span *s = calloc(N, sizeof *s);
    argus_waterfall_row *rows = calloc(N, sizeof *rows);
    char(*ids)[17] = calloc(N, 17);
    unsigned rnd = 12345;
    for (size_t i = 0; i < N; i++) {
        snprintf(ids[i], 17, "%016zx", i * 2654435761u);
        rnd = rnd * 1103515245 + 12345;
        size_t parent = i ? (rnd >> 8) % i : 0;
        s[i].span_id = ids[i];
        s[i].span_id_len = 16;
        s[i].parent_span_id = i ? ids[parent] : NULL;
        s[i].parent_span_id_len = i ? 16 : 0;
        s[i].start_ns = 1700000000000000000 + (int64_t)(rnd % 1000000);
        s[i].end_ns = s[i].start_ns + (int64_t)((rnd >> 4) % 50000);
        s[i].status_code = (rnd >> 3) % 97 == 0 ? 2 : 0;
    }
    argus_error err;
    argus_error_clear(&err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(argus_waterfall_build(s, N, rows, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    tree t = {s, rows, N, NULL};
    check_invariants(&t);
    assert_int_equal(rows[0].span, 0);
    /* Siblings appear in start order. */
    for (size_t k = 1; k < N; k++) {
        for (size_t j = k + 1; j < N && rows[j].depth >= rows[k].depth; j++) {
            if (rows[j].depth == rows[k].depth && rows[j].parent == rows[k].parent) {
                if (s[rows[j].span].start_ns < s[rows[k].span].start_ns)
                    fail_msg("rows %zu and %zu: siblings out of start order", k, j);
                break;
            }
        }
    }
    /* Generous bound so a loaded CI machine passes; typically ~2 ms. */
    if (ms > 200)
        fail_msg("10k spans took %.1f ms, expected well under 200 ms", ms);
    free(s);
    free(rows);
    free(ids);
}

static void test_limit(void **state)
{
    (void)state;
    argus_waterfall_span one = {0};
    argus_error err;
    argus_error_clear(&err);
    int rc = argus_waterfall_build(&one, (size_t)ARGUS_WATERFALL_MAX_SPANS + 1, NULL, &err);
    assert_int_equal(rc, ARGUS_ELIMIT);
    assert_non_null(strstr(err.message, "waterfall: "));
}

static void test_json_and_set(void **state)
{
    (void)state;
    argus_waterfall_set set;
    argus_waterfall_set_init(&set);
    argus_error err;
    argus_error_clear(&err);
    char id[8], parent[8], name[8];
    strcpy(id, "r");
    argus_waterfall_span s = {.span_id = id,
                              .span_id_len = 1,
                              .start_ns = 5,
                              .end_ns = 9,
                              .kind = 2,
                              .name = "GET \"/\"",
                              .name_len = 7};
    assert_int_equal(argus_waterfall_set_add(&set, &s, &err), 0);
    strcpy(id, "c");
    strcpy(parent, "r");
    strcpy(name, "db");
    s = (argus_waterfall_span){.span_id = id,
                               .span_id_len = 1,
                               .parent_span_id = parent,
                               .parent_span_id_len = 1,
                               .start_ns = 6,
                               .end_ns = 8,
                               .status_code = 2,
                               .name = name,
                               .name_len = 2,
                               .service_name = "pg",
                               .service_name_len = 2};
    assert_int_equal(argus_waterfall_set_add(&set, &s, &err), 0);
    /* The set owns copies: overwriting the caller's buffers changes nothing. */
    strcpy(id, "X");
    strcpy(parent, "Y");
    strcpy(name, "Z");
    argus_buf b;
    argus_buf_init(&b);
    assert_int_equal(argus_waterfall_json(&b, set.spans, set.n, &err), 0);
    assert_string_equal(
        argus_buf_cstr(&b),
        "[{\"span_id\":\"r\",\"parent_span_id\":null,\"name\":\"GET \\\"/\\\"\","
        "\"service_name\":null,\"kind\":2,\"start_time_unix_nano\":5,\"end_time_unix_nano\":9,"
        "\"duration_ns\":4,\"status_code\":0,\"depth\":0,\"offset_ns\":0,\"self_ns\":2,"
        "\"child_count\":1,\"is_critical\":true,\"has_error\":false,\"descendant_error\":true,"
        "\"is_orphan\":false,\"is_duplicate\":false},"
        "{\"span_id\":\"c\",\"parent_span_id\":\"r\",\"name\":\"db\",\"service_name\":\"pg\","
        "\"kind\":0,\"start_time_unix_nano\":6,\"end_time_unix_nano\":8,\"duration_ns\":2,"
        "\"status_code\":2,\"depth\":1,\"offset_ns\":1,\"self_ns\":2,\"child_count\":0,"
        "\"is_critical\":true,\"has_error\":true,\"descendant_error\":false,\"is_orphan\":false,"
        "\"is_duplicate\":false}]");
    argus_buf_free(&b);
    argus_waterfall_set_free(&set);
    assert_int_equal(set.n, 0);
}

static void test_extreme_times(void **state)
{
    (void)state;
    /* Differences beyond int64 saturate instead of overflowing. */
    tree t = build("a::-9223372036854775807:9223372036854775807 b::9223372036854775806:"
                   "9223372036854775807");
    assert_int_equal(row_of(&t, "a")->duration_ns, INT64_MAX);
    assert_int_equal(row_of(&t, "b")->offset_ns, INT64_MAX);
    tree_free(&t);
}

/* --- SQL ------------------------------------------------------------------------------------ */

static sqlite3 *open_db(void)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    char *msg = NULL;
    int rc = argus_sqlite_register_all(db, &msg);
    if (rc != SQLITE_OK)
        fail_msg("register_all: expected SQLITE_OK, got %d (%s)", rc, msg ? msg : "");
    rc = sqlite3_exec(db,
                      "CREATE TABLE spans(id INTEGER PRIMARY KEY, trace_id TEXT, span_id TEXT, "
                      "parent_span_id TEXT, name TEXT, kind INT, start_time_unix_nano INT, "
                      "end_time_unix_nano INT, status_code INT, status_message TEXT, "
                      "service_name TEXT)",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("create spans: %s", msg);
    return db;
}

static void test_sql_trace_waterfall(void **state)
{
    (void)state;
    sqlite3 *db = open_db();
    sqlite3_exec(db,
                 "INSERT INTO spans VALUES"
                 "(1,'ab','c','r','child',3,20,30,2,'boom','api'),"
                 "(2,'ab','r',NULL,'root',2,10,40,0,NULL,'web'),"
                 "(3,'other','z',NULL,'z',1,0,1,0,NULL,'x')",
                 NULL, NULL, NULL);
    static const argus_test_sql_case cases[] = {
        {"SELECT id, span_id, depth, offset_ns, self_ns, is_critical, "
         "descendant_error, status_message FROM trace_waterfall('AB')",
         "2|r|0|0|20|1|1|NULL;1|c|1|10|10|1|0|boom"},
        {"SELECT count(*) FROM trace_waterfall(NULL)", "0"},
        {"SELECT count(*) FROM trace_waterfall('nope')", "0"},
        {"SELECT trace_id FROM trace_waterfall WHERE trace_id = 'ab'", "ab;ab"},
        /* Joined: the argument comes from another table, one trace after the other. */
        {"SELECT t.x, w.span_id FROM (SELECT 'other' AS x UNION ALL "
         "SELECT 'ab') t, trace_waterfall(t.x) w ORDER BY 1, 2",
         "ab|c;ab|r;other|z"},
        {"SELECT * FROM trace_waterfall",
         "error: trace_waterfall: a trace id is required, as in SELECT * FROM "
         "trace_waterfall('4bf92f3577b34da6...')"},
        {"SELECT * FROM trace_waterfall(1)",
         "error: trace_waterfall: the trace id must be hex text"},
        {"SELECT waterfall_json(span_id, parent_span_id, "
         "start_time_unix_nano, end_time_unix_nano) -> '$[1].depth' "
         "FROM spans WHERE trace_id = 'ab'",
         "1"},
        {"SELECT waterfall_json(span_id, NULL, 1, 2) FROM spans "
         "WHERE 0",
         "[]"},
        {"SELECT waterfall_json('a', NULL, 'x', 2)",
         "error: waterfall_json: start_ns must be an integer"},
    };
    argus_test_expect_rows(db, cases, ARGUS_TEST_COUNT(cases));
    sqlite3_exec(db, "DROP TABLE spans", NULL, NULL, NULL);
    assert_string_equal(argus_test_query(db, "SELECT * FROM trace_waterfall('ab')"),
                        "error: trace_waterfall: cannot read spans: no such table: spans");
    sqlite3_close(db);
    /* Without a spans table from the start (the statement is prepared on first use). */
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(argus_sqlite_register_all(db, NULL), SQLITE_OK);
    assert_string_equal(argus_test_query(db, "SELECT * FROM trace_waterfall('ab')"),
                        "error: trace_waterfall: cannot read spans: no such table: spans");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_order_and_self_time),
        cmocka_unit_test(test_offsets_from_earliest_start),
        cmocka_unit_test(test_orphans),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_zero_durations),
        cmocka_unit_test(test_children_outside_parent),
        cmocka_unit_test(test_critical_fan_out),
        cmocka_unit_test(test_producer_consumer),
        cmocka_unit_test(test_descendant_error),
        cmocka_unit_test(test_deep_chain),
        cmocka_unit_test(test_cycle_ring_large),
        cmocka_unit_test(test_10k_spans),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_json_and_set),
        cmocka_unit_test(test_extreme_times),
        cmocka_unit_test(test_sql_trace_waterfall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
