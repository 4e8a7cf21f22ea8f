// Database failure: another process holds the SQLite write lock (BEGIN EXCLUSIVE; this works as
// root, unlike file permissions). Exports then fail retryably (HTTP 503 + Retry-After, gRPC
// UNAVAILABLE), /readyz says not ready, the server keeps running; once the lock is released
// ingest resumes without a restart and retried data is stored exactly once.
//   node tests/server/dbfail.mjs build
import { spawn, spawnSync } from 'node:child_process';
import {
  startServer, stopServer, post, sql, count, makeSpans, serializers, sleep,
  check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, TRACES_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_SQLITE_BUSY_TIMEOUT_MS: '200', ARGUS_BATCH_LATENCY_MS: '2' });
const PB = { 'Content-Type': 'application/x-protobuf' };

async function request(service) {
  const spans = await makeSpans({ 'service.name': service }, (t) => { for (let k = 0; k < 5; k++) t.startSpan('op').end(); });
  return Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
}

function locked(db) {
  const r = spawnSync('sqlite3', [db, '.timeout 0', 'BEGIN IMMEDIATE;', 'ROLLBACK;'], { encoding: 'utf8' });
  return r.status !== 0 && /locked|busy/i.test(r.stderr + r.stdout);
}

let holder = null;
await guard('dbfail', async () => {
  const before = await post(`${srv.otlpUrl}/v1/traces`, await request('dbfail-before'), PB);
  check('dbfail/baseline-ok', 200, before.status);

  holder = spawn('sqlite3', [srv.db], { stdio: ['pipe', 'ignore', 'ignore'] });
  holder.stdin.write('BEGIN EXCLUSIVE;\nINSERT INTO argus_migrations VALUES (9999, \'lock\', 0);\n');
  for (let i = 0; i < 100 && !locked(srv.db); i++) await sleep(50);
  checkTrue('dbfail/lock-held', locked(srv.db), 'the database write-locked by another process', 'not locked');

  const during = await request('dbfail-during');
  const h = await post(`${srv.otlpUrl}/v1/traces`, during, PB);
  check('dbfail/http-503-retry-after', [503, '1'], [h.status, h.headers.get('retry-after')]);
  const g = await grpcCall(srv.grpcUrl, TRACES_METHOD, await request('dbfail-during-grpc'));
  checkTrue('dbfail/grpc-unavailable', g.code === 14, 'UNAVAILABLE (14)', `${g.code} ${g.details}`);
  const rd = await fetch(`${srv.apiUrl}/readyz`);
  const rdBody = await rd.json();
  checkTrue('dbfail/readyz-not-ready', rd.status === 503 && /database/.test(rdBody.reason || ''),
    '503 with a reason naming the database', `${rd.status} ${JSON.stringify(rdBody)}`);
  const hz = await fetch(`${srv.apiUrl}/healthz`);
  check('dbfail/healthz-still-ok', 200, hz.status);
  checkTrue('dbfail/server-still-running', srv.exited === null, 'running', JSON.stringify(srv.exited));

  holder.stdin.end('ROLLBACK;\n.quit\n');
  await new Promise((r) => holder.on('exit', r));
  holder = null;

  // Without any export arriving, the writer notices the database is writable again.
  let ready = 0;
  for (let i = 0; i < 50 && ready !== 200; i++) {
    ready = (await fetch(`${srv.apiUrl}/readyz`)).status;
    if (ready !== 200) await sleep(100);
  }
  check('dbfail/readyz-recovers-without-traffic', 200, ready);

  // The client retries the refused request until it is accepted.
  let status = 0, attempts = 0;
  for (; attempts < 100 && status !== 200; attempts++) {
    status = (await post(`${srv.otlpUrl}/v1/traces`, during, PB)).status;
    if (status !== 200) await sleep(100);
  }
  check('dbfail/ingest-resumes-after-release', 200, status);
  check('dbfail/retried-data-stored-exactly-once', 5, count(srv.db, 'spans', "service_name = 'dbfail-during'"));
  check('dbfail/failed-request-left-nothing', 0, count(srv.db, 'spans', "service_name = 'dbfail-during-grpc'"));
  const rd2 = await fetch(`${srv.apiUrl}/readyz`);
  check('dbfail/readyz-ready-again', 200, rd2.status);
  check('dbfail/lock-holder-insert-rolled-back', [], sql(srv.db, 'SELECT version FROM argus_migrations WHERE version = 9999'));
  checkTrue('dbfail/failure-logged', / warn batch failed, clients will retry error=/.test(srv.log()),
    'a "batch failed" warning', 'none');
});

if (holder) holder.kill('SIGKILL');
closeClients();
const st = await stopServer(srv);
check('dbfail/clean-exit', { code: 0, signal: null }, st);
done();
