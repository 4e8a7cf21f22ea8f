-- Dashboard: summary with the previous period, time series, top failing services (docs/api.md).
--   curl 'http://127.0.0.1:8080/api/dashboard/summary?start=now-15m'
-- Everything comes from span_rollups and log_rollups (one row per service and minute).
local P = lib.params
local MINUTE = 60000000000

-- SQL for one period's figures; binds: start, end, service (NULL = all).
local PERIOD_SQL = [[
  (SELECT json_object(
     'requests', coalesce(sum(requests), 0),
     'errors', coalesce(sum(errors), 0),
     'error_rate', CASE WHEN sum(requests) > 0 THEN sum(errors) * 1.0 / sum(requests) ELSE 0 END,
     'p50_ns', CAST(round(sketch_quantile(sketch_merge(duration_sketch), 0.5)) AS INTEGER),
     'p95_ns', CAST(round(sketch_quantile(sketch_merge(duration_sketch), 0.95)) AS INTEGER),
     'p99_ns', CAST(round(sketch_quantile(sketch_merge(duration_sketch), 0.99)) AS INTEGER),
     'logs', json((SELECT ]] .. P.severity_rollup_sql("severity", "count") .. [[ FROM log_rollups
                   WHERE minute_ns >= ?%d / 60000000000 * 60000000000 AND minute_ns < ?%d
                     AND (?%d IS NULL OR service_name = ?%d))))
   FROM span_rollups
   WHERE minute_ns >= ?%d / 60000000000 * 60000000000 AND minute_ns < ?%d
     AND (?%d IS NULL OR service_name = ?%d))]]

local function period(a, b, svc)
  return string.format(PERIOD_SQL, a, b, svc, svc, a, b, svc, svc)
end

local function summary(req)
  local s, e = P.range(req)
  local svc = req.query.service
  if db.dialect == "mysql" then return lib.mysql.summary(s, e, svc, s - (e - s)) end
  return db.json("SELECT json_object('current', json(" .. period(1, 2, 3) .. "), 'previous', json(" ..
                 period(4, 1, 3) .. "))", s, e, svc, s - (e - s))
end

