// Back-pressure: a tiny queue and a slow batch latency make the server refuse work (HTTP 429 with
// Retry-After, gRPC RESOURCE_EXHAUSTED); clients retry and in the end every span is stored
// exactly once.
//   node tests/server/backpressure.mjs build
import {
  startServer, stopServer, post, sql, makeSpans, exporter, exportItems, serializers, sleep,
  check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, decodeStatusDetails, TRACES_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, {
  ARGUS_QUEUE_MAX_ITEMS: '16',
  ARGUS_BATCH_SIZE: '16',
  ARGUS_BATCH_LATENCY_MS: '200',
});
const SPANS_PER_REQUEST = 6, REQUESTS = 8; // two requests (12 items) fit, a third does not

async function batches(service) {
  const out = [];
  for (let r = 0; r < REQUESTS; r++) {
    out.push(await makeSpans({ 'service.name': service }, (tracer) => {
      for (let k = 0; k < SPANS_PER_REQUEST; k++) tracer.startSpan(`req-${r}-span-${k}`).end();
    }));
  }
  return out;
}

const seen = { http429: 0, retryAfter: new Set(), grpc8: 0, sdkRetries: 0, rawGrpc8: 0, retryInfo: new Set() };

// Raw gRPC client: retries RESOURCE_EXHAUSTED / UNAVAILABLE, as OTLP clients do when the status
// carries google.rpc.RetryInfo (the grpc-status-details-bin trailer), which is recorded.
async function rawGrpc(spans) {
  const body = Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await grpcCall(srv.grpcUrl, TRACES_METHOD, body);
    if (r.code === 0) return true;
    if (r.code !== 8 && r.code !== 14) throw new Error(`unexpected gRPC failure ${r.code}: ${r.details}`);
    if (r.code === 8) seen.rawGrpc8++;
    const d = r.statusDetails ? decodeStatusDetails(r.statusDetails) : null;
    seen.retryInfo.add(d && d.retry ? `${d.code} ${d.retry.typeUrl} ${d.retry.seconds}s` : 'none');
    await sleep(50 + Math.random() * 100);
  }
  return false;
}

// Raw HTTP client: retries on 429/503 after Retry-After seconds (scaled down to keep tests short).
async function rawHttp(spans) {
  const body = Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await post(`${srv.otlpUrl}/v1/traces`, body, { 'Content-Type': 'application/x-protobuf' });
    if (r.status === 200) return true;
    if (r.status !== 429 && r.status !== 503) throw new Error(`unexpected HTTP ${r.status}: ${r.text}`);
    if (r.status === 429) seen.http429++;
    seen.retryAfter.add(r.headers.get('retry-after'));
    await sleep(50 + Math.random() * 100);
  }
  return false;
}

// The SDK gRPC exporter does not retry by itself: the application retries RESOURCE_EXHAUSTED.
async function sdkGrpc(exp, spans) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await exportItems(exp, spans);
    if (r.code === 0) return true;
    const code = r.error && r.error.code;
    if (code !== 8 && code !== 14) throw new Error(`unexpected gRPC failure ${code}: ${r.error}`);
    if (code === 8) seen.grpc8++;
    await sleep(50 + Math.random() * 100);
  }
  return false;
}

// The SDK HTTP exporter retries 429 itself (honouring Retry-After); an export that still fails
// after its own attempts is exported again.
async function sdkHttp(exp, spans) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const r = await exportItems(exp, spans);
    if (r.code === 0) return true;
    seen.sdkRetries++;
  }
  return false;
}

