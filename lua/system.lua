-- System status and Prometheus metrics (docs/api.md).
--   curl http://127.0.0.1:8080/api/system
--   curl http://127.0.0.1:8080/metrics
local function ns(v) return v and string.format("%d", v) or json.null end

local function figures()
  local s = api.system()
  if db.dialect == "mysql" then return s, db.row(lib.mysql.FIGURES_SQL) end
  -- Spans and log records are counted from the per-minute rollups (counting 5M rows each takes
  -- ~300 ms; after a purge the minute of the cut-off may still count deleted rows); the times
  -- come from the time indexes (a trace by its start). max_log_id: the newest committed log
  -- record, read here so that the insight lag counts what is committed now (the worker's own
  -- reading of it is as old as its last look).
  local rows = db.row([[
    SELECT (SELECT coalesce(sum(spans), 0) FROM span_operation_rollups) AS spans,
           (SELECT coalesce(sum(count), 0) FROM log_rollups) AS logs,
           (SELECT count(*) FROM traces) AS traces, (SELECT count(*) FROM resources) AS resources,
           (SELECT count(*) FROM log_patterns) AS log_patterns,
           min((SELECT min(start_time_unix_nano) FROM traces),
               coalesce((SELECT min(time_unix_nano) FROM log_records), 9223372036854775807)) AS oldest,
           max((SELECT max(start_time_unix_nano) FROM traces),
               coalesce((SELECT max(time_unix_nano) FROM log_records), -1)) AS newest,
           (SELECT coalesce(max(id), 0) FROM log_records) AS max_log_id]])
  return s, rows
end

-- Log records committed and not yet tagged by the insight worker.
local function insight_lag(s, rows)
  return math.max(0, rows.max_log_id - s.insights.last_id)
end

local function system()
  local s, rows = figures()
  local oldest = rows.oldest ~= math.maxinteger and rows.oldest or nil
  local newest = rows.newest and rows.newest >= 0 and rows.newest or nil
  if rows.spans == 0 and rows.logs == 0 then oldest, newest = nil, nil end
  s.ingest.queue = s.queue
  s.ingest.batches = s.batches
  s.ingest.failed_batches = s.failed_batches
  s.ingest.last_commit_ns = s.last_commit_ns ~= 0 and ns(s.last_commit_ns) or json.null
  return {
    version = s.version,
    uptime_s = (s.now_ns - s.started_ns) // 1000000000,
    started_ns = ns(s.started_ns),
    backend = s.backend,
    -- MariaDB/MySQL: the database's name and its tables' sizes (information_schema)
    database = db.dialect == "mysql" and lib.mysql.database()
               or {path = s.db_path, size_bytes = s.db_size, wal_bytes = s.wal_size},
    rows = {spans = rows.spans, logs = rows.logs, traces = rows.traces,
            resources = rows.resources, log_patterns = rows.log_patterns},
    oldest_ns = ns(oldest), newest_ns = ns(newest),
    ingest = s.ingest,
    insights = {last_id = s.insights.last_id, batches = s.insights.batches,
                errors = s.insights.errors,
                lag = insight_lag(s, rows)},
    retention = {max_age_s = s.retention_s > 0 and s.retention_s or json.null},
    breaker = {state = s.breaker.state, opened = s.breaker.opened, refused = s.breaker.refused,
               since_ns = s.breaker.since_ns ~= 0 and ns(s.breaker.since_ns) or json.null},
    memory = {used_bytes = s.memory.used, limit_bytes = s.memory.limit, refused = s.memory.refused},
    http = {closed_slow = s.http_closed_slow},
    grpc = {refused = s.grpc_refused},
    log = {dropped = s.log_dropped},
    streams = s.stream_clients,
    config = db.dialect == "mysql" and lib.mysql.config(api.config()) or api.config(),
  }
end

