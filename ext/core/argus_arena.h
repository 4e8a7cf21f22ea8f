/* A bump arena for request-scoped allocations (decoded OTLP messages, row strings).
 * Allocation is a pointer bump; free is a no-op; argus_arena_reset() keeps the first block for
 * the next request. A byte limit bounds the memory a hostile payload can make us use.
 *   argus_arena a; argus_arena_init(&a, 64 << 20);
 *   ProtobufCAllocator pa = argus_arena_protobuf(&a);  ... argus_arena_reset(&a); ...
 *   argus_arena_free(&a); */
#ifndef ARGUS_ARENA_H
#define ARGUS_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct argus_arena_block argus_arena_block;

typedef struct argus_arena {
    argus_arena_block *head; /* current block; older blocks follow ->next */
    size_t limit;            /* maximum bytes held in blocks; 0 = unlimited */
    size_t used;             /* bytes held in blocks */
    int exhausted;           /* set when an allocation failed or hit the limit */
} argus_arena;

/* Initialises an empty arena (no allocation yet). limit = 0 means no limit. */
void argus_arena_init(argus_arena *a, size_t limit);

/* Returns size bytes aligned for any type, owned by the arena; NULL when out of memory or over
 * the limit (and sets a->exhausted). */
void *argus_arena_alloc(argus_arena *a, size_t size);

/* Copies n bytes of s and a terminating NUL into the arena. */
char *argus_arena_strndup(argus_arena *a, const char *s, size_t n);

/* Forgets every allocation; keeps the most recent block for reuse; clears exhausted. */
void argus_arena_reset(argus_arena *a);

/* Releases all memory. The arena may be initialised again afterwards. */
void argus_arena_free(argus_arena *a);

/* A ProtobufCAllocator that allocates from a (borrowed; must outlive the allocator's use). */
ProtobufCAllocator argus_arena_protobuf(argus_arena *a);

#endif
