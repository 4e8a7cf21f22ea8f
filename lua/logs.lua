-- Log routes: search, volume histogram, context around a record, patterns (docs/api.md).
--   curl 'http://127.0.0.1:8080/api/logs?q=service:checkout%20level:>=WARN%20timeout&limit=50'
local P, LOGS = lib.params, lib.logs

-- The answer of a search from a page CTE (id, time_unix_nano, j) of up to limit + 1 records,
-- joined as text in page order (json_group_array(json(j)) would parse every record again).
local ANSWER_SQL = [[
    SELECT '{"logs":[' || coalesce((SELECT group_concat(j, ',') FROM
                 (SELECT j FROM page ORDER BY time_unix_nano DESC, id DESC LIMIT ?)), '') ||
      '],"next_cursor":' || json_quote(CASE WHEN (SELECT count(*) FROM page) > ? THEN
                       (SELECT time_unix_nano || '.' || id FROM page
                        ORDER BY time_unix_nano DESC, id DESC LIMIT 1 OFFSET ?) END) || '}']]

-- Full-text words first try the newest CANDIDATES records of the other filters: the words are
-- looked up within those records' id range only, so a common word costs what a page costs.
-- When that window holds fewer than a page of matches (and is not the whole range), the words'
-- index drives instead (fast for rarer words). Both are exact.
local CANDIDATES = 10000

