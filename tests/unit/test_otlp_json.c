/* Unit tests of the OTLP/JSON decoder (ext/core/otlp_json.c): every test decodes a literal JSON
 * payload and asserts on the protobuf-c struct fields it produced, or on the exact error.
 * Run: build/tests/unit/test_otlp_json */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "argus_otlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Opentelemetry__Proto__Common__V1__ArrayValue pb_array;
typedef Opentelemetry__Proto__Common__V1__KeyValueList pb_kvlist;
typedef Opentelemetry__Proto__Trace__V1__Status pb_status;

#define V_STRING OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
#define V_BOOL OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE
#define V_INT OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE
#define V_DOUBLE OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE
#define V_ARRAY OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE
#define V_KVLIST OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE
#define V_BYTES OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE
#define V_NOT_SET OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE__NOT_SET

static argus_arena arena;

static int setup(void **state)
{
    (void)state;
    argus_arena_init(&arena, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    argus_arena_free(&arena);
    return 0;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static argus_pb_traces *traces_ok(const char *json)
{
    argus_error err;
    argus_error_clear(&err);
    argus_pb_traces *t = NULL;
    int rc = argus_otlp_json_decode_traces(json, strlen(json), &arena, &t, &err);
    if (rc)
        fail_msg("expected the payload to decode, got %d: %s\ninput: %s", rc, err.message, json);
    assert_non_null(t);
    assert_true(protobuf_c_message_check(&t->base));
    return t;
}

static argus_pb_logs *logs_ok(const char *json)
{
    argus_error err;
    argus_error_clear(&err);
    argus_pb_logs *l = NULL;
    int rc = argus_otlp_json_decode_logs(json, strlen(json), &arena, &l, &err);
    if (rc)
        fail_msg("expected the payload to decode, got %d: %s\ninput: %s", rc, err.message, json);
    assert_non_null(l);
    assert_true(protobuf_c_message_check(&l->base));
    return l;
}

/* 1 if s matches pattern, where '*' stands for any run of characters. */
static int glob(const char *pattern, const char *s)
{
    if (!*pattern)
        return !*s;
    if (*pattern == '*')
        return glob(pattern + 1, s) || (*s && glob(pattern, s + 1));
    return *s == *pattern && glob(pattern + 1, s + 1);
}

/* Decodes json of length len as traces and expects error code and a message matching pattern
 * ('*' matches anything). */
static void traces_err_n(const char *json, size_t len, int code, const char *message)
{
    argus_error err;
    argus_error_clear(&err);
    argus_pb_traces *t = (argus_pb_traces *)&err; /* must be reset to NULL */
    int rc = argus_otlp_json_decode_traces(json, len, &arena, &t, &err);
    if (rc != code)
        fail_msg("expected error %d, got %d (%s)\ninput: %.300s", code, rc, err.message, json);
    assert_null(t);
    assert_int_equal(err.code, code);
    if (!glob(message, err.message))
        fail_msg("expected a message matching \"%s\", got \"%s\"", message, err.message);
}

static void traces_err(const char *json, int code, const char *message)
{
    traces_err_n(json, strlen(json), code, message);
}

static void logs_err(const char *json, int code, const char *message)
{
    argus_error err;
    argus_error_clear(&err);
    argus_pb_logs *l = NULL;
    int rc = argus_otlp_json_decode_logs(json, strlen(json), &arena, &l, &err);
    if (rc != code)
        fail_msg("expected error %d, got %d (%s)\ninput: %s", code, rc, err.message, json);
    assert_null(l);
    assert_string_equal(err.message, message);
}

/* One span with the given members inside the usual resourceSpans/scopeSpans wrapping. */
static const char *one_span(const char *members)
{
    static char buf[8192];
    int n = snprintf(buf, sizeof buf, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{%s}]}]}]}",
                     members);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    return buf;
}

static argus_pb_span *span_of(argus_pb_traces *t)
{
    assert_int_equal(t->n_resource_spans, 1);
    assert_int_equal(t->resource_spans[0]->n_scope_spans, 1);
    assert_int_equal(t->resource_spans[0]->scope_spans[0]->n_spans, 1);
    return t->resource_spans[0]->scope_spans[0]->spans[0];
}

static argus_pb_span *span_ok(const char *members)
{
    return span_of(traces_ok(one_span(members)));
}

/* The value of the span's only attribute, given as the JSON of an AnyValue. */
static argus_pb_anyvalue *value_ok(const char *anyvalue_json)
{
    char members[4096];
    snprintf(members, sizeof members, "\"attributes\":[{\"key\":\"k\",\"value\":%s}]",
             anyvalue_json);
    argus_pb_span *s = span_ok(members);
    assert_int_equal(s->n_attributes, 1);
    assert_string_equal(s->attributes[0]->key, "k");
    assert_non_null(s->attributes[0]->value);
    return s->attributes[0]->value;
}

static argus_pb_log *log_of(argus_pb_logs *l)
{
    assert_int_equal(l->n_resource_logs, 1);
    assert_int_equal(l->resource_logs[0]->n_scope_logs, 1);
    assert_int_equal(l->resource_logs[0]->scope_logs[0]->n_log_records, 1);
    return l->resource_logs[0]->scope_logs[0]->log_records[0];
}

static argus_pb_log *log_ok(const char *members)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{%s}]}]}]}",
             members);
    return log_of(logs_ok(buf));
}

