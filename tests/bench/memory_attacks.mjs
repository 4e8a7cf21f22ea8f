// Memory under hostile input (issue 11.2), a benchmark: prints argus-server's baseline, peak and
// idle RSS (sampled from /proc every 10 ms) for each attack, and the answers it gave; asserts
// nothing. Targets: peak <= ARGUS_MEMORY_LIMIT + 64 MiB, idle within 64 MiB of the baseline.
//   node tests/bench/memory_attacks.mjs build
import fs from 'node:fs';
import http2 from 'node:http2';
import zlib from 'node:zlib';
import { startServer, stopServer, post, sleep } from '../server/lib.mjs';

const build = process.argv[2] || 'build';
const LIMIT_MIB = 256;

function varint(n) {
  const out = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return Buffer.from(out);
}
const field = (num, body) => Buffer.concat([varint((num << 3) | 2), varint(body.length), body]);

// ExportTraceServiceRequest{resource_spans: [{resource: {attributes: [KeyValue{} x n]}}]}
function emptyKeyValues(bytes) {
  const attrs = Buffer.alloc(Math.floor(bytes / 2) * 2);
  for (let i = 0; i < attrs.length; i += 2) { attrs[i] = 0x0a; attrs[i + 1] = 0; }
  return field(1, field(1, attrs));
}
// ~520k minimal valid spans (trace id, span id, name) in one ResourceSpans/ScopeSpans.
function minimalSpans(bytes) {
  const one = (i) => {
    const tid = Buffer.alloc(16, 1); tid.writeUInt32BE(i, 12);
    const sid = Buffer.alloc(8, 2); sid.writeUInt32BE(i, 4);
    return field(2, Buffer.concat([field(1, tid), field(2, sid), field(5, Buffer.from('x'))]));
  };
  const spans = [];
  let n = 0;
  for (let i = 1; n < bytes; i++) { const s = one(i); spans.push(s); n += s.length; }
  return field(1, field(2, Buffer.concat(spans)));
}

async function attack(name, env, run) {
  const srv = await startServer(build, { ARGUS_MEMORY_LIMIT: `${LIMIT_MIB}MiB`, ARGUS_MAX_MESSAGE_SIZE: '16MiB', ...env });
  const rss = () => {
    try { return Number(fs.readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024; } catch { return 0; }
  };
  await sleep(300);
  const base = rss();
  let peak = base;
  const t = setInterval(() => { peak = Math.max(peak, rss()); }, 10);
  const t0 = Date.now();
  let answers = '';
  try { answers = await run(srv); } catch (e) { answers = `error ${e.message}`; }
  const ms = Date.now() - t0;
  clearInterval(t);
  await sleep(2000);
  const idle = rss();
  console.log(`${name.padEnd(52)} base ${base.toFixed(0).padStart(4)} MiB  peak ${peak.toFixed(0).padStart(5)} MiB  idle ${idle.toFixed(0).padStart(4)} MiB  ${ms} ms  ${answers}`);
  await stopServer(srv);
}

const summary = (list) => {
  const c = {};
  for (const x of list) c[x] = (c[x] || 0) + 1;
  return Object.entries(c).map(([k, v]) => `${v}x ${k}`).join(', ');
};

function grpcRaw(srv, body, { gzip = false, stallAfter = null } = {}) {
  return new Promise((resolve) => {
    const c = http2.connect(srv.grpcUrl);
    c.on('error', () => {});
    const req = c.request({ ':method': 'POST', ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      'content-type': 'application/grpc', te: 'trailers', ...(gzip ? { 'grpc-encoding': 'gzip' } : {}) });
    const pre = Buffer.alloc(5);
    pre[0] = gzip ? 1 : 0;
    pre.writeUInt32BE(stallAfter ? 16 << 20 : body.length, 1);
    let status = 'no answer';
    req.on('response', (h) => { if (h['grpc-status']) status = `grpc ${h['grpc-status']}`; });
    req.on('trailers', (h) => { status = `grpc ${h['grpc-status']}`; });
    req.on('data', () => {});
    req.on('end', () => { c.close(); resolve(status); });
    req.on('error', () => { c.close(); resolve('stream error'); });
    if (stallAfter) req.write(Buffer.concat([pre, body.subarray(0, stallAfter)]), () => resolve({ c, req }));
    else req.end(Buffer.concat([pre, body]));
  });
}

const PB = { 'Content-Type': 'application/x-protobuf' };
console.log(`== argus-server with ARGUS_MEMORY_LIMIT=${LIMIT_MIB}MiB, ARGUS_MAX_MESSAGE_SIZE=16MiB`);
const ekv = emptyKeyValues(15 << 20);
await attack('15 MiB protobuf of empty KeyValues (HTTP)', {}, async (srv) =>
  summary([(await post(`${srv.otlpUrl}/v1/traces`, ekv, PB)).status]));
await attack('8 x 15 MiB protobuf of empty KeyValues (HTTP)', {}, async (srv) =>
  summary(await Promise.all(Array.from({ length: 8 }, async () => (await post(`${srv.otlpUrl}/v1/traces`, ekv, PB)).status))));
const ejson = Buffer.from(`{"resourceSpans":[{"resource":{"attributes":[${'{},'.repeat(5 << 20)}{}]}}]}`);
await attack('15 MiB OTLP/JSON of empty attributes (HTTP)', {}, async (srv) =>
  summary([(await post(`${srv.otlpUrl}/v1/traces`, ejson, { 'Content-Type': 'application/json' })).status]));
const spans = minimalSpans(15 << 20);
await attack('15 MiB of minimal valid spans (HTTP)', {}, async (srv) =>
  summary([(await post(`${srv.otlpUrl}/v1/traces`, spans, PB)).status]));
await attack('15 MiB of minimal valid spans (gRPC)', {}, async (srv) => summary([await grpcRaw(srv, spans)]));
const bomb = zlib.gzipSync(Buffer.alloc(1 << 30), { level: 9 });
await attack('gRPC gzip message inflating to 1 GiB', {}, async (srv) => summary([await grpcRaw(srv, bomb, { gzip: true })]));
await attack('2000 gRPC streams sending 1 MiB of 16 MiB, stalled', {}, async (srv) => {
  const chunk = Buffer.alloc(1 << 20, 0x41);
  const open = [];
  for (let i = 0; i < 2000; i += 50) open.push(...await Promise.all(Array.from({ length: 50 }, () => grpcRaw(srv, chunk, { stallAfter: chunk.length }))));
  await sleep(1000);
  for (const o of open) if (o && o.c) o.c.destroy();
  return `${open.length} streams opened and closed`;
});
