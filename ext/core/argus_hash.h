/* Hashing for in-memory hash tables whose keys come from clients (trace and span ids, service
 * and span names): keyed with a random secret drawn once per process, so that a request crafted
 * to put all its keys in one chain of a table (making each insert walk all the earlier ones) can
 * only be built by someone who knows the secret. Not for anything stored: those hashes
 * (resource_id, log_pattern_id) must stay the same from one process to the next.
 *   const argus_hash_key *k = argus_hash_secret();   // once, e.g. per table
 *   uint64_t h = argus_hash_bytes(k, k->start, key, key_len);
 *   h = argus_hash_int(k, h, minute);                // more parts of the same key */
#ifndef ARGUS_HASH_H
#define ARGUS_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The process's secret key, drawn on first use (thread-safe); start is the value to start
 * hashing a key from. */
typedef struct argus_hash_key {
    uint64_t start, mul;
} argus_hash_key;

const argus_hash_key *argus_hash_secret(void);

/* The full 128-bit product of a and b, its two halves xor-ed. */
static inline uint64_t argus_hash_fold(uint64_t a, uint64_t b)
{
    unsigned __int128 p = (unsigned __int128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* Mixes the integer v into h. */
static inline uint64_t argus_hash_int(const argus_hash_key *k, uint64_t h, uint64_t v)
{
    return argus_hash_fold(h ^ v, k->mul);
}

/* Mixes the bytes s[0..n) into h, 8 at a time, their number last (so "a" then "" and "" then "a"
 * differ). */
static inline uint64_t argus_hash_bytes(const argus_hash_key *k, uint64_t h, const void *s,
                                        size_t n)
{
    const unsigned char *p = s;
    const uint64_t mul = k->mul;
    uint64_t v;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&v, p, 8);
        h = argus_hash_fold(h ^ v, mul);
    }
    v = 0;
    if (n)
        memcpy(&v, p, n);
    return argus_hash_fold(h ^ v ^ ((uint64_t)n << 56), mul);
}

#endif
