// The WAL under load: checkpoints run in their own thread while argus-loadgen sends traces for a
// few seconds, every acknowledged span is stored, and once ingest stops the WAL file is
// truncated (an idle server gives the disk space back).
//   node tests/server/wal.mjs build
import { startServer, stopServer, sql, sleep, check, checkTrue, guard, done } from './lib.mjs';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_LOG_LEVEL: 'debug' });
const walSize = () => { try { return fs.statSync(`${srv.db}-wal`).size; } catch { return 0; } };

await guard('wal', async () => {
  // Run asynchronously: a spawnSync would stop this process from reading the server's debug log
  // meanwhile, the pipe would fill and the server's log writes (and its writer thread) would block.
  const lg = await new Promise((resolve) => {
    const p = spawn(path.resolve(build, 'argus-loadgen'), [
      '--endpoint', srv.grpcUrl.replace(/^http:\/\//, ''), '--concurrent', '4', '--duration', '3',
      '--spans-per-request', '1000', '--logs-per-request', '0', '--retry',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', () => {});
    p.on('close', (status) => resolve({ status, stdout }));
  });
  check('wal/loadgen-ok', 0, lg.status);
  const acked = Number((/ spans=(\d+)/.exec(lg.stdout) || [])[1] || -1);
  checkTrue('wal/grew-past-a-checkpoint', walSize() > 8 << 20 || /debug sqlite: checkpoint rc=0/.test(srv.log()),
    'a WAL over 8 MiB or a checkpoint logged', walSize());
  check('wal/every-acknowledged-span-stored', acked, sql(srv.db, 'SELECT count(*) AS n FROM span_records')[0].n);
  let size = walSize();
  for (let i = 0; i < 60 && size > 0; i++) {
    await sleep(250);
    size = walSize();
  }
  check('wal/truncated-when-idle', 0, size);
  for (let i = 0; i < 20 && !/sqlite: idle, WAL truncated/.test(srv.log()); i++) await sleep(100);
  checkTrue('wal/truncation-logged', /debug sqlite: idle, WAL truncated rc=0/.test(srv.log()),
    'an "idle, WAL truncated" line', (srv.log().match(/.*sqlite: idle.*/g) || []).pop());
  check('wal/integrity', [{ integrity_check: 'ok' }], sql(srv.db, 'PRAGMA integrity_check'));
});
check('wal/clean-exit', { code: 0, signal: null }, await stopServer(srv));
done();
