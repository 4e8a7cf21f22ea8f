// REST API benchmark (prints figures, asserts nothing): fills a fresh database through
// argus-loadgen (OTLP/gRPC) plus one 10k-span trace, then times typical requests per route
// (p50/p95 over repeated calls) and runs wrk -c 32 on /api/services and /api/traces.
//   node tests/bench/api_bench.mjs build [spans]          # default 5,000,000 spans and as many logs
//   ARGUS_BENCH_DIR=/var/tmp/bench node tests/bench/api_bench.mjs build 5000000   # keep the database
// On MariaDB (tests/server/lib.mjs's ARGUS_TEST_MYSQL_URL): tests/mysql/api_bench.sh.
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, post, tempDir, sql, MYSQL } from '../server/lib.mjs';

const build = process.argv[2] || 'build';
const total = Number(process.argv[3] || 5000000);
const dir = process.env.ARGUS_BENCH_DIR || tempDir('bench');
fs.mkdirSync(dir, { recursive: true });
const env = { ARGUS_RETENTION: 'off', ARGUS_INSIGHT_WORKER: 'off' };
let srv = await startServer(build, env, { dir });
const log = (...a) => console.log(...a);

const have = sql(srv.db, 'SELECT count(*) AS n FROM span_records')[0].n;
if (have < total) {
  const per = 1000, workers = 4;
  const iterations = Math.ceil((total - have) / per / workers);
  log(`loading ${total - have} spans and as many logs with argus-loadgen (${workers} workers x ${iterations} iterations)...`);
  const t0 = Date.now();
  const r = spawnSync(path.resolve(build, 'argus-loadgen'), ['--endpoint', srv.grpcUrl.replace(/^http:\/\//, ''),
    '--concurrent', String(workers), '--iterations', String(iterations), '--spans-per-request', String(per),
    '--logs-per-request', String(per), '--retry', '20'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  log(`  loadgen: ${((Date.now() - t0) / 1000).toFixed(1)} s; ${r.stdout.trim().split('\n').slice(-3).join(' | ')}`);
}

// One trace of 10,000 spans (a random tree), sent as OTLP/JSON (once per database).
const BIG = 'b16b16b16b16b16b16b16b16b16b16b1';
if (sql(srv.db, `SELECT count(*) AS n FROM span_records WHERE trace_id = '${BIG}'`)[0].n === 0) {
  const now = BigInt(Date.now()) * 1000000n - 600000000000n;
  const spans = [];
  let seed = 7;
  for (let i = 0; i < 10000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const parent = i ? (seed % i) : -1;
    const start = now + BigInt(i) * 100000n;
    spans.push({ traceId: BIG, spanId: (i + 1).toString(16).padStart(16, '0'),
      parentSpanId: parent >= 0 ? (parent + 1).toString(16).padStart(16, '0') : undefined,
      name: `op ${i % 50}`, kind: i ? 3 : 2, startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + BigInt(1000000 + (seed % 5000000))),
      attributes: [{ key: 'i', value: { intValue: String(i) } }] });
  }
  const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bigtrace' } }] },
    scopeSpans: [{ spans }] }] });
  const r = await post(`${srv.otlpUrl}/v1/traces`, body, { 'Content-Type': 'application/json' });
  if (r.status !== 200) log(`10k-span trace: ${r.status} ${r.text}`);
}
// The insight worker tags the logs (templates, patterns, insights) as a running server would, so
// the patterns route has data; the measurements below run with it off (idle, nothing left).
if (sql(srv.db, 'SELECT count(*) AS n FROM log_records WHERE pattern_id IS NULL')[0].n > 0) {
  await stopServer(srv, 60000);
  srv = await startServer(build, { ...env, ARGUS_INSIGHT_WORKER: 'on' }, { dir });
  const t0 = Date.now();
  for (let lag = -1; lag !== 0;) {
    await new Promise((r) => setTimeout(r, 1000));
    lag = (await fetch(`${srv.apiUrl}/api/system`).then((x) => x.json())).insights.lag;
  }
  log(`  insight worker: every log record tagged in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const c = sql(srv.db, 'SELECT (SELECT count(*) FROM span_records) AS s, (SELECT count(*) FROM log_records) AS l, (SELECT count(*) FROM traces) AS t')[0];
const bytes = MYSQL
  ? sql(srv.db, "SELECT sum(data_length + index_length) AS b FROM information_schema.tables WHERE table_schema = DATABASE()")[0].b
  : fs.statSync(srv.db).size;
log(`database${MYSQL ? ' (MariaDB)' : ''}: spans|logs|traces = ${c.s}|${c.l}|${c.t}; ${(bytes / 1e9).toFixed(2)} GB`);

// A restart, so the figures below come from a server that did not just ingest (cold caches are
// not flushed: the OS page cache stays).
await stopServer(srv, 60000);
srv = await startServer(build, env, { dir });

// CPU time of the server process (user + system), in ms: on a shared machine wall-clock
// latencies include waiting for a core, this does not.
const cpuMs = (pid = srv.proc.pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 1000 / 100; // clock ticks of 10 ms
};
// The database server's CPU too when it is a process of this machine (tests/mysql/api_bench.sh
// gives mariadbd's pid): on MariaDB most of a request's work is done there.
const dbPid = process.env.ARGUS_BENCH_DB_PID;
async function time(url, n = 20) {
  const t = [];
  const c0 = cpuMs(), d0 = dbPid ? cpuMs(dbPid) : 0;
  let status = 0, bytes = 0;
  for (let i = 0; i < n; i++) {
    if (i === 3 && t[0] > 1000) break; // slow routes: three calls say enough
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${srv.apiUrl}${url}`);
    const b = await res.arrayBuffer();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    status = res.status;
    bytes = b.byteLength;
  }
  t.sort((a, b) => a - b);
  const q = (p) => t[Math.min(t.length - 1, Math.floor(p * t.length))];
  return { p50: q(0.5), p95: q(0.95), status, bytes, cpu: (cpuMs() - c0) / t.length,
    dbCpu: dbPid ? (cpuMs(dbPid) - d0) / t.length : null };
}

