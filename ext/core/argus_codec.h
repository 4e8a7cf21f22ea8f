/* Byte codecs shared by every module (ext/core, and the server where it needs one): hex, base64,
 * UTF-8 validation and protobuf-style varints. No allocation; buffers are the caller's.
 *   char id[33]; argus_hex(id, span->trace_id.data, 16);
 *   uint8_t tmp[ARGUS_VARINT_MAX]; size_t n = argus_varint_put(tmp, 300);   // ac 02
 * The JSON writers over these (strings with U+FFFD, base64 strings) are in argus_buf.h. */
#ifndef ARGUS_CODEC_H
#define ARGUS_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* The value of hex digit c (either case), or -1. */
int argus_hex_value(int c);
/* Writes n bytes as 2n lower-case hex digits plus NUL into out (size >= 2n+1). */
void argus_hex(char *out, const uint8_t *data, size_t n);
/* Decodes n hex digits (n even) into n/2 bytes at out (out NULL: only checks). 0, or -1 when s
 * is not hex of even length. */
int argus_hex_decode(const char *s, size_t n, uint8_t *out);

/* Length of the standard, padded base64 of n bytes. */
size_t argus_base64_len(size_t n);
/* Writes the standard, padded base64 of d[0..n) to out (argus_base64_len(n) bytes, no NUL);
 * returns that length. */
size_t argus_base64_encode(char *out, const uint8_t *d, size_t n);
/* 1 when s[0..n) is base64 (standard or URL-safe alphabet, padding optional), with *chars its
 * data characters and *out_len the decoded length; else 0. */
int argus_base64_check(const char *s, size_t n, size_t *chars, size_t *out_len);
/* Decodes the first chars data characters of checked base64 into out (*out_len bytes). */
void argus_base64_decode(const char *s, size_t chars, uint8_t *out);

/* Length of the valid UTF-8 sequence starting at s (n > 0 bytes available): 1..4, or 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, above U+10FFFF, truncated). */
size_t argus_utf8_seq(const void *s, size_t n);
/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int argus_utf8_valid(const char *s, size_t n);

#define ARGUS_VARINT_MAX 10
/* Writes v as a base-128 varint (protobuf's encoding) into out; returns its length (1..10). */
size_t argus_varint_put(uint8_t out[ARGUS_VARINT_MAX], uint64_t v);
/* Reads a varint at p[*pos] (len bytes in all), advancing *pos. 0, or -1 when it is truncated or
 * longer than 64 bits. Inline: the protobuf pre-pass reads one or two per field. */
static inline int argus_varint_get(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len)
            return -1;
        uint8_t b = p[(*pos)++];
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

#endif