static void assert_bytes(const ProtobufCBinaryData *b, const char *expected, size_t n)
{
    if (b->len != n)
        fail_msg("expected %zu bytes, got %zu", n, b->len);
    assert_non_null(b->data);
    assert_memory_equal(b->data, expected, n);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_every_anyvalue_type(void **state)
{
    (void)state;
    argus_pb_anyvalue *v = value_ok("{\"stringValue\":\"hello\"}");
    assert_int_equal(v->value_case, V_STRING);
    assert_string_equal(v->string_value, "hello");

    v = value_ok("{\"boolValue\":true}");
    assert_int_equal(v->value_case, V_BOOL);
    assert_true(v->bool_value);
    v = value_ok("{\"boolValue\":false}");
    assert_int_equal(v->value_case, V_BOOL);
    assert_false(v->bool_value);

    v = value_ok("{\"intValue\":42}");
    assert_int_equal(v->value_case, V_INT);
    assert_int_equal(v->int_value, 42);
    v = value_ok("{\"intValue\":\"-7\"}");
    assert_int_equal(v->value_case, V_INT);
    assert_int_equal(v->int_value, -7);

    v = value_ok("{\"doubleValue\":2.5}");
    assert_int_equal(v->value_case, V_DOUBLE);
    assert_true(v->double_value == 2.5);

    v = value_ok("{\"bytesValue\":\"aGVsbG8=\"}");
    assert_int_equal(v->value_case, V_BYTES);
    assert_bytes(&v->bytes_value, "hello", 5);

    v = value_ok("{\"arrayValue\":{\"values\":[{\"intValue\":1},{\"stringValue\":\"x\"},{}]}}");
    assert_int_equal(v->value_case, V_ARRAY);
    pb_array *a = v->array_value;
    assert_int_equal(a->n_values, 3);
    assert_int_equal(a->values[0]->value_case, V_INT);
    assert_int_equal(a->values[0]->int_value, 1);
    assert_int_equal(a->values[1]->value_case, V_STRING);
    assert_string_equal(a->values[1]->string_value, "x");
    assert_int_equal(a->values[2]->value_case, V_NOT_SET);

    v = value_ok("{\"kvlistValue\":{\"values\":[{\"key\":\"a\",\"value\":{\"boolValue\":true}},"
                 "{\"key\":\"b\"}]}}");
    assert_int_equal(v->value_case, V_KVLIST);
    pb_kvlist *kl = v->kvlist_value;
    assert_int_equal(kl->n_values, 2);
    assert_string_equal(kl->values[0]->key, "a");
    assert_int_equal(kl->values[0]->value->value_case, V_BOOL);
    assert_string_equal(kl->values[1]->key, "b");
    assert_null(kl->values[1]->value); /* absent, as protobuf decoding leaves it */

    /* Empty containers and an empty value. */
    v = value_ok("{\"arrayValue\":{}}");
    assert_int_equal(v->value_case, V_ARRAY);
    assert_int_equal(v->array_value->n_values, 0);
    assert_null(v->array_value->values);
    v = value_ok("{\"kvlistValue\":{\"values\":[]}}");
    assert_int_equal(v->value_case, V_KVLIST);
    assert_int_equal(v->kvlist_value->n_values, 0);
    v = value_ok("{}");
    assert_int_equal(v->value_case, V_NOT_SET);
    /* null members are unset; a later member of the oneof wins. */
    v = value_ok("{\"stringValue\":null,\"intValue\":3}");
    assert_int_equal(v->value_case, V_INT);
    assert_int_equal(v->int_value, 3);
    v = value_ok("{\"stringValue\":\"s\",\"intValue\":4}");
    assert_int_equal(v->value_case, V_INT);
    assert_int_equal(v->int_value, 4);
}

static void test_nested_arrays_and_kvlists(void **state)
{
    (void)state;
    argus_pb_anyvalue *v = value_ok(
        "{\"kvlistValue\":{\"values\":[{\"key\":\"list\",\"value\":{\"arrayValue\":{\"values\":["
        "{\"arrayValue\":{\"values\":[{\"intValue\":\"1\"},{\"intValue\":2}]}},"
        "{\"kvlistValue\":{\"values\":[{\"key\":\"deep\",\"value\":{\"doubleValue\":0.5}}]}}"
        "]}}}]}}");
    assert_int_equal(v->value_case, V_KVLIST);
    argus_pb_keyvalue *kv = v->kvlist_value->values[0];
    assert_string_equal(kv->key, "list");
    assert_int_equal(kv->value->value_case, V_ARRAY);
    pb_array *outer = kv->value->array_value;
    assert_int_equal(outer->n_values, 2);
    assert_int_equal(outer->values[0]->value_case, V_ARRAY);
    pb_array *inner = outer->values[0]->array_value;
    assert_int_equal(inner->n_values, 2);
    assert_int_equal(inner->values[0]->int_value, 1);
    assert_int_equal(inner->values[1]->int_value, 2);
    assert_int_equal(outer->values[1]->value_case, V_KVLIST);
    argus_pb_keyvalue *deep = outer->values[1]->kvlist_value->values[0];
    assert_string_equal(deep->key, "deep");
    assert_true(deep->value->double_value == 0.5);
}

static void test_ids_hex_and_base64(void **state)
{
    (void)state;
    static const char tid[16] = "\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10";
    static const char sid[8] = "\x01\x02\x03\x04\x05\x06\x07\x08";
    static const char pid[8] = "\xfa\xfb\xfc\xfd\xfe\xff\x00\x01";

    argus_pb_span *s = span_ok("\"traceId\":\"0123456789abcdeffedcba9876543210\","
                               "\"spanId\":\"0102030405060708\","
                               "\"parentSpanId\":\"fafbfcfdfeff0001\"");
    assert_bytes(&s->trace_id, tid, 16);
    assert_bytes(&s->span_id, sid, 8);
    assert_bytes(&s->parent_span_id, pid, 8);
    assert_null(argus_otlp_span_invalid(s));

    /* Upper-case hex. */
    s = span_ok("\"traceId\":\"0123456789ABCDEFFEDCBA9876543210\","
                "\"spanId\":\"0102030405060708\",\"parentSpanId\":\"FAFBFCFDFEFF0001\"");
    assert_bytes(&s->trace_id, tid, 16);
    assert_bytes(&s->parent_span_id, pid, 8);

    /* Base64 (proto3 JSON style): 24 characters for 16 bytes, 12 for 8; padding optional,
     * URL-safe alphabet tolerated. */
    s = span_ok("\"traceId\":\"ASNFZ4mrze/+3LqYdlQyEA==\",\"spanId\":\"AQIDBAUGBwg=\","
                "\"parentSpanId\":\"-vv8_f7_AAE\"");
    assert_bytes(&s->trace_id, tid, 16);
    assert_bytes(&s->span_id, sid, 8);
    assert_bytes(&s->parent_span_id, pid, 8);
    s = span_ok("\"traceId\":\"ASNFZ4mrze_-3LqYdlQyEA\",\"spanId\":\"AQIDBAUGBwg\"");
    assert_bytes(&s->trace_id, tid, 16);
    assert_bytes(&s->span_id, sid, 8);

    /* An empty string means absent: a root span. */
    s = span_ok("\"traceId\":\"0123456789abcdeffedcba9876543210\","
                "\"spanId\":\"0102030405060708\",\"parentSpanId\":\"\"");
    assert_int_equal(s->parent_span_id.len, 0);
    assert_null(s->parent_span_id.data);
    assert_null(argus_otlp_span_invalid(s));

    /* Log and link ids. */
    argus_pb_log *l = log_ok("\"traceId\":\"0123456789abcdeffedcba9876543210\","
                             "\"spanId\":\"0102030405060708\"");
    assert_bytes(&l->trace_id, tid, 16);
    assert_bytes(&l->span_id, sid, 8);
    s = span_ok("\"links\":[{\"traceId\":\"0123456789abcdeffedcba9876543210\","
                "\"spanId\":\"AQIDBAUGBwg=\",\"traceState\":\"a=b\",\"flags\":256}]");
    assert_int_equal(s->n_links, 1);
    assert_bytes(&s->links[0]->trace_id, tid, 16);
    assert_bytes(&s->links[0]->span_id, sid, 8);
    assert_string_equal(s->links[0]->trace_state, "a=b");
    assert_int_equal(s->links[0]->flags, 256);
}

static void test_invalid_ids_reject_only_their_span(void **state)
{
    (void)state;
    /* Not hex and not base64: stored with a length the validator rejects. */
    argus_pb_span *s = span_ok("\"traceId\":\"not-an-id!\",\"spanId\":\"zz02030405060708\"");
    assert_int_equal(s->trace_id.len, 1);
    assert_int_equal(s->span_id.len, 1);
    assert_non_null(argus_otlp_span_invalid(s));
    /* Hex of the wrong size is kept as decoded (and rejected). */
    s = span_ok("\"traceId\":\"0102030405060708\",\"spanId\":\"0102030405060708\"");
    assert_bytes(&s->trace_id, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_string_equal(argus_otlp_span_invalid(s), "trace_id must be 16 bytes (32 hex digits)");
    /* Odd length. */
    s = span_ok("\"traceId\":\"0123456789abcdeffedcba987654321\",\"spanId\":\"0102030405060708\"");
    assert_int_equal(s->trace_id.len, 1);

    /* Through the full decoder: one good span and two bad ones -> 3 counted, 2 rejected, one
     * iterated; a bad log id rejects only that log record. */
    const char *json =
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
        "{\"traceId\":\"0123456789abcdeffedcba9876543210\",\"spanId\":\"0102030405060708\","
        "\"name\":\"good\"},"
        "{\"traceId\":\"xyz\",\"spanId\":\"0102030405060708\",\"name\":\"bad\"},"
        "{\"traceId\":\"0123456789abcdeffedcba9876543210\",\"spanId\":\"0102030405060708\","
        "\"parentSpanId\":\"@@@@\",\"name\":\"bad parent\"}]}]}]}";
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    argus_error err;
    assert_int_equal(argus_otlp_traces_decode(&t, json, strlen(json), &err), 0);
    assert_int_equal(t.format, ARGUS_OTLP_JSON);
    assert_int_equal(t.item_count, 3);
    assert_int_equal(t.rejected, 2);
    argus_otlp_iter it = argus_otlp_iter_start(&t);
    assert_true(argus_otlp_iter_next(&it));
    assert_string_equal(it.span->name, "good");
    assert_false(argus_otlp_iter_next(&it));
    argus_otlp_traces_free(&t);

    const char *logs = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":["
                       "{\"traceId\":\"nothex\",\"body\":{\"stringValue\":\"bad\"}},"
                       "{\"body\":{\"stringValue\":\"no ids is fine\"}}]}]}]}";
    argus_otlp_logs l;
    argus_otlp_logs_init(&l);
    assert_int_equal(argus_otlp_logs_decode(&l, logs, strlen(logs), &err), 0);
    assert_int_equal(l.item_count, 2);
    assert_int_equal(l.rejected, 1);
    argus_otlp_logs_free(&l);
}

static void test_int64_as_numbers_and_strings(void **state)
{
    (void)state;
    argus_pb_span *s = span_ok("\"startTimeUnixNano\":\"1700000000123456789\","
                               "\"endTimeUnixNano\":1700000000987654321");
    assert_true(s->start_time_unix_nano == 1700000000123456789ull);
    assert_true(s->end_time_unix_nano == 1700000000987654321ull);

    /* fixed64 is unsigned: the largest value as a string and as a bare number. */
    s = span_ok("\"startTimeUnixNano\":\"18446744073709551615\","
                "\"endTimeUnixNano\":18446744073709551615");
    assert_true(s->start_time_unix_nano == UINT64_MAX);
    assert_true(s->end_time_unix_nano == UINT64_MAX);
    s = span_ok("\"startTimeUnixNano\":9223372036854775808,\"endTimeUnixNano\":1.5e9");
    assert_true(s->start_time_unix_nano == 9223372036854775808ull);
    assert_true(s->end_time_unix_nano == 1500000000ull);

    argus_pb_anyvalue *v = value_ok("{\"intValue\":\"-9223372036854775808\"}");
    assert_true(v->int_value == INT64_MIN);
    v = value_ok("{\"intValue\":-9223372036854775808}");
    assert_true(v->int_value == INT64_MIN);
    v = value_ok("{\"intValue\":\"9223372036854775807\"}");
    assert_true(v->int_value == INT64_MAX);
    v = value_ok("{\"intValue\":9223372036854775807}");
    assert_true(v->int_value == INT64_MAX);
    v = value_ok("{\"intValue\":0}");
    assert_int_equal(v->value_case, V_INT);
    assert_int_equal(v->int_value, 0);

    /* 32-bit fields take strings too. */
    s = span_ok("\"droppedAttributesCount\":\"4294967295\",\"flags\":257");
    assert_int_equal(s->dropped_attributes_count, 4294967295u);
    assert_int_equal(s->flags, 257);

    const char *prefix = "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].";
    char msg[256];
    /* intValues no int64 can hold are kept as doubles: JavaScript exporters send every
     * whole-number double (1e300, 2**63) as intValue. */
    v = value_ok("{\"intValue\":\"9223372036854775808\"}");
    assert_int_equal(v->value_case, V_DOUBLE);
    assert_true(v->double_value == 9223372036854775808.0);
    v = value_ok("{\"intValue\":-9223372036854775809}");
    assert_int_equal(v->value_case, V_DOUBLE);
    assert_true(v->double_value == -9223372036854775808.0);
    v = value_ok("{\"intValue\":1.7976931348623157e+308}");
    assert_int_equal(v->value_case, V_DOUBLE);
    assert_true(v->double_value == 1.7976931348623157e308);
    snprintf(msg, sizeof msg, "%sattributes[0].value.intValue: expected an integer, got a string",
             prefix);
    traces_err(one_span("\"attributes\":[{\"key\":\"k\",\"value\":{\"intValue\":"
                        "\"twelve\"}}]"),
               ARGUS_EFORMAT, msg);
    snprintf(msg, sizeof msg, "%sstartTimeUnixNano: integer out of range for uint64", prefix);
    traces_err(one_span("\"startTimeUnixNano\":-1"), ARGUS_EFORMAT, msg);
    traces_err(one_span("\"startTimeUnixNano\":\"18446744073709551616\""), ARGUS_EFORMAT, msg);
    traces_err(one_span("\"startTimeUnixNano\":18446744073709551616"), ARGUS_EFORMAT, msg);
    snprintf(msg, sizeof msg, "%sdroppedAttributesCount: integer out of range for uint32", prefix);
    traces_err(one_span("\"droppedAttributesCount\":4294967296"), ARGUS_EFORMAT, msg);
    snprintf(msg, sizeof msg, "%sstartTimeUnixNano: expected an integer, got a string", prefix);
    traces_err(one_span("\"startTimeUnixNano\":\"12abc\""), ARGUS_EFORMAT, msg);
    traces_err(one_span("\"startTimeUnixNano\":\"\""), ARGUS_EFORMAT, msg);
    snprintf(msg, sizeof msg, "%sstartTimeUnixNano: expected an integer, got a number", prefix);
    traces_err(one_span("\"startTimeUnixNano\":1.5"), ARGUS_EFORMAT, msg);

    /* Big integers elsewhere (unknown keys, nested in unknown arrays) are harmless... */
    traces_ok("{\"x\":123456789012345678901234567890,\"y\":[99999999999999999999,"
              "{\"z\":-99999999999999999999}],\"resourceSpans\":[]}");
    /* ...but the rewrite never turns invalid JSON into valid JSON. */
    traces_err("{\"resourceSpans\":[], 123456789012345678901: 1}", ARGUS_EFORMAT,
               "otlp: json: invalid JSON at line 1*");
    traces_err("{\"a\":[12345678901234567890-]}", ARGUS_EFORMAT,
               "otlp: json: invalid JSON at line 1*");
    traces_err("{\"a\":012345678901234567890}", ARGUS_EFORMAT,
               "otlp: json: invalid JSON at line 1*");
}

static void test_doubles(void **state)
{
    (void)state;
    argus_pb_anyvalue *v = value_ok("{\"doubleValue\":0.1}");
    assert_true(v->double_value == 0.1);
    v = value_ok("{\"doubleValue\":1e-300}");
    assert_true(v->double_value == 1e-300);
    v = value_ok("{\"doubleValue\":-1.7976931348623157e308}");
    assert_true(v->double_value == -1.7976931348623157e308);
    v = value_ok("{\"doubleValue\":5}");
    assert_int_equal(v->value_case, V_DOUBLE);
    assert_true(v->double_value == 5.0);
    v = value_ok("{\"doubleValue\":123456789012345678901234567890}");
    assert_true(v->double_value == 123456789012345678901234567890.0);
    v = value_ok("{\"doubleValue\":\"NaN\"}");
    assert_int_equal(v->value_case, V_DOUBLE);
    assert_true(isnan(v->double_value));
    v = value_ok("{\"doubleValue\":\"Infinity\"}");
    assert_true(isinf(v->double_value) && v->double_value > 0);
    v = value_ok("{\"doubleValue\":\"-Infinity\"}");
    assert_true(isinf(v->double_value) && v->double_value < 0);
    v = value_ok("{\"doubleValue\":\"2.25\"}");
    assert_true(v->double_value == 2.25);
    v = value_ok("{\"doubleValue\":\"1e-300\"}");
    assert_true(v->double_value == 1e-300);

    traces_err(one_span("\"attributes\":[{\"key\":\"k\",\"value\":{\"doubleValue\":\"nan\"}}]"),
               ARGUS_EFORMAT,
               "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value."
               "doubleValue: expected a number, got a string");
    traces_err(one_span("\"attributes\":[{\"key\":\"k\",\"value\":{\"doubleValue\":true}}]"),
               ARGUS_EFORMAT,
               "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value."
               "doubleValue: expected a number, got a boolean");
}

static void test_enum_names_and_numbers(void **state)
{
    (void)state;
    argus_pb_span *s = span_ok("\"kind\":\"SPAN_KIND_SERVER\","
                               "\"status\":{\"code\":\"STATUS_CODE_ERROR\",\"message\":\"boom\"}");
    assert_int_equal(s->kind, OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_SERVER);
    assert_non_null(s->status);
    assert_int_equal(s->status->code,
                     OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR);
    assert_string_equal(s->status->message, "boom");

    s = span_ok("\"kind\":3,\"status\":{\"code\":1}");
    assert_int_equal(s->kind, 3);
    assert_int_equal(s->status->code, 1);
    /* Open enums: unknown numbers are kept, as protobuf decoding keeps them. */
    s = span_ok("\"kind\":9");
    assert_int_equal(s->kind, 9);

    argus_pb_log *l = log_ok("\"severityNumber\":\"SEVERITY_NUMBER_WARN\"");
    assert_int_equal(l->severity_number, 13);
    l = log_ok("\"severityNumber\":17");
    assert_int_equal(l->severity_number, 17);

    traces_err(one_span("\"kind\":\"SPAN_KIND_BOGUS\""), ARGUS_EFORMAT,
               "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].kind: unknown SpanKind value "
               "\"SPAN_KIND_BOGUS\"");
    traces_err(one_span("\"kind\":[]"), ARGUS_EFORMAT,
               "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].kind: expected an integer or "
               "enum name, got an array");
    traces_err(one_span("\"kind\":4294967296"), ARGUS_EFORMAT,
               "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].kind: integer out of range "
               "for an enum");
}

static void test_snake_case_keys(void **state)
{
    (void)state;
    argus_pb_traces *t = traces_ok(
        "{\"resource_spans\":[{\"schema_url\":\"https://s/1\",\"resource\":{\"attributes\":[{"
        "\"key\":\"service.name\",\"value\":{\"string_value\":\"svc\"}}],"
        "\"dropped_attributes_count\":2},\"scope_spans\":[{\"scope\":{\"name\":\"lib\","
        "\"version\":\"1.0\"},\"schema_url\":\"https://s/2\",\"spans\":[{"
        "\"trace_id\":\"0123456789abcdeffedcba9876543210\",\"span_id\":\"0102030405060708\","
        "\"parent_span_id\":\"0102030405060709\",\"trace_state\":\"k=v\",\"name\":\"op\","
        "\"kind\":2,\"start_time_unix_nano\":\"10\",\"end_time_unix_nano\":20,"
        "\"dropped_attributes_count\":1,\"dropped_events_count\":2,\"dropped_links_count\":3,"
        "\"events\":[{\"time_unix_nano\":\"15\",\"name\":\"ev\",\"attributes\":[{\"key\":\"i\","
        "\"value\":{\"int_value\":\"5\"}}]}],"
        "\"attributes\":[{\"key\":\"kv\",\"value\":{\"kvlist_value\":{\"values\":[{\"key\":\"b\","
        "\"value\":{\"bool_value\":true}}]}}},{\"key\":\"arr\",\"value\":{\"array_value\":{"
        "\"values\":[{\"double_value\":1.5},{\"bytes_value\":\"AQ==\"}]}}}],"
        "\"status\":{\"code\":2}}]}]}]}");
    assert_int_equal(t->n_resource_spans, 1);
    argus_pb_resource_spans *rs = t->resource_spans[0];
    assert_string_equal(rs->schema_url, "https://s/1");
    assert_int_equal(rs->resource->dropped_attributes_count, 2);
    assert_string_equal(rs->resource->attributes[0]->value->string_value, "svc");
    argus_pb_scope_spans *ss = rs->scope_spans[0];
    assert_string_equal(ss->schema_url, "https://s/2");
    assert_string_equal(ss->scope->name, "lib");
    assert_string_equal(ss->scope->version, "1.0");
    argus_pb_span *s = ss->spans[0];
    assert_null(argus_otlp_span_invalid(s));
    assert_bytes(&s->parent_span_id, "\x01\x02\x03\x04\x05\x06\x07\x09", 8);
    assert_string_equal(s->trace_state, "k=v");
    assert_string_equal(s->name, "op");
    assert_int_equal(s->kind, 2);
    assert_true(s->start_time_unix_nano == 10 && s->end_time_unix_nano == 20);
    assert_int_equal(s->dropped_attributes_count, 1);
    assert_int_equal(s->dropped_events_count, 2);
    assert_int_equal(s->dropped_links_count, 3);
    assert_int_equal(s->n_events, 1);
    assert_true(s->events[0]->time_unix_nano == 15);
    assert_string_equal(s->events[0]->name, "ev");
    assert_int_equal(s->events[0]->attributes[0]->value->int_value, 5);
    assert_int_equal(s->attributes[0]->value->value_case, V_KVLIST);
    assert_true(s->attributes[0]->value->kvlist_value->values[0]->value->bool_value);
    pb_array *a = s->attributes[1]->value->array_value;
    assert_true(a->values[0]->double_value == 1.5);
    assert_bytes(&a->values[1]->bytes_value, "\x01", 1);
    assert_int_equal(s->status->code, 2);

    argus_pb_logs *l =
        logs_ok("{\"resource_logs\":[{\"scope_logs\":[{\"log_records\":[{\"time_unix_nano\":\"1\","
                "\"observed_time_unix_nano\":2,\"severity_number\":9,\"severity_text\":\"INFO\","
                "\"event_name\":\"evt\",\"trace_id\":\"0123456789abcdeffedcba9876543210\","
                "\"span_id\":\"0102030405060708\",\"flags\":1,\"dropped_attributes_count\":3,"
                "\"body\":{\"string_value\":\"hi\"}}]}]}]}");
    argus_pb_log *r = log_of(l);
    assert_true(r->time_unix_nano == 1 && r->observed_time_unix_nano == 2);
    assert_int_equal(r->severity_number, 9);
    assert_string_equal(r->severity_text, "INFO");
    assert_string_equal(r->event_name, "evt");
    assert_int_equal(r->trace_id.len, 16);
    assert_int_equal(r->span_id.len, 8);
    assert_int_equal(r->flags, 1);
    assert_int_equal(r->dropped_attributes_count, 3);
    assert_string_equal(r->body->string_value, "hi");
}

static void test_logs_camel_case(void **state)
{
    (void)state;
    argus_pb_logs *l = logs_ok(
        "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{"
        "\"stringValue\":\"api\"}}]},\"schemaUrl\":\"u\",\"scopeLogs\":[{\"scope\":{\"name\":\"s\","
        "\"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":1}}],\"droppedAttributesCount\":1},"
        "\"logRecords\":[{\"timeUnixNano\":\"1700000000000000000\",\"observedTimeUnixNano\":"
        "\"1700000000000000001\",\"severityNumber\":17,\"severityText\":\"ERROR\",\"eventName\":"
        "\"exception\",\"flags\":1,\"body\":{\"kvlistValue\":{\"values\":[{\"key\":\"msg\","
        "\"value\":{\"stringValue\":\"failed\"}}]}},\"attributes\":[{\"key\":\"n\",\"value\":{"
        "\"doubleValue\":1}}],\"droppedAttributesCount\":2}]}]}]}");
    argus_pb_resource_logs *rl = l->resource_logs[0];
    assert_string_equal(rl->schema_url, "u");
    assert_string_equal(rl->resource->attributes[0]->value->string_value, "api");
    argus_pb_scope_logs *sl = rl->scope_logs[0];
    assert_string_equal(sl->scope->name, "s");
    assert_ptr_equal(sl->scope->version, protobuf_c_empty_string);
    assert_int_equal(sl->scope->n_attributes, 1);
    assert_int_equal(sl->scope->dropped_attributes_count, 1);
    argus_pb_log *r = log_of(l);
    assert_true(r->time_unix_nano == 1700000000000000000ull);
    assert_true(r->observed_time_unix_nano == 1700000000000000001ull);
    assert_int_equal(r->severity_number, 17);
    assert_string_equal(r->severity_text, "ERROR");
    assert_string_equal(r->event_name, "exception");
    assert_int_equal(r->flags, 1);
    assert_int_equal(r->body->value_case, V_KVLIST);
    assert_string_equal(r->body->kvlist_value->values[0]->key, "msg");
    assert_true(r->attributes[0]->value->double_value == 1.0);
    assert_int_equal(r->dropped_attributes_count, 2);
    assert_int_equal(r->trace_id.len, 0);
    assert_null(argus_otlp_log_invalid(r));
}

