-- Resources stored once (migration 005): the resources table, span_records / log_records, the
-- spans / logs views and what works through them, resource_id(), otlp_span_resources() /
-- otlp_log_resources(), the log search index. Failures that must happen are in resources.errors.
-- Run in one in-memory database with the extension loaded and the schema applied; every row
-- must print '<case-id>|1'.

CREATE TEMP TABLE payloads (name TEXT PRIMARY KEY, payload BLOB);
INSERT INTO payloads VALUES
    ('traces.pb', readfile('tests/fixtures/traces.pb')),
    ('traces.json', readfile('tests/fixtures/traces.json')),
    ('logs.pb', readfile('tests/fixtures/logs.pb')),
    ('logs.json', readfile('tests/fixtures/logs.json')),
    ('spans_basic.pb', readfile('tests/fixtures/hand/spans_basic.pb')),
    ('logs_basic.pb', readfile('tests/fixtures/hand/logs_basic.pb')),
    -- OTLP/JSON: one resource with and without a schema URL (two resources), and an entry whose
    -- only span is invalid (no resource row).
    ('schema.json', '{"resourceSpans":['
        || '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"res-test"}}]},'
        || '"schemaUrl":"https://opentelemetry.io/schemas/1.26.0","scopeSpans":[{"spans":['
        || '{"traceId":"5eed00000000000000000000000000aa","spanId":"00000000000000a1","name":"a","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]},'
        || '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"res-test"}}]},"scopeSpans":[{"spans":['
        || '{"traceId":"5eed00000000000000000000000000aa","spanId":"00000000000000a2","name":"b","startTimeUnixNano":"1","endTimeUnixNano":"2"},'
        || '{"traceId":"5eed00000000000000000000000000aa","spanId":"00000000000000a3","name":"c","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]},'
        || '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"res-bad"}}]},"scopeSpans":[{"spans":['
        || '{"traceId":"00","spanId":"00000000000000a4","name":"bad","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}');

-- resource_id(): a non-negative 63-bit integer of the attributes text and the schema URL.
SELECT 'rid-integer', typeof(resource_id('{}')) = 'integer' AND resource_id('{}') >= 0;
SELECT 'rid-null-attributes-are-empty-object', resource_id(NULL) = resource_id('{}');
SELECT 'rid-null-and-empty-schema-url-same', resource_id('{"a":1}', NULL) = resource_id('{"a":1}', '')
       AND resource_id('{"a":1}') = resource_id('{"a":1}', NULL);
SELECT 'rid-schema-url-counts', resource_id('{"a":1}', 'https://opentelemetry.io/schemas/1.26.0') <> resource_id('{"a":1}');
SELECT 'rid-attributes-count', resource_id('{"a":1}') <> resource_id('{"a":2}');
SELECT 'rid-text-exact', resource_id('{"a":1}') <> resource_id('{ "a": 1 }');
SELECT 'rid-stable', resource_id('{}') = 2271515750423656627;

-- otlp_spans / otlp_logs: resource_id column = resource_id(resource_attributes, resource_schema_url).
SELECT 'otlp-spans-resource-id-' || p.name,
       count(*) > 0 AND sum(o.resource_id = resource_id(o.resource_attributes, o.resource_schema_url)) = count(*)
FROM payloads p, otlp_spans(p.payload) o WHERE p.name IN ('traces.pb', 'traces.json', 'spans_basic.pb', 'schema.json')
GROUP BY p.name ORDER BY p.name;
SELECT 'otlp-logs-resource-id-' || p.name,
       count(*) > 0 AND sum(o.resource_id = resource_id(o.resource_attributes, o.resource_schema_url)) = count(*)
FROM payloads p, otlp_logs(p.payload) o WHERE p.name IN ('logs.pb', 'logs.json', 'logs_basic.pb')
GROUP BY p.name ORDER BY p.name;
SELECT 'otlp-spans-resource-id-last-column',
       (SELECT name FROM pragma_table_info('otlp_spans') ORDER BY cid DESC LIMIT 1) = 'resource_id';
