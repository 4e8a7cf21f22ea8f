// Retries stored once (issue 11.4): an identical Export request sent again — posted twice, re-sent
// after the client gave up waiting, or after a server restart — stores nothing twice, spans and
// logs, over OTLP/HTTP and gRPC; distinct data that merely looks alike is always stored.
//   node tests/server/retry.mjs build
import { spawn, spawnSync } from 'node:child_process';
import {
  startServer, stopServer, post, sql, count, makeSpans, makeLogs, serializers, sleep,
  check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, TRACES_METHOD, LOGS_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const PB = { 'Content-Type': 'application/x-protobuf' };
const JSON_CT = { 'Content-Type': 'application/json' };

async function spansPayload(service, n = 5, attr = 'a') {
  const spans = await makeSpans({ 'service.name': service }, (t) => {
    for (let k = 0; k < n; k++) t.startSpan(`op-${k}`, { attributes: { k: attr } }).end();
  });
  return { pb: Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans)),
    json: Buffer.from(serializers.JsonTraceSerializer.serializeRequest(spans)) };
}
async function logsPayload(service, n = 4) {
  const logs = await makeLogs({ 'service.name': service }, (l) => {
    for (let k = 0; k < n; k++) l.emit({ body: `line ${k}`, severityNumber: 9 });
  });
  return Buffer.from(serializers.ProtobufLogsSerializer.serializeRequest(logs));
}
const spansOf = (srv, s) => count(srv.db, 'spans', `service_name = '${s}'`);
const logsOf = (srv, s) => count(srv.db, 'logs', `service_name = '${s}'`);

let srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' });

await guard('retry/posted-twice', async () => {
  const t = await spansPayload('retry-http');
  check('retry/http-first', 200, (await post(`${srv.otlpUrl}/v1/traces`, t.pb, PB)).status);
  check('retry/http-again-answered-ok', 200, (await post(`${srv.otlpUrl}/v1/traces`, t.pb, PB)).status);
  check('retry/http-spans-stored-once', 5, spansOf(srv, 'retry-http'));
  check('retry/http-traces-summary-once', [{ traces: 5, spans: 5 }],
    sql(srv.db, "SELECT count(*) AS traces, sum(span_count) AS spans FROM traces WHERE root_service_name = 'retry-http'"));
  // the same spans as OTLP/JSON are another request (other bytes): stored, as a client asked
  const j = await spansPayload('retry-json');
  check('retry/json-first', 200, (await post(`${srv.otlpUrl}/v1/traces`, j.json, JSON_CT)).status);
  check('retry/json-again', 200, (await post(`${srv.otlpUrl}/v1/traces`, j.json, JSON_CT)).status);
  check('retry/json-spans-stored-once', 5, spansOf(srv, 'retry-json'));

  const g = await spansPayload('retry-grpc');
  check('retry/grpc-first', 0, (await grpcCall(srv.grpcUrl, TRACES_METHOD, g.pb)).code);
  check('retry/grpc-again', 0, (await grpcCall(srv.grpcUrl, TRACES_METHOD, g.pb)).code);
  check('retry/grpc-gzip-again', 0, (await grpcCall(srv.grpcUrl, TRACES_METHOD, g.pb, { gzip: true })).code);
  check('retry/http-after-grpc', 200, (await post(`${srv.otlpUrl}/v1/traces`, g.pb, PB)).status);
  check('retry/grpc-spans-stored-once', 5, spansOf(srv, 'retry-grpc'));

  const l = await logsPayload('retry-logs');
  check('retry/logs-http', 200, (await post(`${srv.otlpUrl}/v1/logs`, l, PB)).status);
  check('retry/logs-grpc-same', 0, (await grpcCall(srv.grpcUrl, LOGS_METHOD, l)).code);
  check('retry/logs-stored-once', 4, logsOf(srv, 'retry-logs'));
  check('retry/logs-search-index-once', 4, count(srv.db, 'logs_fts', "logs_fts MATCH 'line' AND rowid IN (SELECT id FROM logs WHERE service_name = 'retry-logs')"));

  // Two identical requests at once: one is stored, both are answered OK.
  const c = await spansPayload('retry-concurrent');
  const rs = await Promise.all([0, 1, 2, 3].map(() => post(`${srv.otlpUrl}/v1/traces`, c.pb, PB)));
  check('retry/concurrent-all-ok', [200, 200, 200, 200], rs.map((r) => r.status));
  check('retry/concurrent-stored-once', 5, spansOf(srv, 'retry-concurrent'));
});