static void test_unset_fields_are_protobuf_defaults(void **state)
{
    (void)state;
    argus_pb_span *s = span_ok("\"name\":null,\"status\":null,\"events\":null,\"kind\":null");
    assert_ptr_equal(s->name, protobuf_c_empty_string);
    assert_ptr_equal(s->trace_state, protobuf_c_empty_string);
    assert_int_equal(s->trace_id.len, 0);
    assert_null(s->trace_id.data);
    assert_null(s->status);
    assert_int_equal(s->n_events, 0);
    assert_null(s->events);
    assert_int_equal(s->kind, 0);
    assert_true(s->start_time_unix_nano == 0);

    argus_pb_traces *t = traces_ok("{\"resourceSpans\":[{\"resource\":null,\"scopeSpans\":[{}]}]}");
    assert_null(t->resource_spans[0]->resource);
    assert_ptr_equal(t->resource_spans[0]->schema_url, protobuf_c_empty_string);
    assert_null(t->resource_spans[0]->scope_spans[0]->scope);
    assert_int_equal(t->resource_spans[0]->scope_spans[0]->n_spans, 0);

    argus_pb_log *l = log_ok("");
    assert_null(l->body);
    assert_ptr_equal(l->severity_text, protobuf_c_empty_string);
    assert_ptr_equal(l->event_name, protobuf_c_empty_string);

    /* Unknown keys, of any type, are ignored. */
    s = span_ok("\"name\":\"n\",\"futureField\":{\"a\":[1,2,{\"b\":null}]},\"other\":5,"
                "\"Name\":7,\"NAME\":true");
    assert_string_equal(s->name, "n");
}

