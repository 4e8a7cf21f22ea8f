/* The process's secret hash key; see argus_hash.h. */
#include "argus_hash.h"

#include <pthread.h>
#include <sys/random.h>
#include <time.h>

static argus_hash_key key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void draw_key(void)
{
    uint64_t k[2] = {0, 0};
    if (getrandom(k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k) {
        /* no entropy yet (early boot): the clock and an address, still unknown to a client */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        k[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec ^
               (uint64_t)(uintptr_t)&ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        k[1] = argus_hash_fold(k[0] ^ (uint64_t)ts.tv_nsec, 0xff51afd7ed558ccdULL) ^
               (uint64_t)(uintptr_t)&key;
    }
    key.start = k[0];
    /* odd, and with high bits set, so that every bit of a word reaches both halves of the
     * product */
    key.mul = k[1] | 0x8000000000000001ULL;
}

const argus_hash_key *argus_hash_secret(void)
{
    pthread_once(&key_once, draw_key);
    return &key;
}
