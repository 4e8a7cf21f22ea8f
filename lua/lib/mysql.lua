-- The MariaDB / MySQL form of the shipped routes' SQL (lib.mysql). A handler parses and checks
-- its parameters once, then, where the SQL differs between the backends, asks db.dialect:
--   if db.dialect == "mysql" then return lib.mysql.services(s, e) end
--   return db.json([[ ...the SQLite form... ]], s, e)
-- Each function here takes the values the SQLite form binds and runs the same query in MariaDB's
-- words: JSON_OBJECT / JSON_ARRAYAGG(... ORDER BY ...) instead of json_object / json_group_array
-- over an ordered subquery, JSON_EXTRACT(x, '$') where SQLite says json(x) (MariaDB nests a
-- value as JSON only when it comes from a JSON function), DIV for integer division, CAST(... AS
-- CHAR / SIGNED / DOUBLE), a recursive CTE for bucket_series(), waterfall_json() + JSON_TABLE for
-- trace_waterfall(), JSON_TABLE / JSON_CONTAINS for json_each(), and FULLTEXT MATCH ... AGAINST
-- (boolean mode) for FTS5. ?NNN placeholders work as in SQLite (the read driver numbers them).
-- Answers are the same documents as from SQLite (docs/mysql.md lists what differs).
local M = {}
-- lib.params / lib.logs may load after this file: look them up when used.
local P = setmetatable({}, {__index = function(_, k) return lib.params[k] end})

local MIN = "60000000000"

-- json(x) of SQLite: x (JSON text) nested as JSON, not as a string.
local function J(x) return "JSON_EXTRACT(" .. x .. ", '$')" end
M.J = J

-- [] instead of NULL for an aggregate over no rows.
local function arr(x) return "coalesce(" .. x .. ", JSON_ARRAY())" end

-- The record as docs/api.md shows it (alias l for log_records): lib.logs.json_sql in MariaDB's
-- words (a JSON text is nested with JSON_EXTRACT, a string made JSON with JSON_QUOTE).
local LOG_JSON
function M.log_json_sql()
  LOG_JSON = LOG_JSON or lib.logs.json_sql{
    text = "CHAR",
    json = J,
    json_or_text = function(c, x)
      return J("CASE WHEN " .. c .. " THEN " .. x .. " ELSE JSON_QUOTE(" .. x .. ") END")
    end,
  }
  return LOG_JSON
end

-- Rows t of the buckets of [start, end) of width step (bucket_series of SQLite); a, b, w are the
-- placeholders of start, end and width, e.g. "?2", "?3", "?1".
local function buckets_cte(a, b, w)
  return "b (t) AS (SELECT time_bucket(" .. a .. ", " .. w .. ") UNION ALL SELECT t + " .. w ..
         " FROM b WHERE t + " .. w .. " < " .. b .. ")"
end

-- ---- log search ---------------------------------------------------------------------------

-- A full-text term as a boolean-mode search string: a phrase, or a word with a trailing *.
-- InnoDB's parser splits words at what is not a letter, digit or '_', as FTS5's unicode61 does.
function M.fts_string(text, prefix)
  if prefix then
    if not text:match("^[%w_]+$") then
      P.bad("q", "a prefix search (word*) takes letters, digits and '_' only on MariaDB/MySQL, got '" ..
            text .. "*'")
    end
    return text .. "*"
  end
  return '"' .. text:gsub('"', " ") .. '"'
end