local function timeseries(req)
  local s, e = P.range(req)
  local svc = req.query.service
  local group = req.query.group_by
  if group and group ~= "service" then P.bad("group_by", "expected service, got '" .. group .. "'") end
  local step
  if req.query.step then
    step = P.duration("step", req.query.step)
    if step < MINUTE or step % MINUTE ~= 0 then
      P.bad("step", "must be a whole number of minutes (the figures are per-minute rollups)")
    end
  else
    step = math.max(db.value("SELECT bucket_width(?, ?, 120)", s, e), MINUTE)
  end
  if (e - s) // step > 5000 then P.bad("step", "gives more than 5000 buckets") end
  if db.dialect == "mysql" then return lib.mysql.timeseries(s, e, step, group and 1 or 0, svc) end
  local logs = {}
  for _, sev in ipairs(P.SEVERITIES) do
    logs[#logs + 1] = string.format(
      "'%s', json((SELECT json_group_array(coalesce(c.\"%s\", 0)) FROM (SELECT b.t, lb.\"%s\" FROM b LEFT JOIN lb ON lb.t = b.t ORDER BY b.t) c))",
      sev, sev, sev)
  end
  local lcols = {}
  for i, sev in ipairs(P.SEVERITIES) do
    lcols[#lcols + 1] = string.format("sum(CASE WHEN severity = %d THEN count END) AS \"%s\"",
                                      i == 7 and 0 or (i - 1) * 4 + 1, sev)
  end
  return db.json([[
    WITH b AS (SELECT bucket_start_ns AS t FROM bucket_series(?1, ?2, ?3)),
    a AS (SELECT CASE WHEN ?4 THEN service_name END AS svc, time_bucket(minute_ns, ?3) AS t,
                 sum(requests) AS rq, sum(errors) AS er, sketch_merge(duration_sketch) AS sk
          FROM span_rollups
          WHERE minute_ns >= ?1 / 60000000000 * 60000000000 AND minute_ns < ?2
            AND (?5 IS NULL OR service_name = ?5)
          GROUP BY 1, 2),
    s AS (SELECT DISTINCT svc FROM a WHERE ?4 UNION ALL SELECT NULL WHERE NOT ?4),
    cell AS (SELECT s.svc, b.t, coalesce(a.rq, 0) AS rq, coalesce(a.er, 0) AS er,
                    CAST(round(sketch_quantile(a.sk, 0.5)) AS INTEGER) AS p50,
                    CAST(round(sketch_quantile(a.sk, 0.95)) AS INTEGER) AS p95,
                    CAST(round(sketch_quantile(a.sk, 0.99)) AS INTEGER) AS p99
             FROM s CROSS JOIN b LEFT JOIN a ON a.t = b.t AND a.svc IS s.svc),
    series AS (SELECT svc, json_group_array(rq) AS rq, json_group_array(er) AS er,
                      json_group_array(p50) AS p50, json_group_array(p95) AS p95,
                      json_group_array(p99) AS p99
               FROM (SELECT * FROM cell ORDER BY svc, t) GROUP BY svc),
    lb AS (SELECT time_bucket(minute_ns, ?3) AS t, ]] .. table.concat(lcols, ", ") .. [[
           FROM log_rollups WHERE minute_ns >= ?1 / 60000000000 * 60000000000 AND minute_ns < ?2
             AND (?5 IS NULL OR service_name = ?5) GROUP BY 1)
    SELECT json_object(
      'step_ms', ?3 / 1000000,
      'buckets', json((SELECT json_group_array(t / 1000000) FROM (SELECT t FROM b ORDER BY t))),
      'series', json(coalesce((SELECT json_group_array(json_object('service', svc,
                  'requests', json(rq), 'errors', json(er), 'p50_ns', json(p50),
                  'p95_ns', json(p95), 'p99_ns', json(p99)))
                FROM (SELECT * FROM series ORDER BY svc)), '[]')),
      'logs', json_object(]] .. table.concat(logs, ", ") .. "))",
    s, e, step, group and 1 or 0, svc)
end

local function top_failing(req)
  local s, e = P.range(req)
  local limit = P.int(req, "limit", 10, 1, 100)
  if db.dialect == "mysql" then return lib.mysql.top_failing(s, e, limit) end
  -- Operations: request spans (server/consumer or root) of the service, by name, from the
  -- per-minute operation rollups (migration 008).
  return db.json([[
    WITH svc AS (
      SELECT service_name, sum(requests) AS rq, sum(errors) AS er FROM span_rollups
      WHERE minute_ns >= ?1 / 60000000000 * 60000000000 AND minute_ns < ?2
      GROUP BY service_name HAVING sum(errors) > 0
      ORDER BY er DESC, er * 1.0 / rq DESC, service_name LIMIT ?3)
    SELECT json_object('services', json(coalesce((SELECT json_group_array(json_object(
      'service', v.service_name, 'requests', v.rq, 'errors', v.er,
      'error_rate', CASE WHEN v.rq > 0 THEN v.er * 1.0 / v.rq ELSE 0 END,
      'operations', json(coalesce((SELECT json_group_array(json_object('name', name,
                      'requests', n, 'errors', errs, 'error_rate', errs * 1.0 / n))
                    FROM (SELECT name, sum(requests) AS n, sum(request_errors) AS errs
                          FROM span_operation_rollups o
                          WHERE o.service_name = v.service_name
                            AND o.minute_ns >= ?1 / 60000000000 * 60000000000 AND o.minute_ns < ?2
                          GROUP BY name HAVING errs > 0
                          ORDER BY errs DESC, errs * 1.0 / n DESC, name LIMIT 5)), '[]'))))
      FROM (SELECT * FROM svc ORDER BY er DESC, er * 1.0 / rq DESC, service_name) v), '[]')))]],
    s, e, limit)
end

return {
  {method = "GET", path = "/api/dashboard/summary", handler = summary},
  {method = "GET", path = "/api/dashboard/timeseries", handler = timeseries},
  {method = "GET", path = "/api/dashboard/top-failing", handler = top_failing},
}
