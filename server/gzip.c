/* gzip / zlib decompression of request bodies with zlib; see gzip.h.
 *   curl --data-binary @spans.pb.gz -H 'Content-Encoding: gzip' \
 *        -H 'Content-Type: application/x-protobuf' localhost:4318/v1/traces
 * The output grows geometrically up to the limit, so a small "zip bomb" costs at most limit
 * bytes before it is refused. A gzip body may hold several members (RFC 1952: gzip(a) +
 * gzip(b) decompresses to a + b, as `gzip -d` does); each is inflated. Anything else after the
 * end of the compressed data is refused, never silently dropped. */
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
    int gzip = len >= 2 && ((const unsigned char *)in)[0] == 0x1f &&
               ((const unsigned char *)in)[1] == 0x8b;
    for (;;) {
        if (rc == Z_STREAM_END) {
            size_t rest = zs.avail_in + left_in;
            if (rest == 0)
                break;
            /* Another gzip member follows: inflate it too. */
            if (gzip && rest >= 2 && zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
                zs.next_in[1] == 0x8b && inflateReset(&zs) == Z_OK) {
                rc = Z_OK;
                continue;
            }
            snprintf(msg, msglen,
                     "gzip: %zu bytes of trailing data after the end of the compressed body", rest);
            result = ARGUS_GZIP_CORRUPT;
            break;
        }
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
