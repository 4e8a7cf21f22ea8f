/* Unit tests of the OTLP protobuf decoder, the row values and the JSON writers (ext/core).
 * Payloads are built with the protobuf-c generated structs and packed, so every test states the
 * exact input it decodes. Run: build/tests/unit/test_otlp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "argus_otlp_rows.h"
#include "argus_span_operations.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every struct a test builds is tracked and freed by the teardown, so leak checks stay quiet. */
static void *pool[4096];
static size_t npool;

static void *tcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    assert_non_null(p);
    assert_true(npool < sizeof pool / sizeof pool[0]);
    pool[npool++] = p;
    return p;
}

static int free_pool(void **state)
{
    (void)state;
    while (npool)
        free(pool[--npool]);
    return 0;
}

typedef Opentelemetry__Proto__Common__V1__ArrayValue pb_array;
typedef Opentelemetry__Proto__Common__V1__KeyValueList pb_kvlist;
typedef Opentelemetry__Proto__Trace__V1__Status pb_status;

/* An AnyValue holding the value_case member (set by the caller). */
static argus_pb_anyvalue *av_new(int value_case)
{
    argus_pb_anyvalue *v = tcalloc(1, sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = value_case;
    return v;
}

static argus_pb_anyvalue *av_str(const char *s)
{
    argus_pb_anyvalue *v = av_new(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE);
    v->string_value = (char *)s;
    return v;
}

static argus_pb_anyvalue *av_int(int64_t i)
{
    argus_pb_anyvalue *v = av_new(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE);
    v->int_value = i;
    return v;
}

static argus_pb_anyvalue *av_double(double d)
{
    argus_pb_anyvalue *v = av_new(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE);
    v->double_value = d;
    return v;
}

static argus_pb_anyvalue *av_bool(int b)
{
    argus_pb_anyvalue *v = av_new(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE);
    v->bool_value = b;
    return v;
}

static argus_pb_anyvalue *av_bytes(const char *data, size_t n)
{
    argus_pb_anyvalue *v = av_new(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE);
    v->bytes_value.data = (uint8_t *)data;
    v->bytes_value.len = n;
    return v;
}

static argus_pb_keyvalue *kv(const char *key, argus_pb_anyvalue *v)
{
    argus_pb_keyvalue *k = tcalloc(1, sizeof *k);
    opentelemetry__proto__common__v1__key_value__init(k);
    k->key = (char *)key;
    k->value = v;
    return k;
}

static argus_pb_anyvalue *av_array(size_t n, argus_pb_anyvalue **items)
{
    argus_pb_anyvalue *v = av_new(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE);
    pb_array *a = tcalloc(1, sizeof *a);
    opentelemetry__proto__common__v1__array_value__init(a);
    a->n_values = n;
    a->values = items;
    v->array_value = a;
    return v;
}

static argus_pb_anyvalue *av_kvlist(size_t n, argus_pb_keyvalue **items)
{
    argus_pb_anyvalue *v = av_new(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE);
    pb_kvlist *l = tcalloc(1, sizeof *l);
    opentelemetry__proto__common__v1__key_value_list__init(l);
    l->n_values = n;
    l->values = items;
    v->kvlist_value = l;
    return v;
}

static const uint8_t TRACE_A[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t SPAN_A[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
static const uint8_t SPAN_B[8] = {0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8};

/* Packs one resource with `nspans` spans into a heap buffer. Structs come from the
 * per-test pool. */
static uint8_t *pack_traces(argus_pb_keyvalue **res_attrs, size_t nres, argus_pb_span **spans,
                            size_t nspans, size_t *len)
{
    argus_pb_resource res;
    opentelemetry__proto__resource__v1__resource__init(&res);
    res.attributes = res_attrs;
    res.n_attributes = nres;
    argus_pb_scope scope;
    opentelemetry__proto__common__v1__instrumentation_scope__init(&scope);
    scope.name = "test.scope";
    scope.version = "9.9";
    argus_pb_scope_spans ss;
    opentelemetry__proto__trace__v1__scope_spans__init(&ss);
    ss.scope = &scope;
    ss.spans = spans;
    ss.n_spans = nspans;
    argus_pb_scope_spans *ssp = &ss;
    argus_pb_resource_spans rs;
    opentelemetry__proto__trace__v1__resource_spans__init(&rs);
    rs.resource = &res;
    rs.scope_spans = &ssp;
    rs.n_scope_spans = 1;
    argus_pb_resource_spans *rsp = &rs;
    argus_pb_traces td;
    opentelemetry__proto__trace__v1__traces_data__init(&td);
    td.resource_spans = &rsp;
    td.n_resource_spans = 1;
    *len = opentelemetry__proto__trace__v1__traces_data__get_packed_size(&td);
    uint8_t *buf = malloc(*len ? *len : 1);
    opentelemetry__proto__trace__v1__traces_data__pack(&td, buf);
    return buf;
}

static argus_pb_span *new_span(const uint8_t *trace, size_t tlen, const uint8_t *span, size_t slen)
{
    argus_pb_span *s = tcalloc(1, sizeof *s);
    opentelemetry__proto__trace__v1__span__init(s);
    s->trace_id.data = (uint8_t *)trace;
    s->trace_id.len = tlen;
    s->span_id.data = (uint8_t *)span;
    s->span_id.len = slen;
    s->name = "op";
    s->start_time_unix_nano = 1700000000000000000ULL;
    s->end_time_unix_nano = 1700000000123456789ULL;
    return s;
}

/* Column value of the first valid span as a NUL-terminated string ("NULL" for SQL NULL). */
static const char *span_col(argus_otlp_traces *t, int col, argus_buf *scratch, char *out,
                            size_t outlen)
{
    argus_otlp_iter it = argus_otlp_iter_start(t);
    assert_true(argus_otlp_iter_next(&it));
    argus_value v;
    argus_otlp_span_column(&it, col, &v, scratch);
    if (v.type == ARGUS_VAL_NULL)
        snprintf(out, outlen, "NULL");
    else if (v.type == ARGUS_VAL_INT)
        snprintf(out, outlen, "%lld", (long long)v.i);
    else
        snprintf(out, outlen, "%.*s", (int)v.n, v.s);
    return out;
}

static void test_every_anyvalue_type(void **state)
{
    (void)state;
    argus_pb_anyvalue *arr_items[] = {av_str("x"), av_int(-1), av_bool(0)};
    argus_pb_keyvalue *inner[] = {kv("deep", av_array(1, (argus_pb_anyvalue *[]){av_int(7)}))};
    argus_pb_keyvalue *attrs[] = {
        kv("s", av_str("hello \"world\"\n")),
        kv("b", av_bool(1)),
        kv("i", av_int(INT64_MIN)),
        kv("d", av_double(0.1)),
        kv("tiny", av_double(1e-300)),
        kv("big", av_double(1.7976931348623157e308)),
        kv("whole", av_double(2.0)),
        kv("nan", av_double(NAN)),
        kv("bytes", av_bytes("\xff\x00\x01\x02", 4)),
        kv("arr", av_array(3, arr_items)),
        kv("map", av_kvlist(1, inner)),
        kv("empty", NULL),
    };
    argus_pb_span *s = new_span(TRACE_A, 16, SPAN_A, 8);
    s->attributes = attrs;
    s->n_attributes = sizeof attrs / sizeof attrs[0];
    size_t len;
    uint8_t *buf = pack_traces(NULL, 0, &s, 1, &len);
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    argus_error err;
    assert_int_equal(argus_otlp_traces_decode(&t, buf, len, &err), 0);
    argus_buf scratch;
    argus_buf_init(&scratch);
    char out[1024];
    assert_string_equal(span_col(&t, ARGUS_SPAN_ATTRIBUTES, &scratch, out, sizeof out),
                        "{\"s\":\"hello \\\"world\\\"\\n\",\"b\":true,\"i\":-9223372036854775808,"
                        "\"d\":0.1,\"tiny\":1e-300,\"big\":1.7976931348623157e+308,"
                        "\"whole\":2.0,\"nan\":\"NaN\",\"bytes\":\"/wABAg==\","
                        "\"arr\":[\"x\",-1,false],\"map\":{\"deep\":[7]},\"empty\":null}");
    assert_string_equal(span_col(&t, ARGUS_SPAN_SERVICE_NAME, &scratch, out, sizeof out),
                        "unknown_service");
    assert_string_equal(span_col(&t, ARGUS_SPAN_TRACE_ID, &scratch, out, sizeof out),
                        "0102030405060708090a0b0c0d0e0f10");
    assert_string_equal(span_col(&t, ARGUS_SPAN_SPAN_ID, &scratch, out, sizeof out),
                        "a1a2a3a4a5a6a7a8");
    assert_string_equal(span_col(&t, ARGUS_SPAN_PARENT_SPAN_ID, &scratch, out, sizeof out), "NULL");
    assert_string_equal(span_col(&t, ARGUS_SPAN_DURATION, &scratch, out, sizeof out), "123456789");
    assert_string_equal(span_col(&t, ARGUS_SPAN_SCOPE_NAME, &scratch, out, sizeof out),
                        "test.scope");
    assert_string_equal(span_col(&t, ARGUS_SPAN_STATUS_MESSAGE, &scratch, out, sizeof out), "NULL");
    argus_buf_free(&scratch);
    argus_otlp_traces_free(&t);
    free(buf);
}

static void test_doubles_round_trip(void **state)
{
    (void)state;
    const double values[] = {0.1,
                             1.0 / 3.0,
                             1e-300,
                             5e-324,
                             1.7976931348623157e308,
                             -2.5,
                             123456789.123456789,
                             0.30000000000000004};
    argus_buf b;
    argus_buf_init(&b);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        argus_buf_reset(&b);
        argus_json_double(&b, values[i]);
        const char *s = argus_buf_cstr(&b);
        double back = strtod(s, NULL);
        if (back != values[i])
            fail_msg("double %.17g rendered as %s which parses back as %.17g", values[i], s, back);
    }
    argus_buf_free(&b);
}

static void test_invalid_utf8_is_replaced(void **state)
{
    (void)state;
    argus_buf b;
    argus_buf_init(&b);
    /* Lone continuation, overlong '/', surrogate half, truncated 3-byte sequence. */
    const char bad[] = "a\x80"
                       "b\xc0\xaf"
                       "c\xed\xa0\x80"
                       "d\xe2\x82";
    argus_json_string(&b, bad, sizeof bad - 1);
    const char *s = argus_buf_cstr(&b);
    assert_true(argus_utf8_valid(s, b.len));
    assert_string_equal(s, "\"a\xef\xbf\xbd"
                           "b\xef\xbf\xbd\xef\xbf\xbd"
                           "c\xef\xbf\xbd\xef\xbf"
                           "\xbd\xef\xbf\xbd"
                           "d\xef\xbf\xbd\xef\xbf\xbd\"");
    argus_buf_reset(&b);
    argus_json_string(&b, "\x01\x1f\t", 3);
    assert_string_equal(argus_buf_cstr(&b), "\"\\u0001\\u001f\\t\"");
    argus_buf_reset(&b);
    /* Valid multi-byte text passes through untouched. */
    argus_json_string(&b, "h\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", 12);
    assert_string_equal(argus_buf_cstr(&b), "\"h\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"");
    argus_buf_free(&b);
}

static void test_base64_vectors(void **state)
{
    (void)state;
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"\"\"",         "\"Zg==\"",     "\"Zm8=\"",    "\"Zm9v\"",
                          "\"Zm9vYg==\"", "\"Zm9vYmE=\"", "\"Zm9vYmFy\""};
    argus_buf b;
    argus_buf_init(&b);
    for (size_t i = 0; i < 7; i++) {
        argus_buf_reset(&b);
        argus_json_base64(&b, (const uint8_t *)in[i], strlen(in[i]));
        assert_string_equal(argus_buf_cstr(&b), want[i]);
    }
    argus_buf_free(&b);
}

static void test_service_name_events_links_status(void **state)
{
    (void)state;
    argus_pb_keyvalue *res[] = {kv("host.name", av_str("h1")),
                                kv("service.name", av_str("checkout"))};
    argus_pb_span *s = new_span(TRACE_A, 16, SPAN_B, 8);
    s->parent_span_id.data = (uint8_t *)SPAN_A;
    s->parent_span_id.len = 8;
    s->kind = 3;
    s->flags = 0x101;
    pb_status st;
    opentelemetry__proto__trace__v1__status__init(&st);
    st.code = 2;
    st.message = "boom";
    s->status = &st;
    argus_pb_event ev;
    opentelemetry__proto__trace__v1__span__event__init(&ev);
    ev.name = "exception";
    ev.time_unix_nano = 1700000000000000001ULL;
    argus_pb_keyvalue *evattrs[] = {kv("exception.type", av_str("E"))};
    ev.attributes = evattrs;
    ev.n_attributes = 1;
    argus_pb_event *evp = &ev;
    s->events = &evp;
    s->n_events = 1;
    argus_pb_link ln;
    opentelemetry__proto__trace__v1__span__link__init(&ln);
    ln.trace_id.data = (uint8_t *)TRACE_A;
    ln.trace_id.len = 16;
    ln.span_id.data = (uint8_t *)SPAN_A;
    ln.span_id.len = 8;
    ln.flags = 1;
    argus_pb_link *lnp = &ln;
    s->links = &lnp;
    s->n_links = 1;
    size_t len;
    uint8_t *buf = pack_traces(res, 2, &s, 1, &len);
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    argus_error err;
    assert_int_equal(argus_otlp_traces_decode(&t, buf, len, &err), 0);
    argus_buf sc;
    argus_buf_init(&sc);
    char out[1024];
    assert_string_equal(span_col(&t, ARGUS_SPAN_SERVICE_NAME, &sc, out, sizeof out), "checkout");
    assert_string_equal(span_col(&t, ARGUS_SPAN_PARENT_SPAN_ID, &sc, out, sizeof out),
                        "a1a2a3a4a5a6a7a8");
    assert_string_equal(span_col(&t, ARGUS_SPAN_KIND, &sc, out, sizeof out), "3");
    assert_string_equal(span_col(&t, ARGUS_SPAN_FLAGS, &sc, out, sizeof out), "257");
    assert_string_equal(span_col(&t, ARGUS_SPAN_STATUS_CODE, &sc, out, sizeof out), "2");
    assert_string_equal(span_col(&t, ARGUS_SPAN_STATUS_MESSAGE, &sc, out, sizeof out), "boom");
    assert_string_equal(
        span_col(&t, ARGUS_SPAN_EVENTS, &sc, out, sizeof out),
        "[{\"time_unix_nano\":1700000000000000001,\"name\":\"exception\","
        "\"attributes\":{\"exception.type\":\"E\"},\"dropped_attributes_count\":0}]");
    assert_string_equal(span_col(&t, ARGUS_SPAN_LINKS, &sc, out, sizeof out),
                        "[{\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\",\"span_id\":"
                        "\"a1a2a3a4a5a6a7a8\",\"trace_state\":null,\"attributes\":{},"
                        "\"dropped_attributes_count\":0,\"flags\":1}]");
    assert_string_equal(span_col(&t, ARGUS_SPAN_RESOURCE_ATTRIBUTES, &sc, out, sizeof out),
                        "{\"host.name\":\"h1\",\"service.name\":\"checkout\"}");
    argus_buf_free(&sc);
    argus_otlp_traces_free(&t);
    free(buf);
}

static void test_invalid_ids_are_rejected_not_fatal(void **state)
{
    (void)state;
    static const uint8_t zeros[16] = {0};
    argus_pb_span *spans[] = {
        new_span(TRACE_A, 15, SPAN_A, 8), /* short trace id */
        new_span(TRACE_A, 16, SPAN_A, 8), /* valid */
        new_span(zeros, 16, SPAN_A, 8),   /* all-zero trace id */
        new_span(TRACE_A, 16, SPAN_A, 7), /* short span id */
        new_span(TRACE_A, 16, SPAN_B, 8), /* valid */
    };
    size_t len;
    uint8_t *buf = pack_traces(NULL, 0, spans, 5, &len);
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    argus_error err;
    assert_int_equal(argus_otlp_traces_decode(&t, buf, len, &err), 0);
    assert_int_equal(t.item_count, 5);
    assert_int_equal(t.rejected, 3);
    assert_string_equal(t.reject_message, "resource_spans[0].scope_spans[0].spans[0]: trace_id "
                                          "must be 16 bytes (32 hex digits)");
    int n = 0;
    for (argus_otlp_iter it = argus_otlp_iter_start(&t); argus_otlp_iter_next(&it);)
        n++;
    assert_int_equal(n, 2);
    argus_otlp_traces_free(&t);
    free(buf);
}

static void test_malformed_payloads(void **state)
{
    (void)state;
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    argus_error err;
    /* Field 1, length 5, but only 2 bytes follow. */
    const uint8_t trunc[] = {0x0a, 0x05, 0x12, 0x00};
    assert_int_equal(argus_otlp_traces_decode(&t, trunc, sizeof trunc, &err), ARGUS_EFORMAT);
    assert_string_equal(err.message, "otlp: protobuf: truncated length-delimited field 1 of "
                                     "TracesData at offset 0");
    /* A varint that never ends. */
    const uint8_t endless[] = {0x08, 0xff, 0xff, 0xff};
    assert_int_equal(argus_otlp_traces_decode(&t, endless, sizeof endless, &err), ARGUS_EFORMAT);
    assert_non_null(strstr(err.message, "truncated varint"));
    /* Group wire types are not OTLP. */
    const uint8_t group[] = {0x0b, 0x0c};
    assert_int_equal(argus_otlp_traces_decode(&t, group, sizeof group, &err), ARGUS_EFORMAT);
    assert_non_null(strstr(err.message, "unsupported wire type 3"));
    /* resource_spans given as a varint. */
    const uint8_t wrongtype[] = {0x08, 0x01};
    assert_int_equal(argus_otlp_traces_decode(&t, wrongtype, sizeof wrongtype, &err),
                     ARGUS_EFORMAT);
    assert_non_null(strstr(err.message, "field resource_spans of TracesData has wire type 0"));
    /* An empty payload is a valid, empty request. */
    assert_int_equal(argus_otlp_traces_decode(&t, "", 0, &err), 0);
    assert_int_equal(t.item_count, 0);
    argus_otlp_traces_free(&t);
}

/* A protobuf whose ResourceSpans is 123 bytes long starts 0a 7b ("\n{"), like JSON. */
static uint8_t *pack_json_lookalike(size_t *len)
{
    static char name[128];
    argus_pb_span *s = new_span(TRACE_A, 16, SPAN_A, 8);
    s->name = name;
    for (size_t n = 1; n < sizeof name - 1; n++) {
        memset(name, 'x', n);
        name[n] = '\0';
        uint8_t *buf = pack_traces(NULL, 0, &s, 1, len);
        if (*len > 2 && buf[0] == 0x0a && buf[1] == 0x7b)
            return buf;
        free(buf);
    }
    fail_msg("expected a span name giving a 123-byte ResourceSpans, got none");
    return NULL;
}

static void test_explicit_format_and_json_lookalike(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = pack_json_lookalike(&len);
    assert_true(argus_otlp_is_json(buf, len));
    argus_otlp_payload p;
    argus_otlp_payload_init(&p, ARGUS_SIGNAL_TRACES);
    argus_error err;
    /* The guess from the bytes falls back to protobuf; the transport's word is taken as given. */
    assert_int_equal(argus_otlp_decode(&p, buf, len, ARGUS_OTLP_AUTO, &err), 0);
    assert_int_equal(p.format, ARGUS_OTLP_PROTOBUF);
    assert_int_equal(argus_otlp_valid_items(&p), 1);
    assert_int_equal(argus_otlp_decode(&p, buf, len, ARGUS_OTLP_PROTOBUF, &err), 0);
    assert_int_equal(argus_otlp_valid_items(&p), 1);
    assert_int_equal(argus_otlp_decode(&p, buf, len, ARGUS_OTLP_JSON, &err), ARGUS_EFORMAT);
    assert_non_null(strstr(err.message, "otlp: json: invalid JSON"));
    assert_null(p.data);
    /* OTLP/JSON said to be protobuf is refused, not guessed. */
    static const char json[] = "{\"resourceSpans\":[]}";
    assert_int_equal(argus_otlp_decode(&p, json, sizeof json - 1, ARGUS_OTLP_PROTOBUF, &err),
                     ARGUS_EFORMAT);
    assert_non_null(strstr(err.message, "otlp: protobuf:"));
    assert_int_equal(argus_otlp_decode(&p, json, sizeof json - 1, ARGUS_OTLP_AUTO, &err), 0);
    assert_int_equal(p.format, ARGUS_OTLP_JSON);
    /* Broken JSON that is no protobuf either reports the JSON error. */
    static const char broken[] = "{\"resourceSpans\":[";
    assert_int_equal(argus_otlp_decode(&p, broken, sizeof broken - 1, ARGUS_OTLP_AUTO, &err),
                     ARGUS_EFORMAT);
    assert_non_null(strstr(err.message, "otlp: json: invalid JSON"));
    argus_otlp_payload_free(&p);
    free(buf);
}

/* The signal of a payload of unknown signal is detected; logs are not mistaken for traces. */
static void test_decode_any(void **state)
{
    (void)state;
    argus_otlp_payload tr, lg, *out = NULL;
    argus_otlp_payload_init(&tr, ARGUS_SIGNAL_TRACES);
    argus_otlp_payload_init(&lg, ARGUS_SIGNAL_LOGS);
    argus_error err;
    static const char logs[] = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{}]}]}]}";
    assert_int_equal(
        argus_otlp_decode_any(&tr, &lg, logs, sizeof logs - 1, ARGUS_OTLP_AUTO, &out, &err), 0);
    assert_ptr_equal(out, &lg);
    assert_int_equal(lg.item_count, 1);
    static const char traces[] = "{\"resourceSpans\":[{}]}";
    assert_int_equal(
        argus_otlp_decode_any(&tr, &lg, traces, sizeof traces - 1, ARGUS_OTLP_AUTO, &out, &err), 0);
    assert_ptr_equal(out, &tr);
    assert_int_equal(argus_otlp_decode_any(&tr, &lg, "", 0, ARGUS_OTLP_AUTO, &out, &err), 0);
    assert_ptr_equal(out, &tr);
    argus_otlp_payload_free(&tr);
    argus_otlp_payload_free(&lg);
}