SELECT 'otlp-logs-resource-id-last-column',
       (SELECT name FROM pragma_table_info('otlp_logs') ORDER BY cid DESC LIMIT 1) = 'resource_id';

-- otlp_span_resources / otlp_log_resources: one row per entry with valid items; item_count sums
-- to the valid items, every column agrees with the items' resource columns.
SELECT 'span-resources-columns',
       (SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('otlp_span_resources'))
       = 'resource_id INTEGER, service_name TEXT, attributes TEXT, schema_url TEXT, item_count INTEGER';
SELECT 'log-resources-columns',
       (SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('otlp_log_resources'))
       = 'resource_id INTEGER, service_name TEXT, attributes TEXT, schema_url TEXT, item_count INTEGER';
SELECT 'span-resources-sum-' || p.name,
       (SELECT sum(item_count) FROM otlp_span_resources(p.payload)) = (SELECT count(*) FROM otlp_spans(p.payload))
FROM payloads p WHERE p.name IN ('traces.pb', 'traces.json', 'spans_basic.pb', 'schema.json') ORDER BY p.name;
SELECT 'log-resources-sum-' || p.name,
       (SELECT sum(item_count) FROM otlp_log_resources(p.payload)) = (SELECT count(*) FROM otlp_logs(p.payload))
FROM payloads p WHERE p.name IN ('logs.pb', 'logs.json', 'logs_basic.pb') ORDER BY p.name;
SELECT 'span-resources-rows-traces.pb', (SELECT count(*) FROM otlp_span_resources(p.payload)) = 3
       AND (SELECT count(*) FROM otlp_span_resources(p.payload)) = otlp_check(p.payload) ->> '$.resources'
FROM payloads p WHERE p.name = 'traces.pb';
SELECT 'log-resources-rows-logs.pb', (SELECT count(*) FROM otlp_log_resources(p.payload)) = 3
       AND (SELECT count(*) FROM otlp_log_resources(p.payload)) = otlp_check(p.payload) ->> '$.resources'
FROM payloads p WHERE p.name = 'logs.pb';
SELECT 'log-resources-rows-logs_basic.pb',
       (SELECT group_concat(service_name || ':' || item_count, ',') FROM otlp_log_resources(p.payload)) = 'billing:2,unknown_service:1'
FROM payloads p WHERE p.name = 'logs_basic.pb';
SELECT 'span-resources-match-spans-' || p.name,
       NOT EXISTS (SELECT 1 FROM otlp_span_resources(p.payload) r
                   WHERE r.resource_id <> resource_id(r.attributes, r.schema_url)
                      OR NOT EXISTS (SELECT 1 FROM otlp_spans(p.payload) s
                                     WHERE s.resource_id = r.resource_id AND s.service_name = r.service_name
                                       AND s.resource_attributes = r.attributes
                                       AND s.resource_schema_url IS r.schema_url))
FROM payloads p WHERE p.name IN ('traces.pb', 'traces.json', 'spans_basic.pb', 'schema.json') ORDER BY p.name;
SELECT 'span-resources-json-equals-pb',
       (SELECT group_concat(resource_id || ':' || item_count) FROM otlp_span_resources((SELECT payload FROM payloads WHERE name = 'traces.json')))
       = (SELECT group_concat(resource_id || ':' || item_count) FROM otlp_span_resources((SELECT payload FROM payloads WHERE name = 'traces.pb')));
-- one row per entry: the same resource in two entries gives two rows; an entry without valid
-- spans gives none; the schema URL is part of the resource.
SELECT 'span-resources-per-entry',
       (SELECT group_concat(coalesce(schema_url, '-') || ':' || item_count, ',') FROM otlp_span_resources(p.payload))
       = 'https://opentelemetry.io/schemas/1.26.0:1,-:2'
