// Logging never blocks ingest (issue 11): a server whose stderr pipe nobody reads keeps answering
// exports while hostile clients make grpc core log a 1 KiB warning per call (an unknown
// grpc-encoding value). Lines that do not fit the log buffer are dropped and counted; once stderr
// is read again the server says how many were lost, and the stats line counts them.
//   node tests/server/logpipe.mjs build
import http2 from 'node:http2';
import {
  startServer, stopServer, post, count, makeSpans, serializers, exporter, exportItems, sleep,
  check, checkTrue, guard, done,
} from './lib.mjs';
import { TRACES_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const PB = { 'Content-Type': 'application/x-protobuf' };
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { pauseLog: true });

// n Export calls on one HTTP/2 connection, `parallel` at a time, each with a long unknown
// grpc-encoding (each different) and an empty message; resolves with how many were answered within 5 s each.
async function noisyCalls(n, parallel) {
  const c = http2.connect(srv.grpcUrl);
  c.on('error', () => {});
  let answered = 0;
  let k = 0;
  const one = () => new Promise((resolve) => {
    // a new value each time (grpc core parses, and complains about, each value once)
    const req = c.request({ ':method': 'POST', ':path': TRACES_METHOD, 'content-type': 'application/grpc',
      te: 'trailers', 'grpc-encoding': `x${k++}${'y'.repeat(1000)}` });
    const timer = setTimeout(() => { req.close(http2.constants.NGHTTP2_CANCEL); resolve(); }, 5000);
    req.on('response', () => {});
    req.on('data', () => {});
    req.on('end', () => { clearTimeout(timer); answered++; resolve(); });
    req.on('error', () => { clearTimeout(timer); resolve(); });
    req.end(Buffer.alloc(5));
  });
  for (let i = 0; i < n; i += parallel) await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, one));
  c.close();
  return answered;
}

await guard('logpipe/unread-stderr', async () => {
  // ~1 MiB of warnings: more than the pipe, Node's read buffer and the server's log buffer hold.
  const t0 = Date.now();
  const answered = await noisyCalls(1000, 50);
  check('logpipe/noisy-calls-all-answered', 1000, answered);
  checkTrue('logpipe/noisy-calls-fast', Date.now() - t0 < 20000, 'the 1000 calls answered within 20 s', `${Date.now() - t0} ms`);
  // Exports over both protocols, each answered within 2 s.
  let slow = 0, okGrpc = 0, okHttp = 0;
  for (let i = 0; i < 10; i++) {
    const spans = await makeSpans({ 'service.name': 'logpipe' }, (t) => t.startSpan(`op-${i}`).end());
    const exp = exporter(srv, 'traces', 'grpc', false, { timeoutMillis: 2000 });
    let t = Date.now();
    if ((await exportItems(exp, spans)).code === 0) okGrpc++;
    if (Date.now() - t > 2000) slow++;
    await exp.shutdown();
    const more = await makeSpans({ 'service.name': 'logpipe' }, (tr) => tr.startSpan(`http-${i}`).end());
    t = Date.now();
    const r = await Promise.race([post(`${srv.otlpUrl}/v1/traces`, Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(more)), PB),
      sleep(2000).then(() => ({ status: 'timeout' }))]);
    if (r.status === 200) okHttp++;
    if (Date.now() - t > 2000) slow++;
  }
  check('logpipe/exports-acknowledged', { grpc: 10, http: 10, slow: 0 }, { grpc: okGrpc, http: okHttp, slow });
  check('logpipe/exports-stored', 20, count(srv.db, 'spans', "service_name = 'logpipe'"));
  // Read stderr again: the server reports the gap.
  srv.resumeLog();
  let m = null;
  for (let i = 0; i < 50 && !m; i++) {
    await sleep(100);
    m = srv.log().match(/ warn log lines dropped count=(\d+)/);
  }
  checkTrue('logpipe/drop-reported', m && Number(m[1]) > 0, 'a "log lines dropped count=N" line with N > 0', m ? m[0] : 'none');
  const sys = await fetch(`${srv.apiUrl}/api/system`).then((x) => x.json());
  checkTrue('logpipe/drops-in-api-system', m && sys.log.dropped >= Number(m[1]), `log.dropped >= ${m && m[1]} in /api/system`, sys.log.dropped);
  check('logpipe/clean-exit', { code: 0, signal: null }, await stopServer(srv));
  const stats = [...srv.log().matchAll(/ stats .*log_dropped=(\d+)/g)].map((x) => Number(x[1])).pop();
  checkTrue('logpipe/stats-count-drops', stats > 0 && m && stats >= Number(m[1]), `log_dropped >= ${m && m[1]} in the last stats line`, stats);
});
done();
