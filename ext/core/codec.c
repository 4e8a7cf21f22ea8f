/* Byte codecs shared by every module: hex, base64, UTF-8 validation and protobuf-style varints.
 * Pure functions over caller-owned memory; nothing allocates.
 *   char id[33]; argus_hex(id, trace_id, 16);
 *   size_t pos = 0; uint64_t v; if (argus_varint_get(p, len, &pos, &v) == 0) ... */
#include "argus_codec.h"

/* A digit alphabet as runs of consecutive characters: c in [first, last] is worth
 * value + (c - first). */
typedef struct digit_run {
    int first, last, value;
} digit_run;

/* The value of c in the alphabet, -1 when it is not a digit of it. */
static int digit_value(int c, const digit_run *runs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c >= runs[i].first && c <= runs[i].last)
            return runs[i].value + (c - runs[i].first);
    return -1;
}

/* ---- hex ------------------------------------------------------------------------------------ */

int argus_hex_value(int c)
{
    static const digit_run hex[] = {{'0', '9', 0}, {'a', 'f', 10}, {'A', 'F', 10}};
    return digit_value(c, hex, sizeof hex / sizeof hex[0]);
}

void argus_hex(char *out, const uint8_t *data, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[data[i] >> 4];
        out[2 * i + 1] = hexd[data[i] & 15];
    }
    out[2 * n] = '\0';
}

int argus_hex_decode(const char *s, size_t n, uint8_t *out)
{
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = argus_hex_value((unsigned char)s[i]),
            lo = argus_hex_value((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        if (out)
            out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* ---- base64 --------------------------------------------------------------------------------- */

size_t argus_base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

size_t argus_base64_encode(char *out, const uint8_t *d, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = tbl[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)d[i] << 16;
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = '=';
    }
    return (size_t)(o - out);
}

/* Standard and URL-safe digits alike ('+' or '-' is 62, '/' or '_' is 63). */
static int b64_value(unsigned char ch)
{
    static const digit_run b64[] = {{'A', 'Z', 0},  {'a', 'z', 26}, {'0', '9', 52}, {'+', '+', 62},
                                    {'-', '-', 62}, {'/', '/', 63}, {'_', '_', 63}};
    return digit_value(ch, b64, sizeof b64 / sizeof b64[0]);
}

int argus_base64_check(const char *s, size_t n, size_t *chars, size_t *out_len)
{
    size_t m = n;
    if (m && s[m - 1] == '=') {
        m--;
        if (m && s[m - 1] == '=')
            m--;
        if (n % 4 != 0)
            return 0;
    }
    if (m % 4 == 1)
        return 0;
    for (size_t i = 0; i < m; i++)
        if (b64_value((unsigned char)s[i]) < 0)
            return 0;
    *chars = m;
    *out_len = m / 4 * 3 + (m % 4 ? m % 4 - 1 : 0);
    return 1;
}

void argus_base64_decode(const char *s, size_t chars, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < chars; i++) {
        acc = (acc << 6) | (uint32_t)b64_value((unsigned char)s[i]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

size_t argus_utf8_seq(const void *p, size_t n)
{
    const unsigned char *s = p;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

int argus_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = argus_utf8_seq(p + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

/* ---- varints -------------------------------------------------------------------------------- */

size_t argus_varint_put(uint8_t out[ARGUS_VARINT_MAX], uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        out[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    return n;
}
