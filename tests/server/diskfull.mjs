// Disk full: the database lives on a small tmpfs that is then filled up. Exports fail retryably
// (HTTP 503 + Retry-After, gRPC UNAVAILABLE) while the server keeps running; once space is freed
// the refused data is accepted on retry and stored exactly once. Needs permission to mount a
// tmpfs (root in a privileged container); reported as skipped otherwise.
//   node tests/server/diskfull.mjs build
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, stopServer, post, count, makeSpans, serializers, sleep, tempDir,
  check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, TRACES_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const dir = tempDir('diskfull');
const mnt = path.join(dir, 'data');
fs.mkdirSync(mnt);
const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt], { encoding: 'utf8' });
if (m.status !== 0) {
  console.log('ok - diskfull/refused-and-recovered # SKIP cannot mount a tmpfs here');
  done();
}
process.on('exit', () => spawnSync('umount', ['-l', mnt]));

const PB = { 'Content-Type': 'application/x-protobuf' };
async function request(service, n) {
  const spans = await makeSpans({ 'service.name': service }, (t) => {
    for (let k = 0; k < n; k++) t.startSpan(`op ${'x'.repeat(200)}`, { attributes: { blob: 'y'.repeat(500) } }).end();
  });
  return Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
}

const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { dir });
await guard('diskfull', async () => {
  check('diskfull/baseline-ok', 200, (await post(`${srv.otlpUrl}/v1/traces`, await request('df-before', 10), PB)).status);
  // Fill the file system.
  const filler = path.join(mnt, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    checkTrue('diskfull/filled', e.code === 'ENOSPC', 'ENOSPC', e.code);
  }
  fs.closeSync(fd);
  const big = await request('df-during', 2000);
  const h = await post(`${srv.otlpUrl}/v1/traces`, big, PB);
  check('diskfull/http-503-retry-after', [503, '1'], [h.status, h.headers.get('retry-after')]);
  checkTrue('diskfull/message-says-full', /full/i.test(h.text), 'a message about the full disk', h.text.slice(0, 200));
  const g = await grpcCall(srv.grpcUrl, TRACES_METHOD, big);
  check('diskfull/grpc-unavailable', 14, g.code);
  check('diskfull/readyz-not-ready', 503, (await fetch(`${srv.apiUrl}/readyz`)).status);
  checkTrue('diskfull/server-still-running', srv.exited === null, 'running', JSON.stringify(srv.exited));
  fs.unlinkSync(filler);
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await post(`${srv.otlpUrl}/v1/traces`, big, PB)).status;
    if (status !== 200) await sleep(100);
  }
  check('diskfull/ingest-resumes-after-space-freed', 200, status);
  check('diskfull/stored-exactly-once', 2000, count(srv.db, 'spans', "service_name = 'df-during'"));
  check('diskfull/integrity', 'ok', JSON.parse(spawnSync('sqlite3', ['-json', srv.db, 'PRAGMA integrity_check'], { encoding: 'utf8' }).stdout)[0].integrity_check);
});
closeClients();
const st = await stopServer(srv);
check('diskfull/clean-exit', { code: 0, signal: null }, st);
done();