FROM payloads p WHERE p.name = 'schema.json';
SELECT 'span-resources-schema-url-distinct-id',
       (SELECT count(DISTINCT resource_id) FROM otlp_span_resources(p.payload)) = 2
FROM payloads p WHERE p.name = 'schema.json';
SELECT 'span-resources-null-payload', (SELECT count(*) FROM otlp_span_resources(NULL)) = 0
       AND (SELECT count(*) FROM otlp_log_resources(NULL)) = 0;

-- argus_store twice: records twice, each distinct resource once; spans and logs of the same
-- service share its resource.
SELECT 'store-traces-1', argus_store((SELECT payload FROM payloads WHERE name = 'traces.pb')) = 11;
SELECT 'store-traces-2', argus_store((SELECT payload FROM payloads WHERE name = 'traces.pb')) = 11;
SELECT 'store-twice-span-records', (SELECT count(*) FROM span_records) = 22;
SELECT 'store-twice-one-resource-each',
       (SELECT count(*) FROM resources) = 3
       AND (SELECT count(*) FROM resources)
           = (SELECT count(DISTINCT resource_id) FROM otlp_spans((SELECT payload FROM payloads WHERE name = 'traces.pb')));
SELECT 'store-logs', argus_store((SELECT payload FROM payloads WHERE name = 'logs.pb')) = 28;
SELECT 'store-logs-shares-resources', (SELECT count(*) FROM resources) = 3;
SELECT 'store-logs-json-same-resources',
       argus_store((SELECT payload FROM payloads WHERE name = 'logs.json'), 'logs') = 28 AND (SELECT count(*) FROM resources) = 3;
SELECT 'resources-id-is-hash', NOT EXISTS (SELECT 1 FROM resources WHERE id <> resource_id(attributes, schema_url));
SELECT 'resources-service-name',
       NOT EXISTS (SELECT 1 FROM resources r JOIN otlp_span_resources((SELECT payload FROM payloads WHERE name = 'traces.pb')) o
                   ON o.resource_id = r.id WHERE r.service_name <> o.service_name OR r.attributes <> o.attributes);

-- The views read the records with their resource, column for column as version 4 did.
SELECT 'spans-view-count', (SELECT count(*) FROM spans) = (SELECT count(*) FROM span_records);
SELECT 'logs-view-count', (SELECT count(*) FROM logs) = (SELECT count(*) FROM log_records) AND (SELECT count(*) FROM logs) = 56;
SELECT 'spans-view-resource-attributes',
       (SELECT count(*) = 22 AND sum(s.resource_attributes = o.resource_attributes AND s.resource_id = o.resource_id) = 22
        FROM spans s JOIN otlp_spans((SELECT payload FROM payloads WHERE name = 'traces.pb')) o
        ON o.trace_id = s.trace_id AND o.span_id = s.span_id);
SELECT 'logs-view-resource-attributes',
       (SELECT count(*) = 56 AND sum(l.resource_attributes = o.resource_attributes AND l.resource_id = o.resource_id) = 56
        FROM logs l JOIN (SELECT row_number() OVER () AS n, * FROM otlp_logs((SELECT payload FROM payloads WHERE name = 'logs.pb'))) o
        ON l.id IN (o.n, o.n + 28));
SELECT 'span-records-resource-id-matches-function',
       NOT EXISTS (SELECT 1 FROM spans WHERE resource_id <> resource_id(resource_attributes));
SELECT 'spans-view-columns',
       (SELECT group_concat(name, ',') FROM pragma_table_info('spans'))
       = 'id,trace_id,span_id,parent_span_id,trace_state,flags,name,kind,start_time_unix_nano,'
         || 'end_time_unix_nano,duration_ns,status_code,status_message,service_name,attributes,events,'
         || 'links,resource_attributes,scope_name,scope_version,dropped_attributes_count,'
         || 'dropped_events_count,dropped_links_count,resource_id';
