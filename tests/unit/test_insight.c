/* Unit tests for ext/core/insight.c: every line of tests/fixtures/insight/labelled.tsv must get
 * its labelled category (or none), plus user rules, category switches and the JSON shape.
 *   ./build/tests/unit/test_insight      (finds the fixture next to this source file, or under
 *                                          $ARGUS_SOURCE_DIR/tests/fixtures/insight/) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "argus_insight.h"
#include "../support/argus_test.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixture loading ------------------------------------------------------------------------ */

typedef struct labelled {
    char *category; /* "-" for none */
    int severity;
    char *attrs;
    char *body;
    size_t body_len;
    int line;
} labelled;

static char *fixture_path(const char *rel)
{
    static char path[4096];
    const char *root = getenv("ARGUS_SOURCE_DIR");
    if (root) {
        snprintf(path, sizeof path, "%s/tests/fixtures/%s", root, rel);
        return path;
    }
    /* __FILE__ is .../tests/unit/test_insight.c when CMake passes absolute paths */
    const char *here = __FILE__;
    const char *cut = strstr(here, "unit/test_insight.c");
    if (cut)
        snprintf(path, sizeof path, "%.*sfixtures/%s", (int)(cut - here), here, rel);
    else
        snprintf(path, sizeof path, "tests/fixtures/%s", rel);
    return path;
}

static labelled *load_fixture(size_t *count)
{
    const char *path = fixture_path("insight/labelled.tsv");
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    labelled *rows = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int lineno = 0;
    while ((len = getline(&line, &lcap, f)) > 0) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        char *fields[4];
        char *p = line;
        for (int k = 0; k < 4; k++) {
            fields[k] = p;
            char *tab = k < 3 ? strchr(p, '\t') : NULL;
            if (k < 3 && !tab)
                fail_msg("%s:%d: expected 4 tab-separated columns", path, lineno);
            if (tab) {
                *tab = '\0';
                p = tab + 1;
            }
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rows = realloc(rows, cap * sizeof *rows);
            assert_non_null(rows);
        }
        labelled *r = &rows[n++];
        r->category = strdup(fields[0]);
        r->severity = atoi(fields[1]);
        r->attrs = strdup(fields[2]);
        r->body = strdup(fields[3]);
        r->body_len = argus_test_unescape(r->body);
        r->line = lineno;
    }
    free(line);
    fclose(f);
    *count = n;
    return rows;
}

static void free_fixture(labelled *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].category);
        free(rows[i].attrs);
        free(rows[i].body);
    }
    free(rows);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_labelled_set(void **state)
{
    (void)state;
    size_t n;
    labelled *rows = load_fixture(&n);
    assert_true(n >= 100);
    argus_insight_rules *r;
    argus_error err;
    assert_int_equal(argus_insight_rules_new(NULL, 0, &r, &err), 0);
    size_t misses = 0, with_category = 0, categories_seen = 0;
    char seen[64][32];
    for (size_t i = 0; i < n; i++) {
        argus_insight_match m;
        int got = argus_insight_classify(r, rows[i].body, rows[i].body_len, rows[i].severity,
                                         rows[i].attrs, strlen(rows[i].attrs), &m);
        const char *want = rows[i].category;
        const char *have = got ? m.category : "-";
        if (strcmp(want, "-") != 0) {
            with_category++;
            size_t k = 0;
            while (k < categories_seen && strcmp(seen[k], want) != 0)
                k++;
            if (k == categories_seen && categories_seen < 64)
                snprintf(seen[categories_seen++], sizeof seen[0], "%s", want);
        }
        if (strcmp(want, have) != 0) {
            misses++;
            print_error("labelled.tsv:%d: expected category %s, got %s (rule %s) for: %.120s\n",
                        rows[i].line, want, have,
                        got ? (m.builtin_name ? m.builtin_name : "user") : "none", rows[i].body);
        }
    }
    print_message("labelled set: %zu lines, %zu with a category (%zu categories), %zu misses\n", n,
                  with_category, categories_seen, misses);
    argus_insight_rules_free(r);
    free_fixture(rows, n);
    assert_true(with_category >= 80);
    assert_true(categories_seen >= 15);
    assert_int_equal(misses, 0);
}

