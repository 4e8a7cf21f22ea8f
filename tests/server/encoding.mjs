// Compressed and framed input (issue 11.1): a gzip body of several members (valid per RFC 1952)
// stores every member; trailing bytes after the compressed data are refused with 400, never
// dropped silently; a deflate (zlib) body with trailing bytes too.
//   node tests/server/encoding.mjs build
import zlib from 'node:zlib';
import {
  startServer, stopServer, post, count, makeSpans, makeLogs, serializers,
  check, checkTrue, guard, done,
} from './lib.mjs';

const build = process.argv[2] || 'build';
const PB = { 'Content-Type': 'application/x-protobuf' };
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' });

async function spansPb(service, n) {
  const spans = await makeSpans({ 'service.name': service }, (t) => {
    for (let k = 0; k < n; k++) t.startSpan(`op-${k}`).end();
  });
  return Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
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

const st = await stopServer(srv);
check('encoding/clean-exit', { code: 0, signal: null }, st);
done();