static void test_empty_object(void **state)
{
    (void)state;
    argus_pb_traces *t = traces_ok("{}");
    assert_int_equal(t->n_resource_spans, 0);
    assert_null(t->resource_spans);
    argus_pb_logs *l = logs_ok(" \n{ } \n");
    assert_int_equal(l->n_resource_logs, 0);
    t = traces_ok("{\"resourceSpans\":[]}");
    assert_int_equal(t->n_resource_spans, 0);
    /* A traces payload decoded as logs has no log records (and the reverse). */
    l = logs_ok("{\"resourceSpans\":[{}]}");
    assert_int_equal(l->n_resource_logs, 0);
}

/* Payloads the decoders refuse with ARGUS_EFORMAT, and the message that says where: a glob
 * for traces (traces_err), the exact text for logs (logs_err). */
static const struct {
    int logs;         /* decoded as logs, not traces */
    const char *span; /* set: the members of one span, wrapped by one_span() */
    const char *json; /* otherwise: the whole payload */
    const char *message;
} format_errors[] = {
    {0, NULL,
     "{\"resourceSpans\":[{\"scopeSpans\":[{},{\"spans\":[{},{},{},"
     "{\"startTimeUnixNano\":true}]}]}]}",
     "otlp: json: resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano: expected "
     "an integer, got a boolean"},
    {0, NULL, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":5}]}]}",
     "otlp: json: resourceSpans[0].scopeSpans[0].spans: expected an array, got a "
     "number"},
    {0, "\"attributes\":\"x\"", NULL,
     "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].attributes: expected an "
     "array, got a string"},
    {0, "\"attributes\":[{\"key\":\"a\"},5]", NULL,
     "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].attributes[1]: expected an "
     "object, got a number"},
    {0, "\"attributes\":[null]", NULL,
     "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0]: expected an "
     "object, got null"},
    {0, "\"name\":5", NULL,
     "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].name: expected a string, got "
     "a number"},
    {0, "\"status\":[]", NULL,
     "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].status: expected an object, "
     "got an array"},
    {0, "\"traceId\":12", NULL,
     "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a hex "
     "string, got a number"},
    {0, "\"attributes\":[{\"key\":\"k\",\"value\":{\"boolValue\":\"true\"}}]", NULL,
     "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value."
     "boolValue: expected true or false, got a string"},
    {0, "\"attributes\":[{\"key\":\"k\",\"value\":{\"bytesValue\":\"a\"}}]", NULL,
     "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value."
     "bytesValue: invalid base64"},
    {0, NULL, "{\"resourceSpans\":{}}",
     "otlp: json: resourceSpans: expected an array, got an object"},
    {0, NULL,
     "{\"resource_spans\":[{\"scope_spans\":[{\"spans\":[{\"end_time_unix_nano\":[]}]}]}"
     "]}",
     "otlp: json: resource_spans[0].scope_spans[0].spans[0].end_time_unix_nano: "
     "expected an integer, got an array"},
    {1, NULL, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":\"text\"}]}]}]}",
     "otlp: json: resourceLogs[0].scopeLogs[0].logRecords[0].body: expected an object, "
     "got a string"},
    {1, NULL,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityNumber\":\"WARN\"}]}]}"
     "]}",
     "otlp: json: resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: unknown "
     "SeverityNumber value \"WARN\""},
    /* Not JSON, not an object, trailing garbage. */
    {0, NULL, "{\"resourceSpans\":[}", "otlp: json: invalid JSON at line 1, column 19: *"},
    {0, NULL, "{\n  \"resourceSpans\": [],\n  oops\n}",
     "otlp: json: invalid JSON at line 3, column *"},
    {0, NULL, "{\"resourceSpans\":[]} trailing",
     "otlp: json: invalid JSON at line 1, column *end of file expected*"},
    {0, NULL, "{\"resourceSpans\":[]}{}", "otlp: json: invalid JSON at line 1*"},
    {0, NULL, "", "otlp: json: invalid JSON at line *"},
    {0, NULL, "[]", "otlp: json: the payload must be a JSON object, not an array"},
    {0, NULL, "\"x\"", "otlp: json: the payload must be a JSON object, not a string"},
    {0, NULL, "null", "otlp: json: the payload must be a JSON object, not null"},
};