await guard('retry/look-alike', async () => {
  // Same names, same service, same shape: but other spans (new ids, times) → stored.
  const a = await spansPayload('retry-alike');
  const b = await spansPayload('retry-alike');
  check('retry/alike-a', 200, (await post(`${srv.otlpUrl}/v1/traces`, a.pb, PB)).status);
  check('retry/alike-b', 200, (await post(`${srv.otlpUrl}/v1/traces`, b.pb, PB)).status);
  check('retry/alike-both-stored', 10, spansOf(srv, 'retry-alike'));
  // Two requests with the same log lines (one a subset of the other): all stored.
  const l1 = await logsPayload('retry-alike-logs', 2);
  const l2 = await logsPayload('retry-alike-logs', 3);
  check('retry/alike-logs-1', 200, (await post(`${srv.otlpUrl}/v1/logs`, l1, PB)).status);
  check('retry/alike-logs-2', 200, (await post(`${srv.otlpUrl}/v1/logs`, l2, PB)).status);
  check('retry/alike-logs-all-stored', 5, logsOf(srv, 'retry-alike-logs'));
});

// A client that gives up waiting (the database is locked longer than its timeout) and sends the
// request again once the server stored the first copy.
let holder = null;
await guard('retry/after-client-timeout', async () => {
  await stopServer(srv);
  srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2', ARGUS_SQLITE_BUSY_TIMEOUT_MS: '4000' }, { dir: srv.dir });
  holder = spawn('sqlite3', [srv.db], { stdio: ['pipe', 'ignore', 'ignore'] });
  holder.stdin.write(".timeout 5000\nBEGIN EXCLUSIVE;\nINSERT INTO argus_jobs VALUES ('lock', 0);\n");
  const locked = () => spawnSync('sqlite3', [srv.db, '.timeout 0', 'BEGIN IMMEDIATE;', 'ROLLBACK;'], { encoding: 'utf8' }).status !== 0;
  for (let i = 0; i < 100 && !locked(); i++) await sleep(50);
  checkTrue('retry/lock-held', locked(), 'the database write-locked by another process', 'not locked');
  const t = await spansPayload('retry-timeout');
  const l = await logsPayload('retry-timeout');
  const ac = new AbortController();
  const first = fetch(`${srv.otlpUrl}/v1/traces`, { method: 'POST', body: t.pb, headers: PB, signal: ac.signal })
    .then((r) => r.status, (e) => e.name);
  const firstGrpc = grpcCall(srv.grpcUrl, LOGS_METHOD, l, { timeoutMs: 400 });
  setTimeout(() => ac.abort(), 400);
  check('retry/http-client-gave-up', 'AbortError', await first);
  check('retry/grpc-client-gave-up', 4, (await firstGrpc).code); // DEADLINE_EXCEEDED
  holder.stdin.end('ROLLBACK;\n.quit\n');
  await new Promise((r) => holder.on('exit', r));
  holder = null;
  // the server stores the abandoned requests once the lock is gone; the clients retry
  let st = 0;
  for (let i = 0; i < 50 && st !== 200; i++) {
    st = (await post(`${srv.otlpUrl}/v1/traces`, t.pb, PB)).status;
    if (st !== 200) await sleep(200);
  }
  check('retry/http-retry-ok', 200, st);
  let code = -1;
  for (let i = 0; i < 50 && code !== 0; i++) {
    code = (await grpcCall(srv.grpcUrl, LOGS_METHOD, l)).code;
    if (code !== 0) await sleep(200);
  }
  check('retry/grpc-retry-ok', 0, code);
  await sleep(300);
  check('retry/timeout-spans-stored-once', 5, spansOf(srv, 'retry-timeout'));
  check('retry/timeout-logs-stored-once', 4, logsOf(srv, 'retry-timeout'));
});
if (holder) holder.kill('SIGKILL');

await guard('retry/across-restart', async () => {
  const t = await spansPayload('retry-restart');
  const l = await logsPayload('retry-restart');
  check('retry/restart-first', 200, (await post(`${srv.otlpUrl}/v1/traces`, t.pb, PB)).status);
  check('retry/restart-first-logs', 200, (await post(`${srv.otlpUrl}/v1/logs`, l, PB)).status);
  check('retry/restart-clean-exit', { code: 0, signal: null }, await stopServer(srv));
  srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { dir: srv.dir });
  check('retry/restart-again', 200, (await post(`${srv.otlpUrl}/v1/traces`, t.pb, PB)).status);
  check('retry/restart-again-grpc', 0, (await grpcCall(srv.grpcUrl, LOGS_METHOD, l)).code);
  check('retry/restart-spans-once', 5, spansOf(srv, 'retry-restart'));
  check('retry/restart-logs-once', 4, logsOf(srv, 'retry-restart'));
  check('retry/earlier-data-still-once', 5, spansOf(srv, 'retry-http'));
});

closeClients();
const st = await stopServer(srv);
check('retry/clean-exit', { code: 0, signal: null }, st);
checkTrue('retry/stats-line-counts-duplicates', /duplicate_requests=[1-9]/.test(srv.log()),
  'a stats line with duplicate_requests > 0', (srv.log().match(/duplicate_requests=\d+/) || ['none'])[0]);
done();