/* Recycling keeps a small arena block for the next request and drops a big one. */
static void test_recycle(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = pack_json_lookalike(&len);
    argus_otlp_payload p;
    argus_otlp_payload_init(&p, ARGUS_SIGNAL_TRACES);
    argus_error err;
    assert_int_equal(argus_otlp_decode(&p, buf, len, ARGUS_OTLP_PROTOBUF, &err), 0);
    assert_int_equal(argus_otlp_render(&p, &err), 0);
    assert_non_null(p.rows);
    size_t held = p.arena.used;
    assert_true(held > 0);
    argus_otlp_recycle(&p, held);
    assert_null(p.data);
    assert_null(p.rows);
    assert_int_equal(p.item_count, 0);
    assert_int_equal(p.arena.used, held); /* one block kept */
    argus_otlp_recycle(&p, held - 1);
    assert_int_equal(p.arena.used, 0); /* over the bound: released */
    assert_int_equal(argus_otlp_decode(&p, buf, len, ARGUS_OTLP_PROTOBUF, &err), 0);
    assert_int_equal(argus_otlp_valid_items(&p), 1);
    argus_otlp_payload_free(&p);
    free(buf);
}

static void test_deep_nesting_is_limited(void **state)
{
    (void)state;
    /* AnyValue{array_value{values{AnyValue{...}}}} nested 200 times inside one attribute. */
    argus_pb_anyvalue *v = av_int(1);
    for (int i = 0; i < 200; i++) {
        argus_pb_anyvalue **items = tcalloc(1, sizeof *items);
        items[0] = v;
        v = av_array(1, items);
    }
    argus_pb_keyvalue *attrs[] = {kv("deep", v)};
    argus_pb_span *s = new_span(TRACE_A, 16, SPAN_A, 8);
    s->attributes = attrs;
    s->n_attributes = 1;
    size_t len;
    uint8_t *buf = pack_traces(NULL, 0, &s, 1, &len);
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    argus_error err;
    assert_int_equal(argus_otlp_traces_decode(&t, buf, len, &err), ARGUS_ELIMIT);
    assert_non_null(strstr(err.message, "nesting deeper than"));
    argus_otlp_traces_free(&t);
    free(buf);
}

