-- Query-parameter helpers shared by the route files (lib.params): time ranges, durations,
-- limits, cursors and severities, each raising a 400 that names the parameter.
--   local start_ns, end_ns = lib.params.range(req)
--   local limit = lib.params.limit(req)              -- default 100, at most 1000
local P = {}

local NS = {ns = 1, us = 1000, ms = 1000000, s = 1000000000, m = 60000000000,
            h = 3600000000000, d = 86400000000000, w = 604800000000000}
P.HOUR_NS = NS.h
P.MAX_RANGE_NS = 400 * NS.d

function P.bad(name, message)
  api.error(400, "bad_parameter", name .. ": " .. message)
end

-- Days since 1970-01-01 of a proleptic Gregorian date.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function iso_ns(name, s)
  local y, mo, d, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  local hh, mi, ss, frac, zone = 0, 0, 0, "", ""
  if rest ~= "" then
    local h2, m2, tail = rest:match("^[Tt ](%d%d):(%d%d)(.*)$")
    if not h2 then P.bad(name, "expected an ISO-8601 time such as 2026-12-07T02:00:00Z, got '" .. s .. "'") end
    hh, mi = tonumber(h2), tonumber(m2)
    local s2, t2 = tail:match("^:(%d%d)(.*)$")
    if s2 then
      ss, tail = tonumber(s2), t2
      local f, t3 = tail:match("^[.,](%d+)(.*)$")
      if f then frac, tail = f, t3 end
    end
    zone = tail
  end
  if mo < 1 or mo > 12 or d < 1 or d > 31 or hh > 23 or mi > 59 or ss > 60 or #frac > 9 then
    P.bad(name, "not a valid date and time: '" .. s .. "'")
  end
  local offset = 0
  if zone ~= "" and zone ~= "Z" and zone ~= "z" then
    local sign, zh, zm = zone:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then P.bad(name, "expected a time zone such as Z or +01:00, got '" .. zone .. "'") end
    offset = (tonumber(zh) * 60 + tonumber(zm)) * 60
    if sign == "-" then offset = -offset end
  end
  local secs = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - offset
  local fns = frac == "" and 0 or tonumber(frac .. string.rep("0", 9 - #frac))
  return secs * 1000000000 + fns
end

-- A time argument in unix ns: unix milliseconds, ISO-8601, "now" or "now-15m".
function P.time(name, s, now_ns)
  if s == "now" then return now_ns end
  local sign, n, unit = s:match("^now%s*([-+])%s*(%d+)%s*(%a+)$")
  if sign then
    local mult = NS[unit]
    if not mult or mult < NS.s or #n > 9 then
      P.bad(name, "expected now-<number><s|m|h|d|w>, got '" .. s .. "'")
    end
    local delta = tonumber(n) * mult
    return sign == "-" and now_ns - delta or now_ns + delta
  end
  if s:match("^%d+$") then
    if #s > 15 then P.bad(name, "expected unix milliseconds, got '" .. s .. "'") end
    return math.tointeger(tonumber(s)) * 1000000
  end
  local ns = iso_ns(name, s)
  if not ns then
    P.bad(name, "expected unix milliseconds, an ISO-8601 time or now-15m, got '" .. s .. "'")
  end
  return ns
end

-- start_ns, end_ns from the start/end arguments (default: the hour before now).
function P.range(req, default_ns)
  local now = api.now_ns()
  local e = req.query["end"] and P.time("end", req.query["end"], now) or now
  local s = req.query.start and P.time("start", req.query.start, now) or e - (default_ns or P.HOUR_NS)
  if s >= e then P.bad("start", "must be before end") end
  if e - s > P.MAX_RANGE_NS then P.bad("start", "the range is longer than 400 days") end
  return s, e
end

-- A duration in ns: "250ms", "1.5s", "2m", "7d" or a number of nanoseconds.
function P.duration(name, s)
  if s:match("^%d+$") and #s <= 18 then return math.tointeger(tonumber(s)) end
  local n, unit = s:match("^(%d+%.?%d*)%s*(%a+)$")
  local mult = unit and NS[unit]
  if not n or not mult or #n > 15 then
    P.bad(name, "expected a duration such as 250ms, 1.5s, 2m or 7d, got '" .. s .. "'")
  end
  return math.floor(tonumber(n) * mult + 0.5)
end

-- An integer argument within [min, max].
function P.int(req, name, default, min, max)
  local s = req.query[name]
  if s == nil then return default end
  if not s:match("^%-?%d+$") or #s > 18 then P.bad(name, "expected an integer, got '" .. s .. "'") end
  local v = math.tointeger(tonumber(s))
  if v < min or v > max then
    P.bad(name, string.format("expected %d to %d, got %d", min, max, v))
  end
  return v
end

function P.limit(req, default, max)
  return P.int(req, "limit", default or 100, 1, max or 1000)
end

-- Cursors: integers joined by '.', each a position in the previous page's order.
function P.cursor(req, n)
  local s = req.query.cursor
  if s == nil or s == "" then return nil end
  local parts = {}
  for p in s:gmatch("[^.]+") do parts[#parts + 1] = p end
  if #parts ~= n then P.bad("cursor", "not a cursor from a previous answer") end
  for i, p in ipairs(parts) do
    if not p:match("^%-?%d+$") or #p > 19 then P.bad("cursor", "not a cursor from a previous answer") end
    parts[i] = math.tointeger(tonumber(p))
  end
  return parts
end

-- Severity groups, as OpenTelemetry numbers them.
P.SEVERITIES = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "UNSPECIFIED"}
local GROUP = {TRACE = 1, DEBUG = 5, INFO = 9, WARN = 13, WARNING = 13, ERROR = 17, FATAL = 21,
               UNSPECIFIED = 0}

-- A severity filter ("ERROR", ">=WARN", "<DEBUG", "17") as an inclusive range of numbers.
function P.severity(name, s)
  local op, v = s:match("^%s*([<>]?=?)%s*(%w+)%s*$")
  if not op or op == "=" then
    if op == "=" then op = "" else P.bad(name, "expected a severity such as ERROR or >=WARN, got '" .. s .. "'") end
  end
  local lo, hi
  local num = v:match("^%d+$") and tonumber(v)
  if num then
    if num > 24 then P.bad(name, "severity numbers go from 0 to 24, got " .. v) end
    lo, hi = num, num
  else
    local g = GROUP[v:upper()]
    if not g then
      P.bad(name, "expected TRACE, DEBUG, INFO, WARN, ERROR, FATAL or a number, got '" .. v .. "'")
    end
    lo, hi = g, g == 0 and 0 or g + 3
  end
  if op == ">=" then return lo, 24
  elseif op == ">" then return hi + 1, 24
  elseif op == "<=" then return 0, hi
  elseif op == "<" then return 0, lo - 1
  end
  return lo, hi
end

-- SQL: json_object of the seven severity counts over a severity_number column (an aggregate).
local RANGES = {{"TRACE", "BETWEEN 1 AND 4"}, {"DEBUG", "BETWEEN 5 AND 8"},
                {"INFO", "BETWEEN 9 AND 12"}, {"WARN", "BETWEEN 13 AND 16"},
                {"ERROR", "BETWEEN 17 AND 20"}, {"FATAL", "BETWEEN 21 AND 24"},
                {"UNSPECIFIED", "NOT BETWEEN 1 AND 24"}}
function P.severity_counts_sql(col)
  local parts = {}
  for _, r in ipairs(RANGES) do
    parts[#parts + 1] = string.format("'%s', coalesce(sum(%s %s), 0)", r[1], col, r[2])
  end
  return "json_object(" .. table.concat(parts, ", ") .. ")"
end

-- SQL: the same json_object from log_rollups (severity = group start, count) rows.
function P.severity_rollup_sql(sev, count)
  local parts = {}
  for i, r in ipairs(RANGES) do
    local first = i == 7 and 0 or (i - 1) * 4 + 1
    parts[#parts + 1] = string.format("'%s', coalesce(sum(CASE WHEN %s = %d THEN %s END), 0)",
                                      r[1], sev, first, count)
  end
  return "json_object(" .. table.concat(parts, ", ") .. ")"
end

-- SQL: the spans (alias s) that started in [?1, ?2). span_records has no time index (every index
-- costs ingest); the traces summary does, and a span's trace overlaps its start. Up to a few
-- hours this reads the spans of the overlapping traces through spans_trace_id; wider ranges read
-- the table.
function P.spans_in_range_sql(start_ns, end_ns)
  local cond = "s.start_time_unix_nano >= ?1 AND s.start_time_unix_nano < ?2"
  if end_ns - start_ns <= 6 * P.HOUR_NS then
    cond = cond .. " AND s.trace_id IN (SELECT trace_id FROM traces" ..
           " WHERE start_time_unix_nano < ?2 AND end_time_unix_nano >= ?1)"
  end
  return cond
end

-- The values of a statement's parameters in order, from values and lists of values:
-- db.json(sql, table.unpack(P.args(page_args, limit, page_args, limit - 1))).
function P.args(...)
  local out = {}
  for _, v in ipairs({...}) do
    if type(v) == "table" then
      for _, x in ipairs(v) do out[#out + 1] = x end
    else
      out[#out + 1] = v
    end
  end
  return out
end

function P.hex_id(name, s, len)
  if s == nil then return nil end
  local low = s:lower()
  if #low ~= len or low:find("[^0-9a-f]") then
    P.bad(name, string.format("expected %d hex digits, got '%s'", len, s))
  end
  return low
end

-- A JSON path for one object key, bound as a value: $."key" (keys holding a quote cannot be
-- expressed). name is the parameter named in the error.
function P.key_path(name, key)
  if key == "" or key:find('["\\]') then P.bad(name, "attribute keys cannot be empty or hold quotes") end
  return '$."' .. key .. '"'
end

return P
