// Database circuit breaker (issue 11.6): while another process holds the write lock, the first
// batches wait the busy timeout and fail; after 3 failures in a row the breaker opens and every
// export is answered "retry later" at once (HTTP 503 + Retry-After, gRPC UNAVAILABLE with
// RetryInfo) instead of each waiting the busy timeout. /readyz and the stats line show it; a
// probe commit closes it once the lock is gone, without traffic and without a restart.
//   node tests/server/breaker.mjs build
import { spawn, spawnSync } from 'node:child_process';
import {
  startServer, stopServer, post, count, makeSpans, serializers, sleep,
  check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, decodeStatusDetails, TRACES_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const PB = { 'Content-Type': 'application/x-protobuf' };
const BUSY_MS = 1500;
const locked = (db) => spawnSync('sqlite3', [db, '.timeout 0', 'BEGIN IMMEDIATE;', 'ROLLBACK;'], { encoding: 'utf8' }).status !== 0;

async function payload(service) {
  const spans = await makeSpans({ 'service.name': service }, (t) => { for (let k = 0; k < 3; k++) t.startSpan('op').end(); });
  return Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
}

const srv = await startServer(build, { ARGUS_SQLITE_BUSY_TIMEOUT_MS: String(BUSY_MS), ARGUS_BATCH_LATENCY_MS: '1', ARGUS_STATS_INTERVAL_S: '1' });
let holder = null;
await guard('breaker', async () => {
  const ok0 = await post(`${srv.otlpUrl}/v1/traces`, await payload('breaker-before'), PB);
  check('breaker/baseline-ok', 200, ok0.status);
  check('breaker/readyz-closed', 200, (await fetch(`${srv.apiUrl}/readyz`)).status);
  // the gRPC channel connected before the timing below
  check('breaker/baseline-grpc-ok', 0, (await grpcCall(srv.grpcUrl, TRACES_METHOD, await payload('breaker-before-grpc'))).code);

  holder = spawn('sqlite3', [srv.db], { stdio: ['pipe', 'ignore', 'ignore'] });
  holder.stdin.write(".timeout 5000\nBEGIN EXCLUSIVE;\nINSERT INTO argus_jobs VALUES ('lock', 0);\n");
  for (let i = 0; i < 100 && !locked(srv.db); i++) await sleep(50);
  checkTrue('breaker/lock-held', locked(srv.db), 'the database write-locked by another process', 'not locked');

  // Failures one after another until the breaker opens (3 failed batches).
  const slow = [];
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const r = await post(`${srv.otlpUrl}/v1/traces`, await payload(`breaker-fail-${i}`), PB);
    slow.push([r.status, Date.now() - t0 >= BUSY_MS - 100]);
  }
  check('breaker/first-failures-wait-busy-timeout', [[503, true], [503, true], [503, true]], slow);

  // Open: answered at once, well under the busy timeout.
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const r = await post(`${srv.otlpUrl}/v1/traces`, await payload('breaker-open'), PB);
    times.push({ status: r.status, retryAfter: r.headers.get('retry-after'), fast: Date.now() - t0 < BUSY_MS / 3, text: /circuit breaker open/.test(r.text) });
  }
  check('breaker/open-http-503-at-once', times.map(() => ({ status: 503, retryAfter: '2', fast: true, text: true })), times);
  const g0 = Date.now();
  const g = await grpcCall(srv.grpcUrl, TRACES_METHOD, await payload('breaker-open-grpc'));
  const gms = Date.now() - g0;
  const det = g.statusDetails ? decodeStatusDetails(g.statusDetails) : null;
  checkTrue('breaker/open-grpc-unavailable-retryinfo-at-once',
    g.code === 14 && det && det.retry && det.retry.seconds === 2 && gms < BUSY_MS / 2,
    'UNAVAILABLE with RetryInfo 2 s within 750 ms (the busy timeout is 1500 ms)', `${g.code} ${JSON.stringify(det)} ${gms} ms`);
  const rd = await fetch(`${srv.apiUrl}/readyz`);
  const rdBody = await rd.json();
  checkTrue('breaker/readyz-says-open', rd.status === 503 && /circuit breaker open/.test(rdBody.reason || ''),
    '503 with a reason naming the circuit breaker', `${rd.status} ${JSON.stringify(rdBody)}`);
  await sleep(1200);
  checkTrue('breaker/stats-line-open', /stats .*breaker=(open|half-open) breaker_opened=1 breaker_refused=[1-9]/.test(srv.log()),
    'a stats line with breaker=open breaker_opened=1 breaker_refused>0', (srv.log().match(/breaker=\S+ breaker_opened=\d+ breaker_refused=\d+/g) || ['none']).pop());
  checkTrue('breaker/open-logged', /warn database circuit breaker open/.test(srv.log()), 'a "circuit breaker open" warning', 'none');

  holder.stdin.end('ROLLBACK;\n.quit\n');
  await new Promise((r) => holder.on('exit', r));
  holder = null;
  // A probe closes it without any export arriving.
  let ready = 0;
  for (let i = 0; i < 60 && ready !== 200; i++) {
    ready = (await fetch(`${srv.apiUrl}/readyz`)).status;
    if (ready !== 200) await sleep(100);
  }
  check('breaker/closes-without-traffic', 200, ready);
  checkTrue('breaker/closed-logged', /info database circuit breaker closed/.test(srv.log()), 'a "circuit breaker closed" line', 'none');
  const after = await post(`${srv.otlpUrl}/v1/traces`, await payload('breaker-after'), PB);
  check('breaker/ingest-after-close', 200, after.status);
  check('breaker/stored', { before: 3, after: 3, refused: 0 }, {
    before: count(srv.db, 'spans', "service_name = 'breaker-before'"),
    after: count(srv.db, 'spans', "service_name = 'breaker-after'"),
    refused: count(srv.db, 'spans', "service_name LIKE 'breaker-open%' OR service_name LIKE 'breaker-fail%'"),
  });
  const sys = await fetch(`${srv.apiUrl}/api/system`).then((x) => x.json());
  const mt = await fetch(`${srv.apiUrl}/metrics`).then((x) => x.text());
  checkTrue('breaker/api-system-and-metrics',
    sys.breaker.state === 'closed' && sys.breaker.opened === 1 && sys.breaker.refused > 0 &&
      /^\d+$/.test(sys.breaker.since_ns) && /^argus_breaker_opened_total 1$/m.test(mt) &&
      /^argus_breaker_open 0$/m.test(mt) && new RegExp(`^argus_breaker_refused_total ${sys.breaker.refused}$`, 'm').test(mt),
    '/api/system breaker closed, opened 1, refused > 0, since_ns set; /metrics the same',
    `${JSON.stringify(sys.breaker)} ${(mt.match(/^argus_breaker.*$/gm) || []).join('; ')}`);
  await sleep(1200);
  checkTrue('breaker/stats-line-closed', /breaker=closed breaker_opened=1/.test(srv.log().split('\n').filter((l) => / stats /.test(l)).pop() || ''),
    'the last stats line says breaker=closed breaker_opened=1', (srv.log().match(/breaker=\S+ breaker_opened=\d+/g) || ['none']).pop());
});
if (holder) holder.kill('SIGKILL');
closeClients();
check('breaker/clean-exit', { code: 0, signal: null }, await stopServer(srv));
done();
