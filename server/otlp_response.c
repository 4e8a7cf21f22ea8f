/* Encodes OTLP Export responses and error statuses; see otlp_response.h.
 *   curl -s -H 'Content-Type: application/json' -d @spans.json localhost:4318/v1/traces
 *   {"partialSuccess":{"rejectedSpans":"1","errorMessage":"1 spans rejected: ..."}}
 * Protobuf responses are packed with protobuf-c from the generated collector messages; the tiny
 * google.rpc.Status (code = 1, message = 2) is written by hand as it is not among our protos. */
#include "otlp_response.h"

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include <string.h>

int argus_response_grpc_code(argus_ingest_status s)
{
    switch (s) {
    case ARGUS_INGEST_OK: return ARGUS_GRPC_OK;
    case ARGUS_INGEST_INVALID: return ARGUS_GRPC_INVALID_ARGUMENT;
    case ARGUS_INGEST_TOO_LARGE: return ARGUS_GRPC_INVALID_ARGUMENT;
    case ARGUS_INGEST_FULL: return ARGUS_GRPC_RESOURCE_EXHAUSTED;
    case ARGUS_INGEST_UNAVAILABLE: return ARGUS_GRPC_UNAVAILABLE;
    case ARGUS_INGEST_INTERNAL: return ARGUS_GRPC_INTERNAL;
    }
    return ARGUS_GRPC_INTERNAL;
}

int argus_response_http_status(argus_ingest_status s)
{
    switch (s) {
    case ARGUS_INGEST_OK: return 200;
    case ARGUS_INGEST_INVALID: return 400;
    case ARGUS_INGEST_TOO_LARGE: return 413;
    case ARGUS_INGEST_FULL: return 429;
    case ARGUS_INGEST_UNAVAILABLE: return 503;
    case ARGUS_INGEST_INTERNAL: return 500;
    }
    return 500;
}

static int encode_json(const argus_ingest_result *r, argus_buf *out)
{
    if (!r->rejected && !r->message[0]) {
        argus_buf_appends(out, "{}");
        return out->failed ? -1 : 0;
    }
    int traces = r->signal == ARGUS_SIGNAL_TRACES;
    argus_buf_appends(out, "{\"partialSuccess\":{\"");
    argus_buf_appends(out, traces ? "rejectedSpans" : "rejectedLogRecords");
    /* proto3 JSON writes int64 as a string. */
    argus_buf_appends(out, "\":\"");
    argus_json_uint(out, r->rejected);
    argus_buf_appends(out, "\",\"errorMessage\":");
    argus_json_string(out, r->message, strlen(r->message));
    argus_buf_appends(out, "}}");
    return out->failed ? -1 : 0;
}

int argus_response_encode(const argus_ingest_result *r, int json, argus_buf *out)
{
    if (json)
        return encode_json(r, out);
    int partial = r->rejected || r->message[0];
    size_t n;
    if (r->signal == ARGUS_SIGNAL_TRACES) {
        Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse resp;
        Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess ps;
        opentelemetry__proto__collector__trace__v1__export_trace_service_response__init(&resp);
        opentelemetry__proto__collector__trace__v1__export_trace_partial_success__init(&ps);
        ps.rejected_spans = (int64_t)r->rejected;
        ps.error_message = (char *)r->message;
        if (partial)
            resp.partial_success = &ps;
        n = opentelemetry__proto__collector__trace__v1__export_trace_service_response__get_packed_size(
            &resp);
        if (argus_buf_reserve(out, n) != 0)
            return -1;
        opentelemetry__proto__collector__trace__v1__export_trace_service_response__pack(
            &resp, (uint8_t *)out->data + out->len);
    } else {
        Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceResponse resp;
        Opentelemetry__Proto__Collector__Logs__V1__ExportLogsPartialSuccess ps;
        opentelemetry__proto__collector__logs__v1__export_logs_service_response__init(&resp);
        opentelemetry__proto__collector__logs__v1__export_logs_partial_success__init(&ps);
        ps.rejected_log_records = (int64_t)r->rejected;
        ps.error_message = (char *)r->message;
        if (partial)
            resp.partial_success = &ps;
        n = opentelemetry__proto__collector__logs__v1__export_logs_service_response__get_packed_size(
            &resp);
        if (argus_buf_reserve(out, n) != 0)
            return -1;
        opentelemetry__proto__collector__logs__v1__export_logs_service_response__pack(
            &resp, (uint8_t *)out->data + out->len);
    }
    out->len += n;
    return 0;
}

static void varint(argus_buf *out, uint64_t v)
{
    while (v >= 0x80) {
        argus_buf_appendc(out, (char)(v | 0x80));
        v >>= 7;
    }
    argus_buf_appendc(out, (char)v);
}

#define RETRY_INFO_TYPE "type.googleapis.com/google.rpc.RetryInfo"

/* Appends field `field` as a length-delimited value holding what `body` appended. */
static void delimited(argus_buf *out, unsigned field, const argus_buf *body)
{
    varint(out, ((uint64_t)field << 3) | 2);
    varint(out, body->len);
    argus_buf_append(out, body->data ? body->data : "", body->len);
}

void argus_response_status(int grpc_code, const char *message, unsigned retry_after_s, int json,
                           argus_buf *out)
{
    size_t mlen = message ? strlen(message) : 0;
    if (json) {
        argus_buf_appends(out, "{\"code\":");
        argus_json_int(out, grpc_code);
        argus_buf_appends(out, ",\"message\":");
        argus_json_string(out, message ? message : "", mlen);
        if (retry_after_s) {
            argus_buf_appends(out, ",\"details\":[{\"@type\":\"" RETRY_INFO_TYPE "\","
                                   "\"retryDelay\":\"");
            argus_json_uint(out, retry_after_s);
            argus_buf_appends(out, "s\"}]");
        }
        argus_buf_appendc(out, '}');
        return;
    }
    if (grpc_code) {
        varint(out, (1 << 3) | 0); /* field 1, varint */
        varint(out, (uint64_t)(uint32_t)grpc_code);
    }
    if (mlen) {
        varint(out, (2 << 3) | 2); /* field 2, length-delimited */
        varint(out, mlen);
        argus_buf_append(out, message, mlen);
    }
    if (retry_after_s) {
        /* details (3): Any {type_url (1), value (2): RetryInfo {retry_delay (1): Duration
         * {seconds (1)}}} */
        argus_buf duration, retry, any;
        argus_buf_init(&duration);
        argus_buf_init(&retry);
        argus_buf_init(&any);
        varint(&duration, (1 << 3) | 0);
        varint(&duration, retry_after_s);
        delimited(&retry, 1, &duration);
        varint(&any, (1 << 3) | 2);
        varint(&any, sizeof RETRY_INFO_TYPE - 1);
        argus_buf_append(&any, RETRY_INFO_TYPE, sizeof RETRY_INFO_TYPE - 1);
        delimited(&any, 2, &retry);
        if (duration.failed || retry.failed || any.failed)
            out->failed = 1;
        else
            delimited(out, 3, &any);
        argus_buf_free(&duration);
        argus_buf_free(&retry);
        argus_buf_free(&any);
    }
}