SELECT 'logs-view-columns',
       (SELECT group_concat(name, ',') FROM pragma_table_info('logs'))
       = 'id,time_unix_nano,observed_time_unix_nano,severity_number,severity_text,body,body_type,'
         || 'attributes,trace_id,span_id,flags,event_name,service_name,resource_attributes,scope_name,'
         || 'scope_version,dropped_attributes_count,insight,pattern_id,resource_id';
SELECT 'views-are-views', (SELECT group_concat(name || ':' || type, ',') FROM (SELECT name, type FROM sqlite_schema
                           WHERE name IN ('spans', 'logs', 'span_records', 'log_records', 'resources') ORDER BY name))
       = 'log_records:table,logs:view,resources:table,span_records:table,spans:view';
-- LEFT JOIN: a record whose resource row is missing is still read, with NULL resource_attributes.
INSERT INTO span_records (id, trace_id, span_id, name, start_time_unix_nano, end_time_unix_nano, duration_ns, service_name, resource_id)
VALUES (900001, '5eed000000000000000000000000000f', '00000000000000f1', 'no resource', 1, 2, 1, 'res-orphan', 12345);
SELECT 'spans-view-left-join', (SELECT resource_attributes IS NULL AND resource_id = 12345 FROM spans WHERE id = 900001);
DELETE FROM span_records WHERE id = 900001;

-- The schema URL is stored with the resource.
SELECT 'store-schema-json', argus_store((SELECT payload FROM payloads WHERE name = 'schema.json')) = 3;
SELECT 'store-schema-url', (SELECT group_concat(coalesce(schema_url, '-'), ',') FROM (SELECT schema_url FROM resources
                            WHERE service_name = 'res-test' ORDER BY schema_url)) = '-,https://opentelemetry.io/schemas/1.26.0';
SELECT 'store-schema-url-spans',
       (SELECT group_concat(s.name || ':' || coalesce(r.schema_url, '-'), ',') FROM (SELECT * FROM spans WHERE service_name = 'res-test' ORDER BY name) s
        JOIN resources r ON r.id = s.resource_id) = 'a:https://opentelemetry.io/schemas/1.26.0,b:-,c:-';
SELECT 'store-no-resource-for-rejected', NOT EXISTS (SELECT 1 FROM resources WHERE service_name = 'res-bad');
-- storing the same resource again by hand: ON CONFLICT DO NOTHING as the ingest statements do
INSERT INTO resources (id, service_name, attributes, schema_url)
SELECT resource_id, service_name, attributes, schema_url FROM otlp_span_resources((SELECT payload FROM payloads WHERE name = 'traces.pb'))
WHERE true ON CONFLICT (id) DO NOTHING;
SELECT 'resources-same-again-no-op', (SELECT count(*) FROM resources) = 5;

-- INSERT through the spans view with only the required columns: the table defaults apply and the
-- resource ('{}') is stored.
INSERT INTO spans (trace_id, span_id, name, start_time_unix_nano, end_time_unix_nano, duration_ns, service_name)
VALUES ('5eed0000000000000000000000000001', '00000000000000b1', 'view insert', 10, 30, 20, 'res-view');
SELECT 'view-insert-span-defaults',
       (SELECT flags = 0 AND kind = 0 AND status_code = 0 AND attributes = '{}' AND events = '[]'
               AND links = '[]' AND dropped_attributes_count = 0 AND dropped_events_count = 0
               AND dropped_links_count = 0 AND parent_span_id IS NULL AND status_message IS NULL
               AND scope_name IS NULL AND resource_attributes = '{}' AND resource_id = resource_id('{}')
        FROM spans WHERE span_id = '00000000000000b1');
SELECT 'view-insert-span-record',
       (SELECT count(*) FROM span_records WHERE span_id = '00000000000000b1' AND resource_id = resource_id('{}')) = 1;