// The ranges end at the newest data (a minute after it), or now when the data is that fresh: a
// database kept from an earlier run (ARGUS_BENCH_DIR) would otherwise fall outside "the last hour".
const newestMs = Math.floor(Number(sql(srv.db, 'SELECT max(start_time_unix_nano) / 1000000 AS ms FROM traces')[0].ms ||
  Date.now()));
const endMs = Math.min(Date.now(), newestMs + 60000);
const RANGE_MS = { '15m': 900000, '1h': 3600000, '24h': 86400000 };
const rangeArgs = (r) => `start=${endMs - RANGE_MS[r]}&end=${endMs}`;
log(`ranges end at ${new Date(endMs).toISOString()}`);
const first = await fetch(`${srv.apiUrl}/api/traces?${rangeArgs('24h')}&limit=100`).then((r) => r.json());
const cursorT = first.next_cursor;
const firstLogs = await fetch(`${srv.apiUrl}/api/logs?${rangeArgs('24h')}&limit=100`).then((r) => r.json());
const word = 'orders';
const cases = [];
for (const range of ['15m', '1h', '24h']) {
  const R = rangeArgs(range);
  cases.push([`services ${range}`, `/api/services?${R}`]);
  cases.push([`dashboard/summary ${range}`, `/api/dashboard/summary?${R}`]);
  cases.push([`dashboard/timeseries ${range}`, `/api/dashboard/timeseries?${R}`]);
  cases.push([`dashboard/top-failing ${range}`, `/api/dashboard/top-failing?${R}`]);
  cases.push([`traces first page ${range}`, `/api/traces?${R}`]);
  cases.push([`traces error=true ${range}`, `/api/traces?${R}&error=true`]);
  cases.push([`traces sort=duration ${range}`, `/api/traces?${R}&sort=duration`]);
  cases.push([`logs first page ${range}`, `/api/logs?${R}`]);
  cases.push([`logs severity>=WARN ${range}`, `/api/logs?${R}&severity=%3E%3DWARN`]);
  cases.push([`logs q=${word} ${range}`, `/api/logs?${R}&q=${word}`]);
  cases.push([`logs/histogram ${range}`, `/api/logs/histogram?${R}`]);
  cases.push([`logs/patterns ${range}`, `/api/logs/patterns?${R}`]);
}
if (cursorT) cases.push(['traces later page 24h', `/api/traces?${rangeArgs('24h')}&cursor=${cursorT}`]);
if (firstLogs.next_cursor) cases.push(['logs later page 24h', `/api/logs?${rangeArgs('24h')}&cursor=${firstLogs.next_cursor}`]);
const svc = (await fetch(`${srv.apiUrl}/api/services?${rangeArgs('24h')}`).then((r) => r.json())).services[0]?.service;
if (svc) cases.push([`services/${svc}/operations 1h`, `/api/services/${encodeURIComponent(svc)}/operations?${rangeArgs('1h')}`]);
cases.push(['traces/{10k-span trace}', `/api/traces/${BIG}`]);
cases.push(['system', '/api/system']);

log(`\nload average: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} CPUs`);
log(`route                                   p50 ms   p95 ms  server CPU ms/req${dbPid ? '  DB CPU ms/req' : ''}  status  bytes`);
for (const [name, url] of cases) {
  const r = await time(url, name.startsWith('traces/{') ? 10 : 20);
  const db = dbPid ? r.dbCpu.toFixed(1).padStart(15) : '';
  log(`${name.padEnd(38)} ${r.p50.toFixed(1).padStart(7)} ${r.p95.toFixed(1).padStart(8)} ${r.cpu.toFixed(1).padStart(18)}${db}  ${r.status}  ${r.bytes}`);
}

const wrk = spawnSync('which', ['wrk']).status === 0;
for (const url of [`/api/services?${rangeArgs('1h')}`, `/api/traces?${rangeArgs('1h')}`]) {
  if (!wrk) { log('wrk not installed: skipping req/s'); break; }
  const r = spawnSync('wrk', ['-t2', '-c32', '-d10s', `${srv.apiUrl}${url}`], { encoding: 'utf8' });
  const rps = (r.stdout.match(/Requests\/sec:\s+([\d.]+)/) || [])[1];
  const lat = (r.stdout.match(/Latency\s+(\S+)/) || [])[1];
  const non2xx = (r.stdout.match(/Non-2xx or 3xx responses: (\d+)/) || [])[1] || 0;
  log(`wrk -c32 ${url}: ${rps} req/s, mean latency ${lat}, non-2xx ${non2xx}`);
}
await stopServer(srv, 60000);
if (!process.env.ARGUS_BENCH_DIR) fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
