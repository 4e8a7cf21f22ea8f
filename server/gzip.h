/* Decompression of HTTP request bodies (Content-Encoding: gzip or deflate) with a size cap.
 *   argus_buf out; argus_buf_init(&out);
 *   int rc = argus_gunzip(body, len, max_message_size, &out, msg, sizeof msg);
 * Returns 0, ARGUS_GZIP_CORRUPT (not valid gzip/zlib data) or ARGUS_GZIP_TOO_LARGE (more than
 * limit bytes once decompressed), or ARGUS_GZIP_NOMEM. */
#ifndef ARGUS_GZIP_H
#define ARGUS_GZIP_H

#include "argus_buf.h"

#include <stddef.h>

enum { ARGUS_GZIP_CORRUPT = -1, ARGUS_GZIP_TOO_LARGE = -2, ARGUS_GZIP_NOMEM = -3 };

int argus_gunzip(const void *in, size_t len, size_t limit, argus_buf *out, char *msg,
                 size_t msglen);

#endif