SELECT 'view-insert-span-resource', (SELECT attributes = '{}' AND schema_url IS NULL FROM resources WHERE id = resource_id('{}'));
-- with a resource, an explicit id, and NULL for a column with a default
INSERT INTO spans (id, trace_id, span_id, name, kind, start_time_unix_nano, end_time_unix_nano, duration_ns, service_name, resource_attributes)
VALUES (700001, '5eed0000000000000000000000000001', '00000000000000b2', 'view insert 2', NULL, 10, 20, 10, 'res-view',
        '{"service.name":"res-view","host.name":"h1"}');
SELECT 'view-insert-span-id-kept', (SELECT count(*) FROM span_records WHERE id = 700001 AND span_id = '00000000000000b2') = 1;
SELECT 'view-insert-span-null-gets-default', (SELECT kind FROM spans WHERE id = 700001) = 0;
SELECT 'view-insert-span-resource-row',
       (SELECT service_name = 'res-view' AND attributes = '{"service.name":"res-view","host.name":"h1"}'
        FROM resources WHERE id = resource_id('{"service.name":"res-view","host.name":"h1"}'));
SELECT 'view-insert-span-resource-attributes',
       (SELECT resource_attributes FROM spans WHERE id = 700001) = '{"service.name":"res-view","host.name":"h1"}';
SELECT 'view-insert-span-counts', (SELECT count(*) FROM spans) = (SELECT count(*) FROM span_records)
       AND (SELECT count(*) FROM resources) = 7;
-- the same resource again through the view: no second row
INSERT INTO spans (trace_id, span_id, name, start_time_unix_nano, end_time_unix_nano, duration_ns, service_name, resource_attributes)
VALUES ('5eed0000000000000000000000000001', '00000000000000b3', 'view insert 3', 10, 20, 10, 'res-view',
        '{"service.name":"res-view","host.name":"h1"}');
SELECT 'view-insert-span-resource-once', (SELECT count(*) FROM resources) = 7;

-- INSERT through the logs view with only the required columns.
INSERT INTO logs (time_unix_nano, observed_time_unix_nano, body, service_name)
VALUES (1000, 1000, 'zebracorn reticulated the splines', 'res-view');
SELECT 'view-insert-log-defaults',
       (SELECT severity_number = 0 AND attributes = '{}' AND flags = 0 AND dropped_attributes_count = 0
               AND severity_text IS NULL AND trace_id IS NULL AND insight IS NULL AND pattern_id IS NULL
               AND resource_attributes = '{}' AND resource_id = resource_id('{}')
        FROM logs WHERE body LIKE 'zebracorn%');
SELECT 'view-insert-log-record', (SELECT count(*) FROM log_records WHERE body LIKE 'zebracorn%') = 1;
INSERT INTO logs (time_unix_nano, observed_time_unix_nano, severity_number, body, service_name, resource_attributes, insight, pattern_id)
VALUES (2000, 2000, NULL, 'quokkafish swam by', 'res-view-logs', '{"service.name":"res-view-logs"}', '{"category":"x"}', 'p1');
SELECT 'view-insert-log-values',
       (SELECT severity_number = 0 AND insight = '{"category":"x"}' AND pattern_id = 'p1'
               AND resource_attributes = '{"service.name":"res-view-logs"}'
        FROM logs WHERE body = 'quokkafish swam by');
SELECT 'view-insert-log-resource-row',
       (SELECT service_name FROM resources WHERE id = resource_id('{"service.name":"res-view-logs"}')) = 'res-view-logs';

-- Full-text search: bodies stored by argus_store and through the view are found.
SELECT 'store-logs-basic', argus_store((SELECT payload FROM payloads WHERE name = 'logs_basic.pb')) = 3;
SELECT 'fts-argus-store',
       (SELECT group_concat(l.body) FROM logs_fts JOIN logs l ON l.id = logs_fts.rowid WHERE logs_fts MATCH '"declined for order"')
       = 'payment declined for order 42';
