-- The insight worker on MariaDB/MySQL (the same job as sql/sqlite/jobs, statement for statement;
-- ?N is the N-th argument, the driver binds it at each place it stands). It needs the Argus UDFs
-- (sql/mysql/install.sql) in the server: ai_insight, log_pattern_id, log_template,
-- json_group_set. Its progress: the highest log_records.id it has tagged.
SELECT last_id FROM argus_jobs WHERE name = 'insights'
