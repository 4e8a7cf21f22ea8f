// Bad and borderline OTLP input over HTTP and gRPC: garbage, truncated and oversized payloads,
// wrong content types and encodings, invalid ids (partial success: valid items stored, the rest
// counted), empty requests, unknown paths/methods, CORS, and the API listener's JSON 404.
//   node tests/server/bad_input.mjs build
import zlib from 'node:zlib';
import {
  startServer, stopServer, post, sql, count, makeSpans, serializers, api,
  check, checkTrue, guard, done,
} from './lib.mjs';
import {
  grpcCall, closeClients, decodeExportResponse, decodeStatus, TRACES_METHOD, LOGS_METHOD,
} from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const LIMIT = 65536;
const srv = await startServer(build, {
  ARGUS_MAX_MESSAGE_SIZE: String(LIMIT),
  ARGUS_BATCH_LATENCY_MS: '2',
  ARGUS_CORS_ALLOWED_ORIGINS: 'http://app.example.test, http://other.example.test:3000',
});
const PB = { 'Content-Type': 'application/x-protobuf' };
const JSONCT = { 'Content-Type': 'application/json' };
const traces = `${srv.otlpUrl}/v1/traces`, logs = `${srv.otlpUrl}/v1/logs`;

const spans = await makeSpans({ 'service.name': 'bad-input' }, (tracer) => {
  for (let k = 0; k < 3; k++) tracer.startSpan(`op-${k}`).end();
});
const validPb = Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));

// A span whose trace id is 2 bytes instead of 16: the exporter's serializer writes what it gets.
function withTraceId(span, traceId) {
  const ctx = span.spanContext();
  return Object.create(span, { spanContext: { value: () => ({ ...ctx, traceId }) } });
}

await guard('bad/http-garbage-protobuf', async () => {
  const r = await post(traces, Buffer.from('\xff\xff\xff garbage'), PB);
  check('bad/http-garbage-protobuf/status', 400, r.status);
  check('bad/http-garbage-protobuf/content-type', 'application/x-protobuf', r.headers.get('content-type'));
  check('bad/http-garbage-protobuf/no-retry-after', null, r.headers.get('retry-after'));
  const st = decodeStatus(r.body);
  checkTrue('bad/http-garbage-protobuf/message', st.code === 3 && /otlp/.test(st.message),
    'google.rpc.Status code 3 with the decoder message', JSON.stringify(st));
});

await guard('bad/http-garbage-json', async () => {
  const r = await post(logs, '{"resourceLogs": [ {"scopeLogs": tru', JSONCT);
  check('bad/http-garbage-json/status', 400, r.status);
  const body = JSON.parse(r.text);
  checkTrue('bad/http-garbage-json/message', body.code === 3 && /json/i.test(body.message),
    '{"code":3,"message":"...json..."}', r.text);
  const r2 = await post(logs, 'not json at all', JSONCT);
  check('bad/http-json-content-type-but-not-json', 400, r2.status);
});

await guard('bad/http-truncated', async () => {
  const r = await post(traces, validPb.subarray(0, Math.floor(validPb.length / 2)), PB);
  check('bad/http-truncated/status', 400, r.status);
});

await guard('bad/http-oversized', async () => {
  const big = Buffer.alloc(LIMIT + 1000, 0x41);
  const r = await post(traces, big, PB);
  check('bad/http-oversized/status', 413, r.status);
  // Small on the wire, too large once decompressed.
  const bomb = zlib.gzipSync(Buffer.alloc(LIMIT * 4, 0));
  const r2 = await post(traces, bomb, { ...PB, 'Content-Encoding': 'gzip' });
  check('bad/http-oversized-after-gunzip/status', 413, r2.status);
});

await guard('bad/http-content-type', async () => {
  const r = await post(traces, validPb, { 'Content-Type': 'text/plain' });
  check('bad/http-wrong-content-type/status', 415, r.status);
  const r2 = await post(traces, validPb, { ...PB, 'Content-Encoding': 'br' });
  check('bad/http-unknown-encoding/status', 415, r2.status);
  const r3 = await post(traces, Buffer.from('not gzip'), { ...PB, 'Content-Encoding': 'gzip' });
  check('bad/http-corrupt-gzip/status', 400, r3.status);
});

await guard('bad/http-invalid-ids-json', async () => {
  const payload = JSON.parse(Buffer.from(serializers.JsonTraceSerializer.serializeRequest(spans)).toString());
  const ss = payload.resourceSpans[0].scopeSpans[0].spans;
  ss[1].traceId = 'zz' + ss[1].traceId.slice(2); // not hex
  ss[2].spanId = '';                              // missing
  const before = count(srv.db, 'spans', "service_name = 'bad-input'");
  const r = await post(traces, JSON.stringify(payload), JSONCT);
  check('bad/http-invalid-ids-json/status', 200, r.status);
  const body = JSON.parse(r.text);
  checkTrue('bad/http-invalid-ids-json/partial-success',
    body.partialSuccess && Number(body.partialSuccess.rejectedSpans) === 2 && body.partialSuccess.errorMessage.length > 0,
    'partialSuccess.rejectedSpans 2 with a message', r.text);
  check('bad/http-invalid-ids-json/valid-span-stored', before + 1, count(srv.db, 'spans', "service_name = 'bad-input'"));
});

