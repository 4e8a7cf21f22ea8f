/* Unit tests for ext/core/log_template.c: exact masks per token class, groups of lines that must
 * share one template, lines that must not, and the stability of the pattern id.
 *   ./build/tests/unit/test_log_template */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "argus_log_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *tmpl(const char *s)
{
    static char out[8192];
    argus_buf b;
    argus_error err;
    argus_buf_init(&b);
    if (argus_log_template_render(s, strlen(s), &b, &err))
        fail_msg("render failed: %s", err.message);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    argus_buf_free(&b);
    return out;
}

#define EXPECT(input, want)                                                                        \
    do {                                                                                           \
        const char *got_ = tmpl(input);                                                            \
        if (strcmp(got_, want) != 0)                                                               \
            fail_msg("template of '%s'\n  expected '%s'\n  got      '%s'", input, want, got_);     \
    } while (0)

static void test_masks(void **state)
{
    (void)state;
    EXPECT("user 42 logged in", "user <num> logged in");
    EXPECT("balance -12.50 EUR, ratio 1e-3, load 85%",
           "balance <num> EUR, ratio <num>, load <num>%");
    EXPECT("span 4bf92f3577b34da6 commit 3f9a2c1 ptr 0x7ffe12ab",
           "span <hex> commit <hex> ptr <hex>");
    EXPECT("request 550e8400-e29b-41d4-a716-446655440000 done", "request <uuid> done");
    EXPECT("from 10.0.0.1 and 10.0.0.2:5432 net 10.0.0.0/8", "from <ip> and <ip> net <ip>");
    EXPECT("peer [2001:db8::1]:443 via fe80::1ff:fe23:4567:890a", "peer <ip> via <ip>");
    EXPECT("mail to bob.smith+x@example.co.uk failed", "mail to <email> failed");
    EXPECT("user='bob' said \"hello world\"", "user=\"<str>\" said \"<str>\"");
    EXPECT("it's Bob's turn", "it's Bob's turn");
    EXPECT("GET /users/123/orders/abc123def", "GET /users/<id>/orders/<id>");
    EXPECT("GET /api/v1/items/550e8400-e29b-41d4-a716-446655440000?page=2&sort=asc",
           "GET /api/v1/items/<id>?page=<val>&sort=<val>");
    EXPECT("fetch https://api.example.com:8443/v2/users/42 failed",
           "fetch https://api.example.com:<num>/v2/users/<id> failed");
    EXPECT("took 12ms then 1.5s then 3m20s", "took <duration> then <duration> then <duration>");
    EXPECT("uploaded 10KB of 1.5GiB (512M)", "uploaded <size> of <size> (<size>)");
    EXPECT("ts=1709374522 ms=1709374522123", "ts=<ts> ms=<ts>");
    EXPECT("  leading\t\ttabs\n\nand   spaces  ", "leading tabs and spaces");
    EXPECT("", "");
    EXPECT("{\"level\":\"error\",\"user_id\":42}", "{\"level\":\"<str>\",\"user_id\":<num>}");
    EXPECT("pod shop/api-7d9f8b6c4-xk2lp restarted", "pod shop/<id> restarted");
    EXPECT("worker-12 and worker-3 busy", "worker-<num> and worker-<num> busy");
    EXPECT("at com.example.App.main(App.java:12)", "at com.example.App.main(App.java:<num>)");
}

static void test_timestamps(void **state)
{
    (void)state;
    EXPECT("2024-03-02T10:15:22.123Z start", "<ts> start");
    EXPECT("2024-03-02T10:15:22+02:00 start", "<ts> start");
    EXPECT("2024-03-02 10:15:22,123 INFO start", "<ts> INFO start");
    EXPECT("2024/03/02 10:15:22 [error] x", "<ts> [error] x");
    EXPECT("2024-03-02 10:15:22.123 UTC [4711] LOG", "<ts> [<num>] LOG");
    EXPECT("[02/Mar/2024:10:15:22 +0000] GET", "[<ts>] GET");
    EXPECT("Mar  2 10:15:22 host sshd[12]: x", "<ts> host sshd[<num>]: x");
    EXPECT("[Sat Mar 02 10:15:22.123456 2024] [core:error]", "[<ts>] [core:error]");
    EXPECT("Sat, 02 Mar 2024 10:15:22 GMT", "<ts>");
    EXPECT("1:M 02 Mar 2024 10:15:22.123 * Ready", "<num>:M <ts> * Ready");
    EXPECT("I0302 10:15:22.123456    1234 main.go:12] ok", "I<ts> <num> main.go:<num>] ok");
    EXPECT("at 10:15:22 today", "at <ts> today");
    /* look-alikes that are not timestamps */
    EXPECT("May the force be with you", "May the force be with you");
    EXPECT("version 2024 ready", "version <num> ready");
}

