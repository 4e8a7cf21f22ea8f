/* A growable byte buffer and the JSON/hex/base64 writers built on it.
 * Used to render OTLP attributes, events and links as JSON text:
 *   argus_buf b; argus_buf_init(&b); argus_json_string(&b, s, n); ... argus_buf_free(&b);
 * Writers never produce invalid UTF-8 or invalid JSON, whatever the input bytes. */
#ifndef ARGUS_BUF_H
#define ARGUS_BUF_H

#include "argus_codec.h" /* hex, base64, UTF-8 validation */

#include <stddef.h>
#include <stdint.h>

typedef struct argus_buf {
    char *data; /* NUL-terminated when len > 0 or after argus_buf_cstr(); owned by the buffer */
    size_t len;
    size_t cap;
    int failed; /* set when an allocation failed; further appends are ignored */
} argus_buf;

void argus_buf_init(argus_buf *b);
void argus_buf_free(argus_buf *b);
/* Empties the buffer, keeping its memory. */
static inline void argus_buf_reset(argus_buf *b)
{
    b->len = 0;
    b->failed = 0;
}
/* Makes room for n more bytes; 0 on success, -1 (and failed = 1) on allocation failure. */
int argus_buf_reserve(argus_buf *b, size_t n);

/* Room for element n of a malloc'd array of elem-byte elements holding *cap: the array itself
 * when n < *cap, else the array reallocated to twice the capacity (first when it has none) with
 * *cap updated. NULL when out of memory; the array and *cap are then unchanged.
 *   item *p = argus_array_room(a->items, a->n, &a->cap, sizeof *p, 16);
 *   if (!p) return ENOMEM; a->items = p; a->items[a->n++] = x; */
void *argus_array_room(void *items, size_t n, size_t *cap, size_t elem, size_t first);
void argus_buf_append(argus_buf *b, const void *data, size_t n);
void argus_buf_appendc(argus_buf *b, char c);
void argus_buf_appends(argus_buf *b, const char *s);
/* NUL-terminates and returns data (never NULL unless failed). */
const char *argus_buf_cstr(argus_buf *b);

/* Writes s[0..n) as a JSON string literal, escaping as needed; invalid UTF-8 sequences become
 * U+FFFD. */
void argus_json_string(argus_buf *b, const char *s, size_t n);
/* Writes the NUL-terminated s as a JSON string literal, or null when s is NULL. */
void argus_json_cstr(argus_buf *b, const char *s);
/* Writes an integer. */
void argus_json_int(argus_buf *b, int64_t v);
void argus_json_uint(argus_buf *b, uint64_t v);
/* Writes a double with the fewest digits that round-trip; NaN and infinities, which JSON cannot
 * represent, become the strings "NaN", "Infinity", "-Infinity" (as proto3 JSON does). */
void argus_json_double(argus_buf *b, double v);
/* Writes data as a standard base64 JSON string (with padding). */
void argus_json_base64(argus_buf *b, const uint8_t *data, size_t n);

/* Object members: the text `name` as it is (the member's quoted name and colon with the '{' or ','
 * before it), then the value as the writers above write it:
 *   argus_json_field_cstr(b, "{\"name\":", s); argus_json_field_int(b, ",\"depth\":", 2);
 *   argus_buf_appendc(b, '}');                       // {"name":"...","depth":2} */
static inline void argus_json_field_int(argus_buf *b, const char *name, int64_t v)
{
    argus_buf_appends(b, name);
    argus_json_int(b, v);
}
static inline void argus_json_field_uint(argus_buf *b, const char *name, uint64_t v)
{
    argus_buf_appends(b, name);
    argus_json_uint(b, v);
}
static inline void argus_json_field_double(argus_buf *b, const char *name, double v)
{
    argus_buf_appends(b, name);
    argus_json_double(b, v);
}
static inline void argus_json_field_bool(argus_buf *b, const char *name, int v)
{
    argus_buf_appends(b, name);
    argus_buf_appends(b, v ? "true" : "false");
}
/* null when s is NULL */
static inline void argus_json_field_cstr(argus_buf *b, const char *name, const char *s)
{
    argus_buf_appends(b, name);
    argus_json_cstr(b, s);
}

/* Appends s[0..n) with invalid UTF-8 sequences replaced by U+FFFD. */
void argus_utf8_sanitize(argus_buf *b, const char *s, size_t n);

#endif
