// Service names that differ only after their first 1,100 characters stay two services in every
// per-service answer (MariaDB groups and sorts long text by its first max_sort_length = 1,024
// bytes unless told otherwise), and /api/system's configuration lists only the keys of the
// backend in use. Runs on SQLite and, in the mysql-api layer, on MariaDB.
//   node tests/api/names.mjs build
import { startServer, stopServer, check, checkTrue, guard, done, post, dialect } from '../server/lib.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5' });
const get = async (path) => {
  const res = await fetch(`${srv.apiUrl}${path}`);
  return { status: res.status, json: await res.json().catch(() => null) };
};

const prefix = 'svc-' + 'x'.repeat(1100);
const names = [`${prefix}-one`, `${prefix}-two`];
// one: 3 request spans (1 error), 2 logs; two: 5 request spans (2 errors), 4 logs
const want = { [names[0]]: { requests: 3, errors: 1, logs: 2 }, [names[1]]: { requests: 5, errors: 2, logs: 4 } };
const nowNs = BigInt(Date.now()) * 1000000n - 60000000000n;
const resource = (name) => ({ attributes: [{ key: 'service.name', value: { stringValue: name } }] });
const hex = (n, w) => n.toString(16).padStart(w, '0');
let seq = 1;
const spans = names.map((name) => ({
  resource: resource(name),
  scopeSpans: [{ spans: Array.from({ length: want[name].requests }, (_, i) => {
    const start = nowNs + BigInt(seq) * 1000000n;
    const id = seq++;
    return { traceId: hex(id, 32), spanId: hex(id, 16), name: `op ${i % 2}`, kind: 2,
      startTimeUnixNano: String(start), endTimeUnixNano: String(start + 5000000n),
      status: { code: i < want[name].errors ? 2 : 0 } };
  }) }],
}));
const logs = names.map((name) => ({
  resource: resource(name),
  scopeLogs: [{ logRecords: Array.from({ length: want[name].logs }, (_, i) => ({
    timeUnixNano: String(nowNs + BigInt(i) * 1000000n), severityNumber: 9, body: { stringValue: `line ${i}` } })) }],
}));

await guard('names/ingest', async () => {
  const json = { 'Content-Type': 'application/json' };
  const t = await post(`${srv.otlpUrl}/v1/traces`, JSON.stringify({ resourceSpans: spans }), json);
  const l = await post(`${srv.otlpUrl}/v1/logs`, JSON.stringify({ resourceLogs: logs }), json);
  check('names/ingest', [200, 200], [t.status, l.status]);
});

const range = `start=${Date.now() - 3600000}&end=${Date.now() + 60000}`;

await guard('names/services', async () => {
  const r = await get(`/api/services?${range}`);
  const got = r.json.services.map((s) => [s.service, s.requests, s.errors, s.logs]);
  check('names/services', names.map((n) => [n, want[n].requests, want[n].errors, want[n].logs]), got);
});

await guard('names/timeseries', async () => {
  const r = await get(`/api/dashboard/timeseries?${range}&group_by=service`);
  const got = r.json.series.map((s) => [s.service, s.requests.reduce((a, b) => a + b, 0), s.errors.reduce((a, b) => a + b, 0)]);
  check('names/timeseries-by-service', names.map((n) => [n, want[n].requests, want[n].errors]), got);
});

await guard('names/top-failing', async () => {
  const r = await get(`/api/dashboard/top-failing?${range}`);
  const got = r.json.services.map((s) => [s.service, s.errors]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  check('names/top-failing', names.map((n) => [n, want[n].errors]), got);
});

await guard('names/operations', async () => {
  for (const [i, n] of names.entries()) {
    const r = await get(`/api/services/${encodeURIComponent(n)}/operations?${range}`);
    const total = r.json.operations.reduce((a, o) => a + o.spans, 0);
    check(`names/operations-${i + 1}`, [200, want[n].requests], [r.status, total]);
  }
});

await guard('names/summary', async () => {
  const r = await get(`/api/dashboard/summary?${range}&service=${encodeURIComponent(names[1])}`);
  check('names/summary-of-one', [want[names[1]].requests, want[names[1]].errors], [r.json.current.requests, r.json.current.errors]);
});

await guard('names/system-config', async () => {
  const r = await get('/api/system');
  const keys = Object.keys(r.json.config);
  const sqliteKeys = keys.filter((k) => k.startsWith('ARGUS_SQLITE_'));
  if (dialect === 'mysql') check('names/config-without-sqlite-keys', [], sqliteKeys);
  else checkTrue('names/config-with-sqlite-keys', sqliteKeys.length > 0, 'ARGUS_SQLITE_* keys', keys.join(' '));
  checkTrue('names/config-has-db', keys.includes('ARGUS_DB'), 'ARGUS_DB', keys.join(' '));
});

await stopServer(srv);
done();
