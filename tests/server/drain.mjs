// Bounded shutdown (issue 11.5): SIGTERM while requests are queued and the database is locked by
// another process. The drain ends at ARGUS_SHUTDOWN_TIMEOUT_MS: the batch waiting for the lock
// gives up at the deadline, every queued call is answered "retry later" (HTTP 503 +
// Retry-After, gRPC UNAVAILABLE), nothing is half stored, and the process exits, instead of each
// batch waiting the busy timeout in turn.
//   node tests/server/drain.mjs build
import { spawn, spawnSync } from 'node:child_process';
import {
  startServer, stopServer, post, count, makeSpans, serializers, sleep,
  check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, TRACES_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const PB = { 'Content-Type': 'application/x-protobuf' };
const locked = (db) => spawnSync('sqlite3', [db, '.timeout 0', 'BEGIN IMMEDIATE;', 'ROLLBACK;'], { encoding: 'utf8' }).status !== 0;

async function payload(service) {
  const spans = await makeSpans({ 'service.name': service }, (t) => { for (let k = 0; k < 5; k++) t.startSpan('op').end(); });
  return Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
}

let holder = null;
await guard('drain/locked-database', async () => {
  // One request per batch, a 5 s busy timeout: 40 batches would take 200 s one after another.
  const srv = await startServer(build, {
    ARGUS_BATCH_SIZE: '5', ARGUS_BATCH_LATENCY_MS: '1', ARGUS_SQLITE_BUSY_TIMEOUT_MS: '5000',
    ARGUS_SHUTDOWN_TIMEOUT_MS: '1500',
  });
  holder = spawn('sqlite3', [srv.db], { stdio: ['pipe', 'ignore', 'ignore'] });
  holder.stdin.write(".timeout 5000\nBEGIN EXCLUSIVE;\nINSERT INTO argus_jobs VALUES ('lock', 0);\n");
  for (let i = 0; i < 100 && !locked(srv.db); i++) await sleep(50);
  checkTrue('drain/lock-held', locked(srv.db), 'the database write-locked by another process', 'not locked');
  const bodies = [];
  for (let i = 0; i < 30; i++) bodies.push(await payload(`drain-http-${i}`));
  const grpcBodies = [];
  for (let i = 0; i < 10; i++) grpcBodies.push(await payload(`drain-grpc-${i}`));
  const calls = [
    ...bodies.map((b) => post(`${srv.otlpUrl}/v1/traces`, b, PB).then((r) => `${r.status} ${r.headers.get('retry-after')}`, (e) => `error ${e.message}`)),
    ...grpcBodies.map((b) => grpcCall(srv.grpcUrl, TRACES_METHOD, b, { timeoutMs: 60000 }).then((r) => `grpc ${r.code}`)),
  ];
  await sleep(1000); // every request decoded and queued behind the locked batch
  const t0 = Date.now();
  srv.proc.kill('SIGTERM');
  const st = await Promise.race([srv.exitPromise, sleep(20000).then(() => null)]);
  const took = Date.now() - t0;
  if (!st) srv.proc.kill('SIGKILL');
  const answers = await Promise.race([Promise.all(calls), sleep(5000).then(() => null)]);
  checkTrue('drain/exits-within-deadline-plus-margin', st && took < 5000,
    'exit within 5 s of SIGTERM (deadline 1.5 s)', st ? `${took} ms` : 'still running after 20 s');
  check('drain/exit-code', { code: 0, signal: null }, st);
  checkTrue('drain/every-call-answered', answers !== null, 'an answer for each of the 40 calls', 'calls still waiting');
  if (answers) {
    check('drain/http-answered-retry-later', bodies.map(() => '503 1'), answers.slice(0, 30));
    check('drain/grpc-answered-unavailable', grpcBodies.map(() => 'grpc 14'), answers.slice(30));
  }
  checkTrue('drain/logged', /answering queued requests with retry later .*reason="shutdown/.test(srv.log()),
    'a "shutdown: answering queued requests" warning', srv.log().split('\n').slice(-5).join(' | '));
  holder.stdin.end('ROLLBACK;\n.quit\n');
  await new Promise((r) => holder.on('exit', r));
  holder = null;
  check('drain/nothing-half-stored', 0, count(srv.db, 'spans'));
});
if (holder) holder.kill('SIGKILL');

await guard('drain/unlocked-still-drains', async () => {
  // Without a failing database the drain commits everything queued, as before.
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '3000', ARGUS_BATCH_SIZE: '100000' });
  const calls = [];
  for (let i = 0; i < 10; i++) calls.push(post(`${srv.otlpUrl}/v1/traces`, await payload('drain-ok'), PB).then((r) => r.status));
  await sleep(500);
  check('drain/ok-exit', { code: 0, signal: null }, await stopServer(srv));
  check('drain/ok-all-answered', calls.map(() => 200), await Promise.all(calls));
  check('drain/ok-all-stored', 50, count(srv.db, 'spans', "service_name = 'drain-ok'"));
});

closeClients();
done();
