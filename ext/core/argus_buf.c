/* argus_buf and the JSON writers; see argus_buf.h. */
#include "argus_buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void argus_buf_init(argus_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void argus_buf_free(argus_buf *b)
{
    free(b->data);
    argus_buf_init(b);
}

int argus_buf_reserve(argus_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->cap - b->len > n)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= n) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void argus_buf_append(argus_buf *b, const void *data, size_t n)
{
    if (argus_buf_reserve(b, n) == 0) {
        memcpy(b->data + b->len, data, n);
        b->len += n;
    }
}

void argus_buf_appendc(argus_buf *b, char c)
{
    if (argus_buf_reserve(b, 1) == 0)
        b->data[b->len++] = c;
}

void argus_buf_appends(argus_buf *b, const char *s)
{
    argus_buf_append(b, s, strlen(s));
}

const char *argus_buf_cstr(argus_buf *b)
{
    if (argus_buf_reserve(b, 1) != 0)
        return NULL;
    b->data[b->len] = '\0';
    return b->data;
}

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

static const char REPLACEMENT[] = "\xEF\xBF\xBD";

void argus_utf8_sanitize(argus_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        size_t k = p[i] < 0x80 ? 1 : argus_utf8_seq(p + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        argus_buf_append(b, s + run, i - run);
        argus_buf_append(b, REPLACEMENT, 3);
        i++;
        run = i;
    }
    argus_buf_append(b, s + run, n - run);
}

void argus_json_string(argus_buf *b, const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    /* Worst case: every byte becomes \u00XX (6 bytes) or U+FFFD (3 bytes). */
    if (n > (SIZE_MAX - 2) / 6 || argus_buf_reserve(b, n * 6 + 2) != 0) {
        b->failed = 1;
        return;
    }
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c < 0x80) {
            *o++ = '\\';
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            case '\b': *o++ = 'b'; break;
            case '\f': *o++ = 'f'; break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hexd[c >> 4];
                *o++ = hexd[c & 15];
            }
            i++;
            continue;
        }
        size_t k = argus_utf8_seq(p + i, n - i);
        if (k) {
            memcpy(o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(o, REPLACEMENT, 3);
            o += 3;
            i++;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
}

void argus_json_int(argus_buf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    argus_buf_append(b, tmp, (size_t)n);
}

void argus_json_uint(argus_buf *b, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    argus_buf_append(b, tmp, (size_t)n);
}

void argus_json_double(argus_buf *b, double v)
{
    if (isnan(v)) {
        argus_buf_appends(b, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        argus_buf_appends(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    char tmp[40];
    int n = 0;
    /* Shortest of %.15g .. %.17g that parses back to the same value. */
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* Keep it recognisably a double for readers that care (1 -> 1.0). */
    if (!strpbrk(tmp, ".eEn") && n < (int)sizeof tmp - 2) {
        tmp[n++] = '.';
        tmp[n++] = '0';
        tmp[n] = '\0';
    }
    argus_buf_append(b, tmp, (size_t)n);
}

void argus_json_base64(argus_buf *b, const uint8_t *d, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (argus_buf_reserve(b, (n + 2) / 3 * 4 + 2) != 0)
        return;
    char *o = b->data + b->len;
    *o++ = '"';
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
    *o++ = '"';
    b->len = (size_t)(o - b->data);
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