await guard('backpressure', async () => {
  const raw = await batches('bp-raw-http'), rawG = await batches('bp-raw-grpc'), grpcSpans = await batches('bp-sdk-grpc'), httpSpans = await batches('bp-sdk-http');
  const gexp = exporter(srv, 'traces', 'grpc', false);
  const hexp = exporter(srv, 'traces', 'proto', false);
  // One client kind at a time, all its requests at once: the queue holds two requests (12 of 16
  // items, below the batch size) for the 200 ms batch latency, so refusals are certain.
  const results = [
    ...(await Promise.all(raw.map((s) => rawHttp(s)))),
    ...(await Promise.all(rawG.map((s) => rawGrpc(s)))),
    ...(await Promise.all(grpcSpans.map((s) => sdkGrpc(gexp, s)))),
    ...(await Promise.all(httpSpans.map((s) => sdkHttp(hexp, s)))),
  ];
  await gexp.shutdown();
  await hexp.shutdown();
  check('backpressure/all-exports-eventually-succeed', results.map(() => true), results);
  checkTrue('backpressure/http-429-seen', seen.http429 > 0, 'at least one 429', seen.http429);
  check('backpressure/retry-after-header', ['1'], [...seen.retryAfter]);
  checkTrue('backpressure/grpc-resource-exhausted-seen', seen.grpc8 > 0, 'at least one RESOURCE_EXHAUSTED', seen.grpc8);
  checkTrue('backpressure/raw-grpc-resource-exhausted-seen', seen.rawGrpc8 > 0, 'at least one', seen.rawGrpc8);
  check('backpressure/grpc-retry-info', ['8 type.googleapis.com/google.rpc.RetryInfo 1s'], [...seen.retryInfo]);
  closeClients();
  const expected = REQUESTS * SPANS_PER_REQUEST;
  for (const svc of ['bp-raw-http', 'bp-raw-grpc', 'bp-sdk-grpc', 'bp-sdk-http']) {
    const r = sql(srv.db, `SELECT count(*) AS n, count(DISTINCT span_id) AS d FROM spans WHERE service_name = '${svc}'`)[0];
    check(`backpressure/${svc}/stored-exactly-once`, { n: expected, d: expected }, r);
  }
  const traceRows = sql(srv.db, `SELECT count(*) AS n, sum(span_count) AS s FROM traces WHERE services = '["bp-raw-http"]'`)[0];
  check('backpressure/trace-summaries-exactly-once', { n: expected, s: expected }, traceRows);
});

const st = await stopServer(srv);
check('backpressure/clean-exit', { code: 0, signal: null }, st);

// A queue whose memory limit is reached refuses requests before decoding them (they count as
// refused_requests); retried, every span is stored once.
const small = await startServer(build, {
  ARGUS_QUEUE_MAX_BYTES: '1KiB',
  ARGUS_BATCH_LATENCY_MS: '300',
});
await guard('backpressure/memory-limit', async () => {
  const spans = await batches('bp-memory');
  const codes = new Set();
  const results = await Promise.all(spans.map(async (s) => {
    const body = Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(s));
    for (let attempt = 0; attempt < 200; attempt++) {
      const r = await post(`${small.otlpUrl}/v1/traces`, body, { 'Content-Type': 'application/x-protobuf' });
      codes.add(r.status);
      if (r.status === 200) return true;
      if (r.status !== 429) throw new Error(`unexpected HTTP ${r.status}: ${r.text}`);
      await sleep(50 + Math.random() * 100);
    }
    return false;
  }));
  check('backpressure/memory-limit/all-stored', spans.map(() => true), results);
  check('backpressure/memory-limit/statuses', [200, 429], [...codes].sort());
  const r = sql(small.db, `SELECT count(*) AS n, count(DISTINCT span_id) AS d FROM spans WHERE service_name = 'bp-memory'`)[0];
  const expected = REQUESTS * SPANS_PER_REQUEST;
  check('backpressure/memory-limit/stored-exactly-once', { n: expected, d: expected }, r);
});
const st2 = await stopServer(small);
check('backpressure/memory-limit/clean-exit', { code: 0, signal: null }, st2);
checkTrue('backpressure/memory-limit/refused-counted', /info stats .*refused_requests=[1-9]\d*/.test(small.log()),
  'a final "stats" line with refused_requests > 0', (small.log().match(/info stats .*/g) || []).pop());
checkTrue('backpressure/stats-log-counts-drops', /info stats .*spans_dropped=[1-9]\d*/.test(srv.log()),
  'a final "stats" line with spans_dropped > 0', (srv.log().match(/info stats .*/g) || []).pop());
done();
