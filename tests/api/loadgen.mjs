// The REST routes on argus-loadgen data: three loadgen requests of each signal (argus-loadgen
// --dump, seeds 1-3: 3,000 spans over six services, 3,000 log records) are sent over OTLP/HTTP;
// what they hold is read back from the files themselves (otlp_spans / otlp_logs in argus-shell,
// not the server's database) and every route's figures are checked against it: services,
// operations, top failing, dashboard summary, traces (total, error=true, sort=duration, a
// waterfall), log search (a severity filter, a full-text word), histogram, patterns.
//   node tests/api/loadgen.mjs build
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, stopServer, check, checkTrue, guard, done, post, tempDir } from '../server/lib.mjs';
import { insightsDone, exactPercentile } from './data.mjs';

const build = process.argv[2] || 'build';
const dir = tempDir('loadgen-dump');
const files = [];
for (const seed of [1, 2, 3]) {
  const out = path.join(dir, `seed${seed}`);
  fs.mkdirSync(out, { recursive: true });
  const r = spawnSync(path.resolve(build, 'argus-loadgen'), ['--dump', out, '--seed', String(seed),
    '--spans-per-request', '1000', '--logs-per-request', '1000'], { encoding: 'utf8' });
  check(`loadgen/dump-seed-${seed}`, 0, r.status);
  files.push(out);
}
// The rows the requests hold, decoded by our SQL functions from the files. An ASan build's
// extension needs the ASan runtime preloaded into the (uninstrumented) sqlite3, as tests/sql does.
const cache = fs.readFileSync(path.join(build, 'CMakeCache.txt'), 'utf8');
const env = { ...process.env };
if (/^ARGUS_SANITIZE:BOOL=ON$/m.test(cache)) {
  env.LD_PRELOAD = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
  env.ASAN_OPTIONS = `${env.ASAN_OPTIONS || ''}:detect_leaks=0`;
}
function rows(query) {
  const r = spawnSync(path.resolve(build, 'argus-shell'), ['-json', ':memory:', query],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env });
  if (r.status !== 0) throw new Error(`argus-shell failed: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}
const spans = files.flatMap((f) => rows(`SELECT trace_id, span_id, parent_span_id AS parent, name, kind,
  service_name AS svc, status_code AS status, CAST(start_time_unix_nano AS TEXT) AS start,
  CAST(end_time_unix_nano AS TEXT) AS end, duration_ns AS dur FROM otlp_spans(readfile('${f}/traces.pb'))`))
  .map((s) => ({ ...s, start: BigInt(s.start), end: BigInt(s.end) }));
const logs = files.flatMap((f) => rows(`SELECT service_name AS svc, severity_number AS sev, body,
  CAST(time_unix_nano AS TEXT) AS time FROM otlp_logs(readfile('${f}/logs.pb'))`))
  .map((l) => ({ ...l, time: BigInt(l.time) }));
check('loadgen/decoded', [3000, 3000], [spans.length, logs.length]);

const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5', ARGUS_INSIGHT_INTERVAL_MS: '20' });
const PB = { 'Content-Type': 'application/x-protobuf' };
for (const f of files) {
  const a = await post(`${srv.otlpUrl}/v1/traces`, fs.readFileSync(`${f}/traces.pb`), PB);
  const b = await post(`${srv.otlpUrl}/v1/logs`, fs.readFileSync(`${f}/logs.pb`), PB);
  check(`loadgen/sent-${path.basename(f)}`, [200, 200], [a.status, b.status]);
}
await insightsDone(srv);

// A range around everything sent (whole minutes: the rollups count whole minutes).
const times = [...spans.map((s) => s.start), ...logs.map((l) => l.time)];
const minNs = times.reduce((a, b) => (a < b ? a : b)), maxNs = times.reduce((a, b) => (a > b ? a : b));
const START = Number(minNs / 60000000000n) * 60000 - 60000, END = Number(maxNs / 60000000000n) * 60000 + 120000;
const RANGE = `start=${START}&end=${END}`;
async function get(p) {
  const res = await fetch(`${srv.apiUrl}${p}`);
  return { status: res.status, json: await res.json().catch(() => null) };
}
const isRequest = (s) => s.kind === 2 || s.kind === 5 || s.parent === null;
const services = [...new Set(spans.map((s) => s.svc))].sort();
const by = (arr, key) => arr.reduce((m, x) => m.set(key(x), [...(m.get(key(x)) || []), x]), new Map());

await guard('loadgen/services', async () => {
  const r = await get(`/api/services?${RANGE}`);
  const expected = services.map((svc) => {
    const req = spans.filter((s) => s.svc === svc && isRequest(s));
    const errors = req.filter((s) => s.status === 2).length;
    return { service: svc, requests: req.length, errors, logs: logs.filter((l) => l.svc === svc).length };
  });
  check('loadgen/services/counts', expected, r.json.services.map(({ service, requests, errors, logs: n }) => ({ service, requests, errors, logs: n })));
  for (const s of r.json.services) {
    const exact = exactPercentile(spans.filter((x) => x.svc === s.service && isRequest(x)).map((x) => x.dur), 0.95);
    checkTrue(`loadgen/services/p95/${s.service}`, Math.abs(s.p95_ns - exact) <= exact * 0.02, `within 2% of ${exact}`, s.p95_ns);
  }
});

await guard('loadgen/operations', async () => {
  for (const svc of services) {
    const r = await get(`/api/services/${svc}/operations?${RANGE}&limit=1000`);
    const expected = [...by(spans.filter((s) => s.svc === svc), (s) => s.name)]
      .map(([name, list]) => ({ name, spans: list.length, errors: list.filter((s) => s.status === 2).length }))
      .sort((a, b) => b.spans - a.spans || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    check(`loadgen/operations/${svc}`, expected, r.json.operations);
  }
});

await guard('loadgen/top-failing', async () => {
  const r = await get(`/api/dashboard/top-failing?${RANGE}`);
  const rank = (a, b) => b.errors - a.errors || b.errors / b.requests - a.errors / a.requests;
  const expected = services.map((svc) => {
    const req = spans.filter((s) => s.svc === svc && isRequest(s));
    const ops = [...by(req, (s) => s.name)].map(([name, list]) => {
      const errors = list.filter((s) => s.status === 2).length;
      return { name, requests: list.length, errors, error_rate: errors / list.length };
    }).filter((o) => o.errors > 0).sort((a, b) => rank(a, b) || (a.name < b.name ? -1 : 1)).slice(0, 5);
    const errors = req.filter((s) => s.status === 2).length;
    return { service: svc, requests: req.length, errors, error_rate: errors / req.length, operations: ops };
  }).filter((s) => s.errors > 0).sort((a, b) => rank(a, b) || (a.service < b.service ? -1 : 1));
  check('loadgen/top-failing/services', expected.map((s) => s.service), r.json.services.map((s) => s.service));
  // rates to 12 digits (SQLite's JSON prints 15 significant digits)
  const round = (x) => JSON.parse(JSON.stringify(x), (k, v) => (k === 'error_rate' ? Number(v.toPrecision(12)) : v));
  for (const [i, s] of expected.entries()) check(`loadgen/top-failing/${s.service}`, round(s), round(r.json.services[i]));
});

await guard('loadgen/summary', async () => {
  const r = await get(`/api/dashboard/summary?${RANGE}`);
  const req = spans.filter(isRequest);
  const sev = (lo, hi) => logs.filter((l) => l.sev >= lo && l.sev <= hi).length;
  check('loadgen/summary/current',
    { requests: req.length, errors: req.filter((s) => s.status === 2).length,
      logs: { TRACE: sev(1, 4), DEBUG: sev(5, 8), INFO: sev(9, 12), WARN: sev(13, 16), ERROR: sev(17, 20), FATAL: sev(21, 24),
        UNSPECIFIED: logs.length - sev(1, 24) } },
    { requests: r.json.current.requests, errors: r.json.current.errors, logs: r.json.current.logs });
});

await guard('loadgen/traces', async () => {
  const traces = [...by(spans, (s) => s.trace_id)].map(([id, list]) => {
    const start = list.reduce((a, s) => (s.start < a ? s.start : a), list[0].start);
    const end = list.reduce((a, s) => (s.end > a ? s.end : a), list[0].end);
    return { id, start, dur: Number(end - start), n: list.length, errors: list.filter((s) => s.status === 2).length };
  });
  const r = await get(`/api/traces?${RANGE}&limit=1000`);
  check('loadgen/traces/total', [traces.length, false], [r.json.total, r.json.total_capped]);
  const e = await get(`/api/traces?${RANGE}&error=true&limit=1000`);
  check('loadgen/traces/error-true', traces.filter((t) => t.errors > 0).map((t) => t.id).sort(),
    e.json.traces.map((t) => t.trace_id).sort());
  const d = await get(`/api/traces?${RANGE}&sort=duration&limit=5`);
  const longest = [...traces].sort((a, b) => b.dur - a.dur || (a.id < b.id ? 1 : -1)).slice(0, 5);
  check('loadgen/traces/sort-duration', longest.map((t) => [t.id, t.dur]), d.json.traces.map((t) => [t.trace_id, t.duration_ns]));
  const big = [...traces].sort((a, b) => b.n - a.n)[0];
  const w = await get(`/api/traces/${big.id}`);
  check('loadgen/traces/waterfall', [big.n, big.dur, spans.filter((s) => s.trace_id === big.id).map((s) => s.span_id).sort()],
    [w.json.spans.length, w.json.duration_ns, w.json.spans.map((s) => s.span_id).sort()]);
});

await guard('loadgen/logs', async () => {
  const warn = logs.filter((l) => l.sev >= 13);
  const r = await get(`/api/logs?${RANGE}&severity=%3E%3DWARN&limit=1000`);
  check('loadgen/logs/severity', warn.length, r.json.logs.length);
  // a word of the bodies: every record holding it as a token, none other
  const word = 'cache';
  const hits = logs.filter((l) => typeof l.body === 'string' && l.body.toLowerCase().split(/[^a-z0-9]+/).includes(word));
  const q = await get(`/api/logs?${RANGE}&q=${word}&limit=1000`);
  checkTrue('loadgen/logs/word-has-hits', hits.length > 10, 'more than 10 records', hits.length);
  check('loadgen/logs/word', hits.length, q.json.logs.length);
  checkTrue('loadgen/logs/word-newest-first', q.json.logs.every((l, i, a) => i === 0 ||
    BigInt(a[i - 1].time_unix_nano) >= BigInt(l.time_unix_nano)), 'newest first', 'out of order');
  const h = await get(`/api/logs/histogram?${RANGE}`);
  check('loadgen/logs/histogram-total', logs.length, h.json.buckets.reduce((a, b) => a + b.total, 0));
  const p = await get(`/api/logs/patterns?${RANGE}&limit=1000`);
  check('loadgen/logs/patterns-count-all', logs.length, p.json.patterns.reduce((a, x) => a + x.count, 0));
});

const st = await stopServer(srv);
check('loadgen/server-stops-cleanly', 0, st && st.code);
fs.rmSync(dir, { recursive: true, force: true });
done();