/* An attribute holding `levels` nested containers: kvlists (kind 'k'), arrays ('a') or both
 * alternating ('m'); decoded as a span attribute. Returns the decode result. */
static int decode_nested(int levels, char kind, argus_error *err)
{
    argus_pb_anyvalue *v = av_int(1);
    for (int i = 0; i < levels; i++) {
        int kvlist = kind == 'k' || (kind == 'm' && i % 2);
        if (kvlist) {
            argus_pb_keyvalue **items = tcalloc(1, sizeof *items);
            items[0] = kv("k", v);
            v = av_kvlist(1, items);
        } else {
            argus_pb_anyvalue **items = tcalloc(1, sizeof *items);
            items[0] = v;
            v = av_array(1, items);
        }
    }
    argus_pb_keyvalue **attrs = tcalloc(1, sizeof *attrs);
    attrs[0] = kv("deep", v);
    argus_pb_span *s = new_span(TRACE_A, 16, SPAN_A, 8);
    s->attributes = attrs;
    s->n_attributes = 1;
    size_t len;
    uint8_t *buf = pack_traces(NULL, 0, &s, 1, &len);
    argus_otlp_payload p;
    argus_otlp_payload_init(&p, ARGUS_SIGNAL_TRACES);
    int rc = argus_otlp_decode(&p, buf, len, ARGUS_OTLP_PROTOBUF, err);
    argus_otlp_payload_free(&p);
    free(buf);
    return rc;
}

