-- Argus MariaDB/MySQL schema, version 7: no trigger runs for each log record stored.
-- log_pattern_rollups_insert (version 4) counted a record stored with a pattern_id, but
-- argus-server never stores one: pattern_id is set later, by the insight worker's UPDATE, which
-- the two UPDATE triggers follow. MariaDB has no WHEN clause for triggers, so the insert trigger
-- ran its statement for every record ingested only to find pattern_id NULL: a quarter of
-- MariaDB's CPU per log record (27 ms per 1000 records with it, 21 without, 18 for the same rows
-- inserted into a table without triggers; tests/mysql/ingest_bench.sh).
--   SELECT trigger_name FROM information_schema.triggers WHERE event_object_table = 'log_records';

DROP TRIGGER IF EXISTS log_pattern_rollups_insert;
