/* libFuzzer target for the OTLP decoders (protobuf, and JSON when the input starts with '{') and
 * the row rendering: every column of every decoded span / log record is produced.
 *   build-fuzz/tests/fuzz/fuzz_otlp_pb -max_total_time=60 tests/fuzz/corpus/otlp_pb */
#include "argus_otlp_rows.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static argus_otlp_traces t;
    static argus_otlp_logs l;
    static argus_buf scratch;
    static int ready;
    if (!ready) {
        argus_otlp_traces_init(&t);
        argus_otlp_logs_init(&l);
        argus_buf_init(&scratch);
        ready = 1;
    }
    argus_error err;
    argus_value v;
    if (argus_otlp_traces_decode(&t, data, size, &err) == 0) {
        for (argus_otlp_iter it = argus_otlp_iter_start(&t); argus_otlp_iter_next(&it);)
            for (int c = 0; c < ARGUS_SPAN_NCOLUMNS; c++)
                argus_otlp_span_column(&it, c, &v, &scratch);
    }
    if (argus_otlp_logs_decode(&l, data, size, &err) == 0) {
        for (argus_otlp_iter it = argus_otlp_iter_start(&l); argus_otlp_iter_next(&it);)
            for (int c = 0; c < ARGUS_LOG_NCOLUMNS; c++)
                argus_otlp_log_column(&it, c, &v, &scratch);
    }
    /* Keep memory from growing across runs; the arenas keep one block. */
    if (scratch.cap > (1u << 20))
        argus_buf_free(&scratch);
    return 0;
}