static void test_errors_say_where(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof format_errors / sizeof format_errors[0]; i++) {
        const char *json =
            format_errors[i].span ? one_span(format_errors[i].span) : format_errors[i].json;
        if (format_errors[i].logs)
            logs_err(json, ARGUS_EFORMAT, format_errors[i].message);
        else
            traces_err(json, ARGUS_EFORMAT, format_errors[i].message);
    }
    /* Invalid UTF-8 in a string is replaced (below), so this is valid OTLP/JSON with an unknown
     * key; outside a string it is invalid JSON. */
    assert_int_equal(argus_otlp_json_decode_traces("{\"a\":\"\xff\"}", 9, &arena,
                                                   &(argus_pb_traces *){NULL}, NULL),
                     0);
    traces_err("{\"a\":\xff}", ARGUS_EFORMAT, "otlp: json: invalid JSON at line 1*");
    /* Only len bytes are read. */
    traces_err_n("{}xyz", 3, ARGUS_EFORMAT, "otlp: json: invalid JSON at line 1*");
    assert_int_equal(
        argus_otlp_json_decode_traces("{}xyz", 2, &arena, &(argus_pb_traces *){NULL}, NULL), 0);

    /* Bad arguments. */
    argus_error err;
    argus_pb_traces *t;
    assert_int_equal(argus_otlp_json_decode_traces(NULL, 5, &arena, &t, &err), ARGUS_EINVAL);
    assert_int_equal(argus_otlp_json_decode_traces("{}", 2, NULL, &t, &err), ARGUS_EINVAL);
    assert_int_equal(argus_otlp_json_decode_traces("{}", 2, &arena, NULL, &err), ARGUS_EINVAL);
}

