/* Threads and clocks; see thread.h. */
#include "thread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

int argus_worker_init(argus_worker *w)
{
    w->stopping = w->started = 0;
    int rc = pthread_mutex_init(&w->mu, NULL);
    if (rc == 0 && (rc = argus_cond_init(&w->cv)) != 0)
        pthread_mutex_destroy(&w->mu);
    return rc;
}

int argus_worker_start(argus_worker *w, const char *name, void *(*fn)(void *), void *arg, char *msg,
                       size_t msglen)
{
    int rc = argus_thread_start(&w->thread, name, fn, arg);
    if (rc != 0) {
        snprintf(msg, msglen, "%s: cannot start a thread: %s", name, strerror(rc));
        return -1;
    }
    w->started = 1;
    return 0;
}

int argus_worker_stopping(argus_worker *w)
{
    pthread_mutex_lock(&w->mu);
    int s = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return s;
}

int argus_worker_wait_until(argus_worker *w, int64_t deadline_ns)
{
    if (!w->stopping)
        argus_cond_wait_until(&w->cv, &w->mu, deadline_ns);
    return w->stopping;
}

int argus_worker_sleep_ms(argus_worker *w, int64_t ms)
{
    int64_t until = argus_mono_ns() + (ms > 0 ? ms : 0) * 1000000;
    pthread_mutex_lock(&w->mu);
    while (!w->stopping && argus_cond_wait_until(&w->cv, &w->mu, until) != ETIMEDOUT) {
    }
    int s = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return s;
}

void argus_worker_request_stop(argus_worker *w)
{
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
}

void argus_worker_join(argus_worker *w)
{
    if (w->started) {
        pthread_join(w->thread, NULL);
        w->started = 0;
    }
}

void argus_worker_stop(argus_worker *w)
{
    pthread_mutex_lock(&w->mu);
    argus_worker_request_stop(w);
    pthread_mutex_unlock(&w->mu);
    argus_worker_join(w);
}

void argus_worker_destroy(argus_worker *w)
{
    argus_worker_stop(w);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

void *argus_new_component(size_t size, const char *who, char *msg, size_t msglen)
{
    void *p = calloc(1, size);
    if (!p)
        snprintf(msg, msglen, "%s: out of memory", who);
    return p;
}
