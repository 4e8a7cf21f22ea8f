/* libFuzzer target for the OTLP/JSON decoder alone: both decoders on every input in a
 * memory-limited arena; a decoded struct must pass protobuf_c_message_check and pack/unpack/pack to
 * the same bytes, a failure must carry an "otlp: json: " message and a documented code. CC=clang
 * cmake -S . -B build-json-fuzz -DARGUS_FUZZ=ON && cmake --build build-json-fuzz
 *   build-json-fuzz/tests/fuzz/fuzz_otlp_json -max_total_time=120 tests/fuzz/corpus/otlp_json */
#include "argus_otlp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Tight enough that inputs of a few KiB hit it (decoded attributes take ~2.5 times their JSON
 * size, jansson's tree more), so the ENOMEM paths are fuzzed too. */
#define ARENA_LIMIT(size) (((size_t)64 << 10) + 2 * (size))

static argus_arena arena, scratch;
static argus_buf out;

static void check_failure(int rc, const void *msg, const argus_error *err)
{
    if (msg != NULL || err->code != rc || strncmp(err->message, "otlp: json: ", 12) != 0 ||
        (rc != ARGUS_EFORMAT && rc != ARGUS_ELIMIT && rc != ARGUS_ENOMEM))
        abort();
}

static void check_message(const ProtobufCMessage *m)
{
    if (!m || !protobuf_c_message_check(m))
        abort();
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *a = malloc(n ? n : 1), *b = malloc(n ? n : 1);
    if (!a || !b)
        abort();
    if (protobuf_c_message_pack(m, a) != n)
        abort();
    ProtobufCAllocator pa = argus_arena_protobuf(&scratch);
    ProtobufCMessage *u = protobuf_c_message_unpack(m->descriptor, &pa, n, a);
    if (!u || protobuf_c_message_get_packed_size(u) != n || protobuf_c_message_pack(u, b) != n ||
        memcmp(a, b, n) != 0)
        abort();
    free(a);
    free(b);
    argus_arena_reset(&scratch);
}

static void render(argus_pb_keyvalue *const *kv, size_t n)
{
    argus_buf_reset(&out);
    argus_otlp_attributes_json(&out, kv, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        argus_arena_init(&arena, 0);
        argus_arena_init(&scratch, 0);
        argus_buf_init(&out);
        ready = 1;
    }
    arena.limit = ARENA_LIMIT(size);
    argus_error err;
    argus_pb_traces *t = NULL;
    int rc = argus_otlp_json_decode_traces((const char *)data, size, &arena, &t, &err);
    if (rc) {
        check_failure(rc, t, &err);
    } else {
        check_message(&t->base);
        for (size_t r = 0; r < t->n_resource_spans; r++)
            for (size_t s = 0; s < t->resource_spans[r]->n_scope_spans; s++) {
                const argus_pb_scope_spans *ss = t->resource_spans[r]->scope_spans[s];
                for (size_t k = 0; k < ss->n_spans; k++) {
                    argus_otlp_span_invalid(ss->spans[k]);
                    render(ss->spans[k]->attributes, ss->spans[k]->n_attributes);
                    argus_otlp_events_json(&out, ss->spans[k]);
                    argus_otlp_links_json(&out, ss->spans[k]);
                }
            }
    }
    argus_arena_reset(&arena);

    argus_pb_logs *l = NULL;
    rc = argus_otlp_json_decode_logs((const char *)data, size, &arena, &l, &err);
    if (rc) {
        check_failure(rc, l, &err);
    } else {
        check_message(&l->base);
        for (size_t r = 0; r < l->n_resource_logs; r++)
            for (size_t s = 0; s < l->resource_logs[r]->n_scope_logs; s++) {
                const argus_pb_scope_logs *sl = l->resource_logs[r]->scope_logs[s];
                for (size_t k = 0; k < sl->n_log_records; k++) {
                    argus_otlp_log_invalid(sl->log_records[k]);
                    render(sl->log_records[k]->attributes, sl->log_records[k]->n_attributes);
                    argus_otlp_body_text(&out, sl->log_records[k]->body);
                }
            }
    }
    argus_arena_reset(&arena);
    if (out.cap > (1u << 20))
        argus_buf_free(&out);
    return 0;
}