/* The same AnyValue nesting limit (ARGUS_OTLP_MAX_DEPTH = 64 containers) as OTLP/JSON, whatever
 * mix of arrays and kvlists. */
static void test_nesting_limit_is_64_for_every_container(void **state)
{
    (void)state;
    argus_error err;
    const char kinds[] = {'a', 'k', 'm'};
    for (size_t i = 0; i < sizeof kinds; i++) {
        int rc = decode_nested(ARGUS_OTLP_MAX_DEPTH, kinds[i], &err);
        if (rc != 0)
            fail_msg("%c x %d: expected to decode, got %d: %s", kinds[i], ARGUS_OTLP_MAX_DEPTH, rc,
                     err.message);
        rc = decode_nested(ARGUS_OTLP_MAX_DEPTH + 1, kinds[i], &err);
        if (rc != ARGUS_ELIMIT || !strstr(err.message, "AnyValue nesting deeper than 64 levels"))
            fail_msg("%c x %d: expected ARGUS_ELIMIT (AnyValue nesting deeper than 64 levels), "
                     "got %d: %s",
                     kinds[i], ARGUS_OTLP_MAX_DEPTH + 1, rc, err.message);
    }
}

static void test_logs_bodies(void **state)
{
    (void)state;
    argus_pb_log recs[3];
    argus_pb_log *recp[3];
    for (int i = 0; i < 3; i++) {
        opentelemetry__proto__logs__v1__log_record__init(&recs[i]);
        recs[i].time_unix_nano = 1700000000000000000ULL + (uint64_t)i;
        recs[i].severity_number = 17;
        recp[i] = &recs[i];
    }
    recs[0].body = av_str("disk \xff full");
    recs[0].severity_text = "ERROR";
    recs[0].trace_id.data = (uint8_t *)TRACE_A;
    recs[0].trace_id.len = 16;
    recs[0].span_id.data = (uint8_t *)SPAN_A;
    recs[0].span_id.len = 8;
    argus_pb_keyvalue *body[] = {kv("user", av_str("ann")), kv("n", av_int(3))};
    recs[1].body = av_kvlist(2, body);
    recs[2].span_id.len = 3; /* invalid: rejected */
    recs[2].span_id.data = (uint8_t *)SPAN_A;

    argus_pb_scope_logs sl;
    opentelemetry__proto__logs__v1__scope_logs__init(&sl);
    sl.log_records = recp;
    sl.n_log_records = 3;
    argus_pb_scope_logs *slp = &sl;
    argus_pb_resource_logs rl;
    opentelemetry__proto__logs__v1__resource_logs__init(&rl);
    rl.scope_logs = &slp;
    rl.n_scope_logs = 1;
    argus_pb_resource_logs *rlp = &rl;
    argus_pb_logs ld;
    opentelemetry__proto__logs__v1__logs_data__init(&ld);
    ld.resource_logs = &rlp;
    ld.n_resource_logs = 1;
    size_t len = opentelemetry__proto__logs__v1__logs_data__get_packed_size(&ld);
    uint8_t *buf = malloc(len);
    opentelemetry__proto__logs__v1__logs_data__pack(&ld, buf);

    argus_otlp_logs l;
    argus_otlp_logs_init(&l);
    argus_error err;
    assert_int_equal(argus_otlp_logs_decode(&l, buf, len, &err), 0);
    assert_int_equal(l.item_count, 3);
    assert_int_equal(l.rejected, 1);
    argus_buf sc, out;
    argus_buf_init(&sc);
    argus_buf_init(&out);
    argus_otlp_rows_json(&out, &l);
    const char *json = argus_buf_cstr(&out);
    assert_non_null(strstr(json, "\"body\":\"disk \xef\xbf\xbd full\",\"body_type\":\"string\""));
    assert_non_null(strstr(json, "\"body\":\"{\\\"user\\\":\\\"ann\\\",\\\"n\\\":3}\","
                                 "\"body_type\":\"kvlist\""));
    assert_non_null(strstr(json, "\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\","
                                 "\"span_id\":\"a1a2a3a4a5a6a7a8\""));
    assert_non_null(strstr(json, "\"severity_text\":\"ERROR\""));
    assert_non_null(strstr(json, "\"severity_text\":null"));
    assert_null(strstr(json, "1700000000000000002")); /* the rejected record is not rendered */
    argus_buf_free(&sc);
    argus_buf_free(&out);
    argus_otlp_logs_free(&l);
    free(buf);
}

