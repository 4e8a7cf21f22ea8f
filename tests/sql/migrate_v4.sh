#!/usr/bin/env bash
# Migration 005 on a version-4 database with data: builds one in a temporary file the way
# argus_migrate() did (migrations 001-004 and their argus_migrations rows), fills spans and logs,
# runs argus_migrate() and checks that every record, resource, search entry and tag survived.
# Run by tests/sql/run.sh; prints "<case-id>|1" rows like the tests/sql/*.sql scripts.
#   tests/sql/migrate_v4.sh build
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/argus-migrate-v4.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
db=$tmp/v4.db
# ARGUS_SQLITE_PRELOAD: the ASan runtime under the ASan layer (see tests/sql/run.sh).
shell() { LD_PRELOAD=${ARGUS_SQLITE_PRELOAD:-} sqlite3 -batch -bail -cmd ".load $build/argus" "$db"; }

# Version 4, as ext/sqlite/schema_sqlite.c creates it: argus_migrations, then each migration
# followed by its row (version, file name, time applied).
{
    echo "CREATE TABLE IF NOT EXISTS argus_migrations ( version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_unix_nano INTEGER NOT NULL);"
    for f in sql/sqlite/00[1-4]_*.sql; do
        name=$(basename "$f")
        echo "BEGIN;"
        echo ".read $f"
        echo "INSERT INTO argus_migrations VALUES($((10#${name%%_*})), '$name', unixepoch() * 1000000000);"
        echo "COMMIT;"
    done
} | shell || { echo "build-v4-schema|0"; exit 1; }

# Data: two resources (one written with unusual spacing, which must be kept byte for byte),
# spans and logs of both, gaps in the ids, bodies to search, some logs tagged by the insight
# worker; a copy of every row to compare with after the migration.
shell <<'EOF' || { echo "fill-v4-data|0"; exit 1; }
CREATE TABLE test_resource (n INTEGER PRIMARY KEY, attributes TEXT, service TEXT);
INSERT INTO test_resource VALUES
    (0, '{"service.name":"api","host.name":"h1","k8s.pod.name":"api-7d9f8b6c4-xk2lp"}', 'api'),
    (1, '{ "service.name": "db",  "db.system": "postgresql" }', 'db');
INSERT INTO spans (id, trace_id, span_id, parent_span_id, trace_state, flags, name, kind,
                   start_time_unix_nano, end_time_unix_nano, duration_ns, status_code,
                   status_message, service_name, attributes, events, links, resource_attributes,
                   scope_name, scope_version, dropped_attributes_count, dropped_events_count,
                   dropped_links_count)
SELECT 3 * value, printf('%032x', 1 + value / 10), printf('%016x', value),
       CASE WHEN value % 10 THEN printf('%016x', value - value % 10) END,
       CASE WHEN value % 7 = 0 THEN 'k=v' END, value % 2, 'op ' || (value % 5), value % 6,
       1700000000000000000 + value * 1000, 1700000000000000000 + value * 1000 + value, value,
       value % 3, CASE WHEN value % 3 = 2 THEN 'failed ' || value END, r.service,
       json_object('i', value), '[]', '[]', r.attributes,
       CASE WHEN value % 4 THEN 'scope' END, CASE WHEN value % 4 THEN '1.0' END,
       value % 2, value % 3, value % 4
FROM generate_series(1, 500) JOIN test_resource r ON r.n = value % 2;
INSERT INTO logs (id, time_unix_nano, observed_time_unix_nano, severity_number, severity_text, body,
                  body_type, attributes, trace_id, span_id, flags, event_name, service_name,
                  resource_attributes, scope_name, scope_version, dropped_attributes_count)
SELECT 2 * value + 1, 1700000000000000000 + value, 1700000000000000000 + value, 9 + value % 12,
       CASE WHEN value % 12 >= 8 THEN 'ERROR' ELSE 'INFO' END,
       CASE WHEN value % 50 = 0 THEN NULL
            WHEN value % 10 = 0 THEN 'dial tcp 10.0.0.' || (value % 7) || ':5432: connect: connection refused'
            ELSE 'user ' || value || ' logged in from wombatville' END,
       CASE WHEN value % 50 THEN 'string' END, json_object('n', value),
       CASE WHEN value % 3 = 0 THEN printf('%032x', 1 + value / 10) END,
       CASE WHEN value % 3 = 0 THEN printf('%016x', value) END, value % 2,
       CASE WHEN value % 9 = 0 THEN 'ev' END, r.service, r.attributes, 'logger', NULL, value % 5
FROM generate_series(1, 400) JOIN test_resource r ON r.n = value % 2;
DELETE FROM spans WHERE id % 7 = 0;
DELETE FROM logs WHERE id % 11 = 0;
-- what the insight worker had done: the first half tagged
UPDATE logs SET insight = ai_insight(body, severity_number, attributes),
                pattern_id = log_pattern_id(body) WHERE id <= 401;
