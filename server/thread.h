/* Threads and clocks for the server's background threads (HTTP reaper, writer, insight worker,
 * gRPC server, API workers): one place for monotonic time, timed condition waits and named
 * threads, instead of a copy in each.
 *   pthread_cond_t cv; argus_cond_init(&cv);            // timed waits on CLOCK_MONOTONIC
 *   pthread_mutex_lock(&mu);
 *   while (!stop && argus_cond_wait_ms(&cv, &mu, 200) != ETIMEDOUT) {}
 *   pthread_t t; argus_thread_start(&t, "argus-writer", run, ctx);
 */
#ifndef ARGUS_THREAD_H
#define ARGUS_THREAD_H

#include <pthread.h>
#include <stdint.h>

/* Monotonic time (never jumps with the wall clock), for deadlines and durations. */
int64_t argus_mono_ns(void);
int64_t argus_mono_ms(void);
/* Wall-clock time as unix nanoseconds, for timestamps. */
int64_t argus_wall_ns(void);
/* Sleeps ms milliseconds (resuming after signals). */
void argus_sleep_ms(unsigned ms);

/* Initializes a condition variable whose timed waits measure CLOCK_MONOTONIC; 0 or an errno. */
int argus_cond_init(pthread_cond_t *c);
/* With m held: waits until c is signalled or ms milliseconds passed. Returns 0 (signalled, or a
 * spurious wake-up: callers re-check their condition) or ETIMEDOUT. c must come from
 * argus_cond_init. */
int argus_cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, int64_t ms);
/* The same with an absolute deadline in argus_mono_ns() time. */
int argus_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_ns);

/* Starts a joinable thread named name (shown by top -H / ps -L; cut to 15 characters). Returns 0
 * or an errno, like pthread_create. */
int argus_thread_start(pthread_t *t, const char *name, void *(*fn)(void *), void *arg);

#endif
