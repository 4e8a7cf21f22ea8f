-- Adds a logs payload's (?1) records to the per-service, per-minute, per-severity-group counts
-- (log_rollups, migration 007): one row per group merged into the stored one. Record times as
-- logs_10_logs.sql stores them (the observed time when the record has none). otlp_log_rollups()
-- groups the records in C (a hash table): the same rows as
--   SELECT service_name,
--          (CASE WHEN time_unix_nano = 0 THEN observed_time_unix_nano ELSE time_unix_nano END)
--              / 60000000000 * 60000000000,
--          CASE WHEN severity_number BETWEEN 1 AND 24 THEN (severity_number - 1) / 4 * 4 + 1
--               ELSE 0 END,
--          count(*)
--   FROM otlp_logs(?1) GROUP BY 1, 2, 3
-- without sorting the records first.
INSERT INTO log_rollups (service_name, minute_ns, severity, count)
SELECT service_name, minute_ns, severity, count
FROM otlp_log_rollups(?1)
WHERE true
ON CONFLICT (service_name, minute_ns, severity) DO UPDATE SET
    count = log_rollups.count + excluded.count