/* Rows rendered ahead (argus_otlp_*_render, as the server does in its receiving threads) read
 * exactly as rows rendered on demand: every column of every valid item, across resources. */
static const char RENDER_TRACES[] =
    "{\"resourceSpans\":["
    "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\"}}]},"
    " \"schemaUrl\":\"https://example.com/1\","
    " \"scopeSpans\":[{\"scope\":{\"name\":\"s\"},\"spans\":["
    "  {\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"a1a2a3a4a5a6a7a8\","
    "   \"name\":\"one\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"5\","
    "   \"attributes\":[{\"key\":\"k\",\"value\":{\"intValue\":\"3\"}}]},"
    "  {\"traceId\":\"01\",\"spanId\":\"a1a2a3a4a5a6a7a8\",\"name\":\"bad id\"},"
    "  {\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"b1b2b3b4b5b6b7b8\","
    "   \"parentSpanId\":\"a1a2a3a4a5a6a7a8\",\"name\":\"two\",\"kind\":2,"
    "   \"events\":[{\"name\":\"e\",\"timeUnixNano\":\"2\"}]}]}]},"
    "{\"resource\":{\"attributes\":[{\"key\":\"host\",\"value\":{\"stringValue\":\"h\"}}]},"
    " \"scopeSpans\":[{\"spans\":["
    "  {\"traceId\":\"1102030405060708090a0b0c0d0e0f10\",\"spanId\":\"c1a2a3a4a5a6a7a8\","
    "   \"name\":\"three\",\"status\":{\"code\":2,\"message\":\"m\"}}]}]}]}";