/* {"arrayValue":{"values":[ ... ]}} nested levels times around {"intValue":1}. */
static char *nested_arrays(int levels)
{
    const char *open = "{\"arrayValue\":{\"values\":[", *close = "]}}";
    size_t n = (size_t)levels * (strlen(open) + strlen(close)) + 64;
    char *buf = malloc(n + 256), *p = buf;
    assert_non_null(buf);
    p += sprintf(p, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":"
                    "\"k\",\"value\":");
    for (int i = 0; i < levels; i++)
        p += sprintf(p, "%s", open);
    p += sprintf(p, "{\"intValue\":1}");
    for (int i = 0; i < levels; i++)
        p += sprintf(p, "%s", close);
    sprintf(p, "}]}]}]}]}");
    return buf;
}

static char *nested_kvlists(int levels)
{
    const char *open = "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":", *close = "}]}}";
    size_t n = (size_t)levels * (strlen(open) + strlen(close)) + 64;
    char *buf = malloc(n + 256), *p = buf;
    assert_non_null(buf);
    p += sprintf(p, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":");
    for (int i = 0; i < levels; i++)
        p += sprintf(p, "%s", open);
    p += sprintf(p, "{\"stringValue\":\"leaf\"}");
    for (int i = 0; i < levels; i++)
        p += sprintf(p, "%s", close);
    sprintf(p, "}]}]}]}");
    return buf;
}