SELECT 'fts-view-insert',
       (SELECT group_concat(l.service_name) FROM logs_fts JOIN logs l ON l.id = logs_fts.rowid WHERE logs_fts MATCH 'zebracorn')
       = 'res-view';
SELECT 'fts-count-matches-like',
       (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'quokkafish OR zebracorn OR declined')
       = (SELECT count(*) FROM logs WHERE body LIKE '%quokkafish%' OR body LIKE '%zebracorn%' OR body LIKE '%declined%');
-- an UPDATE of the body in log_records keeps the index right
UPDATE log_records SET body = 'narwhalbird reticulated the splines' WHERE body LIKE 'zebracorn%';
SELECT 'fts-update-record',
       (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'zebracorn') = 0
       AND (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'narwhalbird') = 1;

-- UPDATE through the logs view: insight and pattern_id.
UPDATE logs SET insight = '{"category":"test"}' WHERE body = 'quokkafish swam by';
SELECT 'view-update-insight',
       (SELECT insight = '{"category":"test"}' AND pattern_id = 'p1' FROM log_records WHERE body = 'quokkafish swam by');
UPDATE logs SET pattern_id = log_pattern_id(body), insight = NULL WHERE service_name = 'res-view-logs';
SELECT 'view-update-pattern-id',
       (SELECT insight IS NULL AND pattern_id = log_pattern_id('quokkafish swam by') FROM logs WHERE body = 'quokkafish swam by');
UPDATE logs SET insight = ai_insight(body, severity_number, attributes) WHERE body = 'disk quota exceeded';
SELECT 'view-update-ai-insight',
       (SELECT count(*) = 2 AND sum(insight ->> '$.category' = 'disk_full') = 2 FROM log_records WHERE body = 'disk quota exceeded');
SELECT 'view-update-others-untouched', (SELECT count(*) FROM logs WHERE insight IS NOT NULL OR pattern_id IS NOT NULL) = 3;

-- DELETE through the views: the records go (and their search entries); resources stay.
DELETE FROM spans WHERE service_name = 'res-view';
SELECT 'view-delete-spans', (SELECT count(*) FROM span_records WHERE service_name = 'res-view') = 0
       AND (SELECT count(*) FROM span_records) = 25;
DELETE FROM logs WHERE service_name IN ('res-view', 'res-view-logs');
SELECT 'view-delete-logs', (SELECT count(*) FROM log_records WHERE service_name IN ('res-view', 'res-view-logs')) = 0
       AND (SELECT count(*) FROM logs) = 59;
SELECT 'view-delete-fts', (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'quokkafish OR narwhalbird') = 0;
SELECT 'view-delete-keeps-resources', (SELECT count(*) FROM resources) = 9;
DELETE FROM spans;
DELETE FROM logs;
SELECT 'view-delete-all', (SELECT count(*) FROM span_records) = 0 AND (SELECT count(*) FROM log_records) = 0
       AND (SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'declined') = 0;
INSERT INTO logs_fts (logs_fts, rank) VALUES ('integrity-check', 1);
SELECT 'fts-integrity', 1;
-- A resource stored with an empty schema URL is the one a view insert without a URL names.
INSERT INTO resources (id, service_name, attributes, schema_url)
VALUES (resource_id('{"empty.url":1}'), 's', '{"empty.url":1}', '');
INSERT INTO spans (trace_id, span_id, name, start_time_unix_nano, end_time_unix_nano, duration_ns,
                   service_name, resource_attributes)
VALUES ('0102030405060708090a0b0c0d0e0f10', 'a1a2a3a4a5a6a7a8', 'u', 1, 2, 1, 's', '{"empty.url":1}');
SELECT 'empty-schema-url-same-resource',
       (SELECT count(*) FROM resources WHERE attributes = '{"empty.url":1}') = 1
       AND (SELECT resource_attributes FROM spans WHERE name = 'u') = '{"empty.url":1}';
