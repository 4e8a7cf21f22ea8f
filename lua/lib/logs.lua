-- Log search (lib.logs): the filters of /api/logs, /api/logs/histogram and /api/logs/stream as
-- a SQL condition over log_records AS l with its bound values, and the JSON form of a record.
--   local where, args = lib.logs.filter(req, {time = true})
--   db.json("SELECT ... FROM log_records l WHERE " .. where, table.unpack(args))
-- User input only ever becomes a bound value: the SQL text is made of fixed pieces.
-- lib.params may load after this file: look it up when used.
local P = setmetatable({}, {__index = function(_, k) return lib.params[k] end})
local L = {}

-- The record as docs/api.md shows it (alias l for log_records), in the words w of a backend:
-- w.text, the type CAST makes text of; w.json(x), JSON text x nested as JSON; w.json_or_text(c,
-- x), x nested as JSON where c holds, as a string elsewhere. JSON_SQL is SQLite's (lib.mysql
-- has MariaDB's words).
function L.json_sql(w)
  return [[json_object(
  'id', l.id,
  'time_unix_nano', CAST(l.time_unix_nano AS ]] .. w.text .. [[),
  'observed_time_unix_nano', CAST(l.observed_time_unix_nano AS ]] .. w.text .. [[),
  'severity_number', l.severity_number,
  'severity_text', l.severity_text,
  'service', l.service_name,
  'body', ]] .. w.json_or_text("l.body_type IN ('kvlist', 'array') AND json_valid(l.body)", "l.body") .. [[,
  'attributes', ]] .. w.json("l.attributes") .. [[,
  'resource', ]] .. w.json("coalesce((SELECT r.attributes FROM resources r WHERE r.id = l.resource_id), '{}')") .. [[,
  'trace_id', l.trace_id,
  'span_id', l.span_id,
  'scope', json_object('name', l.scope_name, 'version', l.scope_version),
  'insight', ]] .. w.json("CASE WHEN json_valid(l.insight) THEN l.insight END") .. [[,
  'pattern_id', l.pattern_id)]]
end

L.JSON_SQL = L.json_sql{
  text = "TEXT",
  json = function(x) return "json(" .. x .. ")" end,
  json_or_text = function(c, x) return "CASE WHEN " .. c .. " THEN json(" .. x .. ") ELSE " .. x .. " END" end,
}

-- Full-text: a word (with an optional trailing *) or a phrase, as an FTS5 string.
local function fts_string(text, prefix)
  return '"' .. text:gsub('"', '""') .. '"' .. (prefix and "*" or "")
end

