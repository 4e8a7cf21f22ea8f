// The database file renamed away (or replaced) while the server runs (issue 11, smaller items):
// the server notices at the next batch, opens the file at the configured path again instead of
// writing into the renamed one where no reader looks, and /readyz follows the new file.
//   node tests/server/rename.mjs build
import fs from 'node:fs';
import {
  startServer, stopServer, post, count, makeSpans, serializers, sleep, check, checkTrue, guard, done,
} from './lib.mjs';

const build = process.argv[2] || 'build';
const PB = { 'Content-Type': 'application/x-protobuf' };
async function payload(service) {
  const spans = await makeSpans({ 'service.name': service }, (t) => { for (let k = 0; k < 3; k++) t.startSpan('op').end(); });
  return Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
}

const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' });
await guard('rename', async () => {
  check('rename/before', 200, (await post(`${srv.otlpUrl}/v1/traces`, await payload('rename-before'), PB)).status);
  const moved = `${srv.db}.moved`;
  fs.renameSync(srv.db, moved);
  for (const ext of ['-wal', '-shm']) if (fs.existsSync(srv.db + ext)) fs.renameSync(srv.db + ext, moved + ext);
  let st = 0;
  for (let i = 0; i < 30 && st !== 200; i++) {
    st = (await post(`${srv.otlpUrl}/v1/traces`, await payload('rename-after'), PB)).status;
    if (st !== 200) await sleep(100);
  }
  check('rename/ingest-ok', 200, st);
  checkTrue('rename/file-at-path-again', fs.existsSync(srv.db), 'a database file at the configured path', 'none');
  check('rename/new-data-in-the-file-at-the-path', 3, count(srv.db, 'spans', "service_name = 'rename-after'"));
  check('rename/nothing-new-in-the-renamed-file', 0, count(moved, 'spans', "service_name = 'rename-after'"));
  let ready = 0;
  for (let i = 0; i < 30 && ready !== 200; i++) {
    ready = (await fetch(`${srv.apiUrl}/readyz`)).status;
    if (ready !== 200) await sleep(100);
  }
  check('rename/readyz-ready', 200, ready);
  checkTrue('rename/logged', /renamed, deleted or replaced/.test(srv.log()), 'a line naming the renamed file', 'none');
});
check('rename/clean-exit', { code: 0, signal: null }, await stopServer(srv));
done();
