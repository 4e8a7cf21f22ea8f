-- ai_insight(body, severity_number, attributes_json) and the insight_rules table: built-in
-- categories, NULL handling, user rules overriding/silencing built-in ones, cache reloads.
-- Run in one in-memory database with the extension loaded and the schema applied; every row
-- must print '<case-id>|1'.

SELECT 'ins-null-body', ai_insight(NULL, 17, '{}') IS NULL;
SELECT 'ins-plain-info', ai_insight('user 42 logged in', 9, '{}') IS NULL;
SELECT 'ins-null-attrs', ai_insight('connection refused', 17, NULL) ->> '$.category' = 'connection';
SELECT 'ins-one-arg', ai_insight('java.lang.OutOfMemoryError: Java heap space') ->> '$.category' = 'out_of_memory';
SELECT 'ins-two-args', ai_insight('write: no space left on device', 17) ->> '$.category' = 'disk_full';
SELECT 'ins-json-valid', json_valid(ai_insight('dial tcp: i/o timeout', 17, '{}'));
SELECT 'ins-json-keys',
       (SELECT group_concat(key, ',') FROM json_each(ai_insight('dial tcp: i/o timeout', 17, '{}')))
       = 'category,tags,summary,suggestion,confidence,rule';
SELECT 'ins-timeout', ai_insight('context deadline exceeded', 17, '{}') ->> '$.category' = 'timeout';
SELECT 'ins-dns', ai_insight('lookup db on 10.96.0.10:53: no such host', 17, '{}') ->> '$.category' = 'dns';
SELECT 'ins-tls', ai_insight('x509: certificate signed by unknown authority', 17, '{}') ->> '$.category' = 'tls';
SELECT 'ins-deadlock', ai_insight('fatal error: all goroutines are asleep - deadlock!', 21, '{}') ->> '$.category' = 'deadlock';
SELECT 'ins-null-ref', ai_insight('TypeError: Cannot read properties of undefined (reading ''id'')', 17, '{}') ->> '$.category' = 'null_reference';
SELECT 'ins-http-attr', ai_insight('upstream failed', 17, '{"http.response.status_code":503}') ->> '$.category' = 'http_server_error';
SELECT 'ins-http-attr-old-key', ai_insight('rejected', 13, '{"http.status_code":429}') ->> '$.category' = 'rate_limit';
SELECT 'ins-http-summary', ai_insight('upstream failed', 17, '{"http.response.status_code":503}') ->> '$.summary' LIKE 'HTTP 503:%';
SELECT 'ins-access-log', ai_insight('1.2.3.4 - - [02/Mar/2024:10:15:23 +0000] "GET /a HTTP/1.1" 502 1 "-" "x"', 9, '{}') ->> '$.category' = 'http_server_error';
SELECT 'ins-exception-attr', ai_insight('failed', 17, '{"exception.type":"java.net.UnknownHostException"}') ->> '$.category' = 'dns';
SELECT 'ins-bad-attrs-ignored', ai_insight('connection refused', 17, 'not json') ->> '$.category' = 'connection';
SELECT 'ins-severity-up', ai_insight('connection refused', 21) ->> '$.confidence' > ai_insight('connection refused', 9) ->> '$.confidence';
SELECT 'ins-weak-info', ai_insight('using a timeout of 30s', 9) IS NULL;
SELECT 'ins-weak-error', ai_insight('using a timeout of 30s', 17) ->> '$.category' = 'timeout';
SELECT 'ins-builtin-rule', ai_insight('connection refused', 17) ->> '$.rule' = 'builtin:connection-refused';
SELECT 'ins-builtin-list', json_array_length(insight_builtin_rules()) >= 30;
SELECT 'ins-builtin-categories',
       (SELECT count(DISTINCT value ->> '$.category') FROM json_each(insight_builtin_rules())) >= 20;

-- a user rule adds a category
INSERT INTO insight_rules (id, pattern, category, tags, summary, suggestion, confidence)
VALUES (100, 'card declined', 'payment', '["payment","stripe"]', 'A card payment was declined',
        'Ask the customer for another card.', 0.9);
