/* Answers to OTLP Export calls, shared by the gRPC and HTTP receivers: the
 * Export{Trace,Logs}ServiceResponse (with partial_success when items were rejected) as protobuf
 * or OTLP/JSON, google.rpc.Status bodies for HTTP errors, and the status-code mapping.
 *   argus_buf b; argus_buf_init(&b); argus_response_encode(&result, 0, &b);  // protobuf
 *   int code = argus_response_grpc_code(result.status);  // e.g. ARGUS_GRPC_RESOURCE_EXHAUSTED */
#ifndef ARGUS_OTLP_RESPONSE_H
#define ARGUS_OTLP_RESPONSE_H

#include "argus_buf.h"
#include "writer.h"

/* The gRPC status codes we answer with (values fixed by the gRPC protocol). */
enum {
    ARGUS_GRPC_OK = 0,
    ARGUS_GRPC_INVALID_ARGUMENT = 3,
    ARGUS_GRPC_RESOURCE_EXHAUSTED = 8,
    ARGUS_GRPC_UNIMPLEMENTED = 12,
    ARGUS_GRPC_INTERNAL = 13,
    ARGUS_GRPC_UNAVAILABLE = 14,
};

int argus_response_grpc_code(argus_ingest_status s);
int argus_response_http_status(argus_ingest_status s);

/* Appends the Export*ServiceResponse for an OK result to out: protobuf (json = 0) or OTLP/JSON.
 * Returns 0, or -1 when out of memory. */
int argus_response_encode(const argus_ingest_result *r, int json, argus_buf *out);

/* Appends a google.rpc.Status {code, message} (protobuf or JSON) to out; with retry_after_s > 0
 * its details carry a google.rpc.RetryInfo with that delay, which OTLP clients need to retry a
 * RESOURCE_EXHAUSTED (gRPC: sent as the grpc-status-details-bin trailer). */
void argus_response_status(int grpc_code, const char *message, unsigned retry_after_s, int json,
                           argus_buf *out);

#endif