/* Evaluates and parses the JSON; NULL when there is no insight. */
static json_t *eval_json(const argus_insight_rules *r, const char *body, int severity,
                         const char *attrs)
{
    argus_buf b;
    argus_error err;
    argus_buf_init(&b);
    int rc = argus_insight_eval(r, body, strlen(body), severity, attrs, attrs ? strlen(attrs) : 0,
                                &b, &err);
    if (rc < 0)
        fail_msg("eval failed: %s", err.message);
    json_t *j = NULL;
    if (rc > 0) {
        json_error_t jerr;
        j = json_loadb(b.data, b.len, 0, &jerr);
        if (!j)
            fail_msg("insight is not valid JSON (%s): %s", jerr.text, b.data);
    }
    argus_buf_free(&b);
    return j;
}

static const char *str_field(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_json_shape(void **state)
{
    (void)state;
    argus_insight_rules *r;
    argus_error err;
    assert_int_equal(argus_insight_rules_new(NULL, 0, &r, &err), 0);
    json_t *j = eval_json(r, "dial tcp 10.0.3.7:5432: connect: connection refused", 17, "{}");
    assert_non_null(j);
    assert_string_equal(str_field(j, "category"), "connection");
    assert_non_null(str_field(j, "summary"));
    assert_non_null(str_field(j, "suggestion"));
    assert_string_equal(str_field(j, "rule"), "builtin:connection-refused");
    json_t *tags = json_object_get(j, "tags");
    assert_true(json_is_array(tags) && json_array_size(tags) >= 1);
    double c = json_number_value(json_object_get(j, "confidence"));
    assert_true(c > 0 && c <= 1);
    json_decref(j);
    /* nothing to say about an ordinary line */
    assert_null(eval_json(r, "user 42 logged in", 9, NULL));
    /* HTTP status substitutes into the summary */
    j = eval_json(r, "upstream failed", 17, "{\"http.response.status_code\":502}");
    assert_non_null(j);
    if (!strstr(str_field(j, "summary"), "HTTP 502"))
        fail_msg("expected the summary to name HTTP 502, got %s", str_field(j, "summary"));
    json_decref(j);
    argus_insight_rules_free(r);
}

static void test_severity_adjusts_confidence(void **state)
{
    (void)state;
    argus_insight_rules *r;
    argus_error err;
    assert_int_equal(argus_insight_rules_new(NULL, 0, &r, &err), 0);
    const char *body = "read: connection reset by peer";
    argus_insight_match info, error, fatal, unknown;
    assert_int_equal(argus_insight_classify(r, body, strlen(body), 9, NULL, 0, &info), 1);
    assert_int_equal(argus_insight_classify(r, body, strlen(body), 17, NULL, 0, &error), 1);
    assert_int_equal(argus_insight_classify(r, body, strlen(body), 21, NULL, 0, &fatal), 1);
    assert_int_equal(argus_insight_classify(r, body, strlen(body), 0, NULL, 0, &unknown), 1);
    if (!(info.confidence < unknown.confidence && unknown.confidence < error.confidence &&
          error.confidence < fatal.confidence))
        fail_msg("expected confidence info < unknown < error < fatal, got %.2f %.2f %.2f %.2f",
                 info.confidence, unknown.confidence, error.confidence, fatal.confidence);
    /* weak words only count at WARN and above (or unknown severity) */
    const char *weak = "request timeout after retries";
    argus_insight_match m;
    assert_int_equal(argus_insight_classify(r, weak, strlen(weak), 9, NULL, 0, &m), 1);
    const char *weak2 = "using a timeout of 30s";
    assert_int_equal(argus_insight_classify(r, weak2, strlen(weak2), 9, NULL, 0, &m), 0);
    assert_int_equal(argus_insight_classify(r, weak2, strlen(weak2), 17, NULL, 0, &m), 1);
    assert_string_equal(m.category, "timeout");
    argus_insight_rules_free(r);
}

static void test_user_rules(void **state)
{
    (void)state;
    argus_insight_rule user[] = {
        /* overrides the built-in connection rule for this text */
        {.id = 1,
         .pattern = "Connection Refused",
         .category = "upstream_down",
         .tags_json = "[\"network\",\"custom\"]",
         .summary = "Upstream is down",
         .confidence = 0.9,
         .priority = 0,
         .enabled = 1},
        /* a higher priority user rule wins over a lower one */
        {.id = 2,
         .pattern = "payments",
         .category = "payments",
         .summary = NULL,
         .confidence = -1,
         .priority = 5,
         .enabled = 1},
        /* silences a built-in rule for some lines */
        {.id = 3, .pattern = "healthcheck", .category = NULL, .enabled = 1},
        /* turns off a whole built-in category */
        {.id = 4, .pattern = "*", .category = "dns", .enabled = 0},
        /* disabled rules do nothing */
        {.id = 5, .pattern = "ordinary", .category = "never", .enabled = 0},
    };
    argus_insight_rules *r;
    argus_error err;
    assert_int_equal(argus_insight_rules_new(user, 5, &r, &err), 0);
    assert_int_equal(argus_insight_rules_user_count(r), 3);

    json_t *j = eval_json(r, "dial tcp: connect: connection refused", 17, NULL);
    assert_string_equal(str_field(j, "category"), "upstream_down");
    assert_string_equal(str_field(j, "summary"), "Upstream is down");
    assert_string_equal(str_field(j, "rule"), "user:1");
    /* user tags first, then the built-in rule's */
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "tags"), 0)),
                        "network");
    json_decref(j);

    j = eval_json(r, "payments: connection refused", 17, NULL);
    assert_string_equal(str_field(j, "category"), "payments");
    assert_string_equal(str_field(j, "summary"), "Matched user rule 2");
    json_decref(j);

    assert_null(eval_json(r, "healthcheck failed: i/o timeout", 17, NULL));
    assert_null(eval_json(r, "lookup db: no such host", 17, NULL));
    assert_null(eval_json(r, "an ordinary line", 17, NULL));
    /* categories without a user rule still work */
    j = eval_json(r, "write: no space left on device", 17, NULL);
    assert_string_equal(str_field(j, "category"), "disk_full");
    json_decref(j);
    argus_insight_rules_free(r);

    /* a user rule in a built-in category borrows its texts */
    argus_insight_rule one = {
        .id = 9, .pattern = "slow query", .category = "timeout", .confidence = 0.5, .enabled = 1};
    assert_int_equal(argus_insight_rules_new(&one, 1, &r, &err), 0);
    j = eval_json(r, "SLOW QUERY: 12s", 0, NULL);
    assert_string_equal(str_field(j, "summary"), "An operation timed out");
    assert_true(fabs(json_number_value(json_object_get(j, "confidence")) - 0.5) < 1e-9);
    json_decref(j);
    argus_insight_rules_free(r);
}

