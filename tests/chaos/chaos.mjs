// Chaos layer (issue 11.8): argus-loadgen and the OpenTelemetry JS SDK exporters through faults —
// a TCP proxy this test controls cutting connections mid-request and mid-answer, clients vanishing
// mid-stream, the database locked and deleted under load, kill -9 during commits — checking after
// each that every acknowledged item is stored exactly once and that the server recovers without a
// restart (/readyz 200 and ingest working).
//   tests/chaos/run.sh build
import net from 'node:net';
import fs from 'node:fs';
import http2 from 'node:http2';
import { spawn } from 'node:child_process';
import {
  startServer, stopServer, killServer, post, sql, count, exporter, exportItems, sleep, check, checkTrue,
  guard, done,
} from '../server/lib.mjs';
import { runLoadgen as loadgen, readyAgain, spansRequest, exactlyOnce, duplicateSpans } from './lib.mjs';

const build = process.argv[2] || 'build';
const runLoadgen = (args) => loadgen(build, args);
const PB = { 'Content-Type': 'application/x-protobuf' };

// ---- a TCP proxy with faults ---------------------------------------------------------------
// mode(i) for the i-th connection: 'pass', 'cut-request' (close after `after` bytes of the
// request reached the server) or 'cut-answer' (the request reaches the server whole, the
// answer never reaches the client).
function proxy(targetPort, mode, after = 300) {
  let i = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    const m = mode(i++);
    const up = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(up);
    const kill = () => { client.destroy(); up.destroy(); };
    let sent = 0;
    client.on('data', (d) => {
      if (m === 'cut-request' && sent + d.length >= after) {
        up.write(d.subarray(0, Math.max(0, after - sent)), kill);
        sent = after;
        return;
      }
      sent += d.length;
      up.write(d);
    });
    up.on('data', (d) => {
      if (m === 'cut-answer') kill();
      else client.write(d);
    });
    client.on('error', kill);
    up.on('error', kill);
    client.on('close', () => { up.destroy(); sockets.delete(client); });
    up.on('close', () => { client.destroy(); sockets.delete(up); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  })));
}

const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2', ARGUS_SQLITE_BUSY_TIMEOUT_MS: '300' });

// 1. OTLP/HTTP through a proxy that cuts every other connection, half of them before the request
// is complete and half after it was stored but before the answer: a client retrying the same
// bytes until it gets 200 stores every span exactly once.
await guard('chaos/proxy-http-retries', async () => {
  const px = await proxy(srv.httpPort, (i) => (i % 4 === 1 ? 'cut-request' : i % 4 === 3 ? 'cut-answer' : 'pass'));
  let failures = 0, acked = 0;
  for (let r = 0; r < 24; r++) {
    const { pb } = await spansRequest('chaos-http', 10);
    for (let attempt = 0; attempt < 20; attempt++) {
      const st = await fetch(`http://127.0.0.1:${px.port}/v1/traces`, { method: 'POST', body: pb, headers: { ...PB, Connection: 'close' } })
        .then((res) => res.status, () => 0);
      if (st === 200) { acked += 10; break; }
      failures++;
    }
  }
  px.close();
  checkTrue('chaos/proxy-http-faults-happened', failures >= 10, 'at least 10 cut requests', failures);
  check('chaos/proxy-http-acked-stored-once', { n: acked, distinct_ids: acked }, exactlyOnce(srv.db, 'chaos-http'));
  check('chaos/proxy-http-all-acked', 240, acked);
});

