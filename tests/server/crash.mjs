// Crash safety: while clients stream spans and logs (HTTP and gRPC), the server is killed with
// SIGKILL right after an acknowledgement; after a restart on the same data directory every
// acknowledged span and log record must be there, and the database must be intact.
//   node tests/server/crash.mjs build
import {
  startServer, stopServer, killServer, post, sql, serializers, makeSpans, makeLogs, check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, TRACES_METHOD, LOGS_METHOD } from './grpc_raw.mjs';
import crypto from 'node:crypto';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' });
const hex = (n) => crypto.randomBytes(n).toString('hex');

// OTLP/JSON requests built by hand: n spans or log records with random ids.
function tracesRequest(n) {
  const spans = [];
  for (let k = 0; k < n; k++) {
    spans.push({ traceId: hex(16), spanId: hex(8), name: 'crash-op', kind: 2,
      startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000100000000' });
  }
  return { ids: spans.map((s) => s.spanId),
    body: { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'crash' } }] },
      scopeSpans: [{ spans }] }] } };
}
function logsRequest(n) {
  const records = [];
  for (let k = 0; k < n; k++) {
    records.push({ timeUnixNano: '1700000000000000000', severityNumber: 9, body: { stringValue: `crash-log ${hex(8)}` } });
  }
  return { ids: records.map((r) => r.body.stringValue),
    body: { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'crash' } }] },
      scopeLogs: [{ logRecords: records }] }] } };
}

// Protobuf requests made by the SDK and its serializer, for gRPC.
async function spansPb(n) {
  const spans = await makeSpans({ 'service.name': 'crash' }, (tracer) => {
    for (let k = 0; k < n; k++) tracer.startSpan('crash-op').end();
  });
  return { ids: spans.map((s) => s.spanContext().spanId),
    body: Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans)) };
}
async function logsPb(n) {
  const ids = [];
  const logs = await makeLogs({ 'service.name': 'crash' }, (logger) => {
    for (let k = 0; k < n; k++) {
      const body = `crash-log ${hex(8)}`;
      ids.push(body);
      logger.emit({ severityNumber: 9, body });
    }
  });
  return { ids, body: Buffer.from(serializers.ProtobufLogsSerializer.serializeRequest(logs)) };
}

const acked = { spans: [], logs: [] };
let killed = false, sent = 0;

async function client(kind, transport) {
  while (!killed) {
    const req = kind === 'spans' ? tracesRequest(50) : logsRequest(50);
    let okay = false;
    sent++;
    try {
      if (transport === 'http') {
        const r = await post(`${srv.otlpUrl}/v1/${kind === 'spans' ? 'traces' : 'logs'}`, JSON.stringify(req.body),
          { 'Content-Type': 'application/json' });
        okay = r.status === 200;
      } else {
        const pb = kind === 'spans' ? await spansPb(50) : await logsPb(50);
        req.ids = pb.ids;
        const r = await grpcCall(srv.grpcUrl, kind === 'spans' ? TRACES_METHOD : LOGS_METHOD, pb.body,
          { timeoutMs: 5000 });
        okay = r.code === 0;
      }
    } catch {
      okay = false;
    }
    if (okay && !killed) {
      acked[kind].push(...req.ids);
      if (acked.spans.length + acked.logs.length >= 4000) {
        killed = true;
        await killServer(srv); // right after this acknowledgement, others still in flight
      }
    }
  }
}

await guard('crash', async () => {
  const timer = setTimeout(() => {
    killed = true;
    killServer(srv);
  }, 60000);
  await Promise.all([client('spans', 'http'), client('spans', 'grpc'), client('logs', 'http'),
    client('logs', 'grpc'), client('spans', 'http'), client('logs', 'grpc')]);
  clearTimeout(timer);
  checkTrue('crash/enough-acknowledged-before-kill', acked.spans.length + acked.logs.length >= 4000,
    'at least 4000 items acknowledged within 60 s', acked.spans.length + acked.logs.length);
  check('crash/killed-with-sigkill', 'SIGKILL', srv.exited && srv.exited.signal);
  closeClients();
  const again = await startServer(build, {}, { dir: srv.dir });
  const integrity = sql(again.db, 'PRAGMA integrity_check');
  check('crash/integrity-after-restart', [{ integrity_check: 'ok' }], integrity);
  const spanIds = new Set(sql(again.db, "SELECT span_id FROM spans WHERE service_name = 'crash'").map((r) => r.span_id));
  const missingSpans = acked.spans.filter((id) => !spanIds.has(id));
  check('crash/every-acknowledged-span-present', { acked: acked.spans.length, missing: 0 },
    { acked: acked.spans.length, missing: missingSpans.length });
  const bodies = new Set(sql(again.db, "SELECT body FROM logs WHERE service_name = 'crash'").map((r) => r.body));
  const missingLogs = acked.logs.filter((b) => !bodies.has(b));
  check('crash/every-acknowledged-log-present', { acked: acked.logs.length, missing: 0 },
    { acked: acked.logs.length, missing: missingLogs.length });
  checkTrue('crash/both-signals-acknowledged', acked.spans.length > 0 && acked.logs.length > 0,
    'spans and logs acknowledged before the kill', JSON.stringify({ spans: acked.spans.length, logs: acked.logs.length }));
  const dup = sql(again.db, "SELECT count(*) - count(DISTINCT span_id) AS d FROM spans WHERE service_name = 'crash'")[0].d;
  check('crash/no-duplicates', 0, dup);
  const r = await post(`${again.otlpUrl}/v1/traces`, JSON.stringify(tracesRequest(3).body), { 'Content-Type': 'application/json' });
  check('crash/ingest-after-restart', 200, r.status);
  const st = await stopServer(again);
  check('crash/restarted-server-clean-exit', { code: 0, signal: null }, st);
});

closeClients();
done();
