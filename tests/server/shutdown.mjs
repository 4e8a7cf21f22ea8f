// Graceful shutdown: requests waiting in the writer's queue when SIGTERM arrives are committed
// and answered with success before the server exits 0; SIGINT stops an idle server cleanly.
//   node tests/server/shutdown.mjs build
import {
  startServer, stopServer, post, count, makeSpans, exporter, exportItems, serializers, sleep,
  check, checkTrue, guard, done,
} from './lib.mjs';

const build = process.argv[2] || 'build';

await guard('shutdown/sigterm-drains', async () => {
  // A long batch latency keeps the requests queued until the signal arrives.
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5000', ARGUS_BATCH_SIZE: '100000' });
  const httpBatches = [], grpcBatches = [];
  for (let r = 0; r < 8; r++) {
    httpBatches.push(await makeSpans({ 'service.name': 'drain-http' }, (t) => { for (let k = 0; k < 20; k++) t.startSpan('op').end(); }));
    grpcBatches.push(await makeSpans({ 'service.name': 'drain-grpc' }, (t) => { for (let k = 0; k < 20; k++) t.startSpan('op').end(); }));
  }
  const gexp = exporter(srv, 'traces', 'grpc', true);
  const pending = [
    ...httpBatches.map((s) => post(`${srv.otlpUrl}/v1/traces`, Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(s)),
      { 'Content-Type': 'application/x-protobuf' }).then((r) => r.status)),
    ...grpcBatches.map((s) => exportItems(gexp, s).then((r) => (r.code === 0 ? 200 : `grpc ${r.error}`))),
  ];
  await sleep(1500);
  check('shutdown/requests-queued-not-yet-committed', 0, count(srv.db, 'spans'));
  const t0 = Date.now();
  const st = await stopServer(srv);
  const took = Date.now() - t0;
  const statuses = await Promise.all(pending);
  await gexp.shutdown();
  check('shutdown/every-queued-request-answered-ok', statuses.map(() => 200), statuses);
  check('shutdown/exit-code', { code: 0, signal: null }, st);
  checkTrue('shutdown/drain-does-not-wait-for-batch-latency', took < 4000, 'exit within 4 s of SIGTERM', `${took} ms`);
  check('shutdown/all-spans-committed', { http: 160, grpc: 160 },
    { http: count(srv.db, 'spans', "service_name = 'drain-http'"), grpc: count(srv.db, 'spans', "service_name = 'drain-grpc'") });
  checkTrue('shutdown/logged', /shutting down signal=SIGTERM/.test(srv.log()) && / info stopped/.test(srv.log()),
    '"shutting down signal=SIGTERM" and "stopped" log lines', srv.log().split('\n').slice(-4).join(' | '));
});

await guard('shutdown/sigint', async () => {
  const srv = await startServer(build, {});
  const r = await post(`${srv.otlpUrl}/v1/logs`, '{}', { 'Content-Type': 'application/json' });
  check('shutdown/sigint-server-answers', 200, r.status);
  srv.proc.kill('SIGINT');
  const st = await Promise.race([srv.exitPromise, sleep(10000).then(() => null)]);
  check('shutdown/sigint-exit-code', { code: 0, signal: null }, st);
  if (!st) srv.proc.kill('SIGKILL');
});

done();