SELECT 'ins-user-new', ai_insight('stripe: Card Declined for order 7', 17) ->> '$.category' = 'payment';
SELECT 'ins-user-rule-id', ai_insight('stripe: card declined', 17) ->> '$.rule' = 'user:100';
SELECT 'ins-user-tags', ai_insight('stripe: card declined', 17) -> '$.tags' = '["payment","stripe"]';
SELECT 'ins-user-confidence', ai_insight('stripe: card declined', 17) ->> '$.confidence' = 0.95;

-- a user rule overrides a built-in one on the same text
INSERT INTO insight_rules (id, pattern, category, summary)
VALUES (101, 'connection refused', 'upstream_down', 'The upstream service is down');
SELECT 'ins-user-overrides', ai_insight('dial tcp: connect: connection refused', 17) ->> '$.category' = 'upstream_down';
SELECT 'ins-user-keeps-builtin-tags', EXISTS (SELECT 1 FROM json_each(ai_insight('connect: connection refused', 17) -> '$.tags') WHERE value = 'network');

-- priority orders user rules; ties go to the lower id
INSERT INTO insight_rules (id, pattern, category, priority) VALUES (102, 'refused', 'refusals', 10);
SELECT 'ins-user-priority', ai_insight('connection refused', 17) ->> '$.category' = 'refusals';
UPDATE insight_rules SET priority = 0 WHERE id = 102;
SELECT 'ins-user-tie-lower-id', ai_insight('connection refused', 17) ->> '$.category' = 'upstream_down';

-- disabling a user rule brings the built-in one back
UPDATE insight_rules SET enabled = 0 WHERE id IN (101, 102);
SELECT 'ins-user-disabled', ai_insight('connection refused', 17) ->> '$.category' = 'connection';

-- a user rule in a built-in category borrows its summary and suggestion
INSERT INTO insight_rules (id, pattern, category) VALUES (103, 'slow query', 'timeout');
SELECT 'ins-user-borrows', ai_insight('SLOW QUERY took 12s', 13) ->> '$.summary' = 'An operation timed out';

-- pattern '*' with enabled = 0 turns a built-in category off
INSERT INTO insight_rules (id, pattern, category, enabled) VALUES (104, '*', 'dns', 0);
SELECT 'ins-category-off', ai_insight('lookup db: no such host', 17) IS NULL;
SELECT 'ins-other-categories-on', ai_insight('no space left on device', 17) ->> '$.category' = 'disk_full';
UPDATE insight_rules SET enabled = 1 WHERE id = 104;
SELECT 'ins-category-back-on', ai_insight('lookup db: no such host', 17) ->> '$.category' = 'dns';

-- a rule without category silences matching lines
INSERT INTO insight_rules (id, pattern, category) VALUES (105, 'healthz', NULL);
SELECT 'ins-silence', ai_insight('GET /healthz: i/o timeout', 17) IS NULL;
DELETE FROM insight_rules WHERE id = 105;
SELECT 'ins-delete-reloads', ai_insight('GET /healthz: i/o timeout', 17) ->> '$.category' = 'timeout';

-- a rule with bad tags is reported, not skipped
INSERT INTO insight_rules (id, pattern, category, tags) VALUES (106, 'x', 'y', 'not json');
SELECT 'ins-version-token', (SELECT version FROM insight_rules_version) != 0;
DELETE FROM insight_rules WHERE id = 106;
SELECT 'ins-recovers', ai_insight('stripe: card declined', 17) ->> '$.category' = 'payment';

-- the logs columns from migration 003 take the results
INSERT INTO logs (time_unix_nano, observed_time_unix_nano, severity_number, body, service_name)
VALUES (1, 1, 17, 'read: connection reset by peer', 'api'), (2, 2, 9, 'all good', 'api');
UPDATE logs SET insight = ai_insight(body, severity_number, attributes) WHERE insight IS NULL;
SELECT 'ins-logs-column', (SELECT count(*) FROM logs WHERE insight ->> '$.category' = 'connection') = 1;
SELECT 'ins-logs-column-null', (SELECT count(*) FROM logs WHERE insight IS NULL) = 1;