INSERT INTO argus_jobs VALUES ('insights', 401);
CREATE TABLE test_v4_spans AS SELECT * FROM spans;
CREATE TABLE test_v4_logs AS SELECT * FROM logs;
CREATE TABLE test_v4_fts AS
SELECT (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'wombatville') AS wombatville,
       (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH '"connection refused"') AS refused;
EOF

shell <<'EOF' 2>&1
SELECT 'v4-version', (SELECT max(version) FROM argus_migrations) = 4 AND (SELECT count(*) FROM argus_migrations) = 4;
SELECT 'v4-has-data', (SELECT count(*) FROM spans) > 400 AND (SELECT count(*) FROM logs) > 300
       AND (SELECT count(*) FROM logs WHERE insight IS NOT NULL) > 10;
SELECT 'v4-fts-finds', (SELECT wombatville > 100 AND refused > 10 FROM test_v4_fts);
SELECT 'migrate-to-latest', argus_migrate() = 9;
SELECT 'migrations-row', (SELECT group_concat(version || ':' || name, ',') FROM argus_migrations)
       = '1:001_init.sql,2:002_span_rollups.sql,3:003_insights.sql,4:004_jobs.sql,5:005_resources.sql,6:006_ingest_requests.sql,7:007_log_rollups.sql,8:008_api_rollups.sql,9:009_traces_errors_covering.sql';
SELECT 'migrate-again-no-op', argus_migrate() = 9 AND (SELECT count(*) FROM argus_migrations) = 9;
SELECT 'log-rollups-from-v4', (SELECT sum(count) FROM log_rollups) = (SELECT count(*) FROM log_records);
SELECT 'operation-rollups-from-v4',
       (SELECT sum(spans) FROM span_operation_rollups) = (SELECT count(*) FROM span_records)
       AND (SELECT sum(errors) FROM span_operation_rollups) = (SELECT count(*) FROM span_records WHERE status_code = 2)
       AND (SELECT sum(requests) FROM span_operation_rollups)
           = (SELECT count(*) FROM span_records WHERE kind IN (2, 5) OR parent_span_id IS NULL);
SELECT 'pattern-rollups-from-v4', (SELECT sum(count) FROM log_pattern_rollups)
       = (SELECT count(*) FROM log_records WHERE pattern_id IS NOT NULL)
       AND (SELECT count(*) FROM log_records WHERE pattern_id IS NOT NULL) > 10;
SELECT 'spans-is-view', (SELECT type FROM sqlite_schema WHERE name = 'spans') = 'view'
       AND (SELECT type FROM sqlite_schema WHERE name = 'logs') = 'view';
SELECT 'span-count', (SELECT count(*) FROM spans) = (SELECT count(*) FROM test_v4_spans)
       AND (SELECT count(*) FROM span_records) = (SELECT count(*) FROM test_v4_spans);
SELECT 'log-count', (SELECT count(*) FROM logs) = (SELECT count(*) FROM test_v4_logs)
       AND (SELECT count(*) FROM log_records) = (SELECT count(*) FROM test_v4_logs);
-- every column of version 4, ids and resource_attributes text included, exactly as before
SELECT 'spans-unchanged',
       NOT EXISTS (SELECT * FROM test_v4_spans EXCEPT
                   SELECT id, trace_id, span_id, parent_span_id, trace_state, flags, name, kind,
                          start_time_unix_nano, end_time_unix_nano, duration_ns, status_code,
                          status_message, service_name, attributes, events, links,
                          resource_attributes, scope_name, scope_version, dropped_attributes_count,
                          dropped_events_count, dropped_links_count FROM spans)
       AND NOT EXISTS (SELECT id, trace_id, span_id, parent_span_id, trace_state, flags, name, kind,
                              start_time_unix_nano, end_time_unix_nano, duration_ns, status_code,
                              status_message, service_name, attributes, events, links,
                              resource_attributes, scope_name, scope_version,
                              dropped_attributes_count, dropped_events_count, dropped_links_count
                       FROM spans EXCEPT SELECT * FROM test_v4_spans);
SELECT 'logs-unchanged',
       NOT EXISTS (SELECT * FROM test_v4_logs EXCEPT
                   SELECT id, time_unix_nano, observed_time_unix_nano, severity_number,
                          severity_text, body, body_type, attributes, trace_id, span_id, flags,
                          event_name, service_name, resource_attributes, scope_name, scope_version,
                          dropped_attributes_count, insight, pattern_id FROM logs)
       AND NOT EXISTS (SELECT id, time_unix_nano, observed_time_unix_nano, severity_number,
                              severity_text, body, body_type, attributes, trace_id, span_id, flags,
                              event_name, service_name, resource_attributes, scope_name,
                              scope_version, dropped_attributes_count, insight, pattern_id
                       FROM logs EXCEPT SELECT * FROM test_v4_logs);