-- Splits q into terms: {neg, key, value, quoted}. key is nil for full-text terms.
local function terms(q)
  local out, i, n = {}, 1, #q
  while i <= n do
    local c = q:sub(i, i)
    if c:match("%s") then
      i = i + 1
    else
      local neg = false
      if c == "-" and i < n and not q:sub(i + 1, i + 1):match("%s") then
        neg, i = true, i + 1
      end
      local key
      local k, after = q:match("^([%a_][%w_.%-]*):()", i)
      if k then key, i = k, after end
      local value, quoted
      if q:sub(i, i) == '"' then
        local close = q:find('"', i + 1, true)
        if not close then P.bad("q", "a quote is not closed") end
        value, quoted, i = q:sub(i + 1, close - 1), true, close + 1
      else
        local e = q:find("%s", i) or n + 1
        value, i = q:sub(i, e - 1), e
      end
      if key and value == "" then P.bad("q", "'" .. key .. ":' needs a value") end
      if not key and value == "" then P.bad("q", "empty search term") end
      out[#out + 1] = {neg = neg, key = key, value = value, quoted = quoted}
    end
  end
  return out
end

-- Adds one condition (SQL with ? and its values) to the filter; match: the FTS5 string of a
-- full-text condition that a search may apply its own way (f.base_sql leaves it out).
local function add_part(f, neg, match, sql, ...)
  if neg then sql = "NOT coalesce((" .. sql .. "), 0)" end
  f.parts[#f.parts + 1] = {sql = sql, args = {...}, match = not neg and match or nil}
end

local function add(f, neg, sql, ...) add_part(f, neg, nil, sql, ...) end

local function fts(f, neg, match)
  if f.stream then -- the live tail reads ids in (?1, ?2]: keep the index lookup to that range
    add(f, neg, "l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ? AND rowid > ?1 AND rowid <= ?2)", match)
  else
    add_part(f, neg, match, "l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)", match)
  end
end

-- SQL and values of the parts (all, or those without a full-text match).
local function join(parts, skip_match)
  local where, args = {}, {}
  for _, p in ipairs(parts) do
    if not (skip_match and p.match) then
      where[#where + 1] = p.sql
      for _, v in ipairs(p.args) do args[#args + 1] = v end
    end
  end
  if #where == 0 then where[1] = "1" end
  return table.concat(where, " AND "), args
end

local function term_condition(f, t)
  local key, v, neg = t.key, t.value, t.neg
  if not key then
    local prefix = not t.quoted and v:sub(-1) == "*"
    if prefix then v = v:sub(1, -2) end
    if v == "" then P.bad("q", "a lone * is not a search term") end
    if db.dialect == "mysql" then -- match: the regular expression of a search window (lib.mysql)
      return add_part(f, neg, not f.stream and lib.mysql.fts_regex(v, prefix) or nil, lib.mysql.FTS_SQL,
                      lib.mysql.fts_string(v, prefix))
    end
    return fts(f, neg, fts_string(v, prefix))
  end
  local lk = key:lower()
  if lk == "service" then
    add(f, neg, "l.service_name = ?", v)
  elseif lk == "severity" or lk == "level" then
    local lo, hi = P.severity("q", v)
    add(f, neg, "l.severity_number BETWEEN ? AND ?", lo, hi)
  elseif lk == "trace_id" then
    add(f, neg, "l.trace_id = ?", P.hex_id("q", v, 32))
  elseif lk == "span_id" then
    add(f, neg, "l.span_id = ?", P.hex_id("q", v, 16))
  elseif lk == "insight" then
    add(f, neg, db.dialect == "mysql" and "JSON_VALUE(l.insight, '$.category') = ?"
                or "json_extract(l.insight, '$.category') = ?", v)
  elseif lk == "pattern" then
    add(f, neg, "l.pattern_id = ?", v)
  elseif key:sub(1, 5) == "attr." then
    local attr = db.dialect == "mysql" and lib.mysql.json_text("l.attributes") or "CAST(json_extract(l.attributes, ?) AS TEXT)"
    add(f, neg, attr .. " = ?", P.key_path("q", key:sub(6)), v)
  elseif key:sub(1, 9) == "resource." then
    local attr = db.dialect == "mysql" and lib.mysql.json_text("r.attributes") or "CAST(json_extract(r.attributes, ?) AS TEXT)"
    add(f, neg, "l.resource_id IN (SELECT r.id FROM resources r WHERE " .. attr .. " = ?)",
        P.key_path("q", key:sub(10)), v)
  else
    P.bad("q", "unknown filter '" .. key .. ":' (service, severity, level, trace_id, span_id, " ..
          "insight, pattern, attr.KEY, resource.KEY)")
  end
end

-- The filter of a request: {sql = "cond AND cond", args = {...}, start_ns, end_ns}, and for
-- searches that look words up their own way: match (the full-text words and phrases as one FTS5
-- string, nil without any), base_sql and base_args (every other condition).
-- opts.time: apply start/end; opts.stream: the live tail's form, whose query binds the id range
-- as ?1 and ?2 before these values.
function L.filter(req, opts)
  local f = {parts = {}, stream = opts and opts.stream}
  if opts and opts.time then
    f.start_ns, f.end_ns = P.range(req)
    add(f, false, "l.time_unix_nano >= ? AND l.time_unix_nano < ?", f.start_ns, f.end_ns)
  end
  local services = req.query_all.service
  if services then
    local marks = {}
    for i = 1, #services do marks[i] = "?" end
    add(f, false, "l.service_name IN (" .. table.concat(marks, ", ") .. ")", table.unpack(services))
  end
  if req.query.severity then
    local lo, hi = P.severity("severity", req.query.severity)
    add(f, false, "l.severity_number BETWEEN ? AND ?", lo, hi)
  end
  if req.query.trace_id then add(f, false, "l.trace_id = ?", P.hex_id("trace_id", req.query.trace_id, 32)) end
  if req.query.span_id then add(f, false, "l.span_id = ?", P.hex_id("span_id", req.query.span_id, 16)) end
  local q = req.query.q
  if q and #q > 2000 then P.bad("q", "longer than 2000 characters") end
  if q then
    for _, t in ipairs(terms(q)) do term_condition(f, t) end
  end
  f.sql, f.args = join(f.parts)
  local matches = {}
  for _, p in ipairs(f.parts) do
    if p.match then matches[#matches + 1] = p.match end
  end
  if #matches > 0 then
    f.matches = matches -- MariaDB: each a regular expression (lib.mysql.fts_regex)
    f.match = table.concat(matches, " AND ")
    f.base_sql, f.base_args = join(f.parts, true)
  end
  return f
end

return L
