-- Traces: the list from the traces summary, and one trace's waterfall (docs/api.md).
--   curl 'http://127.0.0.1:8080/api/traces?service=checkout&min_duration=250ms&error=true'
--   curl 'http://127.0.0.1:8080/api/traces?service=inventory&operation=reserve'
--   curl 'http://127.0.0.1:8080/api/traces/5b8efff798038103d269b633813fc60c'
local P = lib.params

local RANGE_SQL = "t.start_time_unix_nano >= ? AND t.start_time_unix_nano < ?"
local SORT = {start = "t.start_time_unix_nano", duration = "t.duration_ns", spans = "t.span_count"}

local function list(req)
  local s, e = P.range(req)
  local limit = P.limit(req)
  local where = {RANGE_SQL}
  local args = {s, e}
  local function add(sql, ...)
    where[#where + 1] = sql
    for _, v in ipairs({...}) do args[#args + 1] = v end
  end
  if req.query.service then
    add(db.dialect == "mysql" and lib.mysql.TRACE_SERVICE_SQL or
        "EXISTS (SELECT 1 FROM json_each(t.services) WHERE value = ?)", req.query.service)
  end
  -- operation: the trace holds a span of that name (of that service when service is given),
  -- checked per trace through span_records' trace_id index after the time range (traces_start)
  -- narrowed the traces; root_operation: the root span's name, from the summary row.
  local op = req.query.operation
  if op then
    if req.query.service then
      add("EXISTS (SELECT 1 FROM span_records sp WHERE sp.trace_id = t.trace_id AND sp.name = ? AND sp.service_name = ?)",
          op, req.query.service)
    else
      add("EXISTS (SELECT 1 FROM span_records sp WHERE sp.trace_id = t.trace_id AND sp.name = ?)", op)
    end
  end
  if req.query.root_operation then add("t.root_name = ?", req.query.root_operation) end
  if req.query.min_duration then add("t.duration_ns >= ?", P.duration("min_duration", req.query.min_duration)) end
  if req.query.max_duration then add("t.duration_ns <= ?", P.duration("max_duration", req.query.max_duration)) end
  local err, errors_only = req.query.error, false
  if err then
    if err == "true" then add("t.error_count > 0"); errors_only = true
    elseif err == "false" then add("t.error_count = 0")
    else P.bad("error", "expected true or false, got '" .. err .. "'") end
  end
  for name, values in pairs(req.query_all) do
    if name:sub(1, 5) == "attr." then
      local path = P.key_path(name, name:sub(6))
      for _, v in ipairs(values) do
        local attr = db.dialect == "mysql" and lib.mysql.json_text("sp.attributes") or "CAST(json_extract(sp.attributes, ?) AS TEXT)"
        add("EXISTS (SELECT 1 FROM span_records sp WHERE sp.trace_id = t.trace_id AND " .. attr .. " = ?)",
            path, v)
      end
    end
  end
  local sort = req.query.sort or "start"
  local col = SORT[sort]
  if not col then P.bad("sort", "expected start, duration or spans, got '" .. sort .. "'") end
  local order = req.query.order or "desc"
  if order ~= "desc" and order ~= "asc" then P.bad("order", "expected desc or asc, got '" .. order .. "'") end
  local cmp, dir = order == "desc" and "<" or ">", order == "desc" and "DESC" or "ASC"
  local filter = table.concat(where, " AND ")
  local page_sql, page_args = filter, {table.unpack(args)}
  local c = req.query.cursor
  if c and c ~= "" then
    local k, tid = c:match("^(%-?%d+)%.(%x+)$")
    if not k or #k > 19 or #tid ~= 32 then P.bad("cursor", "not a cursor from a previous answer") end
    page_sql = page_sql .. " AND (" .. col .. ", t.trace_id) " .. cmp .. " (?, ?)"
    page_args[#page_args + 1] = math.tointeger(tonumber(k))
    page_args[#page_args + 1] = tid:lower()
  end
  -- index_only: the filters are the time range, and error=true (traces_errors covers it)
  local index_only = #where == 1 or (#where == 2 and errors_only)
  return page_sql, page_args, args, filter, limit, col, dir, sort, errors_only, index_only
end

-- total counts the matching traces up to TOTAL_CAP (total_capped: there are more): counting
-- every trace of a busy day costs more than the page itself.
local TOTAL_CAP = 10000

-- The count of matching traces, or TOTAL_CAP + 1 when there are more. Filters an index answers
-- (index_only): there are more than TOTAL_CAP when the (TOTAL_CAP + 1)th newest match before the
-- range's end starts inside it, which a walk down the index finds without comparing each entry
-- to the range's start or counting it (~10 ns per trace against ~46 for count(*)); the exact
-- count is then needed only for smaller ranges.
local function count(filter, args, index_only, errors_only)
  if index_only and db.dialect ~= "mysql" then
    local s, e = args[1], args[2]
    if db.value([[SELECT (SELECT t.start_time_unix_nano FROM ]] ..
                (errors_only and "traces t INDEXED BY traces_errors WHERE t.error_count > 0 AND "
                              or "traces t WHERE ") .. [[t.start_time_unix_nano < ?
                          ORDER BY t.start_time_unix_nano DESC LIMIT 1 OFFSET ?) >= ?]],
                e, TOTAL_CAP, s) == 1 then
      return TOTAL_CAP + 1
    end
    return db.value("SELECT count(*) FROM traces t WHERE " .. filter, s, e)
  end
  args[#args + 1] = TOTAL_CAP + 1
  return db.value("SELECT count(*) FROM (SELECT 1 FROM traces t WHERE " .. filter .. " LIMIT ?) c",
                  table.unpack(args))
end

local OBJECT_SQL = [[json_object(
        'trace_id', t.trace_id, 'root_service', t.root_service_name, 'root_name', t.root_name,
        'start_ns', CAST(t.start_time_unix_nano AS TEXT), 'duration_ns', t.duration_ns,
        'span_count', t.span_count, 'error_count', t.error_count, 'services', json(t.services))]]

local function traces(req)
  local page_sql, page_args, count_args, filter, limit, col, dir, sort, errors_only, index_only = list(req)
  local n = count(filter, count_args, index_only, errors_only)
  local total, capped = math.min(n, TOTAL_CAP), n > TOTAL_CAP
  if db.dialect == "mysql" then
    local index = sort == "duration" and capped and "traces_duration" or errors_only and "traces_errors"
    return lib.mysql.traces(page_sql, col, dir, capped, index or nil,
                            table.unpack(P.args(page_args, limit + 1, limit, total, limit, limit - 1)))
  end
  local order = col .. " " .. dir .. ", t.trace_id " .. dir
  local rest = [['],"total":' || ? || ',"total_capped":]] .. tostring(capped) .. [[,"next_cursor":' || ]]
  -- error=true: the newest error traces from traces_errors (the planner's guess would walk
  -- traces_start and look every trace up)
  local from = errors_only and "traces t INDEXED BY traces_errors" or "traces t"
  if index_only and sort == "start" then
    -- In the index's order with no filter to test on the rows, the page, whether there is a next
    -- one and its cursor are each a short walk down the index from the page's first trace: no
    -- rows kept and sorted again (one statement: one snapshot).
    local walk = " FROM " .. from .. " WHERE " .. page_sql .. " ORDER BY " .. order
    return db.json([[
      SELECT '{"traces":[' || coalesce((SELECT group_concat(j, ',') FROM
                  (SELECT ]] .. OBJECT_SQL .. " AS j" .. walk .. [[ LIMIT ?)), '') || ]] .. rest .. [[
        json_quote(CASE WHEN EXISTS (SELECT 1]] .. walk .. [[ LIMIT 1 OFFSET ?)
          THEN (SELECT ]] .. col .. " || '.' || t.trace_id" .. walk .. [[ LIMIT 1 OFFSET ?) END) || '}']],
      table.unpack(P.args(page_args, limit, total, page_args, limit, page_args, limit - 1)))
  end
  -- The longest of many traces: walking traces_duration from the longest finds them sooner than
  -- sorting every trace of the range (read through traces_start otherwise).
  if sort == "duration" and capped then
    page_sql = "+t.start_time_unix_nano >= ? AND +t.start_time_unix_nano < ?" .. page_sql:sub(#RANGE_SQL + 1)
  end
  -- Filters or another order: the page's rows are read once (their objects joined as text in
  -- page order: json_group_array(json(j)) would parse each again). An order no index gives
  -- (sort=spans, sort=duration of fewer traces) sorts every trace of the range: the page's ids
  -- first, the objects of those only (sort=spans over 432k traces: 5.7 -> 1.9 s).
  local page = "SELECT t.trace_id, " .. col .. " AS k, " .. OBJECT_SQL .. " AS j FROM " .. from ..
               " WHERE " .. page_sql .. " ORDER BY " .. order .. " LIMIT ?"
  if sort == "spans" or (sort == "duration" and not capped) then
    page = "SELECT i.trace_id, i.k, " .. OBJECT_SQL .. " AS j FROM (SELECT t.trace_id, " .. col ..
           " AS k FROM " .. from .. " WHERE " .. page_sql .. " ORDER BY " .. order ..
           " LIMIT ?) i JOIN traces t ON t.trace_id = i.trace_id"
  end
  return db.json([[
    WITH page AS (]] .. page .. [[)
    SELECT '{"traces":[' || coalesce((SELECT group_concat(j, ',') FROM
                  (SELECT j FROM page ORDER BY k ]] .. dir .. [[, trace_id ]] .. dir .. [[ LIMIT ?)), '') || ]] .. rest .. [[
      json_quote(CASE WHEN (SELECT count(*) FROM page) > ? THEN
        (SELECT k || '.' || trace_id FROM page ORDER BY k ]] .. dir .. [[, trace_id ]] .. dir ..
        [[ LIMIT 1 OFFSET ?) END) || '}']],
    table.unpack(P.args(page_args, limit + 1, limit, total, limit, limit - 1)))
end

local KIND = "CASE w.kind WHEN 1 THEN 'INTERNAL' WHEN 2 THEN 'SERVER' WHEN 3 THEN 'CLIENT' " ..
             "WHEN 4 THEN 'PRODUCER' WHEN 5 THEN 'CONSUMER' ELSE 'UNSPECIFIED' END"
local STATUS = "CASE w.status_code WHEN 1 THEN 'OK' WHEN 2 THEN 'ERROR' ELSE 'UNSET' END"
-- json('true') and json('false') are constants, computed once per statement (json() of a CASE
-- parsed one per span and column), as the resources joined once instead of looked up per span:
-- 57 -> 48 ms of SQL for a 10k-span trace.
local function bool(col) return "CASE WHEN " .. col .. " THEN json('true') ELSE json('false') END" end

local SPAN_SQL = [[
  SELECT json_object(
    'span_id', w.span_id, 'parent_span_id', w.parent_span_id, 'name', w.name,
    'service', w.service_name, 'kind', ]] .. KIND .. [[, 'depth', w.depth,
    'offset_ns', w.offset_ns, 'start_ns', CAST(w.start_time_unix_nano AS TEXT),
    'duration_ns', w.duration_ns, 'self_ns', w.self_ns,
    'critical', ]] .. bool("w.is_critical") .. [[, 'orphan', ]] .. bool("w.is_orphan") .. [[,
    'status_code', ]] .. STATUS .. [[, 'status_message', w.status_message,
    'attributes', json(s.attributes),
    'events', CASE WHEN s.events = '[]' THEN json('[]') ELSE json((SELECT json_group_array(json_object(
                'time_unix_nano', CAST(e.value ->> '$.time_unix_nano' AS TEXT),
                'name', e.value ->> '$.name', 'attributes', json(e.value -> '$.attributes')))
              FROM json_each(s.events) e)) END,
    'links', CASE WHEN s.links = '[]' THEN json('[]') ELSE json((SELECT json_group_array(json_object(
               'trace_id', k.value ->> '$.trace_id', 'span_id', k.value ->> '$.span_id',
               'attributes', json(coalesce(k.value -> '$.attributes', '{}'))))
             FROM json_each(s.links) k)) END,
    'resource', json(coalesce(r.attributes, '{}')),
    'scope', json_object('name', s.scope_name, 'version', s.scope_version)) AS j
  FROM trace_waterfall(?1) w JOIN span_records s ON s.id = w.id
       LEFT JOIN resources r ON r.id = s.resource_id
  ORDER BY w.rowid]]

-- The spans' array is joined by group_concat from each span's JSON text, in display order (the
-- ordered subquery feeds the aggregate): nesting 10k span objects with json_group_array would
-- re-parse the whole document, and a Lua table per span costs ~5x the answer in Lua memory.
local function trace(req)
  local id = P.hex_id("trace_id", req.params.trace_id, 32)
  local mysql = db.dialect == "mysql"
  local head = mysql and db.json(lib.mysql.TRACE_HEAD_SQL, id) or db.json([[
    SELECT json_object(
      'trace_id', t.trace_id, 'start_ns', CAST(t.start_time_unix_nano AS TEXT),
      'duration_ns', t.duration_ns, 'services', json(t.services),
      'log_count', (SELECT count(*) FROM log_records WHERE trace_id = ?1))
    FROM traces t WHERE t.trace_id = ?1]], id)
  if head == "null" then api.error(404, "not_found", "no trace " .. id) end
  if mysql then
    return head:sub(1, -2) .. ',"spans":[' .. table.concat(lib.mysql.trace_spans(id), ",") .. "]}"
  end
  local spans = db.value("SELECT group_concat(j, ',') FROM (" .. SPAN_SQL .. ")", id)
  return head:sub(1, -2) .. ',"spans":[' .. (spans or "") .. "]}"
end

return {
  {method = "GET", path = "/api/traces", handler = traces},
  {method = "GET", path = "/api/traces/{trace_id}", handler = trace},
}
