/* gzip / zlib decompression of request bodies with zlib; see gzip.h.
 *   curl --data-binary @spans.pb.gz -H 'Content-Encoding: gzip' \
 *        -H 'Content-Type: application/x-protobuf' localhost:4318/v1/traces
 * The output grows geometrically up to the limit, so a small "zip bomb" costs at most limit
 * bytes before it is refused. */
#include "gzip.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

int argus_gunzip(const void *in, size_t len, size_t limit, argus_buf *out, char *msg, size_t msglen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 15 + 32: accept both gzip and zlib headers (HTTP "deflate" means zlib-wrapped). */
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        snprintf(msg, msglen, "gzip: cannot initialise zlib");
        return ARGUS_GZIP_NOMEM;
    }
    zs.next_in = (Bytef *)in;
    int rc = Z_OK;
    size_t left_in = len;
    int result = 0;
    while (rc != Z_STREAM_END) {
        if (zs.avail_in == 0) {
            if (left_in == 0) {
                snprintf(msg, msglen, "gzip: compressed body is truncated");
                result = ARGUS_GZIP_CORRUPT;
                break;
            }
            uInt chunk = left_in > (1u << 30) ? (1u << 30) : (uInt)left_in;
            zs.avail_in = chunk;
            left_in -= chunk;
        }
        size_t want = out->len < 65536 ? 65536 : out->len;
        if (out->len + want > limit)
            want = limit + 1 - out->len; /* one byte more than allowed reveals an excess */
        if (argus_buf_reserve(out, want) != 0) {
            snprintf(msg, msglen, "gzip: out of memory");
            result = ARGUS_GZIP_NOMEM;
            break;
        }
        zs.next_out = (Bytef *)out->data + out->len;
        zs.avail_out = (uInt)want;
        rc = inflate(&zs, Z_NO_FLUSH);
        out->len += want - zs.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            snprintf(msg, msglen, "gzip: invalid compressed body (%s)",
                     zs.msg ? zs.msg : "corrupt data");
            result = ARGUS_GZIP_CORRUPT;
            break;
        }
        if (out->len > limit) {
            snprintf(msg, msglen, "gzip: body is larger than %zu bytes once decompressed", limit);
            result = ARGUS_GZIP_TOO_LARGE;
            break;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && left_in == 0) {
            snprintf(msg, msglen, "gzip: compressed body is truncated");
            result = ARGUS_GZIP_CORRUPT;
            break;
        }
    }
    inflateEnd(&zs);
    return result;
}
