/* ext/core on its own: this binary links the core library whole and no database library, so it
 * fails to link the day the core needs SQLite (or MySQL, Lua, gRPC, HTTP). It also holds the
 * boundary cases that planted one-line bugs once slipped past (tests/mutate/):
 *   - the critical path when a child ends exactly where its next sibling starts;
 *   - weak insight rules at severity WARN (13), the first severity they fire for;
 * and the core aggregates behind arg_min() / json_group_set() and the function catalogue.
 *   Run: build/tests/unit/test_core_only */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "argus_aggregate.h"
#include "argus_catalogue.h"
#include "argus_insight.h"
#include "argus_otlp_rows.h"
#include "argus_signal.h"
#include "argus_waterfall.h"

#include <stdio.h>
#include <string.h>

static argus_waterfall_span span(const char *id, const char *parent, int64_t start, int64_t end)
{
    argus_waterfall_span s;
    memset(&s, 0, sizeof s);
    s.span_id = id;
    s.span_id_len = strlen(id);
    s.parent_span_id = parent;
    s.parent_span_id_len = parent ? strlen(parent) : 0;
    s.start_ns = start;
    s.end_ns = end;
    return s;
}

/* r 0-100, a 10-50, b 50-90: the walk enters b (last to finish), returns to r at b's start (50);
 * a ends at 50, not before it, so it is not on the critical path. */
static void test_critical_path_touching_siblings(void **state)
{
    (void)state;
    argus_waterfall_span spans[] = {span("r", NULL, 0, 100), span("a", "r", 10, 50),
                                    span("b", "r", 50, 90)};
    argus_waterfall_row rows[3];
    argus_error err;
    assert_int_equal(argus_waterfall_build(spans, 3, rows, &err), 0);
    char got[8] = "";
    for (size_t k = 0; k < 3; k++)
        if (rows[k].is_critical)
            strncat(got, spans[rows[k].span].span_id, 1);
    if (strcmp(got, "rb") != 0)
        fail_msg("expected r and b on the critical path (display order r a b), got \"%s\"", got);
    /* a sibling ending just before b starts is walked into */
    spans[1].end_ns = 49;
    assert_int_equal(argus_waterfall_build(spans, 3, rows, &err), 0);
    for (size_t k = 0; k < 3; k++)
        if (!rows[k].is_critical)
            fail_msg("expected every span critical when a ends at 49, got %s not",
                     spans[rows[k].span].span_id);
}

static const char *category(const argus_insight_rules *r, const char *body, int severity)
{
    static char out[64];
    argus_insight_match m;
    if (!argus_insight_classify(r, body, strlen(body), severity, NULL, 0, &m))
        return "none";
    snprintf(out, sizeof out, "%s", m.category);
    return out;
}

/* Weak rules (a bare "timeout") ignore TRACE..INFO (1..12) and fire from WARN (13) on, and for an
 * unknown severity (0). */
static void test_weak_rules_fire_from_warn(void **state)
{
    (void)state;
    argus_insight_rules *r = NULL;
    argus_error err;
    assert_int_equal(argus_insight_rules_new(NULL, 0, &r, &err), 0);
    const char *body = "upstream call ended with a timeout";
    static const struct {
        int severity;
        const char *want;
    } cases[] = {{0, "timeout"}, {9, "none"}, {12, "none"}, {13, "timeout"}, {17, "timeout"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = category(r, body, cases[i].severity);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("severity %d: expected %s, got %s", cases[i].severity, cases[i].want, got);
    }
    argus_insight_rules_free(r);
}

static argus_datum text(const char *s)
{
    return (argus_datum){.type = ARGUS_DATUM_TEXT, .p = s, .n = strlen(s)};
}
static argus_datum integer(int64_t i)
{
    return (argus_datum){.type = ARGUS_DATUM_INT, .i = i};
}

static void test_arg_min(void **state)
{
    (void)state;
    argus_arg_min m;
    argus_arg_min_init(&m);
    argus_error err;
    assert_null(argus_arg_min_value(&m));
    /* keys (is_child, start): the root wins over an earlier child; the first on ties */
    char buf[16];
    strcpy(buf, "child");
    argus_datum v = text(buf), keys[2] = {integer(1), integer(5)};
    assert_int_equal(argus_arg_min_add(&m, &v, keys, 2, &err), 0);
    strcpy(buf, "root"); /* the kept row owns its bytes */
    v = text(buf);
    keys[0] = integer(0);
    keys[1] = integer(10);
    assert_int_equal(argus_arg_min_add(&m, &v, keys, 2, &err), 0);
    v = text("other root");
    assert_int_equal(argus_arg_min_add(&m, &v, keys, 2, &err), 0);
    strcpy(buf, "clobbered");
    const argus_datum *got = argus_arg_min_value(&m);
    assert_non_null(got);
    assert_int_equal(got->n, 4);
    assert_memory_equal(got->p, "root", 4);
    assert_int_equal(argus_arg_min_add(&m, &v, keys, 1, &err), ARGUS_EINVAL);
    argus_arg_min_free(&m);
    /* SQL order: NULL < numbers < text < blob; 2 = 2.0; "ab" < "abc" */
    argus_datum null = {.type = ARGUS_DATUM_NULL}, two = integer(2),
                two_r = {.type = ARGUS_DATUM_REAL, .d = 2.0}, ab = text("ab"), abc = text("abc"),
                blob = {.type = ARGUS_DATUM_BLOB, .p = "", .n = 0};
    assert_true(argus_datum_compare(&null, &two) < 0);
    assert_int_equal(argus_datum_compare(&two, &two_r), 0);
    assert_true(argus_datum_compare(&two_r, &ab) < 0);
    assert_true(argus_datum_compare(&ab, &abc) < 0);
    assert_true(argus_datum_compare(&abc, &blob) < 0);
}

static void test_string_set(void **state)
{
    (void)state;
    argus_string_set s;
    argus_string_set_init(&s);
    argus_error err;
    const char *in[] = {"web", "db", "web", "web", "api", "db"};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(argus_string_set_add(&s, in[i], strlen(in[i]), &err), 0);
    argus_buf b;
    argus_buf_init(&b);
    argus_string_set_json(&s, &b);
    assert_string_equal(argus_buf_cstr(&b), "[\"api\",\"db\",\"web\"]");
    argus_buf_free(&b);
    argus_string_set_free(&s);
}

/* The descriptors and the catalogue agree on the names the SQL layer registers. */
static void test_signals_and_catalogue(void **state)
{
    (void)state;
    for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++) {
        const argus_signal_desc *d = argus_signal_get((argus_signal)s);
        assert_int_equal(d->signal, s);
        assert_non_null(argus_function_find(d->table_function));
        assert_non_null(argus_function_find(d->resources_function));
        assert_non_null(argus_function_find(d->json_function));
        for (int c = 0; c < ARGUS_CTX_NCOLUMNS; c++)
            assert_true(d->context_columns[c] >= 0 && d->context_columns[c] < d->ncolumns);
    }
    assert_string_equal(argus_signal_get(ARGUS_SIGNAL_LOGS)->column_names[ARGUS_LOG_BODY], "body");
    assert_null(argus_function_find("no_such_function"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_critical_path_touching_siblings),
        cmocka_unit_test(test_weak_rules_fire_from_warn),
        cmocka_unit_test(test_arg_min),
        cmocka_unit_test(test_string_set),
        cmocka_unit_test(test_signals_and_catalogue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
