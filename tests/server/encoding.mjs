// Compressed and framed input (issue 11.1): a gzip body of several members (valid per RFC 1952)
// stores every member; trailing bytes after the compressed data are refused with 400, never
// dropped silently; a deflate (zlib) body with trailing bytes too. gRPC: a gzip bomb is refused
// within bounded memory; a message compressed with an unsupported grpc-encoding is UNIMPLEMENTED.
//   node tests/server/encoding.mjs build
import zlib from 'node:zlib';
import fs from 'node:fs';
import http2 from 'node:http2';
import {
  startServer, stopServer, post, count, makeSpans, makeLogs, serializers, sleep,
  check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, TRACES_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const PB = { 'Content-Type': 'application/x-protobuf' };
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' });

async function spansPb(service, n) {
  const spans = await makeSpans({ 'service.name': service }, (t) => {
    for (let k = 0; k < n; k++) t.startSpan(`op-${k}`).end();
  });
  return Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
}

// One Export call over a raw HTTP/2 stream: the message framed by hand (compressed flag `flag`),
// `encoding` as grpc-encoding (none when undefined); resolves {status, message} or {error}.
function rawGrpc(message, encoding, flag) {
  return new Promise((resolve) => {
    const c = http2.connect(srv.grpcUrl);
    c.on('error', () => {});
    const req = c.request({ ':method': 'POST', ':path': TRACES_METHOD, 'content-type': 'application/grpc', te: 'trailers',
      ...(encoding ? { 'grpc-encoding': encoding } : {}) });
    const pre = Buffer.alloc(5);
    pre[0] = flag;
    pre.writeUInt32BE(message.length, 1);
    const out = {};
    req.on('response', (h) => { out.status = h['grpc-status']; out.message = h['grpc-message']; });
    req.on('trailers', (h) => { out.status = out.status || h['grpc-status']; out.message = out.message || h['grpc-message']; });
    req.on('data', () => {});
    req.on('end', () => { c.close(); resolve(out); });
    req.on('error', (e) => { c.close(); resolve({ error: String(e) }); });
    req.end(Buffer.concat([pre, message]));
  });
}

await guard('encoding/gzip-members', async () => {
  // Two protobuf requests concatenated are one valid request (repeated fields append); gzip each
  // half as its own member.
  const a = await spansPb('gz-members', 3);
  const b = await spansPb('gz-members', 4);
  const body = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)]);
  const r = await post(`${srv.otlpUrl}/v1/traces`, body, { ...PB, 'Content-Encoding': 'gzip' });
  check('encoding/gzip-two-members-status', 200, r.status);
  check('encoding/gzip-two-members-all-stored', 7, count(srv.db, 'spans', "service_name = 'gz-members'"));

  // One member split anywhere: three members of one request.
  const c = await spansPb('gz-three', 6);
  const third = Math.floor(c.length / 3);
  const three = Buffer.concat([zlib.gzipSync(c.subarray(0, third)), zlib.gzipSync(c.subarray(third, 2 * third)),
    zlib.gzipSync(c.subarray(2 * third))]);
  const r3 = await post(`${srv.otlpUrl}/v1/traces`, three, { ...PB, 'Content-Encoding': 'gzip' });
  check('encoding/gzip-split-request-status', 200, r3.status);
  check('encoding/gzip-split-request-stored', 6, count(srv.db, 'spans', "service_name = 'gz-three'"));

  // Logs too.
  const logs = await makeLogs({ 'service.name': 'gz-logs' }, (l) => { l.emit({ body: 'one' }); l.emit({ body: 'two' }); });
  const lp = Buffer.from(serializers.ProtobufLogsSerializer.serializeRequest(logs));
  const lb = Buffer.concat([zlib.gzipSync(lp.subarray(0, 10)), zlib.gzipSync(lp.subarray(10))]);
  const rl = await post(`${srv.otlpUrl}/v1/logs`, lb, { ...PB, 'Content-Encoding': 'gzip' });
  check('encoding/gzip-logs-members-status', 200, rl.status);
  check('encoding/gzip-logs-members-stored', 2, count(srv.db, 'logs', "service_name = 'gz-logs'"));
});

await guard('encoding/trailing-garbage', async () => {
  const a = await spansPb('gz-garbage', 2);
  for (const [name, tail] of [['text', Buffer.from('garbage')], ['zeros', Buffer.alloc(16)], ['one-byte', Buffer.from([0x1f])]]) {
    const r = await post(`${srv.otlpUrl}/v1/traces`, Buffer.concat([zlib.gzipSync(a), tail]),
      { ...PB, 'Content-Encoding': 'gzip' });
    checkTrue(`encoding/gzip-trailing-${name}-refused`, r.status === 400 && /trailing/.test(r.text),
      '400 naming the trailing data', `${r.status} ${r.text.slice(0, 120)}`);
    check(`encoding/gzip-trailing-${name}-no-retry-after`, null, r.headers.get('retry-after'));
  }
  const d = await post(`${srv.otlpUrl}/v1/traces`, Buffer.concat([zlib.deflateSync(a), Buffer.from('x')]),
    { ...PB, 'Content-Encoding': 'deflate' });
  checkTrue('encoding/deflate-trailing-refused', d.status === 400 && /trailing/.test(d.text),
    '400 naming the trailing data', `${d.status} ${d.text.slice(0, 120)}`);
  check('encoding/nothing-stored-from-refused', 0, count(srv.db, 'spans', "service_name = 'gz-garbage'"));
  const ok = await post(`${srv.otlpUrl}/v1/traces`, zlib.deflateSync(a), { ...PB, 'Content-Encoding': 'deflate' });
  check('encoding/deflate-clean-ok', 200, ok.status);
});

