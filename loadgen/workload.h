/* Realistic OTLP traffic for argus-loadgen: serialized ExportTraceServiceRequest /
 * ExportLogsServiceRequest templates plus the byte offsets of every id and timestamp in them, so
 * each send can give a template fresh trace/span ids and current times without re-encoding:
 *   argus_workload w; argus_workload_build(&w, &rng, 1000, 1000, now_ns);
 *   argus_id_salt salt; argus_id_salt_random(&salt, &rng);
 *   argus_payload_render(&w.traces, dst, &salt, now_ns - w.base_ns); */
#ifndef ARGUS_WORKLOAD_H
#define ARGUS_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

/* xoshiro256** seeded through splitmix64: fast, good enough for ids and workload shape. */
typedef struct argus_rng {
    uint64_t s[4];
} argus_rng;

void argus_rng_seed(argus_rng *r, uint64_t seed);
uint64_t argus_rng_next(argus_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t argus_rng_below(argus_rng *r, uint32_t n);

typedef enum argus_patch_kind {
    ARGUS_PATCH_TRACE_ID = 1, /* 16 id bytes at offset: xor-ed with the trace salt */
    ARGUS_PATCH_SPAN_ID,      /* 8 id bytes at offset: xor-ed with the span salt */
    ARGUS_PATCH_TIME,         /* a little-endian fixed64 at offset: shifted by delta */
} argus_patch_kind;

typedef struct argus_patch {
    uint32_t offset;
    uint32_t kind; /* argus_patch_kind */
} argus_patch;

/* One serialized request and where its ids and times are. All members owned by the workload. */
typedef struct argus_payload {
    uint8_t *data;
    size_t len;   /* 0 when the workload has no items of this signal */
    size_t items; /* spans or log records in the request */
    argus_patch *patches;
    size_t npatches;
} argus_payload;

/* A traces request and a logs request describing the same traces: every log record that
 * carries a trace context names a span of the same trace (the span itself is in `traces` unless
 * the span quota was already met). Times lie just before base_ns. */
typedef struct argus_workload {
    argus_payload traces;
    argus_payload logs;
    uint64_t base_ns;
} argus_workload;

/* The same salt applied to a traces request and its logs request keeps them correlated; a fresh
 * salt per send makes every trace distinct (xor with a random salt is a bijection on ids). */
typedef struct argus_id_salt {
    uint8_t trace[16];
    uint8_t span[8];
} argus_id_salt;

/* Builds a workload with exactly `spans` spans and `logs` log records (either may be 0). Returns
 * 0, or -1 when out of memory. Free with argus_workload_free. */
int argus_workload_build(argus_workload *w, argus_rng *rng, size_t spans, size_t logs,
                         uint64_t base_ns);
void argus_workload_free(argus_workload *w);

void argus_id_salt_random(argus_id_salt *salt, argus_rng *rng);

/* Writes p's bytes into dst (p->len bytes) with every id xor-ed with the salt and every time
 * shifted by delta_ns. Returns 0, or -1 when an id came out all-zero (invalid in OTLP; the caller
 * picks another salt). */
int argus_payload_render(const argus_payload *p, uint8_t *dst, const argus_id_salt *salt,
                         int64_t delta_ns);

#endif