// 2. The SDK's own exporters (gRPC and HTTP/protobuf) through cutting proxies: whatever they
// report exported is stored, and nothing twice.
await guard('chaos/proxy-sdk-exporters', async () => {
  for (const transport of ['grpc', 'proto']) {
    const target = transport === 'grpc' ? srv.grpcPort : srv.httpPort;
    const px = await proxy(target, (i) => (i % 3 === 1 ? 'cut-answer' : i % 3 === 2 ? 'cut-request' : 'pass'), 200);
    const fake = transport === 'grpc'
      ? { grpcUrl: `http://127.0.0.1:${px.port}` }
      : { otlpUrl: `http://127.0.0.1:${px.port}` };
    const service = `chaos-sdk-${transport}`;
    let ackedIds = [];
    for (let r = 0; r < 12; r++) {
      const exp = exporter(fake, 'traces', transport, false, { timeoutMillis: 3000 });
      const { spans } = await spansRequest(service, 5);
      const res = await exportItems(exp, spans);
      if (res.code === 0) ackedIds.push(...spans.map((s) => s.spanContext().spanId));
      await exp.shutdown().catch(() => {});
    }
    px.close();
    await sleep(300);
    const stored = new Set(sql(srv.db, `SELECT span_id FROM spans WHERE service_name = '${service}'`).map((r) => r.span_id));
    const missing = ackedIds.filter((id) => !stored.has(id));
    const once = exactlyOnce(srv.db, service);
    check(`chaos/sdk-${transport}-acked-stored`, [], missing);
    check(`chaos/sdk-${transport}-nothing-twice`, once.n, once.distinct_ids);
    checkTrue(`chaos/sdk-${transport}-some-acked`, ackedIds.length >= 10, 'at least 2 exports acknowledged', ackedIds.length / 5);
  }
});

// 3. argus-loadgen over gRPC through a proxy cutting connections mid-request, with retries.
await guard('chaos/proxy-loadgen', async () => {
  const px = await proxy(srv.grpcPort, (i) => (i % 2 === 1 ? 'cut-request' : 'pass'), 50000);
  const before = count(srv.db, 'span_records');
  const lg = await runLoadgen(['--endpoint', `127.0.0.1:${px.port}`, '--concurrent', '4', '--connections', '2',
    '--iterations', '6', '--spans-per-request', '200', '--logs-per-request', '100', '--retry', '8', '--timeout', '5']);
  px.close();
  checkTrue('chaos/loadgen-ran', lg.spans !== null, 'a loadgen result line', lg.out.slice(-300));
  const after = count(srv.db, 'span_records');
  const dup = duplicateSpans(srv.db);
  checkTrue('chaos/loadgen-acked-stored', after - before >= (lg.spans || 0) && (lg.spans || 0) > 0,
    `at least the ${lg.spans} acknowledged spans stored`, after - before);
  check('chaos/loadgen-no-span-twice', 0, dup);
});