local function metrics()
  local s, rows = figures()
  local out = {}
  local function metric(name, kind, help, samples)
    out[#out + 1] = "# HELP " .. name .. " " .. help
    out[#out + 1] = "# TYPE " .. name .. " " .. kind
    for _, smp in ipairs(samples) do
      out[#out + 1] = name .. (smp[1] or "") .. " " .. string.format("%d", smp[2])
    end
  end
  local function per_signal(field)
    return {{'{signal="traces"}', s.ingest.traces[field]}, {'{signal="logs"}', s.ingest.logs[field]}}
  end
  metric("argus_ingest_requests_total", "counter", "OTLP export requests received.", per_signal("requests"))
  metric("argus_ingest_bad_requests_total", "counter", "Undecodable OTLP requests.", per_signal("bad_requests"))
  metric("argus_ingest_items_received_total", "counter", "Spans and log records decoded.", per_signal("received"))
  metric("argus_ingest_items_stored_total", "counter", "Spans and log records committed.", per_signal("stored"))
  metric("argus_ingest_items_rejected_total", "counter", "Items skipped as invalid (partial success).", per_signal("rejected"))
  metric("argus_ingest_items_dropped_total", "counter", "Valid items refused (the client was told to retry).", per_signal("dropped"))
  metric("argus_ingest_requests_refused_total", "counter", "Requests refused undecoded: queue full.", per_signal("refused"))
  metric("argus_queue_requests", "gauge", "Requests waiting for the writer.", {{nil, s.queue.requests}})
  metric("argus_queue_items", "gauge", "Items waiting for the writer.", {{nil, s.queue.items}})
  metric("argus_queue_bytes", "gauge", "Decoded bytes waiting for the writer.", {{nil, s.queue.bytes}})
  metric("argus_writer_batches_total", "counter", "Committed transactions.", {{nil, s.batches}})
  metric("argus_writer_failed_batches_total", "counter", "Rolled-back transactions.", {{nil, s.failed_batches}})
  metric("argus_insight_lag", "gauge", "Log records not yet tagged with insights.",
         {{nil, insight_lag(s, rows)}})
  if db.dialect == "mysql" then
    metric("argus_database_bytes", "gauge", "Data and index bytes of the database's tables (information_schema).",
           {{nil, lib.mysql.database().size_bytes}})
  else
    metric("argus_database_bytes", "gauge", "Size of the database file.", {{nil, s.db_size}})
    metric("argus_database_wal_bytes", "gauge", "Size of the write-ahead log.", {{nil, s.wal_size}})
  end
  metric("argus_rows", "gauge", "Rows stored per table.", {
    {'{table="spans"}', rows.spans}, {'{table="logs"}', rows.logs}, {'{table="traces"}', rows.traces},
    {'{table="resources"}', rows.resources}, {'{table="log_patterns"}', rows.log_patterns}})
  metric("argus_breaker_open", "gauge", "1 while the database circuit breaker refuses requests (open or half-open).",
         {{nil, s.breaker.state == "closed" and 0 or 1}})
  metric("argus_breaker_opened_total", "counter", "Times the circuit breaker opened.", {{nil, s.breaker.opened}})
  metric("argus_breaker_refused_total", "counter", "Requests refused at once while the breaker was open.", {{nil, s.breaker.refused}})
  metric("argus_memory_used_bytes", "gauge", "Bytes held for requests (ARGUS_MEMORY_LIMIT budget).", {{nil, s.memory.used}})
  metric("argus_memory_limit_bytes", "gauge", "The memory budget (ARGUS_MEMORY_LIMIT).", {{nil, s.memory.limit}})
  metric("argus_memory_refused_total", "counter", "Requests refused by the memory budget (413 and 429).", {{nil, s.memory.refused}})
  metric("argus_http_closed_slow_total", "counter", "HTTP connections closed for being too slow or idle.", {{nil, s.http_closed_slow}})
  metric("argus_grpc_refused_total", "counter", "gRPC connections closed at once by the connection caps or for lack of descriptors.", {{nil, s.grpc_refused}})
  metric("argus_log_dropped_total", "counter", "Log lines dropped because stderr was not read fast enough.", {{nil, s.log_dropped}})
  metric("argus_uptime_seconds", "gauge", "Seconds since the server started.",
         {{nil, (s.now_ns - s.started_ns) // 1000000000}})
  return table.concat(out, "\n") .. "\n", 200, {["Content-Type"] = "text/plain; version=0.0.4"}
end

return {
  {method = "GET", path = "/api/system", handler = system},
  {method = "GET", path = "/metrics", handler = metrics},
}