static const char RENDER_LOGS[] =
    "{\"resourceLogs\":["
    "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\"}}]},"
    " \"scopeLogs\":[{\"logRecords\":["
    "  {\"timeUnixNano\":\"7\",\"severityNumber\":17,\"body\":{\"stringValue\":\"x 1\"}},"
    "  {\"spanId\":\"01\",\"body\":{\"stringValue\":\"bad id\"}},"
    "  {\"observedTimeUnixNano\":\"8\",\"body\":{\"kvlistValue\":{\"values\":["
    "   {\"key\":\"u\",\"value\":{\"boolValue\":true}}]}}}]}]},"
    "{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"no resource\"}}]}]}]}";

static void test_rendered_rows_match(void **state)
{
    (void)state;
    argus_error err;
    argus_buf before, after;
    argus_buf_init(&before);
    argus_buf_init(&after);
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    assert_int_equal(argus_otlp_traces_decode(&t, RENDER_TRACES, sizeof RENDER_TRACES - 1, &err),
                     0);
    assert_int_equal(t.rejected, 1);
    argus_otlp_rows_json(&before, &t);
    assert_int_equal(argus_otlp_render(&t, &err), 0);
    assert_non_null(t.rows);
    argus_otlp_rows_json(&after, &t);
    assert_string_equal(argus_buf_cstr(&after), argus_buf_cstr(&before));
    assert_non_null(strstr(argus_buf_cstr(&after), "\"name\":\"three\""));
    argus_otlp_traces_free(&t);

    argus_buf_reset(&before);
    argus_buf_reset(&after);
    argus_otlp_logs l;
    argus_otlp_logs_init(&l);
    assert_int_equal(argus_otlp_logs_decode(&l, RENDER_LOGS, sizeof RENDER_LOGS - 1, &err), 0);
    assert_int_equal(l.rejected, 1);
    argus_otlp_rows_json(&before, &l);
    assert_int_equal(argus_otlp_render(&l, &err), 0);
    argus_otlp_rows_json(&after, &l);
    assert_string_equal(argus_buf_cstr(&after), argus_buf_cstr(&before));
    assert_non_null(strstr(argus_buf_cstr(&after), "no resource"));
    argus_otlp_logs_free(&l);
    argus_buf_free(&before);
    argus_buf_free(&after);
}

/* One grouping container serves every grouping in turn (a rollup's sketches are freed when the
 * next build is of another kind), with the same rows whether the payload was rendered ahead or
 * not: RENDER_TRACES' valid spans are one (a, root), two (a, SERVER) and three (unknown_service,
 * root, error); RENDER_LOGS' valid records are of a (severity 17; observed time only) and of no
 * service. */
static void check_groupings(argus_grouping *g, argus_otlp_traces *t, argus_otlp_logs *l)
{
    argus_error err;
    assert_int_equal(argus_span_rollups_build(g, t, &err), 0);
    assert_int_equal(g->n, 2);
    const argus_span_rollup *ru = g->rows;
    assert_int_equal(ru[0].key.service_n, 1);
    assert_memory_equal(ru[0].key.service, "a", 1);
    assert_int_equal(ru[0].requests, 2);
    assert_int_equal(ru[0].errors, 0);
    assert_true(ru[0].sketch_n > 0);
    assert_memory_equal(ru[1].key.service, "unknown_service", 15);
    assert_int_equal(ru[1].requests, 1);
    assert_int_equal(ru[1].errors, 1);

    assert_int_equal(argus_span_operations_build(g, t), 0);
    assert_int_equal(g->n, 3);
    const argus_span_operation *op = g->rows;
    assert_memory_equal(op[1].name, "two", 3);
    assert_int_equal(op[1].spans, 1);
    assert_int_equal(op[1].requests, 1); /* SERVER */
    assert_int_equal(op[1].errors, 0);
    assert_memory_equal(op[2].name, "three", 5);
    assert_int_equal(op[2].request_errors, 1);

    assert_int_equal(argus_span_traces_build(g, t), 0);
    assert_int_equal(g->n, 2);
    const argus_span_trace *tr = g->rows;
    assert_memory_equal(tr[0].trace_id, "0102030405060708090a0b0c0d0e0f10", 32);
    assert_int_equal(tr[0].spans, 2);
    assert_int_equal(tr[0].end_ns, 5);
    assert_memory_equal(tr[0].root_name.s, "one", 3);
    assert_memory_equal(tr[0].services, "[\"a\"]", tr[0].services_n);
    assert_memory_equal(tr[1].services, "[\"unknown_service\"]", tr[1].services_n);
    assert_int_equal(tr[1].errors, 1);

    assert_int_equal(argus_span_rollups_build(g, t, &err), 0);
    assert_int_equal(argus_log_rollups_build(g, l), 0);
    assert_int_equal(g->n, 3);
    const argus_log_rollup *lr = g->rows;
    assert_int_equal(lr[0].severity, 17);
    assert_int_equal(lr[1].severity, 0);
    assert_memory_equal(lr[2].key.service, "unknown_service", 15);
    assert_int_equal(lr[0].count + lr[1].count + lr[2].count, 3);
}

