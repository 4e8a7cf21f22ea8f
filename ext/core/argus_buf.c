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

void argus_json_cstr(argus_buf *b, const char *s)
{
    if (s)
        argus_json_string(b, s, strlen(s));
    else
        argus_buf_appends(b, "null");
}

void argus_json_base64(argus_buf *b, const uint8_t *d, size_t n)
{
    if (argus_buf_reserve(b, argus_base64_len(n) + 2) != 0)
        return;
    b->data[b->len++] = '"';
    b->len += argus_base64_encode(b->data + b->len, d, n);
    b->data[b->len++] = '"';
}

void *argus_array_room(void *items, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return items;
    size_t want = *cap ? *cap * 2 : first;
    if (want < *cap || want > SIZE_MAX / elem)
        return NULL;
    void *grown = realloc(items, want * elem);
    if (grown)
        *cap = want;
    return grown;
}