SELECT 'span-ids-kept', (SELECT group_concat(id) FROM (SELECT id FROM span_records ORDER BY id))
       = (SELECT group_concat(id) FROM (SELECT id FROM test_v4_spans ORDER BY id));
SELECT 'log-ids-kept', (SELECT group_concat(id) FROM (SELECT id FROM log_records ORDER BY id))
       = (SELECT group_concat(id) FROM (SELECT id FROM test_v4_logs ORDER BY id));
SELECT 'resource-attributes-byte-exact',
       (SELECT count(*) FROM spans s JOIN test_v4_spans o USING (id)
        WHERE CAST(s.resource_attributes AS BLOB) = CAST(o.resource_attributes AS BLOB))
       = (SELECT count(*) FROM test_v4_spans)
       AND (SELECT count(*) FROM logs l JOIN test_v4_logs o USING (id)
            WHERE CAST(l.resource_attributes AS BLOB) = CAST(o.resource_attributes AS BLOB))
           = (SELECT count(*) FROM test_v4_logs)
       AND (SELECT count(*) FROM spans WHERE resource_attributes = '{ "service.name": "db",  "db.system": "postgresql" }') > 0;
SELECT 'resources-two', (SELECT count(*) FROM resources) = 2;
SELECT 'resources-rows',
       (SELECT group_concat(service_name || '=' || attributes, ';') FROM (SELECT * FROM resources ORDER BY service_name))
       = (SELECT group_concat(service || '=' || attributes, ';') FROM (SELECT * FROM test_resource ORDER BY service));
SELECT 'resources-ids', NOT EXISTS (SELECT 1 FROM resources WHERE id <> resource_id(attributes, schema_url))
       AND NOT EXISTS (SELECT 1 FROM span_records s LEFT JOIN resources r ON r.id = s.resource_id WHERE r.id IS NULL)
       AND NOT EXISTS (SELECT 1 FROM log_records l LEFT JOIN resources r ON r.id = l.resource_id WHERE r.id IS NULL);
SELECT 'tags-survive',
       (SELECT count(*) FROM logs l JOIN test_v4_logs o USING (id)
        WHERE l.insight IS o.insight AND l.pattern_id IS o.pattern_id) = (SELECT count(*) FROM test_v4_logs)
       AND (SELECT count(*) FROM log_records WHERE insight ->> '$.category' = 'connection') > 0
       AND (SELECT count(*) FROM log_records WHERE pattern_id IS NOT NULL)
           = (SELECT count(*) FROM test_v4_logs WHERE pattern_id IS NOT NULL);
SELECT 'jobs-survive', (SELECT last_id FROM argus_jobs WHERE name = 'insights') = 401;
SELECT 'fts-finds-old-bodies',
       (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'wombatville') = (SELECT wombatville FROM test_v4_fts)
       AND (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH '"connection refused"') = (SELECT refused FROM test_v4_fts)
       AND (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'wombatville')
           = (SELECT count(*) FROM test_v4_logs WHERE body LIKE '%wombatville%');
SELECT 'fts-join-view',
       (SELECT count(*) FROM logs_fts JOIN logs l ON l.id = logs_fts.rowid
        WHERE logs_fts MATCH '"connection refused"' AND l.body LIKE '%connection refused')
       = (SELECT refused FROM test_v4_fts);
INSERT INTO logs_fts (logs_fts, rank) VALUES ('integrity-check', 1);
SELECT 'fts-integrity', 1;
SELECT 'indexes', (SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema
                   WHERE type = 'index' AND tbl_name IN ('span_records', 'log_records') ORDER BY name))
       = 'logs_pattern_id,logs_time,logs_trace_id,spans_trace_id';
SELECT 'no-v4-leftovers', NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE tbl_name IN ('spans', 'logs') AND type <> 'view'
                                      AND type <> 'trigger');
-- the migrated database takes new data: ids continue after the old ones, search follows
SELECT 'store-after', argus_store(readfile('tests/fixtures/hand/logs_basic.pb')) = 3
       AND argus_store(readfile('tests/fixtures/hand/spans_basic.pb')) = 2;
SELECT 'ids-continue', (SELECT min(id) FROM log_records WHERE service_name IN ('billing', 'unknown_service'))
       > (SELECT max(id) FROM test_v4_logs)
       AND (SELECT min(id) FROM span_records WHERE service_name = 'checkout') > (SELECT max(id) FROM test_v4_spans);
SELECT 'fts-after', (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'declined') = 1
       AND (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'wombatville') = (SELECT wombatville FROM test_v4_fts);
INSERT INTO logs (time_unix_nano, observed_time_unix_nano, body, service_name, resource_attributes)
SELECT 1, 1, 'platypus via the view', 'db', attributes FROM test_resource WHERE n = 1;
SELECT 'view-insert-after', (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'platypus') = 1
       AND (SELECT count(*) FROM resources WHERE service_name IN ('api', 'db')) = 2;
EOF