local function search(req)
  local f = LOGS.filter(req, {time = true})
  local limit = P.limit(req)
  local cur = P.cursor(req, 2)
  local function with_cursor(sql, args)
    if cur then
      sql = sql .. " AND (l.time_unix_nano, l.id) < (?, ?)"
      args[#args + 1], args[#args + 2] = cur[1], cur[2]
    end
    return sql, args
  end
  local function tail(args)
    args[#args + 1] = limit
    args[#args + 1] = limit
    args[#args + 1] = limit - 1
    return table.unpack(args)
  end
  if db.dialect == "mysql" then
    if f.matches then
      local answer = lib.mysql.logs_search_window(f, cur, limit, CANDIDATES)
      if answer ~= "null" then return answer end
    end
    local sql, args = with_cursor(f.sql, f.args)
    args[#args + 1] = limit + 1
    return lib.mysql.logs_search(sql, {tail(args)})
  end
  if f.match then
    local sql, args = with_cursor(f.base_sql, f.base_args)
    args[#args + 1] = CANDIDATES
    args[#args + 1] = f.match
    args[#args + 1] = limit + 1
    args[#args + 1] = limit
    args[#args + 1] = CANDIDATES
    local answer = db.json([[
      WITH cand AS (
        SELECT l.id, l.time_unix_nano AS t FROM log_records l WHERE ]] .. sql .. [[
        ORDER BY l.time_unix_nano DESC, l.id DESC LIMIT ?),
      hit AS (
        SELECT id, t FROM cand
        WHERE id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?
                     AND rowid >= (SELECT min(id) FROM cand) AND rowid <= (SELECT max(id) FROM cand))
        ORDER BY t DESC, id DESC LIMIT ?),
      page AS (
        SELECT l.id, l.time_unix_nano, ]] .. LOGS.JSON_SQL .. [[ AS j
        FROM hit JOIN log_records l ON l.id = hit.id)
      SELECT CASE WHEN (SELECT count(*) FROM hit) > ? OR (SELECT count(*) FROM cand) < ?
             THEN (]] .. ANSWER_SQL .. [[) END]], tail(args))
    if answer ~= "null" then return answer end
  end
  local sql, args = with_cursor(f.sql, f.args)
  if #f.parts == 1 then
    -- Only the time range: in logs_time's order, the page, whether there is a next one and its
    -- cursor are each a short walk down the index from the page's first record, with no rows
    -- kept and sorted again (one statement: one snapshot; the first page of the bench's hour:
    -- 1,258 -> 694 us of SQL).
    local walk = " FROM log_records l WHERE " .. sql .. " ORDER BY l.time_unix_nano DESC, l.id DESC"
    return db.json([[
      SELECT '{"logs":[' || coalesce((SELECT group_concat(j, ',') FROM
                   (SELECT ]] .. LOGS.JSON_SQL .. " AS j" .. walk .. [[ LIMIT ?)), '') ||
        '],"next_cursor":' || json_quote(CASE WHEN EXISTS (SELECT 1]] .. walk .. [[ LIMIT 1 OFFSET ?)
          THEN (SELECT l.time_unix_nano || '.' || l.id]] .. walk .. [[ LIMIT 1 OFFSET ?) END) || '}']],
      table.unpack(P.args(args, limit, args, limit, args, limit - 1)))
  end
  -- Other filters: the page's ids are found once, then the records of those made JSON (kept
  -- and sorted as ids, not as documents: severity>=WARN over the bench's hour 1.77-1.86 ->
  -- 1.46-1.59 ms of SQL).
  args[#args + 1] = limit + 1
  return db.json([[
    WITH ids AS (
      SELECT l.id, l.time_unix_nano FROM log_records l WHERE ]] .. sql .. [[
      ORDER BY l.time_unix_nano DESC, l.id DESC LIMIT ?)
    SELECT '{"logs":[' || coalesce((SELECT group_concat(j, ',') FROM
                 (SELECT ]] .. LOGS.JSON_SQL .. [[ AS j
                  FROM (SELECT id, time_unix_nano FROM ids ORDER BY time_unix_nano DESC, id DESC LIMIT ?) p
                  JOIN log_records l ON l.id = p.id ORDER BY p.time_unix_nano DESC, p.id DESC)), '') ||
      '],"next_cursor":' || json_quote(CASE WHEN (SELECT count(*) FROM ids) > ? THEN
                       (SELECT time_unix_nano || '.' || id FROM ids
                        ORDER BY time_unix_nano DESC, id DESC LIMIT 1 OFFSET ?) END) || '}']], tail(args))
end

-- Histogram from log_rollups: only time, service and severity-group filters, whole minutes.
local function histogram_rollups(req, f, step, lo, hi)
  local services = req.query_all.service or {}
  local marks = {}
  for i = 1, #services do marks[i] = "?" end
  local svc_sql = #services > 0 and ("AND service_name IN (" .. table.concat(marks, ", ") .. ")") or ""
  if db.dialect == "mysql" then
    return lib.mysql.histogram_rollups(svc_sql, step, f.start_ns, f.end_ns, lo, hi, table.unpack(services))
  end
  return db.json([[
    SELECT json_object('step_ms', ?1 / 1000000, 'buckets', json_group_array(json_object(
      'start_ms', b.bucket_start_ns / 1000000,
      'total', coalesce(c.total, 0),
      'counts', json(coalesce(c.counts, json_object('TRACE', 0, 'DEBUG', 0, 'INFO', 0,
                  'WARN', 0, 'ERROR', 0, 'FATAL', 0, 'UNSPECIFIED', 0))))))
    FROM (SELECT bucket_start_ns FROM bucket_series(?2, ?3, ?1) ORDER BY bucket_start_ns) b
    LEFT JOIN (SELECT time_bucket(minute_ns, ?1) AS bk, sum(count) AS total, ]] ..
      P.severity_rollup_sql("severity", "count") .. [[ AS counts
               FROM log_rollups WHERE minute_ns >= ?2 / 60000000000 * 60000000000 AND minute_ns < ?3
                 AND severity BETWEEN (CASE WHEN ?4 = 0 THEN 0 ELSE (?4 - 1) / 4 * 4 + 1 END) AND ?5
                 ]] .. svc_sql .. [[ GROUP BY bk) c
      ON c.bk = b.bucket_start_ns]], step, f.start_ns, f.end_ns, lo, hi, table.unpack(services))
end

-- Histogram from the records themselves (any filter).
local function histogram_records(f, step)
  if db.dialect == "mysql" then
    return lib.mysql.histogram_records(f.sql, step, f.start_ns, f.end_ns, table.unpack(f.args))
  end
  local args = {step, f.start_ns, f.end_ns, step, step}
  for _, v in ipairs(f.args) do args[#args + 1] = v end
  return db.json([[
    SELECT json_object('step_ms', ? / 1000000, 'buckets', json_group_array(json_object(
      'start_ms', b.bucket_start_ns / 1000000,
      'total', coalesce(c.total, 0),
      'counts', json(coalesce(c.counts, json_object('TRACE', 0, 'DEBUG', 0, 'INFO', 0,
                  'WARN', 0, 'ERROR', 0, 'FATAL', 0, 'UNSPECIFIED', 0))))))
    FROM (SELECT bucket_start_ns FROM bucket_series(?, ?, ?) ORDER BY bucket_start_ns) b
    LEFT JOIN (SELECT time_bucket(l.time_unix_nano, ?) AS bk, count(*) AS total, ]] ..
      P.severity_counts_sql("l.severity_number") .. [[ AS counts
               FROM log_records l WHERE ]] .. f.sql .. [[ GROUP BY bk) c
      ON c.bk = b.bucket_start_ns]], table.unpack(args))
end

local function histogram(req)
  local f = LOGS.filter(req, {time = true})
  local q, MIN = req.query, 60000000000
  -- log_rollups count whole minutes by service and severity group: usable without q, trace_id,
  -- span_id and with a severity filter on whole groups.
  local lo, hi = 0, 24
  if q.severity then lo, hi = P.severity("severity", q.severity) end
  local rollups = not (q.q or q.trace_id or q.span_id) and (lo == 0 or (lo - 1) % 4 == 0) and hi % 4 == 0
  local step
  if q.step then
    step = P.duration("step", q.step)
    if step < 1000000 then P.bad("step", "must be at least 1ms") end
    if (f.end_ns - f.start_ns) // step > 10000 then P.bad("step", "gives more than 10000 buckets") end
  else
    step = db.value("SELECT bucket_width(?, ?, 60)", f.start_ns, f.end_ns)
    -- whole minutes when the rollups can answer: counting the records of a busy quarter of an
    -- hour one by one takes seconds
    if rollups and step < MIN then step = MIN end
  end
  if rollups and step % MIN == 0 then return histogram_rollups(req, f, step, lo, hi) end
  return histogram_records(f, step)
end

local function context(req)
  local id = req.params.id
  if not id:match("^%d+$") or #id > 18 then P.bad("id", "expected a log id (a positive integer), got '" .. id .. "'") end
  id = math.tointeger(tonumber(id))
  local before = P.int(req, "before", 10, 0, 200)
  local after = P.int(req, "after", 10, 0, 200)
  local by = req.query.by or "service"
  if by ~= "service" and by ~= "trace" then P.bad("by", "expected service or trace, got '" .. by .. "'") end
  local rec = db.row("SELECT time_unix_nano, service_name, trace_id FROM log_records WHERE id = ?", id)
  if not rec then api.error(404, "not_found", "no log record with id " .. id) end
  local col, key = "l.service_name", rec.service_name
  if by == "trace" then
    if not rec.trace_id then P.bad("by", "log record " .. id .. " has no trace id") end
    col, key = "l.trace_id", rec.trace_id
  end
  local t = rec.time_unix_nano
  if db.dialect == "mysql" then return lib.mysql.logs_context(col, key, t, id, before, after) end
  return db.json([[
    SELECT json_object(
      'before', json((SELECT json_group_array(json(j)) FROM (
                   SELECT j FROM (SELECT l.time_unix_nano AS t, l.id, ]] .. LOGS.JSON_SQL .. [[ AS j
                                  FROM log_records l WHERE ]] .. col .. [[ = ?1
                                    AND (l.time_unix_nano, l.id) < (?2, ?3)
                                  ORDER BY l.time_unix_nano DESC, l.id DESC LIMIT ?4)
                   ORDER BY t, id))),
      'log', json((SELECT ]] .. LOGS.JSON_SQL .. [[ FROM log_records l WHERE l.id = ?3)),
      'after', json((SELECT json_group_array(json(j)) FROM (
                   SELECT ]] .. LOGS.JSON_SQL .. [[ AS j FROM log_records l
                   WHERE ]] .. col .. [[ = ?1 AND (l.time_unix_nano, l.id) > (?2, ?3)
                   ORDER BY l.time_unix_nano, l.id LIMIT ?5))))]],
    key, t, id, before, after)
end

-- From the per-minute pattern rollups (migration 008): whole minutes touched by the range.
local function patterns(req)
  local s, e = P.range(req)
  local limit = P.limit(req)
  local svc = req.query.service
  if db.dialect == "mysql" then return lib.mysql.logs_patterns(s, e, svc, limit) end
  return db.json([[
    WITH counts AS (
      SELECT pattern_id, sum(count) AS n, min(first_ns) AS first_ns, max(last_ns) AS last_ns,
             max(example_id) AS example_id
      FROM log_pattern_rollups
      WHERE minute_ns >= ?1 / 60000000000 * 60000000000 AND minute_ns < ?2
        AND (?3 IS NULL OR service_name = ?3)
      GROUP BY pattern_id ORDER BY n DESC, pattern_id LIMIT ?4)
    SELECT json_object('patterns', json(coalesce((SELECT json_group_array(json_object(
      'pattern_id', c.pattern_id, 'template', p.template, 'count', c.n,
      'first_ns', CAST(c.first_ns AS TEXT), 'last_ns', CAST(c.last_ns AS TEXT),
      'example', (SELECT body FROM log_records WHERE id = c.example_id),
      'insight', p.category, 'services', json(p.services)))
      FROM (SELECT * FROM counts ORDER BY n DESC, pattern_id) c
      JOIN log_patterns p ON p.pattern_id = c.pattern_id), '[]')))]],
    s, e, svc, limit)
end

-- Live tail: Server-Sent Events of new matching records (the hub in server/sse.c runs the query
-- for each committed id range).
local function stream(req)
  local f = LOGS.filter(req, {stream = true})
  local after = req.header("Last-Event-ID") or req.query.last_event_id
  if after then
    if not after:match("^%d+$") or #after > 18 then
      P.bad("Last-Event-ID", "expected a log id, got '" .. after .. "'")
    end
    after = math.tointeger(tonumber(after))
  else
    after = db.value("SELECT coalesce(max(id), 0) FROM log_records")
  end
  local record = db.dialect == "mysql" and lib.mysql.log_json_sql() or LOGS.JSON_SQL
  api.stream("SELECT l.id, " .. record ..
             " FROM log_records l WHERE l.id > ?1 AND l.id <= ?2 AND " .. f.sql .. " ORDER BY l.id",
             f.args, after)
end

return {
  {method = "GET", path = "/api/logs/stream", handler = stream},
  {method = "GET", path = "/api/logs", handler = search},
  {method = "GET", path = "/api/logs/histogram", handler = histogram},
  {method = "GET", path = "/api/logs/{id}/context", handler = context},
  {method = "GET", path = "/api/logs/patterns", handler = patterns},
}
