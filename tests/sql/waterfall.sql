-- Golden tests of trace_waterfall(trace_id) and waterfall_json(...) (ext/sqlite/waterfall_sqlite.c).
--   tests/sql/run.sh build
-- Trace 'aa..': a checkout request fanning out; times are small numbers of nanoseconds so the
-- expected offsets and self times can be checked by hand.
INSERT INTO spans (id, trace_id, span_id, parent_span_id, name, kind, start_time_unix_nano,
                   end_time_unix_nano, duration_ns, status_code, status_message, service_name)
VALUES
 (10, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '00000000000000c1', '0000000000000001', 'SELECT cart', 3, 1020, 1060, 40, 0, NULL, 'cart'),
 (11, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '0000000000000001', NULL, 'GET /checkout', 2, 1000, 1200, 200, 2, 'payment failed', 'frontend'),
 (12, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '00000000000000a1', '0000000000000001', 'auth', 3, 1010, 1050, 40, 0, NULL, 'frontend'),
 (13, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '00000000000000b1', '0000000000000001', 'POST /pay', 3, 1070, 1190, 120, 2, 'declined', 'frontend'),
 (14, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '00000000000000b2', '00000000000000b1', 'charge', 2, 1080, 1180, 100, 2, 'declined', 'payments'),
 (15, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '00000000000000b3', '00000000000000b2', 'publish receipt', 4, 1100, 1110, 10, 0, NULL, 'payments'),
 (16, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '00000000000000b4', '00000000000000b3', 'send receipt', 5, 1105, 1400, 295, 0, NULL, 'mailer'),
 (17, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '00000000000000e1', 'ffffffffffffffff', 'late orphan', 1, 1150, 1160, 10, 0, NULL, 'batch'),
 (18, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '0000000000000001', NULL, 'other trace', 2, 0, 5, 5, 0, NULL, 'x');

