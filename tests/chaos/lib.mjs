// Helpers shared by the chaos suites (tests/chaos/*.mjs): argus-loadgen runs, readiness polling,
// SDK-made requests, exactly-once checks, SDK exporters exporting in a loop.
//   const lg = await runLoadgen(build, ['--endpoint', `127.0.0.1:${srv.grpcPort}`, '--duration', '3']);
import { spawn } from 'node:child_process';
import path from 'node:path';
import { sql, makeSpans, exporter, exportItems, serializers, sleep } from '../server/lib.mjs';

// argus-loadgen with args; resolves {code, signal, out, spans, logs} (acknowledged counts from
// its result line, null when it printed none).
export function runLoadgen(build, args) {
  return new Promise((resolve) => {
    const p = spawn(path.resolve(build, 'argus-loadgen'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code, signal) => {
      const m = out.match(/result: .*\bspans=(\d+) logs=(\d+)/);
      resolve({ code, signal, out, spans: m ? Number(m[1]) : null, logs: m ? Number(m[2]) : null });
    });
  });
}

// Polls /readyz until 200 (true) or ms pass (false).
export async function readyAgain(srv, ms = 10000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const st = await fetch(`${srv.apiUrl}/readyz`).then((r) => r.status, () => 0);
    if (st === 200) return true;
    await sleep(100);
  }
  return false;
}

// n spans of `service` made by the SDK: {spans, pb} (pb: the protobuf Export request).
export async function spansRequest(service, n) {
  const spans = await makeSpans({ 'service.name': service }, (t) => {
    for (let k = 0; k < n; k++) t.startSpan(`op-${k}`).end();
  });
  return { spans, pb: Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans)) };
}

// How many spans of `service` are stored, and how many distinct span ids among them.
export function exactlyOnce(db, service) {
  return sql(db, `SELECT count(*) AS n, count(DISTINCT span_id) AS distinct_ids FROM spans WHERE service_name = '${service}'`)[0];
}

// (trace_id, span_id) pairs stored more than once, over every span.
export function duplicateSpans(db) {
  return sql(db, 'SELECT count(*) AS n FROM (SELECT trace_id, span_id FROM span_records GROUP BY 1, 2 HAVING count(*) > 1)')[0].n;
}

// The SDK exporter for `transport` ('grpc' | 'proto') exporting 5 spans of `service` at a time
// until stop() is called; stop() resolves with {acked: span ids whose export succeeded, ackedSince(t):
// those of exports started at Date.now() >= t, failed: exports that failed}.
export function exportLoop(srv, transport, service) {
  let stopping = false;
  const acked = [];
  const started = []; // per acknowledged span id: when its export started
  let failed = 0;
  const run = (async () => {
    while (!stopping) {
      const exp = exporter(srv, 'traces', transport, false, { timeoutMillis: 3000 });
      const { spans } = await spansRequest(service, 5);
      const t = Date.now();
      const res = await exportItems(exp, spans);
      if (res.code === 0) {
        acked.push(...spans.map((s) => s.spanContext().spanId));
        started.push(...spans.map(() => t));
      }
      else failed++;
      await exp.shutdown().catch(() => {});
      await sleep(50);
    }
  })();
  const ackedSince = (t) => acked.filter((_, i) => started[i] >= t);
  return { stop: async () => { stopping = true; await run; return { acked, ackedSince, failed }; } };
}
