/* The insight worker: a background thread that fills logs.insight and logs.pattern_id and the
 * log_patterns table after ingest, in short batches by logs.id, on a connection of its own that
 * the storage driver opens (store.h: job_open/job_step...).
 * Progress is kept in argus_jobs (name 'insights'), so a restart resumes where it stopped.
 *   argus_insight_worker *iw; argus_insight_worker_start(&iw, &cfg, msg, sizeof msg);
 *   ...
 *   argus_insight_worker_stop(iw); argus_insight_worker_free(iw);
 */
#ifndef ARGUS_INSIGHT_WORKER_H
#define ARGUS_INSIGHT_WORKER_H

#include "config.h"

#include <stddef.h>

typedef struct argus_insight_worker argus_insight_worker;

/* Starts the thread (cfg is copied). The database must already be migrated (the writer does it).
 * Database errors never stop the thread: it counts them (stats insight_errors) and retries.
 * Returns 0, or -1 with msg when the thread cannot be created. */
int argus_insight_worker_start(argus_insight_worker **out, const argus_config *cfg, char *msg,
                               size_t msglen);

/* Finishes or rolls back the current batch, joins the thread and closes its connection.
 * NULL is allowed. */
void argus_insight_worker_stop(argus_insight_worker *w);
void argus_insight_worker_free(argus_insight_worker *w);

#endif
