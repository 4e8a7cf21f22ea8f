/* Encodes OTLP Export responses and error statuses; see otlp_response.h.
 *   curl -s -H 'Content-Type: application/json' -d @spans.json localhost:4318/v1/traces
 *   {"partialSuccess":{"rejectedSpans":"1","errorMessage":"1 spans rejected: ..."}}
 * Protobuf responses are packed with protobuf-c from the generated collector messages; the tiny
 * google.rpc.Status (code = 1, message = 2) is written by hand as it is not among our protos. */
#include "otlp_response.h"

#include "google/rpc/retry_info.pb-c.h"
#include "google/rpc/status.pb-c.h"

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

/* The Export response of each signal: the message and its partial_success message (field 1:
 * the rejected count, field 2: error_message). Adding a signal: one line. */
static const struct {
    const ProtobufCMessageDescriptor *response, *partial;
} shapes[ARGUS_SIGNAL_COUNT] = {
    [ARGUS_SIGNAL_TRACES] =
        {&opentelemetry__proto__collector__trace__v1__export_trace_service_response__descriptor,
         &opentelemetry__proto__collector__trace__v1__export_trace_partial_success__descriptor},
    [ARGUS_SIGNAL_LOGS] =
        {&opentelemetry__proto__collector__logs__v1__export_logs_service_response__descriptor,
         &opentelemetry__proto__collector__logs__v1__export_logs_partial_success__descriptor},
};

static int encode_json(const argus_ingest_result *r, argus_buf *out)
{
    if (!r->rejected && !r->message[0]) {
        argus_buf_appends(out, "{}");
        return out->failed ? -1 : 0;
    }
    /* the proto field name in lowerCamelCase: rejected_spans -> rejectedSpans */
    const char *name = protobuf_c_message_descriptor_get_field(shapes[r->signal].partial, 1)->name;
    argus_buf_appends(out, "{\"partialSuccess\":{\"");
    for (const char *c = name; *c; c++)
        if (*c != '_')
            argus_buf_appendc(out, c > name && c[-1] == '_' && *c >= 'a' && *c <= 'z'
                                       ? (char)(*c - 'a' + 'A')
                                       : *c);
    /* proto3 JSON writes int64 as a string. */
    argus_buf_appends(out, "\":\"");
    argus_json_uint(out, r->rejected);
    argus_buf_appends(out, "\",\"errorMessage\":");
    argus_json_string(out, r->message, strlen(r->message));
    argus_buf_appends(out, "}}");
    return out->failed ? -1 : 0;
}

/* Packs m at the end of out. */
static void pack(argus_buf *out, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    if (argus_buf_reserve(out, n) != 0)
        return; /* out->failed is set */
    protobuf_c_message_pack(m, (uint8_t *)out->data + out->len);
    out->len += n;
}

int argus_response_encode(const argus_ingest_result *r, int json, argus_buf *out)
{
    if (json)
        return encode_json(r, out);
    /* Built from the descriptors, in storage that fits either signal's messages. */
    union {
        ProtobufCMessage base;
        Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse traces;
        Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceResponse logs;
    } resp;
    union {
        ProtobufCMessage base;
        Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess traces;
        Opentelemetry__Proto__Collector__Logs__V1__ExportLogsPartialSuccess logs;
    } ps;
    const ProtobufCMessageDescriptor *rd = shapes[r->signal].response;
    const ProtobufCMessageDescriptor *pd = shapes[r->signal].partial;
    if (rd->sizeof_message > sizeof resp || pd->sizeof_message > sizeof ps)
        return -1;
    protobuf_c_message_init(rd, &resp);
    protobuf_c_message_init(pd, &ps);
    int64_t rejected = (int64_t)r->rejected;
    const char *message = r->message;
    void *partial = &ps;
    memcpy((char *)&ps + protobuf_c_message_descriptor_get_field(pd, 1)->offset, &rejected,
           sizeof rejected);
    memcpy((char *)&ps + protobuf_c_message_descriptor_get_field(pd, 2)->offset, &message,
           sizeof message);
    if (r->rejected || r->message[0])
        memcpy((char *)&resp + protobuf_c_message_descriptor_get_field(rd, 1)->offset, &partial,
               sizeof partial);
    pack(out, &resp.base);
    return out->failed ? -1 : 0;
}

#define RETRY_INFO_TYPE "type.googleapis.com/google.rpc.RetryInfo"

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
    Google__Rpc__Status st;
    google__rpc__status__init(&st);
    st.code = grpc_code;
    st.message = (char *)(message ? message : "");
    Google__Protobuf__Duration delay;
    Google__Rpc__RetryInfo retry;
    Google__Protobuf__Any any, *details[1] = {&any};
    argus_buf packed_retry;
    argus_buf_init(&packed_retry);
    if (retry_after_s) {
        google__protobuf__duration__init(&delay);
        delay.seconds = retry_after_s;
        google__rpc__retry_info__init(&retry);
        retry.retry_delay = &delay;
        pack(&packed_retry, &retry.base);
        google__protobuf__any__init(&any);
        any.type_url = RETRY_INFO_TYPE;
        any.value.data = (uint8_t *)packed_retry.data;
        any.value.len = packed_retry.len;
        st.n_details = 1;
        st.details = details;
        if (packed_retry.failed)
            out->failed = 1;
    }
    if (!out->failed)
        pack(out, &st.base);
    argus_buf_free(&packed_retry);
}