-- Display order: roots by start, children depth first by start; the orphan is a root.
SELECT 'order', (SELECT group_concat(replace(printf('%*s', depth, ''), ' ', '.') || name, ',')
                 FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'))
    = 'GET /checkout,.auth,.SELECT cart,.POST /pay,..charge,...publish receipt,....send receipt,late orphan';
SELECT 'count', (SELECT count(*) FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')) = 8;
SELECT 'upper-case-id', (SELECT count(*) FROM trace_waterfall('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')) = 8;
SELECT 'blob-id', (SELECT count(*) FROM trace_waterfall(x'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')) = 8;
SELECT 'unknown-id', (SELECT count(*) FROM trace_waterfall('cccccccccccccccccccccccccccccccc')) = 0;
SELECT 'null-id', (SELECT count(*) FROM trace_waterfall(NULL)) = 0;
SELECT 'where-trace-id', (SELECT count(*) FROM trace_waterfall
                          WHERE trace_id = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') = 1;

-- Offsets from the earliest start, durations, self time (auth and SELECT cart overlap: the root
-- loses 1010..1060 once, plus 1070..1190).
SELECT 'offsets', (SELECT group_concat(offset_ns, ',')
                   FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'))
    = '0,10,20,70,80,100,105,150';
SELECT 'root-self', (SELECT self_ns FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
                     WHERE span_id = '0000000000000001') = 200 - 50 - 120;
-- send receipt (1105..1400) is clipped to publish receipt (1100..1110): 5 ns covered.
SELECT 'clipped-self', (SELECT self_ns FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
                        WHERE name = 'publish receipt') = 5;
SELECT 'leaf-self', (SELECT self_ns = duration_ns FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
                     WHERE name = 'auth');

-- Critical path: root <- POST /pay <- charge <- publish receipt (the consumer does not block),
-- then back in the root, SELECT cart (ends 1060 < 1070); auth overlaps it and is not critical.
SELECT 'critical', (SELECT group_concat(name, ',') FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
                    WHERE is_critical)
    = 'GET /checkout,SELECT cart,POST /pay,charge,publish receipt,late orphan';

-- Errors and their propagation upwards.
SELECT 'has-error', (SELECT group_concat(name, ',') FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
                     WHERE has_error) = 'GET /checkout,POST /pay,charge';
SELECT 'descendant-error', (SELECT group_concat(name, ',') FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
                            WHERE descendant_error) = 'GET /checkout,POST /pay';
SELECT 'orphan', (SELECT group_concat(name) FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
                  WHERE is_orphan) = 'late orphan';
SELECT 'child-count', (SELECT group_concat(child_count, ',') FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'))
    = '3,0,0,1,1,1,0,0';

-- Stored columns come through unchanged, and id joins back to spans.
SELECT 'columns', (SELECT trace_id || '|' || service_name || '|' || kind || '|' || start_time_unix_nano
                          || '|' || end_time_unix_nano || '|' || duration_ns || '|' || status_code
                          || '|' || status_message || '|' || parent_span_id
                   FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa') WHERE name = 'charge')
    = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|payments|2|1080|1180|100|2|declined|00000000000000b1';
SELECT 'root-parent-null', (SELECT parent_span_id IS NULL FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
                            WHERE depth = 0 AND NOT is_orphan);
SELECT 'join-id', (SELECT count(*) FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa') w
                   JOIN spans s ON s.id = w.id AND s.span_id = w.span_id) = 8;

-- Cycles and duplicates never lose a span and never hang.
INSERT INTO spans (id, trace_id, span_id, parent_span_id, name, start_time_unix_nano,
                   end_time_unix_nano, duration_ns, service_name)
VALUES
 (30, 'dddddddddddddddddddddddddddddddd', '00000000000000aa', '00000000000000bb', 'a', 0, 10, 10, 's'),
 (31, 'dddddddddddddddddddddddddddddddd', '00000000000000bb', '00000000000000aa', 'b', 2, 8, 6, 's'),
 (32, 'dddddddddddddddddddddddddddddddd', '00000000000000cc', '00000000000000cc', 'self', 1, 3, 2, 's'),
 (33, 'dddddddddddddddddddddddddddddddd', '00000000000000aa', NULL, 'a again', 5, 6, 1, 's');
SELECT 'cycles', (SELECT group_concat(replace(printf('%*s', depth, ''), ' ', '.') || printf('%s%s', name,
                                             iif(is_orphan, '!', '') || iif(is_duplicate, '=', '')), ',')
                  FROM trace_waterfall('dddddddddddddddddddddddddddddddd'))
    = 'a!,.b,self!,a again=';

-- waterfall_json: the same assembly over any rows, as one JSON array.
SELECT 'json-order', (SELECT group_concat(value ->> 'name', ',') FROM json_each(
                          (SELECT waterfall_json(span_id, parent_span_id, start_time_unix_nano,
                                                 end_time_unix_nano, kind, status_code, name,
                                                 service_name)
                           FROM spans WHERE trace_id = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')))
    = 'GET /checkout,auth,SELECT cart,POST /pay,charge,publish receipt,send receipt,late orphan';
SELECT 'json-same-as-vtab',
       (SELECT group_concat(j.value ->> 'span_id' || ':' || (j.value ->> 'depth') || ':'
                            || (j.value ->> 'self_ns') || ':' || (j.value ->> 'is_critical'), ',')
        FROM json_each((SELECT waterfall_json(span_id, parent_span_id, start_time_unix_nano,
                                              end_time_unix_nano, kind, status_code)
                        FROM spans WHERE trace_id = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')) j)
     = (SELECT group_concat(span_id || ':' || depth || ':' || self_ns || ':' || is_critical, ',')
        FROM trace_waterfall('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'));
SELECT 'json-per-trace', (SELECT group_concat(n, ',') FROM
                              (SELECT json_array_length(waterfall_json(span_id, parent_span_id,
                                      start_time_unix_nano, end_time_unix_nano)) AS n
                               FROM spans GROUP BY trace_id ORDER BY trace_id)) = '8,1,4';
SELECT 'json-empty', (SELECT waterfall_json(span_id, parent_span_id, 1, 2) FROM spans WHERE 0) = '[]';
SELECT 'json-null-rows-skipped', json_array_length(
           (SELECT waterfall_json(s, NULL, 0, 1) FROM (SELECT 'x' AS s UNION ALL SELECT NULL))) = 1;
SELECT 'json-fields', waterfall_json('r', NULL, 5, 9) ->> '$[0].duration_ns' = 4;
SELECT 'json-name', (SELECT waterfall_json('r', NULL, 5, 9, 2, 0, 'GET "/"', 'web')) ->> '$[0].name'
    = 'GET "/"';
SELECT 'json-booleans', json_type(waterfall_json('r', NULL, 5, 9), '$[0].is_critical') = 'true';

-- A chain 1000 deep, stored in reverse: assembled iteratively, all on the critical path.
INSERT INTO spans (trace_id, span_id, parent_span_id, name, start_time_unix_nano,
                   end_time_unix_nano, duration_ns, service_name)
WITH RECURSIVE c(i) AS (SELECT 999 UNION ALL SELECT i - 1 FROM c WHERE i > 0)
SELECT 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', printf('%016x', i),
       CASE WHEN i > 0 THEN printf('%016x', i - 1) END, 'level ' || i, i, 3000 - i, 3000 - 2 * i, 'deep'
FROM c;
SELECT 'deep-chain', (SELECT count(*) = 1000 AND max(depth) = 999 AND sum(is_critical) = 1000
                             AND sum(depth = CAST(substr(name, 7) AS INTEGER)) = 1000
                      FROM trace_waterfall('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'));
SELECT 'deep-chain-self', (SELECT group_concat(self_ns) FROM trace_waterfall('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee')
                           WHERE depth IN (0, 999)) = '2,1002';
