// Data management through the API: POST /api/data/purge and DELETE /api/data leave traces,
// rollups, patterns and the search index consistent with what is left, the API answers match,
// and ingest plus the live tail go on afterwards (ids restart after deleting everything).
//   node tests/api/purge.mjs build
import { startServer, stopServer, check, checkTrue, guard, done, sql, sleep, makeLogs, exporter, exportItems, dialect } from '../server/lib.mjs';
import { loadDataset, insightsDone } from './data.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5', ARGUS_INSIGHT_INTERVAL_MS: '20' });
const d = await loadDataset(srv);
await insightsDone(srv);

const call = async (method, path) => {
  const res = await fetch(`${srv.apiUrl}${path}`, { method });
  return { status: res.status, json: await res.json().catch(() => null) };
};

// Rollups are per minute: the purge removes whole minutes before the cutoff's minute, so the
// minute holding the cutoff may still count deleted spans; every later minute must match.
function consistency(name, cutoffNs = 0n) {
  const fromMinute = (cutoffNs / 60000000000n + 1n) * 60000000000n;
  const r = sql(srv.db, `SELECT
    (SELECT count(*) FROM traces) AS traces,
    (SELECT count(DISTINCT trace_id) FROM span_records) AS span_traces,
    (SELECT count(*) FROM traces t WHERE span_count <> (SELECT count(*) FROM span_records s WHERE s.trace_id = t.trace_id)) AS bad_counts,
    (SELECT coalesce(sum(requests), 0) FROM span_rollups WHERE minute_ns >= ${fromMinute}) AS rollup_requests,
    (SELECT count(*) FROM span_records WHERE (kind IN (2, 5) OR parent_span_id IS NULL)
       AND start_time_unix_nano >= ${fromMinute}) AS requests,
    (SELECT count(*) FROM log_records) AS logs,
    (SELECT count(*) FROM ${dialect === 'mysql' ? "log_records WHERE MATCH (body) AGAINST ('order' IN BOOLEAN MODE)" : "logs_fts WHERE logs_fts MATCH 'order'"}) AS fts_order,
    (SELECT count(*) FROM log_records WHERE body LIKE '%order%') AS like_order,
    (SELECT count(*) FROM log_patterns p WHERE count <> (SELECT count(*) FROM log_records l WHERE l.pattern_id = p.pattern_id)) AS bad_patterns,
    (SELECT coalesce(sum(spans), 0) FROM span_operation_rollups WHERE minute_ns >= ${fromMinute}) AS op_spans,
    (SELECT count(*) FROM span_records WHERE start_time_unix_nano >= ${fromMinute}) AS spans_after,
    (SELECT count(*) FROM span_operation_rollups WHERE minute_ns < ${fromMinute} - 60000000000) AS op_rows_old,
    (SELECT coalesce(sum(count), 0) FROM log_pattern_rollups WHERE minute_ns >= ${fromMinute}) AS pattern_lines,
    (SELECT count(*) FROM log_records WHERE pattern_id IS NOT NULL AND time_unix_nano >= ${fromMinute}) AS tagged_after,
    (SELECT count(*) FROM log_pattern_rollups WHERE minute_ns < ${fromMinute} - 60000000000) AS pattern_rows_old`)[0];
  check(`${name}/traces-match-spans`, [r.span_traces, 0], [r.traces, r.bad_counts]);
  check(`${name}/rollups-match-spans`, r.requests, r.rollup_requests);
  check(`${name}/search-index-matches-logs`, r.like_order, r.fts_order);
  check(`${name}/patterns-match-logs`, 0, r.bad_patterns);
  check(`${name}/operation-rollups-match-spans`, [r.spans_after, 0], [r.op_spans, r.op_rows_old]);
  check(`${name}/pattern-rollups-match-logs`, [r.tagged_after, 0], [r.pattern_lines, r.pattern_rows_old]);
  return r;
}

await guard('purge/older-than', async () => {
  consistency('purge/before');
  // everything that started before T0 + 10 min goes
  const cut = d.T0 + 600;
  const age = Math.floor(Date.now() / 1000) - cut;
  const r = await call('POST', `/api/data/purge?older_than=${age}s`);
  const cutoffNs = BigInt(r.json.cutoff_ns);
  const goneLogs = d.logs.filter((l) => l.time < cutoffNs).length;
  check('purge/answer', [200, goneLogs], [r.status, r.json.deleted.logs]);
  const c = consistency('purge/after', cutoffNs);
  check('purge/logs-left', d.logs.length - goneLogs, c.logs);
  const q = await call('GET', `/api/logs?start=${(d.T0 - 600) * 1000}&limit=1000`);
  checkTrue('purge/api-sees-only-newer', q.json.logs.every((l) => BigInt(l.time_unix_nano) >= cutoffNs) && q.json.logs.length === d.logs.length - goneLogs,
    `${d.logs.length - goneLogs} records, all newer than the cutoff`, q.json.logs.length);
  const t = await call('GET', `/api/traces?start=${(d.T0 - 600) * 1000}&limit=1000`);
  checkTrue('purge/traces-newer', t.json.traces.every((x) => BigInt(x.start_ns) >= cutoffNs), 'only traces after the cutoff', t.json.total);
});

await guard('purge/delete-all', async () => {
  // a live tail open across the deletion keeps working: ids start again at 1
  const tail = await fetch(`${srv.apiUrl}/api/logs/stream?service=after`);
  const reader = tail.body.getReader();
  let text = '';
  const reading = (async () => {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      text += Buffer.from(value).toString();
    }
  })();
  const r = await call('DELETE', '/api/data?confirm=delete-all-data');
  check('delete/answer', [200, null], [r.status, r.json.cutoff_ns]);
  const c = consistency('delete/after');
  check('delete/empty', [0, 0], [c.logs, c.traces]);
  const logs = await makeLogs({ 'service.name': 'after' }, (logger) => logger.emit({ severityNumber: 9, body: 'after the deletion' }));
  const exp = exporter(srv, 'logs', 'proto');
  await exportItems(exp, logs);
  await exp.shutdown();
  for (let i = 0; i < 50 && !/after the deletion/.test(text); i++) await sleep(50);
  check('delete/live-tail-continues', true, /id: 1\nevent: log\ndata: .*after the deletion/.test(text));
  reader.cancel();
  await reading.catch(() => {});
  const s = await call('GET', '/api/services');
  check('delete/services-after', ['after'], s.json.services.map((x) => x.service));
});

const st = await stopServer(srv);
check('purge/server-stops-cleanly', 0, st && st.code);
done();