// 4. Clients vanishing mid-stream: HTTP bodies and gRPC messages cut short, 100 of each; the
// server stores none of it, stays healthy and keeps serving.
await guard('chaos/vanishing-clients', async () => {
  const { pb } = await spansRequest('chaos-vanish', 50);
  const tasks = [];
  for (let i = 0; i < 100; i++) {
    tasks.push(new Promise((resolve) => {
      const s = net.connect(srv.httpPort, '127.0.0.1', () => {
        s.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${pb.length}\r\n\r\n`);
        s.write(pb.subarray(0, Math.floor(pb.length / 2)), () => setTimeout(() => { s.destroy(); resolve(); }, 5));
      });
      s.on('error', () => resolve());
    }));
  }
  const h2 = http2.connect(srv.grpcUrl);
  h2.on('error', () => {});
  for (let i = 0; i < 100; i++) {
    tasks.push(new Promise((resolve) => {
      const req = h2.request({ ':method': 'POST', ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export', 'content-type': 'application/grpc', te: 'trailers' });
      req.on('error', () => resolve());
      const pre = Buffer.alloc(5);
      pre.writeUInt32BE(pb.length, 1);
      req.write(Buffer.concat([pre, pb.subarray(0, 100)]), () => setTimeout(() => { req.close(http2.constants.NGHTTP2_CANCEL); resolve(); }, 5));
    }));
  }
  await Promise.all(tasks);
  h2.destroy();
  await sleep(300);
  check('chaos/vanished-nothing-stored', 0, count(srv.db, 'spans', "service_name = 'chaos-vanish'"));
  check('chaos/vanished-healthz', 200, (await fetch(`${srv.apiUrl}/healthz`)).status);
  check('chaos/vanished-still-ingests', 200, (await post(`${srv.otlpUrl}/v1/traces`, (await spansRequest('chaos-after-vanish', 3)).pb, PB)).status);
});

// 5. The database locked by another process in the middle of a load: loadgen retries; every
// acknowledged span is stored once, and the server is ready again without a restart.
await guard('chaos/locked-under-load', async () => {
  const before = count(srv.db, 'span_records');
  const lgp = runLoadgen(['--endpoint', `127.0.0.1:${srv.grpcPort}`, '--concurrent', '4', '--duration', '4',
    '--spans-per-request', '100', '--logs-per-request', '50', '--retry', '10', '--timeout', '10']);
  await sleep(800);
  const holder = spawn('sqlite3', [srv.db], { stdio: ['pipe', 'ignore', 'ignore'] });
  holder.stdin.write(".timeout 5000\nBEGIN EXCLUSIVE;\nINSERT INTO argus_jobs VALUES ('chaos-lock', 0);\n");
  await sleep(1500);
  holder.stdin.end('ROLLBACK;\n.quit\n');
  await new Promise((r) => holder.on('exit', r));
  const lg = await lgp;
  checkTrue('chaos/locked-ready-again', await readyAgain(srv), '/readyz 200 after the lock is gone', 'not ready');
  const after = count(srv.db, 'span_records');
  const dup = duplicateSpans(srv.db);
  checkTrue('chaos/locked-acked-stored', lg.spans > 0 && after - before >= lg.spans,
    `at least the ${lg.spans} acknowledged spans stored`, after - before);
  check('chaos/locked-no-span-twice', 0, dup);
  checkTrue('chaos/locked-failures-seen', /batch failed|circuit breaker/.test(srv.log()), 'the lock made batches fail', 'no failure logged');
});

// 6. The database file deleted under load: the server notices, opens a new file at the same
// path, says not ready meanwhile, and stores what is acknowledged afterwards.
await guard('chaos/deleted-under-load', async () => {
  for (const f of [srv.db, `${srv.db}-wal`, `${srv.db}-shm`]) fs.rmSync(f, { force: true });
  const { pb } = await spansRequest('chaos-after-delete', 4);
  let st = 0;
  for (let i = 0; i < 50 && st !== 200; i++) {
    st = (await post(`${srv.otlpUrl}/v1/traces`, pb, PB)).status;
    if (st !== 200) await sleep(100);
  }
  check('chaos/deleted-ingest-resumes', 200, st);
  checkTrue('chaos/deleted-file-recreated', fs.existsSync(srv.db), 'the database file recreated', 'missing');
  check('chaos/deleted-acked-in-new-file', { n: 4, distinct_ids: 4 }, exactlyOnce(srv.db, 'chaos-after-delete'));
  checkTrue('chaos/deleted-ready', await readyAgain(srv), '/readyz 200', 'not ready');
  checkTrue('chaos/deleted-noticed', /renamed, deleted or replaced/.test(srv.log()), 'a log line naming the replaced file', 'none');
});

// 7. kill -9 while loadgen is committing; restarted on the same file, nothing acknowledged is
// lost, nothing is stored twice, and the database is intact.
await guard('chaos/kill9-during-commit', async () => {
  const st = await stopServer(srv);
  check('chaos/first-server-clean-exit', { code: 0, signal: null }, st);
  let s2 = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { dir: srv.dir });
  const before = count(s2.db, 'span_records');
  const lgp = runLoadgen(['--endpoint', `127.0.0.1:${s2.grpcPort}`, '--concurrent', '8', '--duration', '5',
    '--spans-per-request', '300', '--logs-per-request', '0', '--timeout', '5']);
  await sleep(1500);
  await killServer(s2);
  const lg = await lgp;
  s2 = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { dir: srv.dir });
  const after = count(s2.db, 'span_records');
  const dup = duplicateSpans(s2.db);
  checkTrue('chaos/kill9-acked-stored', lg.spans > 0 && after - before >= lg.spans,
    `at least the ${lg.spans} acknowledged spans stored`, after - before);
  check('chaos/kill9-no-span-twice', 0, dup);
  check('chaos/kill9-integrity', [{ integrity_check: 'ok' }], sql(s2.db, 'PRAGMA integrity_check'));
  check('chaos/kill9-restarted-ready', true, await readyAgain(s2));
  check('chaos/kill9-clean-exit', { code: 0, signal: null }, await stopServer(s2));
});

if (!srv.exited) await stopServer(srv);
done();