await guard('bad/http-invalid-ids-protobuf', async () => {
  const mixed = [spans[0], withTraceId(spans[1], 'abcd')];
  const pb = Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(mixed));
  const before = count(srv.db, 'spans', `span_id = '${spans[0].spanContext().spanId}'`);
  const r = await post(traces, pb, PB);
  check('bad/http-invalid-ids-protobuf/status', 200, r.status);
  const ps = decodeExportResponse(r.body);
  check('bad/http-invalid-ids-protobuf/rejected', 1, ps && ps.rejected);
  check('bad/http-invalid-ids-protobuf/valid-span-stored', before + 1,
    count(srv.db, 'spans', `span_id = '${spans[0].spanContext().spanId}'`));
});

await guard('bad/empty', async () => {
  const r = await post(traces, '{}', JSONCT);
  check('bad/http-empty-json', [200, '{}'], [r.status, r.text]);
  const r2 = await post(logs, Buffer.alloc(0), PB);
  check('bad/http-empty-protobuf', [200, 0], [r2.status, r2.body.length]);
  const g = await grpcCall(srv.grpcUrl, LOGS_METHOD, Buffer.alloc(0));
  check('bad/grpc-empty', [0, 0], [g.code, g.body ? g.body.length : -1]);
});

await guard('bad/http-routes', async () => {
  const r = await post(`${srv.otlpUrl}/v1/metrics`, validPb, PB);
  check('bad/http-unknown-path/status', 404, r.status);
  const g = await fetch(traces);
  check('bad/http-get/status', [405, 'POST, OPTIONS'], [g.status, g.headers.get('allow')]);
});

await guard('bad/cors', async () => {
  const pre = await fetch(traces, {
    method: 'OPTIONS',
    headers: { Origin: 'http://app.example.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
  });
  check('bad/cors-preflight-allowed', [204, 'http://app.example.test', 'POST, OPTIONS'],
    [pre.status, pre.headers.get('access-control-allow-origin'), pre.headers.get('access-control-allow-methods')]);
  const deny = await fetch(traces, { method: 'OPTIONS', headers: { Origin: 'http://evil.example.test' } });
  check('bad/cors-preflight-denied', [403, null], [deny.status, deny.headers.get('access-control-allow-origin')]);
  const r = await post(traces, '{}', { ...JSONCT, Origin: 'http://other.example.test:3000' });
  check('bad/cors-post-header', [200, 'http://other.example.test:3000'], [r.status, r.headers.get('access-control-allow-origin')]);
});

await guard('bad/grpc', async () => {
  const g1 = await grpcCall(srv.grpcUrl, TRACES_METHOD, Buffer.from('\xff\xff garbage'));
  checkTrue('bad/grpc-garbage', g1.code === 3 && /otlp/.test(g1.details), 'INVALID_ARGUMENT (3) with the decoder message', `${g1.code} ${g1.details}`);
  check('bad/grpc-garbage-no-retry-info', null, g1.statusDetails);
  const g2 = await grpcCall(srv.grpcUrl, TRACES_METHOD, validPb.subarray(0, validPb.length - 7));
  check('bad/grpc-truncated', 3, g2.code);
  const g3 = await grpcCall(srv.grpcUrl, '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', validPb);
  check('bad/grpc-unknown-method', 12, g3.code);
  const g4 = await grpcCall(srv.grpcUrl, TRACES_METHOD, Buffer.alloc(LIMIT + 10, 0x41));
  check('bad/grpc-oversized', 8, g4.code);
  const mixed = [spans[2], withTraceId(spans[1], 'ab')];
  const pb = Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(mixed));
  const g5 = await grpcCall(srv.grpcUrl, TRACES_METHOD, pb, { gzip: true });
  const ps = g5.body ? decodeExportResponse(g5.body) : null;
  check('bad/grpc-invalid-ids-partial-success', [0, 1], [g5.code, ps && ps.rejected]);
  check('bad/grpc-invalid-ids-valid-span-stored', 1, count(srv.db, 'spans', `span_id = '${spans[2].spanContext().spanId}'`));
});

await guard('bad/api', async () => {
  const h = await fetch(`${srv.apiUrl}/healthz`);
  check('bad/api-healthz', [200, { status: 'ok' }], [h.status, await h.json()]);
  const rd = await fetch(`${srv.apiUrl}/readyz`);
  check('bad/api-readyz', [200, { status: 'ready' }], [rd.status, await rd.json()]);
  const n = await fetch(`${srv.apiUrl}/api/nothing`);
  const body = await n.json();
  check('bad/api-404', [404, 'not_found', 'string'], [n.status, body.error && body.error.code, typeof (body.error && body.error.message)]);
});

await guard('bad/server-still-fine', async () => {
  const r = await post(traces, validPb, PB);
  check('bad/server-still-accepts-valid-data', 200, r.status);
  const ids = spans.map((s) => `'${s.spanContext().spanId}'`).join(',');
  const n = sql(srv.db, `SELECT count(DISTINCT span_id) AS n FROM spans WHERE span_id IN (${ids})`)[0].n;
  check('bad/valid-spans-present', 3, n);
});

closeClients();
const st = await stopServer(srv);
check('bad/clean-exit', { code: 0, signal: null }, st);
done();