static void test_nesting_limit(void **state)
{
    (void)state;
    char *ok = nested_arrays(ARGUS_OTLP_MAX_DEPTH);
    argus_pb_anyvalue *v = span_of(traces_ok(ok))->attributes[0]->value;
    for (int i = 0; i < ARGUS_OTLP_MAX_DEPTH; i++) {
        assert_int_equal(v->value_case, V_ARRAY);
        v = v->array_value->values[0];
    }
    assert_int_equal(v->int_value, 1);
    free(ok);

    char *deep = nested_arrays(ARGUS_OTLP_MAX_DEPTH + 1);
    argus_error err;
    argus_pb_traces *t;
    assert_int_equal(argus_otlp_json_decode_traces(deep, strlen(deep), &arena, &t, &err),
                     ARGUS_ELIMIT);
    assert_null(t);
    /* The path is long: its head and tail are kept. */
    assert_true(strncmp(err.message, "otlp: json: resourceSpans[0].scopeSpans[0].spans[0]", 50) ==
                0);
    assert_non_null(strstr(err.message, "..."));
    assert_non_null(strstr(err.message, ".arrayValue: AnyValue nesting deeper than 64 levels"));
    free(deep);

    char *kv = nested_kvlists(ARGUS_OTLP_MAX_DEPTH);
    argus_pb_logs *l = logs_ok(kv);
    v = log_of(l)->body;
    for (int i = 0; i < ARGUS_OTLP_MAX_DEPTH; i++) {
        assert_int_equal(v->value_case, V_KVLIST);
        v = v->kvlist_value->values[0]->value;
    }
    assert_string_equal(v->string_value, "leaf");
    free(kv);
    kv = nested_kvlists(ARGUS_OTLP_MAX_DEPTH + 1);
    assert_int_equal(argus_otlp_json_decode_logs(kv, strlen(kv), &arena, &l, &err), ARGUS_ELIMIT);
    assert_non_null(strstr(err.message, "AnyValue nesting deeper than 64 levels"));
    free(kv);

    /* Far deeper than jansson parses (2048 levels): a limit error, no stack overflow. */
    char *huge = nested_arrays(5000);
    assert_int_equal(argus_otlp_json_decode_traces(huge, strlen(huge), &arena, &t, &err),
                     ARGUS_ELIMIT);
    assert_null(t);
    free(huge);
    size_t n = 1 << 20;
    char *brackets = malloc(n);
    assert_non_null(brackets);
    memset(brackets, '[', n);
    brackets[0] = '{';
    assert_int_equal(argus_otlp_json_decode_traces(brackets, n, &arena, &t, &err), ARGUS_EFORMAT);
    free(brackets);
}

