/* Threads and clocks; see thread.h. */
#include "thread.h"

#include <errno.h>
#include <string.h>
#include <time.h>

int64_t argus_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t argus_mono_ms(void)
{
    return argus_mono_ns() / 1000000;
}

int64_t argus_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void argus_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int argus_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    int rc = pthread_condattr_init(&a);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

int argus_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_ns)
{
    if (deadline_ns < 0)
        deadline_ns = 0;
    struct timespec ts = {(time_t)(deadline_ns / 1000000000), (long)(deadline_ns % 1000000000)};
    int rc = pthread_cond_timedwait(c, m, &ts);
    return rc == ETIMEDOUT ? ETIMEDOUT : 0;
}

int argus_cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, int64_t ms)
{
    return argus_cond_wait_until(c, m, argus_mono_ns() + (ms > 0 ? ms : 0) * 1000000);
}

int argus_thread_start(pthread_t *t, const char *name, void *(*fn)(void *), void *arg)
{
    int rc = pthread_create(t, NULL, fn, arg);
    if (rc == 0 && name) {
        char short_name[16];
        size_t n = strlen(name);
        if (n > 15)
            n = 15;
        memcpy(short_name, name, n);
        short_name[n] = 0;
        pthread_setname_np(*t, short_name);
    }
    return rc;
}