static void test_one_grouping_container(void **state)
{
    (void)state;
    argus_error err;
    argus_otlp_traces t;
    argus_otlp_logs l;
    argus_otlp_traces_init(&t);
    argus_otlp_logs_init(&l);
    assert_int_equal(argus_otlp_traces_decode(&t, RENDER_TRACES, sizeof RENDER_TRACES - 1, &err),
                     0);
    assert_int_equal(argus_otlp_logs_decode(&l, RENDER_LOGS, sizeof RENDER_LOGS - 1, &err), 0);
    argus_grouping g;
    argus_grouping_init(&g);
    check_groupings(&g, &t, &l);
    assert_int_equal(argus_otlp_render(&t, &err), 0);
    assert_int_equal(argus_otlp_render(&l, &err), 0);
    check_groupings(&g, &t, &l);
    argus_grouping_free(&g);
    argus_otlp_traces_free(&t);
    argus_otlp_logs_free(&l);
}

/* argus_otlp_check_wire(): prices what a protobuf holds (the costs given per message type plus its
 * strings and bytes), refuses what the decoder refuses with the same error, and lets the next
 * decode of the same bytes skip its own check with the same result. */
static void test_check_wire(void **state)
{
    (void)state;
    argus_error err;
    argus_pb_keyvalue *res[] = {kv("service.name", av_str("svc"))};
    argus_pb_span *s = new_span(TRACE_A, 16, SPAN_A, 8);
    s->name = "op";
    size_t len;
    uint8_t *buf = pack_traces(res, 1, &s, 1, &len);
    const argus_otlp_wire_cost costs[] = {
        {&opentelemetry__proto__trace__v1__span__descriptor, 1000},
        {&opentelemetry__proto__common__v1__key_value__descriptor, 100},
        {&opentelemetry__proto__common__v1__any_value__descriptor, 10},
    };
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    uint64_t cost = 7;
    assert_int_equal(argus_otlp_check_wire(&t, buf, len, costs, 3, &cost, &err), 0);
    /* a span, a KeyValue, an AnyValue; strings: "service.name", "svc", the scope's "test.scope"
     * and "9.9", the ids (16 + 8 bytes), "op" */
    assert_int_equal(cost, 7 + 1000 + 100 + 10 + 12 + 3 + 10 + 3 + 16 + 8 + 2);
    assert_int_equal(argus_otlp_traces_decode(&t, buf, len, &err), 0);
    assert_int_equal(t.item_count, 1);
    assert_string_equal(t.traces->resource_spans[0]->scope_spans[0]->spans[0]->name, "op");
    /* other bytes than the checked ones are checked by the decode itself */
    const uint8_t trunc[] = {0x0a, 0x05, 0x12, 0x00};
    cost = 0;
    assert_int_equal(argus_otlp_check_wire(&t, buf, len, costs, 3, &cost, &err), 0);
    assert_int_equal(argus_otlp_traces_decode(&t, trunc, sizeof trunc, &err), ARGUS_EFORMAT);
    assert_int_equal(argus_otlp_check_wire(&t, trunc, sizeof trunc, costs, 3, &cost, &err),
                     ARGUS_EFORMAT);
    assert_string_equal(err.message, "otlp: protobuf: truncated length-delimited field 1 of "
                                     "TracesData at offset 0");
    free(buf);
    argus_otlp_traces_free(&t);
}