-- The same term as a regular expression over a body, for the search window of logs_search: the
-- term's words (runs of letters, digits and '_', as InnoDB's parser splits them) with anything
-- else between them, not inside a longer word; case is ignored. nil when the term has no word.
function M.fts_regex(text, prefix)
  local words = {}
  for w in text:gmatch("[%w_\128-\255]+") do words[#words + 1] = w end
  if #words == 0 then return nil end
  return "(?i)(?<![[:alnum:]_])" .. table.concat(words, "[^[:alnum:]_]+") ..
         (prefix and "" or "(?![[:alnum:]_])")
end

-- SQL condition: the record's body holds the terms of a boolean-mode search string (one ?).
M.FTS_SQL = "MATCH (l.body) AGAINST (? IN BOOLEAN MODE)"
-- SQL: a JSON value at a bound path, as text (numbers as written, true as 1), one ? each.
function M.json_text(col) return "JSON_VALUE(" .. col .. ", ?)" end

-- The answer of a search from a page CTE (id, time_unix_nano, j) of up to limit + 1 records;
-- binds: limit, limit, limit - 1.
local ANSWER_SQL = [[
    SELECT JSON_OBJECT(
      'logs', ]] .. arr([[(SELECT JSON_ARRAYAGG(j ORDER BY time_unix_nano DESC, id DESC) FROM
                 (SELECT j, time_unix_nano, id FROM page ORDER BY time_unix_nano DESC, id DESC LIMIT ?) x)]]) .. [[,
      'next_cursor', CASE WHEN (SELECT count(*) FROM page) > ? THEN
                       (SELECT CONCAT(time_unix_nano, '.', id) FROM page
                        ORDER BY time_unix_nano DESC, id DESC LIMIT 1 OFFSET ?) END)]]

-- The CTEs ids (the newest records of where, LIMIT ?) and page (their JSON, j).
local function page_sql(where)
  return [[
    WITH ids AS (
      SELECT l.id FROM log_records l WHERE ]] .. where .. [[
      ORDER BY l.time_unix_nano DESC, l.id DESC LIMIT ?),
    page AS (
      SELECT l.id, l.time_unix_nano, ]] .. M.log_json_sql() .. [[ AS j
      FROM ids JOIN log_records l ON l.id = ids.id)
    ]]
end

-- A search's page: the newest records of where ORDER BY time, then their JSON. Binds: where's
-- values (and the cursor's), limit + 1, then ANSWER_SQL's.
function M.logs_search(where, args)
  return db.json(page_sql(where) .. ANSWER_SQL, table.unpack(args))
end

-- The same with full-text words, tried first on the newest `candidates` records of the range
-- (after the cursor): their bodies are matched with the words' regular expressions while the
-- time index is read from the newest, and the read stops at a page of matches, so a common word
-- costs what a page costs. The window's oldest record is found first from the time index alone
-- (the records of the other filters would each be read). "null" when that window holds no more
-- than a page of matches and is not the whole range: the FULLTEXT index then drives
-- (logs_search, fast for rarer words; a larger window cost more than the index for a word in
-- 0.1 % of the records: reading a record to match its body costs ~9 us). f: lib.logs.filter's
-- (f.matches: regular expressions); cur: the cursor's {time, id} or nil.
function M.logs_search_window(f, cur, limit, candidates)
  local wsql, wargs = "l.time_unix_nano >= ? AND l.time_unix_nano < ?", {f.start_ns, f.end_ns}
  local sql, args = f.base_sql, {table.unpack(f.base_args)}
  if cur then
    local c = " AND (l.time_unix_nano, l.id) < (?, ?)"
    wsql, sql = wsql .. c, sql .. c
    wargs[3], wargs[4] = cur[1], cur[2]
    args[#args + 1], args[#args + 2] = cur[1], cur[2]
  end
  wargs[#wargs + 1] = candidates - 1
  local edge = db.row("SELECT l.time_unix_nano AS t, l.id FROM log_records l WHERE " .. wsql ..
                      " ORDER BY l.time_unix_nano DESC, l.id DESC LIMIT 1 OFFSET ?", table.unpack(wargs))
  if edge then
    sql = sql .. " AND l.time_unix_nano >= ? AND (l.time_unix_nano > ? OR l.id >= ?)"
    args[#args + 1], args[#args + 2], args[#args + 3] = edge.t, edge.t, edge.id
  end
  for _, r in ipairs(f.matches) do
    sql = sql .. " AND l.body REGEXP ?"
    args[#args + 1] = r
  end
  args[#args + 1] = limit + 1
  args[#args + 1] = edge and 1 or 0
  args[#args + 1] = limit
  args[#args + 1] = limit
  args[#args + 1] = limit
  args[#args + 1] = limit - 1
  return db.json(page_sql(sql) .. [[
    SELECT CASE WHEN ? = 0 OR (SELECT count(*) FROM ids) > ?
           THEN (]] .. ANSWER_SQL .. [[) END]], table.unpack(args))
end

local ZERO_COUNTS = [['{"TRACE": 0, "DEBUG": 0, "INFO": 0, "WARN": 0, "ERROR": 0, "FATAL": 0, "UNSPECIFIED": 0}']]

-- The histogram document over the buckets ?2..?3 of step ?1, from c(bk, total, counts): the
-- counts of one bucket (a CTE over log_rollups or log_records).
local function histogram(c_sql, ...)
  return db.json([[
    WITH RECURSIVE ]] .. buckets_cte("?2", "?3", "?1") .. [[,
    c AS (]] .. c_sql .. [[)
    SELECT JSON_OBJECT('step_ms', ?1 DIV 1000000, 'buckets', JSON_ARRAYAGG(JSON_OBJECT(
      'start_ms', b.t DIV 1000000,
      'total', coalesce(c.total, 0),
      'counts', JSON_EXTRACT(coalesce(c.counts, ]] .. ZERO_COUNTS .. [[), '$')) ORDER BY b.t))
    FROM b LEFT JOIN c ON c.bk = b.t]], ...)
end

-- Histogram from log_rollups; binds as the SQLite form: step, start, end, lo, hi, services...
function M.histogram_rollups(svc_sql, ...)
  return histogram([[SELECT time_bucket(minute_ns, ?1) AS bk, sum(count) AS total, ]] ..
      P.severity_rollup_sql("severity", "count") .. [[ AS counts
          FROM log_rollups WHERE minute_ns >= ?2 DIV ]] .. MIN .. " * " .. MIN .. [[ AND minute_ns < ?3
            AND severity BETWEEN (CASE WHEN ?4 = 0 THEN 0 ELSE (?4 - 1) DIV 4 * 4 + 1 END) AND ?5
            ]] .. svc_sql .. [[ GROUP BY bk]], ...)
end

-- Histogram from the records (any filter); binds: step, start, end, the filter's values.
function M.histogram_records(where, ...)
  return histogram([[SELECT time_bucket(l.time_unix_nano, ?1) AS bk, count(*) AS total, ]] ..
      P.severity_counts_sql("l.severity_number") .. [[ AS counts
          FROM log_records l WHERE ]] .. where .. [[ GROUP BY bk]], ...)
end

-- Records around one (col is l.service_name or l.trace_id); binds: key, time, id, before, after.
function M.logs_context(col, ...)
  return db.json([[
    SELECT JSON_OBJECT(
      'before', ]] .. arr([[(SELECT JSON_ARRAYAGG(j ORDER BY t, id) FROM (
                   SELECT l.time_unix_nano AS t, l.id, ]] .. M.log_json_sql() .. [[ AS j
                   FROM log_records l WHERE ]] .. col .. [[ = ?1 AND (l.time_unix_nano, l.id) < (?2, ?3)
                   ORDER BY l.time_unix_nano DESC, l.id DESC LIMIT ?4) x)]]) .. [[,
      'log', (SELECT ]] .. M.log_json_sql() .. [[ FROM log_records l WHERE l.id = ?3),
      'after', ]] .. arr([[(SELECT JSON_ARRAYAGG(j ORDER BY t, id) FROM (
                   SELECT l.time_unix_nano AS t, l.id, ]] .. M.log_json_sql() .. [[ AS j
                   FROM log_records l WHERE ]] .. col .. [[ = ?1 AND (l.time_unix_nano, l.id) > (?2, ?3)
                   ORDER BY l.time_unix_nano, l.id LIMIT ?5) x)]]) .. ")", ...)
end

-- Patterns of a range from log_pattern_rollups (whole minutes touched by the range); binds:
-- start, end, service (NULL: all), limit.
function M.logs_patterns(...)
  return db.json([[
    WITH counts AS (
      SELECT pattern_id, sum(count) AS n, min(first_ns) AS first_ns, max(last_ns) AS last_ns,
             max(example_id) AS example_id
      FROM log_pattern_rollups
      WHERE minute_ns >= ?1 DIV ]] .. MIN .. " * " .. MIN .. [[ AND minute_ns < ?2
        AND (?3 IS NULL OR service_key = LEFT(UNHEX(SHA2(?3, 256)), 16))
      GROUP BY pattern_id HAVING sum(count) > 0 ORDER BY n DESC, pattern_id LIMIT ?4)
    SELECT JSON_OBJECT('patterns', ]] .. arr([[(SELECT JSON_ARRAYAGG(JSON_OBJECT(
      'pattern_id', c.pattern_id, 'template', p.template, 'count', c.n,
      'first_ns', CAST(c.first_ns AS CHAR), 'last_ns', CAST(c.last_ns AS CHAR),
      'example', (SELECT body FROM log_records WHERE id = c.example_id),
      'insight', p.category, 'services', JSON_EXTRACT(p.services, '$')) ORDER BY c.n DESC, c.pattern_id)
      FROM counts c JOIN log_patterns p ON p.pattern_id = c.pattern_id)]]) .. ")", ...)
end

-- ---- services and dashboard ---------------------------------------------------------------

local function minutes(a, b)
  return "minute_ns >= " .. a .. " DIV " .. MIN .. " * " .. MIN .. " AND minute_ns < " .. b
end

function M.services(s, e)
  return db.json([[
    WITH r AS (
      SELECT service_key, min(service_name) AS service_name, sum(requests) AS requests,
             sum(errors) AS errors, sketch_quantile(sketch_merge(duration_sketch), 0.95) AS p95
      FROM span_rollups WHERE ]] .. minutes("?1", "?2") .. [[ GROUP BY service_key),
    lg AS (SELECT service_key, min(service_name) AS service_name, sum(count) AS logs FROM log_rollups
           WHERE ]] .. minutes("?1", "?2") .. [[ GROUP BY service_key),
    names AS (SELECT service_key FROM r UNION SELECT service_key FROM lg)
    SELECT JSON_OBJECT('services', ]] .. arr([[(SELECT JSON_ARRAYAGG(JSON_OBJECT(
      'service', coalesce(r.service_name, lg.service_name),
      'requests', coalesce(r.requests, 0),
      'errors', coalesce(r.errors, 0),
      'error_rate', CASE WHEN coalesce(r.requests, 0) > 0 THEN CAST(r.errors AS DOUBLE) / r.requests ELSE 0 END,
      'p95_ns', CAST(round(r.p95) AS SIGNED),
      'logs', coalesce(lg.logs, 0)) ORDER BY coalesce(r.service_name, lg.service_name))
      FROM names n LEFT JOIN r ON r.service_key = n.service_key
      LEFT JOIN lg ON lg.service_key = n.service_key)]]) .. ")", s, e)
end

-- The rows of one service (alias-free column service_key) in MariaDB's rollup tables, which are
-- keyed by the first 16 bytes of the name's SHA-256 (sql/mysql/003_long_values.sql).
local function service_is(ph) return "service_key = LEFT(UNHEX(SHA2(" .. ph .. ", 256)), 16)" end

-- Operations of a service from span_operation_rollups; binds: start, end, service, limit.
function M.operations(...)
  return db.json([[
    SELECT JSON_OBJECT('operations', ]] .. arr([[(SELECT JSON_ARRAYAGG(JSON_OBJECT(
      'name', name, 'spans', n, 'errors', errs) ORDER BY n DESC, name)
      FROM (SELECT name, sum(spans) AS n, sum(errors) AS errs FROM span_operation_rollups
            WHERE ]] .. service_is("?3") .. " AND " .. minutes("?1", "?2") .. [[
            GROUP BY name_key, name ORDER BY n DESC, name LIMIT ?4) o)]]) .. ")", ...)
end

-- One period's figures; binds a (start), b (end), svc (NULL = all).
local function period(a, b, svc)
  local where = minutes(a, b) .. " AND (" .. svc .. " IS NULL OR service_name = " .. svc .. ")"
  return [[
  (SELECT JSON_OBJECT(
     'requests', coalesce(sum(requests), 0),
     'errors', coalesce(sum(errors), 0),
     'error_rate', CASE WHEN sum(requests) > 0 THEN CAST(sum(errors) AS DOUBLE) / sum(requests) ELSE 0 END,
     'p50_ns', CAST(round(sketch_quantile(sketch_merge(duration_sketch), 0.5)) AS SIGNED),
     'p95_ns', CAST(round(sketch_quantile(sketch_merge(duration_sketch), 0.95)) AS SIGNED),
     'p99_ns', CAST(round(sketch_quantile(sketch_merge(duration_sketch), 0.99)) AS SIGNED),
     'logs', (SELECT ]] .. P.severity_rollup_sql("severity", "count") .. [[ FROM log_rollups
              WHERE ]] .. where .. [[))
   FROM span_rollups WHERE ]] .. where .. ")"
end

-- binds: start, end, service, start of the previous period
function M.summary(...)
  return db.json("SELECT JSON_OBJECT('current', " .. period("?1", "?2", "?3") .. ", 'previous', " ..
                 period("?4", "?1", "?3") .. ")", ...)
end

-- binds: start, end, step, by service (1/0), service
function M.timeseries(...)
  local logs, lcols = {}, {}
  for i, sev in ipairs(P.SEVERITIES) do
    logs[#logs + 1] = string.format(
      "'%s', (SELECT JSON_ARRAYAGG(coalesce(lb.`%s`, 0) ORDER BY b.t) FROM b LEFT JOIN lb ON lb.t = b.t)",
      sev, sev)
    lcols[#lcols + 1] = string.format("sum(CASE WHEN severity = %d THEN count END) AS `%s`",
                                      i == 7 and 0 or (i - 1) * 4 + 1, sev)
  end
  return db.json([[
    WITH RECURSIVE ]] .. buckets_cte("?1", "?2", "?3") .. [[,
    a AS (SELECT CASE WHEN ?4 THEN service_key END AS k, min(service_name) AS svc,
                 time_bucket(minute_ns, ?3) AS t, sum(requests) AS rq, sum(errors) AS er,
                 sketch_merge(duration_sketch) AS sk
          FROM span_rollups
          WHERE ]] .. minutes("?1", "?2") .. [[ AND (?5 IS NULL OR service_name = ?5)
          GROUP BY 1, 3),
    s AS (SELECT k, min(svc) AS svc FROM a WHERE ?4 GROUP BY k
          UNION ALL SELECT NULL, NULL FROM DUAL WHERE NOT ?4),
    cell AS (SELECT s.k, s.svc, b.t, coalesce(a.rq, 0) AS rq, coalesce(a.er, 0) AS er,
                    CAST(round(sketch_quantile(a.sk, 0.5)) AS SIGNED) AS p50,
                    CAST(round(sketch_quantile(a.sk, 0.95)) AS SIGNED) AS p95,
                    CAST(round(sketch_quantile(a.sk, 0.99)) AS SIGNED) AS p99
             FROM s CROSS JOIN b LEFT JOIN a ON a.t = b.t AND a.k <=> s.k),
    series AS (SELECT min(svc) AS svc, JSON_ARRAYAGG(rq ORDER BY t) AS rq,
                      JSON_ARRAYAGG(er ORDER BY t) AS er, JSON_ARRAYAGG(p50 ORDER BY t) AS p50,
                      JSON_ARRAYAGG(p95 ORDER BY t) AS p95, JSON_ARRAYAGG(p99 ORDER BY t) AS p99
               FROM cell GROUP BY k),
    lb AS (SELECT time_bucket(minute_ns, ?3) AS t, ]] .. table.concat(lcols, ", ") .. [[
           FROM log_rollups WHERE ]] .. minutes("?1", "?2") .. [[
             AND (?5 IS NULL OR service_name = ?5) GROUP BY 1)
    SELECT JSON_OBJECT(
      'step_ms', ?3 DIV 1000000,
      'buckets', (SELECT JSON_ARRAYAGG(t DIV 1000000 ORDER BY t) FROM b),
      'series', ]] .. arr([[(SELECT JSON_ARRAYAGG(JSON_OBJECT('service', svc,
                  'requests', JSON_EXTRACT(rq, '$'), 'errors', JSON_EXTRACT(er, '$'),
                  'p50_ns', JSON_EXTRACT(p50, '$'), 'p95_ns', JSON_EXTRACT(p95, '$'),
                  'p99_ns', JSON_EXTRACT(p99, '$')) ORDER BY svc) FROM series)]]) .. [[,
      'logs', JSON_OBJECT(]] .. table.concat(logs, ", ") .. "))", ...)
end

-- binds: start, end, limit. Operations from span_operation_rollups. MariaDB refuses an
-- aggregate inside another's argument: each service's operations are put together first (opj),
-- then joined.
function M.top_failing(...)
  local rate = "CAST(errs AS DOUBLE) / n"
  return db.json([[
    WITH svc AS (
      SELECT service_key, min(service_name) AS service_name, sum(requests) AS rq,
             sum(errors) AS er FROM span_rollups
      WHERE ]] .. minutes("?1", "?2") .. [[
      GROUP BY service_key HAVING sum(errors) > 0
      ORDER BY sum(errors) DESC, CAST(sum(errors) AS DOUBLE) / sum(requests) DESC,
               min(service_name) LIMIT ?3),
    ops AS (
      SELECT service_key, name, n, errs,
             ROW_NUMBER() OVER (PARTITION BY service_key ORDER BY errs DESC, ]] .. rate .. [[ DESC, name) AS rk
      FROM (SELECT o.service_key, min(o.name) AS name, sum(o.requests) AS n,
                   sum(o.request_errors) AS errs
            FROM span_operation_rollups o JOIN svc v ON v.service_key = o.service_key
            WHERE o.]] .. minutes("?1", "?2") .. [[
            GROUP BY o.service_key, o.name_key HAVING errs > 0) x),
    opj AS (
      SELECT service_key, JSON_ARRAYAGG(JSON_OBJECT('name', name, 'requests', n, 'errors', errs,
               'error_rate', ]] .. rate .. [[) ORDER BY rk) AS list
      FROM ops WHERE rk <= 5 GROUP BY service_key)
    SELECT JSON_OBJECT('services', ]] .. arr([[(SELECT JSON_ARRAYAGG(JSON_OBJECT(
      'service', v.service_name, 'requests', v.rq, 'errors', v.er,
      'error_rate', CASE WHEN v.rq > 0 THEN CAST(v.er AS DOUBLE) / v.rq ELSE 0 END,
      'operations', JSON_EXTRACT(coalesce(opj.list, '[]'), '$'))
      ORDER BY v.er DESC, CAST(v.er AS DOUBLE) / v.rq DESC, v.service_name)
      FROM svc v LEFT JOIN opj ON opj.service_key = v.service_key)]]) .. ")", ...)
end

-- ---- traces -------------------------------------------------------------------------------

-- SQL condition: the trace (alias t) involves service ? (its services JSON array holds it).
M.TRACE_SERVICE_SQL = "JSON_CONTAINS(t.services, JSON_QUOTE(?))"

-- The traces list: the page's trace ids first (sorting ids, not documents), then their JSON;
-- capped: total is the cap (total_capped true); index: the index to read, or nil for the
-- planner's choice: traces_duration walks from the longest (sooner than sorting every trace of a
-- busy range), traces_errors holds the error traces only (the planner walked traces_start and
-- looked each trace up: 10-40 ms against ~1 for 100 error traces of 88k). Binds as the SQLite
-- form, with the total as a value.
function M.traces(page_sql, col, dir, capped, index, ...)
  local order = col .. " " .. dir .. ", t.trace_id " .. dir
  return db.json([[
    WITH ids AS (
      SELECT t.trace_id, ]] .. col .. [[ AS k
      FROM traces t ]] .. (index and "FORCE INDEX (" .. index .. ") " or "") ..
      "WHERE " .. page_sql .. " ORDER BY " .. order .. [[ LIMIT ?),
    page AS (
      SELECT ids.trace_id, ids.k, JSON_OBJECT(
        'trace_id', t.trace_id, 'root_service', t.root_service_name, 'root_name', t.root_name,
        'start_ns', CAST(t.start_time_unix_nano AS CHAR), 'duration_ns', t.duration_ns,
        'span_count', t.span_count, 'error_count', t.error_count,
        'services', JSON_EXTRACT(t.services, '$')) AS j
      FROM ids JOIN traces t ON t.trace_id = ids.trace_id)
    SELECT JSON_OBJECT(
      'traces', ]] .. arr([[(SELECT JSON_ARRAYAGG(j ORDER BY k ]] .. dir .. [[, trace_id ]] .. dir .. [[) FROM
                  (SELECT j, k, trace_id FROM page ORDER BY k ]] .. dir .. [[, trace_id ]] .. dir .. [[ LIMIT ?) x)]]) .. [[,
      'total', ?, 'total_capped', JSON_EXTRACT(']] .. (capped and "true" or "false") .. [[', '$'),
      'next_cursor', CASE WHEN (SELECT count(*) FROM page) > ? THEN
        (SELECT CONCAT(k, '.', trace_id) FROM page ORDER BY k ]] .. dir .. [[, trace_id ]] .. dir ..
        [[ LIMIT 1 OFFSET ?) END)]], ...)
end

local KIND = "CASE s.kind WHEN 1 THEN 'INTERNAL' WHEN 2 THEN 'SERVER' WHEN 3 THEN 'CLIENT' " ..
             "WHEN 4 THEN 'PRODUCER' WHEN 5 THEN 'CONSUMER' ELSE 'UNSPECIFIED' END"
local STATUS = "CASE s.status_code WHEN 1 THEN 'OK' WHEN 2 THEN 'ERROR' ELSE 'UNSET' END"

-- The head of one trace's document; binds: trace id.
M.TRACE_HEAD_SQL = [[
  SELECT JSON_OBJECT(
    'trace_id', t.trace_id, 'start_ns', CAST(t.start_time_unix_nano AS CHAR),
    'duration_ns', t.duration_ns, 'services', JSON_EXTRACT(t.services, '$'),
    'log_count', (SELECT count(*) FROM log_records WHERE trace_id = ?1))
  FROM traces t WHERE t.trace_id = ?1]]

-- A JSON string of a text column, or null.
local function Q(col) return "coalesce(JSON_QUOTE(" .. col .. "), 'null')" end

-- The "spans" array's members of trace ?1, one row each with its display position (pos), as
-- SQLite's form gives them. waterfall_json() orders the spans; its name argument, written back
-- untouched, carries each row's id, so that JSON_TABLE's rows find their span by primary key (a
-- join by span_id would look each span up among the trace's n spans: n^2). The object is put
-- together by CONCAT: ids are hex, the JSON columns hold the writer's JSON text and go in as they
-- are, other text goes through JSON_QUOTE (JSON_OBJECT over 10k spans cost ~40 % more).
M.TRACE_SPANS_SQL = [[
  SELECT w.pos, CONCAT('{"span_id":"', s.span_id, '","depth":', w.depth, ',"offset_ns":', w.offset_ns,
    ',"duration_ns":', w.duration_ns, ',"self_ns":', w.self_ns,
    ',"critical":', IF(w.is_critical, 'true', 'false'), ',"orphan":', IF(w.is_orphan, 'true', 'false'),
    ',"parent_span_id":', coalesce(CONCAT('"', s.parent_span_id, '"'), 'null'),
    ',"name":', ]] .. Q("s.name") .. [[, ',"service":', ]] .. Q("s.service_name") .. [[,
    ',"kind":"', ]] .. KIND .. [[, '","start_ns":"', s.start_time_unix_nano,
    '","status_code":"', ]] .. STATUS .. [[, '","status_message":', ]] .. Q("s.status_message") .. [[,
    ',"attributes":', s.attributes,
    ',"events":', CASE WHEN s.events = '[]' THEN '[]' ELSE ]] .. arr([[(SELECT JSON_ARRAYAGG(JSON_OBJECT(
                'time_unix_nano', e.time_unix_nano, 'name', e.name,
                'attributes', JSON_EXTRACT(coalesce(e.attributes, '{}'), '$')) ORDER BY e.n)
              FROM JSON_TABLE(s.events, '$[*]' COLUMNS (n FOR ORDINALITY,
                time_unix_nano VARCHAR(20) PATH '$.time_unix_nano', name LONGTEXT PATH '$.name',
                attributes JSON PATH '$.attributes')) e)]]) .. [[ END,
    ',"links":', CASE WHEN s.links = '[]' THEN '[]' ELSE ]] .. arr([[(SELECT JSON_ARRAYAGG(JSON_OBJECT(
               'trace_id', k.trace_id, 'span_id', k.span_id,
               'attributes', JSON_EXTRACT(coalesce(k.attributes, '{}'), '$')) ORDER BY k.n)
             FROM JSON_TABLE(s.links, '$[*]' COLUMNS (n FOR ORDINALITY,
               trace_id VARCHAR(64) PATH '$.trace_id', span_id VARCHAR(32) PATH '$.span_id',
               attributes JSON PATH '$.attributes')) k)]]) .. [[ END,
    ',"resource":', coalesce(r.attributes, '{}'),
    ',"scope":{"name":', ]] .. Q("s.scope_name") .. [[, ',"version":', ]] .. Q("s.scope_version") .. [[, '}}') AS j
  FROM (SELECT CONVERT(waterfall_json(span_id, parent_span_id, start_time_unix_nano,
                 end_time_unix_nano, kind, status_code, CAST(id AS CHAR)) USING utf8mb4) AS wj
        FROM span_records WHERE trace_id = ?1) x,
       JSON_TABLE(x.wj, '$[*]' COLUMNS (pos FOR ORDINALITY, id BIGINT PATH '$.name',
         depth BIGINT PATH '$.depth', offset_ns BIGINT PATH '$.offset_ns',
         duration_ns BIGINT PATH '$.duration_ns', self_ns BIGINT PATH '$.self_ns',
         is_critical INT PATH '$.is_critical', is_orphan INT PATH '$.is_orphan')) w
  JOIN span_records s ON s.id = w.id
  LEFT JOIN resources r ON r.id = s.resource_id]]

-- The members of trace id's "spans" array, in display order (placed by pos here: sorting the
-- 4 MB of a 10k-span trace's rows cost MariaDB ~8 % more).
function M.trace_spans(id)
  local parts = {}
  for _, r in ipairs(db.rows(M.TRACE_SPANS_SQL, id)) do parts[r.pos] = r.j end
  return parts
end

-- ---- system -------------------------------------------------------------------------------

-- Row counts and the time span of the data, as the SQLite form's columns. As there, spans and
-- log records are summed from the per-minute rollups (an exact count(*) of 1M InnoDB rows took
-- 4-5 s) and the newest time is the newest trace start (traces_start index).
M.FIGURES_SQL = [[
  SELECT (SELECT coalesce(sum(spans), 0) FROM span_operation_rollups) AS spans,
         (SELECT coalesce(sum(count), 0) FROM log_rollups) AS logs,
         (SELECT count(*) FROM traces) AS traces, (SELECT count(*) FROM resources) AS resources,
         (SELECT count(*) FROM log_patterns) AS log_patterns,
         LEAST(coalesce((SELECT min(start_time_unix_nano) FROM traces), 9223372036854775807),
               coalesce((SELECT min(time_unix_nano) FROM log_records), 9223372036854775807)) AS oldest,
         GREATEST(coalesce((SELECT max(start_time_unix_nano) FROM traces), -1),
                  coalesce((SELECT max(time_unix_nano) FROM log_records), -1)) AS newest,
         (SELECT coalesce(max(id), 0) FROM log_records) AS max_log_id]]

-- The configuration of /api/system without the keys that only SQLite reads (ARGUS_SQLITE_*).
function M.config(cfg)
  for k in pairs(cfg) do
    if k:sub(1, 13) == "ARGUS_SQLITE_" then cfg[k] = nil end
  end
  return cfg
end

-- The database's size from information_schema: data + indexes of its tables, and per table.
function M.database()
  local rows = db.rows([[
    SELECT table_name AS name, coalesce(data_length, 0) + coalesce(index_length, 0) AS bytes
    FROM information_schema.tables
    WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name]])
  local total, tables = 0, {}
  for _, r in ipairs(rows) do
    total = total + r.bytes
    tables[r.name] = r.bytes
  end
  return {name = db.value("SELECT DATABASE()"), size_bytes = total, tables = tables}
end

return M
