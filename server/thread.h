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
#include <stddef.h>
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

/* A stoppable background thread: the worker's mutex guards its stop flag (and whatever else its
 * owner keeps under it), its condition variable (CLOCK_MONOTONIC) wakes it early. Used by the
 * writer, the insight worker, the SSE hub, the Lua watcher and the checkpointer:
 *   argus_worker_init(&x->wk);
 *   argus_worker_start(&x->wk, "argus-insight", run, x, msg, msglen);
 *   static void *run(void *arg) { while (!argus_worker_sleep_ms(&x->wk, 250)) tick(x); }
 *   argus_worker_destroy(&x->wk);   // stops (sets the flag, wakes, joins) and frees */
typedef struct argus_worker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stopping; /* under mu */
    int started;  /* the thread runs and was not joined yet */
} argus_worker;

/* Initializes mu and cv; 0 or an errno. */
int argus_worker_init(argus_worker *w);
/* Starts the thread (see argus_thread_start); 0, or -1 with msg "<name>: cannot start a thread:
 * <reason>". */
int argus_worker_start(argus_worker *w, const char *name, void *(*fn)(void *), void *arg, char *msg,
                       size_t msglen);
/* The stop flag (takes mu). */
int argus_worker_stopping(argus_worker *w);
/* With mu held: waits on cv until deadline_ns (argus_mono_ns() time), a signal or stop; returns
 * the stop flag. A signal ends the wait early: callers re-check their own condition. */
int argus_worker_wait_until(argus_worker *w, int64_t deadline_ns);
/* Takes mu and sleeps ms milliseconds unless stop comes first; returns the stop flag. */
int argus_worker_sleep_ms(argus_worker *w, int64_t ms);
/* With mu held: sets the stop flag and wakes every waiter. */
void argus_worker_request_stop(argus_worker *w);
/* Joins the thread if it was started and not joined yet (without mu held). */
void argus_worker_join(argus_worker *w);
/* request_stop under mu, then join. */
void argus_worker_stop(argus_worker *w);
/* Stops, then destroys mu and cv. */
void argus_worker_destroy(argus_worker *w);

/* calloc(1, size) for a component being started; NULL with msg "<who>: out of memory". */
void *argus_new_component(size_t size, const char *who, char *msg, size_t msglen);

#endif