static void test_bad_rules(void **state)
{
    (void)state;
    argus_insight_rules *r = (argus_insight_rules *)1;
    argus_error err;
    argus_insight_rule bad = {
        .id = 7, .pattern = "x", .category = "y", .tags_json = "[1,2]", .enabled = 1};
    assert_int_equal(argus_insight_rules_new(&bad, 1, &r, &err), ARGUS_EINVAL);
    assert_null(r);
    if (!strstr(err.message, "insight: rule 7"))
        fail_msg("expected an error naming rule 7, got '%s'", err.message);
    argus_insight_rule nopat = {.id = 8, .pattern = NULL, .enabled = 1};
    assert_int_equal(argus_insight_rules_new(&nopat, 1, &r, &err), ARGUS_EINVAL);
}

static void test_attributes(void **state)
{
    (void)state;
    argus_insight_rules *r;
    argus_error err;
    assert_int_equal(argus_insight_rules_new(NULL, 0, &r, &err), 0);
    argus_insight_match m;
    const char *attrs = "{\"exception.type\":\"java.net.UnknownHostException\"}";
    assert_int_equal(argus_insight_classify(r, "failed", 6, 17, attrs, strlen(attrs), &m), 1);
    assert_string_equal(m.category, "dns");
    /* invalid JSON attributes are ignored, not an error */
    const char *broken = "{\"http.status_code\":";
    assert_int_equal(argus_insight_classify(r, "failed", 6, 17, broken, strlen(broken), &m), 0);
    /* 2xx says nothing */
    const char *ok = "{\"http.response.status_code\":204}";
    assert_int_equal(argus_insight_classify(r, "done", 4, 9, ok, strlen(ok), &m), 0);
    /* a body status in an access log */
    const char *line =
        "1.2.3.4 - - [02/Mar/2024:10:15:23 +0000] \"GET /a HTTP/1.1\" 503 1 \"-\" \"x\"";
    assert_int_equal(argus_insight_classify(r, line, strlen(line), 9, NULL, 0, &m), 1);
    assert_int_equal(m.status, 503);
    /* numbers that merely contain a status do not count */
    const char *id = "order 15031 shipped";
    assert_int_equal(argus_insight_classify(r, id, strlen(id), 9, NULL, 0, &m), 0);
    argus_insight_rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labelled_set),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_severity_adjusts_confidence),
        cmocka_unit_test(test_user_rules),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