// A gRPC message with grpc-encoding: gzip that inflates to 512 MiB: refused once 16 MiB
// (ARGUS_MAX_MESSAGE_SIZE) are inflated, without the memory of the whole (grpc core alone would
// inflate it all before checking the size).
await guard('encoding/grpc-gzip-bomb', async () => {
  const rss = () => Number(fs.readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  const bomb = zlib.gzipSync(Buffer.alloc(512 << 20), { level: 9 });
  const base = rss();
  let peak = base;
  const t = setInterval(() => { peak = Math.max(peak, rss()); }, 10);
  const r = await rawGrpc(bomb, 'gzip', 1);
  await sleep(200);
  clearInterval(t);
  checkTrue('encoding/grpc-gzip-bomb-refused', r.status === '8' && /larger than/.test(r.message || ''),
    'RESOURCE_EXHAUSTED (8) saying the message is too large', JSON.stringify(r));
  checkTrue('encoding/grpc-gzip-bomb-memory-bounded', peak - base < 100, 'RSS growth < 100 MiB while refusing it', `${(peak - base).toFixed(0)} MiB`);
  // a normal gzip message still works
  const ok = await grpcCall(srv.grpcUrl, TRACES_METHOD, await spansPb('gz-grpc-ok', 2), { gzip: true });
  check('encoding/grpc-gzip-ok', 0, ok.code);
  closeClients();
});

// A message flagged compressed with a grpc-encoding the server does not support (grpc core drops
// the unknown header), with identity, or with none declared: UNIMPLEMENTED as the gRPC spec says,
// and nothing stored even when the bytes happen to be a valid protobuf. An uncompressed message
// (flag 0) is what it says whatever the header, and is stored.
await guard('encoding/grpc-unknown-encoding', async () => {
  const pb = await spansPb('grpc-unknown-enc', 2);
  for (const [name, enc, body] of [['snappy', 'snappy', pb], ['snappy-gzipped', 'snappy', zlib.gzipSync(pb)],
    ['identity', 'identity', pb], ['undeclared', undefined, pb]]) {
    const r = await rawGrpc(body, enc, 1);
    checkTrue(`encoding/grpc-compressed-${name}-unimplemented`, r.status === '12' && /unsupported grpc-encoding/.test(r.message || ''),
      'UNIMPLEMENTED (12) naming the unsupported grpc-encoding', JSON.stringify(r));
  }
  check('encoding/grpc-unknown-encoding-nothing-stored', 0, count(srv.db, 'spans', "service_name = 'grpc-unknown-enc'"));
  const plain = await rawGrpc(await spansPb('grpc-unknown-enc-plain', 3), 'snappy', 0);
  check('encoding/grpc-uncompressed-unknown-header-ok', '0', plain.status);
  const gz = await rawGrpc(zlib.gzipSync(await spansPb('grpc-gzip-raw', 2)), 'gzip', 1);
  check('encoding/grpc-gzip-raw-ok', '0', gz.status);
  await sleep(100);
  check('encoding/grpc-encodings-stored', { plain: 3, gzip: 2 }, {
    plain: count(srv.db, 'spans', "service_name = 'grpc-unknown-enc-plain'"),
    gzip: count(srv.db, 'spans', "service_name = 'grpc-gzip-raw'"),
  });
});

// A valid protobuf whose first ResourceSpans is 123 bytes long starts "\n{" like JSON; the
// format comes from the transport (gRPC: always protobuf; HTTP: Content-Type), so it is stored.
await guard('encoding/protobuf-that-looks-like-json', async () => {
  const varint = (n) => { const o = []; while (n >= 0x80) { o.push((n & 0x7f) | 0x80); n >>>= 7; } o.push(n); return Buffer.from(o); };
  const field = (num, body) => Buffer.concat([varint((num << 3) | 2), varint(body.length), body]);
  const make = (service, tag) => {
    for (let nameLen = 1; nameLen < 100; nameLen++) {
      const tid = Buffer.alloc(16, tag); const sid = Buffer.alloc(8, tag + 1);
      const fixed = (n, v) => { const b = Buffer.alloc(9); b[0] = (n << 3) | 1; b.writeBigUInt64LE(v, 1); return b; };
      const span = Buffer.concat([field(1, tid), field(2, sid), field(5, Buffer.from('x'.repeat(nameLen))),
        fixed(7, 1700000000000000000n), fixed(8, 1700000000001000000n)]);
      const kv = field(1, Buffer.concat([field(1, Buffer.from('service.name')), field(2, field(1, Buffer.from(service)))]));
      const rs = Buffer.concat([field(1, kv), field(2, field(2, span))]);
      if (rs.length === 123) return field(1, rs);
    }
    throw new Error('no 123-byte ResourceSpans');
  };
  const h = make('looks-like-json-http', 0x21);
  check('encoding/pb-starts-like-json', '0a7b', h.subarray(0, 2).toString('hex'));
  check('encoding/pb-looks-like-json-http-ok', 200, (await post(`${srv.otlpUrl}/v1/traces`, h, PB)).status);
  const g = await grpcCall(srv.grpcUrl, TRACES_METHOD, make('looks-like-json-grpc', 0x31));
  check('encoding/pb-looks-like-json-grpc-ok', 0, g.code);
  check('encoding/pb-looks-like-json-stored', { http: 1, grpc: 1 }, {
    http: count(srv.db, 'spans', "service_name = 'looks-like-json-http'"),
    grpc: count(srv.db, 'spans', "service_name = 'looks-like-json-grpc'"),
  });
});
closeClients();

const st = await stopServer(srv);
check('encoding/clean-exit', { code: 0, signal: null }, st);
done();
