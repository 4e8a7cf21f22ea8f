/* Bump arena; see argus_arena.h. Blocks grow geometrically (64 KiB .. 4 MiB) so a large request
 * needs few mallocs; a single oversized allocation gets a block of its own. */
#include "argus_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct argus_arena_block {
    argus_arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t pos;
    max_align_t data[];
};

#define MIN_BLOCK ((size_t)64 << 10)
#define MAX_BLOCK ((size_t)4 << 20)
#define ALIGN ((size_t)16)

void argus_arena_init(argus_arena *a, size_t limit)
{
    a->head = NULL;
    a->limit = limit;
    a->used = 0;
    a->exhausted = 0;
}

static argus_arena_block *grow(argus_arena *a, size_t need)
{
    size_t size = a->head ? a->head->size * 2 : MIN_BLOCK;
    if (size > MAX_BLOCK)
        size = MAX_BLOCK;
    if (size < need)
        size = need;
    if (a->limit && (a->used + size > a->limit || size > a->limit)) {
        /* Try the smallest block that fits before giving up. */
        size = need;
        if (a->used + size > a->limit)
            return NULL;
    }
    argus_arena_block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->next = a->head;
    b->size = size;
    b->pos = 0;
    a->head = b;
    a->used += size;
    return b;
}

void *argus_arena_alloc(argus_arena *a, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ALIGN) {
        a->exhausted = 1;
        return NULL;
    }
    size = (size + ALIGN - 1) & ~(ALIGN - 1);
    argus_arena_block *b = a->head;
    if (!b || b->size - b->pos < size) {
        b = grow(a, size);
        if (!b) {
            a->exhausted = 1;
            return NULL;
        }
    }
    void *p = (char *)b->data + b->pos;
    b->pos += size;
    return p;
}

char *argus_arena_strndup(argus_arena *a, const char *s, size_t n)
{
    char *p = argus_arena_alloc(a, n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void argus_arena_reset(argus_arena *a)
{
    argus_arena_block *keep = a->head;
    if (!keep)
        return;
    argus_arena_block *b = keep->next;
    while (b) {
        argus_arena_block *next = b->next;
        free(b);
        b = next;
    }
    keep->next = NULL;
    keep->pos = 0;
    a->used = keep->size;
    a->exhausted = 0;
}

void argus_arena_free(argus_arena *a)
{
    argus_arena_block *b = a->head;
    while (b) {
        argus_arena_block *next = b->next;
        free(b);
        b = next;
    }
    argus_arena_init(a, a->limit);
}

static void *pb_alloc(void *data, size_t size)
{
    return argus_arena_alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

ProtobufCAllocator argus_arena_protobuf(argus_arena *a)
{
    ProtobufCAllocator pa = {pb_alloc, pb_free, a};
    return pa;
}