/* Decodes the OTLP/JSON traces text b holds (rendered ahead, as the server's writer has it). */
static void decode_json_traces(argus_otlp_traces *t, const argus_buf *b)
{
    argus_error err;
    argus_otlp_traces_init(t);
    assert_false(b->failed);
    assert_int_equal(argus_otlp_traces_decode(t, b->data, b->len, &err), 0);
    assert_int_equal(argus_otlp_render(t, &err), 0);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A trace whose spans come from thousands of services (each service twice, in two different
 * orders): its summary lists each once, sorted, as json_group_set() would. A trace's services
 * used to be a list each span searched, so such a request cost the writer seconds. */
static void test_trace_of_many_services(void **state)
{
    (void)state;
    enum { NSVC = 3000 };
    argus_buf b;
    argus_buf_init(&b);
    argus_buf_appends(&b, "{\"resourceSpans\":[");
    for (int k = 0; k < 2 * NSVC; k++) {
        int svc = k < NSVC ? k : (int)(((unsigned)(k - NSVC) * 7919u) % NSVC);
        char one[400];
        snprintf(one, sizeof one,
                 "%s{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
                 "{\"stringValue\":\"svc-%d\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":"
                 "\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"%016x\",\"name\":\"op\","
                 "\"startTimeUnixNano\":\"%d\",\"endTimeUnixNano\":\"%d\"}]}]}",
                 k ? "," : "", svc, k + 1, 1000 + k, 2000 + k);
        argus_buf_appends(&b, one);
    }
    argus_buf_appends(&b, "]}");
    argus_otlp_traces t;
    decode_json_traces(&t, &b);
    argus_grouping g;
    argus_grouping_init(&g);
    assert_int_equal(argus_span_traces_build(&g, &t), 0);
    assert_int_equal(g.n, 1);
    const argus_span_trace *tr = g.rows;
    assert_int_equal(tr->spans, 2 * NSVC);
    /* the expected array: every name once, in byte order */
    char *names[NSVC];
    char(*store)[16] = malloc(sizeof(char[16]) * NSVC);
    assert_non_null(store);
    for (int k = 0; k < NSVC; k++) {
        snprintf(store[k], 16, "svc-%d", k);
        names[k] = store[k];
    }
    qsort(names, NSVC, sizeof *names, cmp_cstr);
    argus_buf want;
    argus_buf_init(&want);
    argus_buf_appendc(&want, '[');
    for (int k = 0; k < NSVC; k++) {
        argus_buf_appends(&want, k ? ",\"" : "\"");
        argus_buf_appends(&want, names[k]);
        argus_buf_appendc(&want, '"');
    }
    argus_buf_appendc(&want, ']');
    assert_int_equal(tr->services_n, want.len);
    assert_memory_equal(tr->services, want.data, want.len);
    free(store);
    argus_buf_free(&want);
    argus_grouping_free(&g);
    argus_otlp_traces_free(&t);
    argus_buf_free(&b);
}

/* The groupings' hash table is keyed with a secret (argus_hash.h). A fixed hash lets a client
 * compute offline span names that all land in one slot: a request of n of them made each new
 * group walk all the earlier ones (n^2 / 2 steps; seconds of the writer for a large request).
 * Here 3000 names are found that share their slot of an 8192-slot table under the fixed hash the
 * groupings used before (a multiply-xorshift over 8-byte words, from FNV's offset basis); grouped
 * now, they must spread over the table like any other names. */
static uint64_t fixed_mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static uint64_t fixed_hash(uint64_t h, const char *s, size_t n)
{
    uint64_t v;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&v, s, 8);
        h = fixed_mix(h, v);
    }
    v = 0;
    memcpy(&v, s, n);
    return fixed_mix(h, v ^ ((uint64_t)n << 56));
}

static void test_crafted_collisions_spread(void **state)
{
    (void)state;
    enum { NNAMES = 3000, MASK = 8191 };
    const int64_t minute = 1700000040000000000LL; /* a whole minute: the spans' start */
    uint64_t before = fixed_hash(0xcbf29ce484222325ULL ^ ARGUS_VAL_TEXT, "s", 1);
    before = fixed_mix(fixed_mix(before, (uint64_t)minute), 0) ^ ARGUS_VAL_TEXT;
    argus_buf b;
    argus_buf_init(&b);
    argus_buf_appends(&b, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
                          "\"service.name\",\"value\":{\"stringValue\":\"s\"}}]},"
                          "\"scopeSpans\":[{\"spans\":[");
    uint64_t target = 0;
    unsigned found = 0;
    for (uint32_t c = 0; found < NNAMES; c++) {
        char name[16];
        int n = snprintf(name, sizeof name, "op-%08x", (unsigned)c);
        uint64_t slot = fixed_hash(before, name, (size_t)n) & MASK;
        if (found == 0)
            target = slot;
        if (slot != target)
            continue;
        char one[300];
        snprintf(one, sizeof one,
                 "%s{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"%016x\","
                 "\"name\":\"%s\",\"startTimeUnixNano\":\"%lld\",\"endTimeUnixNano\":\"%lld\"}",
                 found ? "," : "", found + 1, name, (long long)minute, (long long)minute + 5);
        argus_buf_appends(&b, one);
        found++;
    }
    argus_buf_appends(&b, "]}]}]}");
    argus_otlp_traces t;
    decode_json_traces(&t, &b);
    argus_grouping g;
    argus_grouping_init(&g);
    assert_int_equal(argus_span_operations_build(&g, &t), 0);
    assert_int_equal(g.n, NNAMES);
    assert_int_equal(g.nslots, MASK + 1);
    /* the longest run of occupied slots: what the slowest lookup walks */
    size_t run = 0, longest = 0;
    for (size_t k = 0; k < 2 * g.nslots; k++) {
        run = g.slots[k & MASK] ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    assert_true(longest < 200);
    argus_grouping_free(&g);
    argus_otlp_traces_free(&t);
    argus_buf_free(&b);
}

static void test_arena_limit(void **state)
{
    (void)state;
    argus_arena a;
    argus_arena_init(&a, 1 << 20);
    void *p = argus_arena_alloc(&a, 512 << 10);
    assert_non_null(p);
    assert_null(argus_arena_alloc(&a, 600 << 10));
    assert_true(a.exhausted);
    argus_arena_reset(&a);
    assert_false(a.exhausted);
    assert_non_null(argus_arena_alloc(&a, 100));
    argus_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_every_anyvalue_type, free_pool),
        cmocka_unit_test_teardown(test_check_wire, free_pool),
        cmocka_unit_test_teardown(test_doubles_round_trip, free_pool),
        cmocka_unit_test_teardown(test_invalid_utf8_is_replaced, free_pool),
        cmocka_unit_test_teardown(test_base64_vectors, free_pool),
        cmocka_unit_test_teardown(test_service_name_events_links_status, free_pool),
        cmocka_unit_test_teardown(test_invalid_ids_are_rejected_not_fatal, free_pool),
        cmocka_unit_test_teardown(test_malformed_payloads, free_pool),
        cmocka_unit_test_teardown(test_explicit_format_and_json_lookalike, free_pool),
        cmocka_unit_test_teardown(test_decode_any, free_pool),
        cmocka_unit_test_teardown(test_recycle, free_pool),
        cmocka_unit_test_teardown(test_deep_nesting_is_limited, free_pool),
        cmocka_unit_test_teardown(test_nesting_limit_is_64_for_every_container, free_pool),
        cmocka_unit_test_teardown(test_logs_bodies, free_pool),
        cmocka_unit_test_teardown(test_rendered_rows_match, free_pool),
        cmocka_unit_test_teardown(test_one_grouping_container, free_pool),
        cmocka_unit_test_teardown(test_trace_of_many_services, free_pool),
        cmocka_unit_test_teardown(test_crafted_collisions_spread, free_pool),
        cmocka_unit_test_teardown(test_arena_limit, free_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
