-- Argus schema, version 4: progress of the server's background jobs.
-- argus_jobs: one row per job; last_id is the highest row id the job has finished, so a restart
--   resumes where it stopped. The insight worker (server/insight_worker.c) uses name 'insights'
--   for logs.id:
--   SELECT (SELECT max(id) FROM logs) - last_id AS lag FROM argus_jobs WHERE name = 'insights';

CREATE TABLE argus_jobs (
    name    TEXT    PRIMARY KEY,
    last_id INTEGER NOT NULL
) WITHOUT ROWID;