/* Every line of a group must share one template; groups must all differ. */
static void test_groups(void **state)
{
    (void)state;
    static const char *const groups[][4] = {
        {"User 42 logged in from 10.0.0.1", "User 7 logged in from 192.168.1.20",
         "User 123456 logged in from 172.16.0.5", NULL},
        {"GET /api/users/42 200 12ms", "GET /api/users/9001 200 3ms",
         "GET /api/users/abc123def456 200 1.2s", NULL},
        {"2024-03-02 10:15:22,123 ERROR [pool-1-thread-3] Order 42 failed: timeout after 30s",
         "2024-03-05 23:01:02,999 ERROR [pool-1-thread-12] Order 7 failed: timeout after 5s", NULL},
        {"dial tcp 10.0.3.7:5432: connect: connection refused",
         "dial tcp 10.1.2.3:6379: connect: connection refused", NULL},
        {"Failed password for root from 203.0.113.5 port 51234 ssh2",
         "Failed password for root from 198.51.100.7 port 2222 ssh2", NULL},
        {"cache key 'user:42' expired", "cache key 'session:9f8e' expired", NULL},
        {"trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7 done",
         "trace 5cf92f3577b34da6a3ce929d0e0e4799 span 10f067aa0ba902b8 done", NULL},
        {"10.0.0.1 - - [02/Mar/2024:10:15:22 +0000] \"GET /items/42 HTTP/1.1\" 200 612 \"-\" "
         "\"curl/8.4\"",
         "10.9.8.7 - - [03/Mar/2024:11:00:00 +0000] \"GET /items/7 HTTP/1.1\" 404 12 "
         "\"https://x/\" \"Mozilla/5.0\"",
         NULL},
        {"Started container api-7d9f8b6c4-xk2lp", "Started container api-5c8b7f9d6b-p9zzq", NULL},
    };
    size_t ng = sizeof groups / sizeof groups[0];
    char firsts[16][8192];
    for (size_t g = 0; g < ng; g++) {
        snprintf(firsts[g], sizeof firsts[g], "%s", tmpl(groups[g][0]));
        for (size_t k = 1; k < 4 && groups[g][k]; k++) {
            const char *t = tmpl(groups[g][k]);
            if (strcmp(t, firsts[g]) != 0)
                fail_msg("group %zu: '%s' -> '%s' but '%s' -> '%s'", g, groups[g][0], firsts[g],
                         groups[g][k], t);
        }
        for (size_t h = 0; h < g; h++)
            if (strcmp(firsts[h], firsts[g]) == 0)
                fail_msg("groups %zu and %zu share template '%s'", h, g, firsts[g]);
    }
}

/* Different messages keep different templates. */
static void test_distinct(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"connection refused", "connection reset"},
        {"User 42 logged in", "User 42 logged out"},
        {"GET /api/users/42", "GET /api/orders/42"},
        {"disk usage 91%", "memory usage 91%"},
        {"ERROR payment failed", "WARN payment failed"},
        {"GET /api/v1/items", "GET /api/v2/items"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char a[8192];
        snprintf(a, sizeof a, "%s", tmpl(pairs[i][0]));
        const char *b = tmpl(pairs[i][1]);
        if (strcmp(a, b) == 0)
            fail_msg("'%s' and '%s' should differ, both gave '%s'", pairs[i][0], pairs[i][1], a);
    }
}

static void test_pattern_id(void **state)
{
    (void)state;
    argus_buf scratch;
    argus_error err;
    char a[17], b[17], c[17];
    argus_buf_init(&scratch);
    assert_int_equal(argus_log_template_id("user 42 logged in", 17, &scratch, a, &err), 0);
    assert_int_equal(argus_log_template_id("user 7 logged in", 16, &scratch, b, &err), 0);
    assert_int_equal(argus_log_template_id("user 7 logged out", 17, &scratch, c, &err), 0);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 16);
    /* FNV-1a 64 reference values: "" -> cbf29ce484222325, "a" -> af63dc4c8601ec8c */
    if (argus_log_template_hash("", 0) != 0xcbf29ce484222325ULL ||
        argus_log_template_hash("a", 1) != 0xaf63dc4c8601ec8cULL)
        fail_msg("FNV-1a 64 differs from the reference values");
    /* the id is the hash of the template, as documented */
    char want[17];
    snprintf(want, sizeof want, "%016llx",
             (unsigned long long)argus_log_template_hash("user <num> logged in", 20));
    assert_string_equal(a, want);
    argus_buf_free(&scratch);
}

/* The template of a template is itself: masks survive a second pass. */
static void test_idempotent(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "2024-03-02 10:15:22,123 ERROR user 42 from 10.0.0.1 took 12ms",
        "GET /users/123/orders/abc123def?x=1 HTTP/1.1",
        "request 550e8400-e29b-41d4-a716-446655440000 key='x' size 10KB",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char once[8192];
        snprintf(once, sizeof once, "%s", tmpl(lines[i]));
        const char *twice = tmpl(once);
        if (strcmp(once, twice) != 0)
            fail_msg("not idempotent: '%s' -> '%s' -> '%s'", lines[i], once, twice);
    }
}

/* Arbitrary bytes never crash and never read past the end. */
static void test_robust(void **state)
{
    (void)state;
    argus_buf b;
    argus_error err;
    argus_buf_init(&b);
    unsigned char buf[257];
    uint32_t x = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(x % 256);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            /* bias towards the characters the scanner cares about */
            static const char alphabet[] = "0123456789abcdefABCDEF:./-_ \t\n\"'[]()=?&@%#xTZ+,";
            buf[i] = (x >> 24) % 4 == 0
                         ? (unsigned char)(x >> 16)
                         : (unsigned char)alphabet[(x >> 16) % (sizeof alphabet - 1)];
        }
        x = x * 1103515245u + 12345u;
        argus_buf_reset(&b);
        assert_int_equal(argus_log_template_render((const char *)buf, n, &b, &err), 0);
    }
    argus_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masks),      cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_groups),     cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_pattern_id), cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