static void test_unicode(void **state)
{
    (void)state;
    argus_pb_span *s = span_ok("\"name\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\t\"");
    assert_string_equal(s->name, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ / \t");
    /* Raw UTF-8 passes through. */
    s = span_ok("\"name\":\"\xe2\x82\xac\"");
    assert_string_equal(s->name, "\xe2\x82\xac");

    /* An embedded \u0000 is kept, exactly as protobuf-c keeps a NUL inside a string field: the
     * bytes after it are in memory, C string consumers see the part before it. */
    argus_pb_anyvalue *v = value_ok("{\"stringValue\":\"a\\u0000b\"}");
    assert_int_equal(v->value_case, V_STRING);
    assert_string_equal(v->string_value, "a");
    assert_memory_equal(v->string_value, "a\0b", 4);
    /* In an enum name it is no match; in a number string no number; in a key jansson refuses
     * the whole document. */
    traces_err(one_span("\"kind\":\"SPAN_KIND_SERVER\\u0000\""), ARGUS_EFORMAT,
               "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].kind: unknown SpanKind value "
               "\"SPAN_KIND_SERVER?\"");
    traces_err(one_span("\"startTimeUnixNano\":\"1\\u00002\""), ARGUS_EFORMAT,
               "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected "
               "an integer, got a string");
    traces_err("{\"resource\\u0000Spans\":[]}", ARGUS_EFORMAT,
               "otlp: json: invalid JSON at line 1*NUL byte in object key*");

    /* Lone surrogate escapes and invalid UTF-8 become U+FFFD, as protobuf strings are rendered;
     * a valid surrogate pair stays what it is. */
    s = span_ok("\"name\":\"a\\ud83db\"");
    assert_string_equal(s->name, "a\xef\xbf\xbd"
                                 "b");
    s = span_ok("\"name\":\"\\udc00\\ud800\"");
    assert_string_equal(s->name, "\xef\xbf\xbd\xef\xbf\xbd");
    s = span_ok("\"name\":\"\\ud83d\\ude00 \\u00e9\"");
    assert_string_equal(s->name, "\xf0\x9f\x98\x80 \xc3\xa9");
    s = span_ok("\"name\":\"x\xff\xc3y\xed\xa0\x80z\"");
    assert_string_equal(s->name, "x\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
    /* Escaped key names are matched after unescaping. */
    s = span_ok("\"n\\u0061me\":\"escaped key\"");
    assert_string_equal(s->name, "escaped key");
}

static void test_bytes_value_base64_variants(void **state)
{
    (void)state;
    argus_pb_anyvalue *v = value_ok("{\"bytesValue\":\"aGVsbG8\"}");
    assert_bytes(&v->bytes_value, "hello", 5);
    v = value_ok("{\"bytesValue\":\"-_8=\"}");
    assert_bytes(&v->bytes_value, "\xfb\xff", 2);
    v = value_ok("{\"bytesValue\":\"+/8\"}");
    assert_bytes(&v->bytes_value, "\xfb\xff", 2);
    v = value_ok("{\"bytesValue\":\"AAECAwQFBgcICQ==\"}");
    assert_bytes(&v->bytes_value, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10);
    v = value_ok("{\"bytesValue\":\"\"}");
    assert_int_equal(v->value_case, V_BYTES);
    assert_int_equal(v->bytes_value.len, 0);
    assert_null(v->bytes_value.data);

    const char *bad[] = {"a", "a=b=", "ab=", "abc==", "ab c", "ab\\u00e9c", "====", "a==="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char members[256];
        snprintf(members, sizeof members,
                 "\"attributes\":[{\"key\":\"k\",\"value\":{\"bytesValue\":\"%s\"}}]", bad[i]);
        traces_err(one_span(members), ARGUS_EFORMAT,
                   "otlp: json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value."
                   "bytesValue: invalid base64");
    }
}

static void test_memory_limit(void **state)
{
    (void)state;
    argus_arena small;
    argus_arena_init(&small, 64 << 10);
    char *json = nested_arrays(ARGUS_OTLP_MAX_DEPTH);
    size_t len = strlen(json);
    /* Many attributes: the decoded structs need more than 64 KiB. */
    size_t cap = 200000;
    char *big = malloc(cap), *p = big;
    assert_non_null(big);
    p += sprintf(p, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[");
    for (int i = 0; i < 3000; i++)
        p += sprintf(p, "%s{\"key\":\"k%d\",\"value\":{\"stringValue\":\"v\"}}", i ? "," : "", i);
    sprintf(p, "]}]}]}]}");
    argus_error err;
    argus_pb_traces *t = (argus_pb_traces *)&err;
    assert_int_equal(argus_otlp_json_decode_traces(big, strlen(big), &small, &t, &err),
                     ARGUS_ENOMEM);
    assert_null(t);
    assert_string_equal(err.message, "otlp: json: decoded payload exceeds the memory limit");
    /* The arena works again after a reset, for a payload that fits. */
    argus_arena_reset(&small);
    assert_int_equal(argus_otlp_json_decode_traces(json, len, &small, &t, &err), 0);
    assert_non_null(t);

    /* jansson's tree counts against the limit too, even for keys the decoder ignores: 30000
     * empty objects are ~90 KB of JSON but ~6.7 MB of jansson nodes. */
    argus_arena_reset(&small);
    p = big;
    p += sprintf(p, "{\"ignored\":[");
    for (int i = 0; i < 30000; i++)
        p += sprintf(p, "%s{}", i ? "," : "");
    sprintf(p, "]}");
    assert_true(strlen(big) < cap);
    assert_int_equal(argus_otlp_json_decode_traces(big, strlen(big), &small, &t, &err),
                     ARGUS_ENOMEM);
    assert_string_equal(err.message, "otlp: json: decoded payload exceeds the memory limit");
    /* Without a limit it decodes (to nothing). */
    argus_arena unlimited;
    argus_arena_init(&unlimited, 0);
    assert_int_equal(argus_otlp_json_decode_traces(big, strlen(big), &unlimited, &t, &err), 0);
    assert_int_equal(t->n_resource_spans, 0);
    argus_arena_free(&unlimited);

    argus_arena_free(&small);
    free(big);
    free(json);
}

/* The JSON decoder's output packs to the same protobuf bytes as the struct protobuf decoding of
 * the equivalent message gives. */
static void test_same_struct_as_protobuf(void **state)
{
    (void)state;
    argus_pb_traces *t = traces_ok(
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{"
        "\"stringValue\":\"svc\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"lib\"},\"spans\":[{"
        "\"traceId\":\"0123456789abcdeffedcba9876543210\",\"spanId\":\"0102030405060708\","
        "\"name\":\"GET /\",\"kind\":\"SPAN_KIND_SERVER\",\"flags\":257,"
        "\"startTimeUnixNano\":\"1000\",\"endTimeUnixNano\":\"2000\",\"attributes\":["
        "{\"key\":\"i\",\"value\":{\"intValue\":\"-5\"}},{\"key\":\"d\",\"value\":{\"doubleValue\":"
        "0.25}},{\"key\":\"b\",\"value\":{\"bytesValue\":\"AP8=\"}},{\"key\":\"a\",\"value\":{"
        "\"arrayValue\":{\"values\":[{\"boolValue\":true}]}}}],\"events\":[{\"timeUnixNano\":1500,"
        "\"name\":\"e\"}],\"status\":{\"code\":2,\"message\":\"bad\"}}]}]}]}");

    /* Pack, unpack with protobuf-c into the arena, pack again: identical bytes. */
    size_t n = protobuf_c_message_get_packed_size(&t->base);
    uint8_t *packed = malloc(n), *again = malloc(n);
    assert_non_null(packed);
    assert_non_null(again);
    assert_int_equal(protobuf_c_message_pack(&t->base, packed), n);
    ProtobufCAllocator pa = argus_arena_protobuf(&arena);
    argus_pb_traces *u = opentelemetry__proto__trace__v1__traces_data__unpack(&pa, n, packed);
    assert_non_null(u);
    assert_int_equal(protobuf_c_message_get_packed_size(&u->base), n);
    protobuf_c_message_pack(&u->base, again);
    assert_memory_equal(packed, again, n);

    /* Against a hand-built struct. */
    Opentelemetry__Proto__Trace__V1__Span span;
    opentelemetry__proto__trace__v1__span__init(&span);
    uint8_t tid[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                       0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    uint8_t sid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    span.trace_id = (ProtobufCBinaryData){16, tid};
    span.span_id = (ProtobufCBinaryData){8, sid};
    span.name = "GET /";
    span.kind = OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_SERVER;
    span.flags = 257;
    span.start_time_unix_nano = 1000;
    span.end_time_unix_nano = 2000;
    argus_pb_anyvalue vi, vd, vb, va, vt;
    argus_pb_keyvalue ki, kd, kb, ka;
    pb_array arr;
    argus_pb_anyvalue *arr_values[1] = {&vt};
    opentelemetry__proto__common__v1__any_value__init(&vi);
    opentelemetry__proto__common__v1__any_value__init(&vd);
    opentelemetry__proto__common__v1__any_value__init(&vb);
    opentelemetry__proto__common__v1__any_value__init(&va);
    opentelemetry__proto__common__v1__any_value__init(&vt);
    opentelemetry__proto__common__v1__array_value__init(&arr);
    vi.value_case = V_INT;
    vi.int_value = -5;
    vd.value_case = V_DOUBLE;
    vd.double_value = 0.25;
    uint8_t bytes[2] = {0x00, 0xff};
    vb.value_case = V_BYTES;
    vb.bytes_value = (ProtobufCBinaryData){2, bytes};
    vt.value_case = V_BOOL;
    vt.bool_value = 1;
    arr.n_values = 1;
    arr.values = arr_values;
    va.value_case = V_ARRAY;
    va.array_value = &arr;
    argus_pb_keyvalue *kvs[4] = {&ki, &kd, &kb, &ka};
    argus_pb_anyvalue *vals[4] = {&vi, &vd, &vb, &va};
    const char *keys[4] = {"i", "d", "b", "a"};
    for (int i = 0; i < 4; i++) {
        opentelemetry__proto__common__v1__key_value__init(kvs[i]);
        kvs[i]->key = (char *)keys[i];
        kvs[i]->value = vals[i];
    }
    span.n_attributes = 4;
    span.attributes = kvs;
    argus_pb_event ev;
    argus_pb_event *evs[1] = {&ev};
    opentelemetry__proto__trace__v1__span__event__init(&ev);
    ev.time_unix_nano = 1500;
    ev.name = "e";
    span.n_events = 1;
    span.events = evs;
    pb_status st;
    opentelemetry__proto__trace__v1__status__init(&st);
    st.code = 2;
    st.message = "bad";
    span.status = &st;

    argus_pb_span *got = t->resource_spans[0]->scope_spans[0]->spans[0];
    size_t sn = protobuf_c_message_get_packed_size(&span.base);
    assert_int_equal(protobuf_c_message_get_packed_size(&got->base), sn);
    uint8_t *want_bytes = malloc(sn), *got_bytes = malloc(sn);
    assert_non_null(want_bytes);
    assert_non_null(got_bytes);
    protobuf_c_message_pack(&span.base, want_bytes);
    protobuf_c_message_pack(&got->base, got_bytes);
    assert_memory_equal(want_bytes, got_bytes, sn);
    free(want_bytes);
    free(got_bytes);

    /* And the protobuf path of the full decoder reads our packed bytes back. */
    argus_otlp_traces pb;
    argus_otlp_traces_init(&pb);
    argus_error err;
    assert_int_equal(argus_otlp_traces_decode(&pb, packed, n, &err), 0);
    assert_int_equal(pb.format, ARGUS_OTLP_PROTOBUF);
    assert_int_equal(pb.item_count, 1);
    assert_int_equal(pb.rejected, 0);
    argus_otlp_traces_free(&pb);
    free(packed);
    free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_anyvalue_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_arrays_and_kvlists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_hex_and_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_ids_reject_only_their_span, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int64_as_numbers_and_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doubles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum_names_and_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snake_case_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs_camel_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unset_fields_are_protobuf_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_say_where, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nesting_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unicode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bytes_value_base64_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_struct_as_protobuf, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
