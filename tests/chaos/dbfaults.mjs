// Chaos layer, database faults (issue 11.8): the database's file system full, read-only, and the
// process's file size limit reached, while argus-loadgen (gRPC, retrying) and both SDK exporters (gRPC and HTTP/protobuf) keep
// exporting. After each: every acknowledged span is stored exactly once, nothing twice, the file is
// intact, and the server is ready again without a restart. The first two need to mount file
// systems (root, as in CI's container); elsewhere they are reported as skipped.
//   tests/chaos/run.sh build dbfaults
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  startServer, stopServer, sql, count, sleep, tempDir, check, checkTrue, guard, done,
} from '../server/lib.mjs';
import { runLoadgen, readyAgain, exportLoop, duplicateSpans } from './lib.mjs';

const build = process.argv[2] || 'build';
const mounts = [];
function mount(...args) {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  if (r.status === 0 && !args.includes('remount,bind,ro') && !args.includes('remount,bind,rw')) mounts.push(args[args.length - 1]);
  return r.status === 0 ? null : (r.stderr || `exit ${r.status}`).trim();
}
process.on('exit', () => { for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]); });

// The load of one fault: loadgen over gRPC for `seconds` with retries, and an SDK exporter of
// each transport in a loop; finish() stops them and returns what was acknowledged.
function load(srv, tag, seconds) {
  const lg = runLoadgen(build, ['--endpoint', `127.0.0.1:${srv.grpcPort}`, '--concurrent', '4', '--connections', '2',
    '--duration', String(seconds), '--spans-per-request', '100', '--logs-per-request', '50', '--retry', '30',
    '--timeout', '10']);
  const sdk = { grpc: exportLoop(srv, 'grpc', `${tag}-sdk-grpc`), proto: exportLoop(srv, 'proto', `${tag}-sdk-proto`) };
  return async () => ({ lg: await lg, grpc: await sdk.grpc.stop(), proto: await sdk.proto.stop() });
}

// Every acknowledged span stored exactly once; `loadgenBase`: spans stored before the load began.
function checkAcked(name, srv, tag, r, loadgenBase) {
  const sdkStored = (t) => new Map(sql(srv.db, `SELECT span_id, count(*) AS n FROM spans WHERE service_name = '${tag}-sdk-${t}' GROUP BY 1`)
    .map((x) => [x.span_id, x.n]));
  for (const t of ['grpc', 'proto']) {
    const stored = sdkStored(t);
    check(`${name}/sdk-${t}-acked-stored-once`, [], r[t].acked.filter((id) => stored.get(id) !== 1));
    checkTrue(`${name}/sdk-${t}-some-acked`, r[t].acked.length >= 10, 'at least 2 exports acknowledged', r[t].acked.length / 5);
  }
  const loadgenStored = count(srv.db, 'spans', `service_name NOT LIKE '${tag}-sdk-%'`) - loadgenBase;
  checkTrue(`${name}/loadgen-acked-stored`, r.lg.spans > 0 && loadgenStored >= r.lg.spans,
    `at least the ${r.lg.spans} spans loadgen had acknowledged`, loadgenStored);
  check(`${name}/no-span-twice`, 0, duplicateSpans(srv.db));
  check(`${name}/integrity`, [{ integrity_check: 'ok' }], sql(srv.db, 'PRAGMA integrity_check'));
}

// 1. Disk full: the database lives on a 256 MiB tmpfs that a filler file fills up during the load;
// batches fail (retryably), then the filler is deleted and everything acknowledged is there. The
// file system must hold all the load stores once the filler is gone: with 64 MiB a quiet machine
// ingested enough in 5 s to fill it with real data and stay full.
await guard('dbfaults/disk-full', async () => {
  const dir = tempDir('chaos-full');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  const err = mount('-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', data);
  if (err) {
    console.log(`ok - dbfaults/disk-full # SKIP cannot mount a tmpfs: ${err.split('\n')[0]}`);
    return;
  }
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { dir });
  const finish = load(srv, 'full', 5);
  await sleep(1000);
  const filler = path.join(data, 'filler');
  const fd = fs.openSync(filler, 'w');
  let code = null;
  try {
    for (const chunk = Buffer.alloc(1 << 20, 1); ;) fs.writeSync(fd, chunk);
  } catch (e) {
    code = e.code;
  }
  try {
    for (const chunk = Buffer.alloc(4096, 1); ;) fs.writeSync(fd, chunk); // the last pages too
  } catch { /* full */ }
  fs.closeSync(fd);
  check('dbfaults/disk-full-filled', 'ENOSPC', code);
  let failing = false;
  for (let i = 0; i < 40 && !failing; i++) {
    await sleep(100);
    failing = / warn batch failed, clients will retry .*full/.test(srv.log());
  }
  checkTrue('dbfaults/disk-full-batches-failed', failing, 'batches failing with "database or disk is full"', 'no such failure logged');
  const rd = await fetch(`${srv.apiUrl}/readyz`);
  check('dbfaults/disk-full-readyz-503', 503, rd.status);
  await sleep(1000);
  fs.unlinkSync(filler);
  const r = await finish();
  checkTrue('dbfaults/disk-full-ready-again', await readyAgain(srv), '/readyz 200 after space was freed', 'not ready');
  checkAcked('dbfaults/disk-full', srv, 'full', r, 0);
  checkTrue('dbfaults/disk-full-no-restart', srv.exited === null, 'the same server process running', JSON.stringify(srv.exited));
  check('dbfaults/disk-full-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

// 2. Read-only: the database directory is a bind mount. During the load the operator mounts a
// read-only view of the same directory over it and removes the database files, so the server must open
// the database again, and cannot (read-only file system): exports are refused retryably and
// /readyz says why. Once the mount is made writable the server creates the database again by
// itself and everything acknowledged from then on is stored exactly once. (A file system cannot
// be remounted read-only while the server has the file open for writing: the kernel refuses.)
await guard('dbfaults/read-only', async () => {
  const dir = tempDir('chaos-ro');
  const backing = path.join(dir, 'backing');
  const data = path.join(dir, 'data');
  fs.mkdirSync(backing);
  fs.mkdirSync(data);
  const err = mount('--bind', backing, data);
  if (err) {
    console.log(`ok - dbfaults/read-only # SKIP cannot bind-mount: ${err.split('\n')[0]}`);
    return;
  }
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { dir });
  const base = count(srv.db, 'spans');
  checkTrue('dbfaults/read-only-baseline', base === 0, 'an empty database', base);
  let finish = load(srv, 'ro-before', 1);
  const before = await finish();
  checkTrue('dbfaults/read-only-loaded-before', before.lg.spans > 0, 'loadgen acknowledged spans before the fault', before.lg.spans);
  finish = load(srv, 'ro', 6);
  await sleep(500);
  // The swap: a read-only bind mount of the same directory, made read-only at a staging path
  // first and then mounted over the writable one (the server's open files stay on the one below),
  // then the files removed through the backing directory.
  const stage = path.join(dir, 'stage');
  fs.mkdirSync(stage);
  check('dbfaults/read-only-swap', [null, null, null],
    [mount('--bind', backing, stage), mount('-o', 'remount,bind,ro', stage), mount('--bind', stage, data)]);
  for (const f of fs.readdirSync(backing)) fs.rmSync(path.join(backing, f), { force: true });
  const removed = Date.now();
  let reason = '';
  for (let i = 0; i < 40 && !/read-only file system/i.test(reason); i++) {
    await sleep(100);
    reason = await fetch(`${srv.apiUrl}/readyz`).then((x) => x.text(), () => '');
  }
  checkTrue('dbfaults/read-only-readyz-says-why', /read-only file system/i.test(reason),
    '/readyz 503 naming the read-only database', reason.slice(0, 200));
  await sleep(Math.max(0, 1500 - (Date.now() - removed)));
  check('dbfaults/read-only-remount-rw', null, mount('-o', 'remount,bind,rw', data));
  const r = await finish();
  checkTrue('dbfaults/read-only-ready-again', await readyAgain(srv), '/readyz 200 once writable', 'not ready');
  checkTrue('dbfaults/read-only-recreated', /database writable again/.test(srv.log()) && fs.existsSync(srv.db),
    'the database file created again and a "database writable again" log line', 'none');
  // What was acknowledged before the files were removed went with them; what the SDK exporters
  // acknowledged for exports started after the removal is all in the new file, once.
  for (const t of ['grpc', 'proto']) {
    const stored = new Map(sql(srv.db, `SELECT span_id, count(*) AS n FROM spans WHERE service_name = 'ro-sdk-${t}' GROUP BY 1`)
      .map((x) => [x.span_id, x.n]));
    const after = r[t].ackedSince(removed);
    check(`dbfaults/read-only-sdk-${t}-acked-after-stored-once`, [], after.filter((id) => stored.get(id) !== 1));
    checkTrue(`dbfaults/read-only-sdk-${t}-acked-after`, after.length >= 10, 'at least 2 exports acknowledged after the removal', after.length / 5);
  }
  check('dbfaults/read-only-no-span-twice', 0, duplicateSpans(srv.db));
  check('dbfaults/read-only-integrity', [{ integrity_check: 'ok' }], sql(srv.db, 'PRAGMA integrity_check'));
  checkTrue('dbfaults/read-only-no-restart', srv.exited === null, 'the same server process running', JSON.stringify(srv.exited));
  check('dbfaults/read-only-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

// 3. A file size limit (RLIMIT_FSIZE, as `ulimit -f` or systemd's LimitFSIZE= set): needs no
// mount. Writes past 8 MiB fail with EFBIG (the server ignores SIGXFSZ, which would kill it) and
// are handled as a full disk; raising the limit on the running process ends the fault.
await guard('dbfaults/file-size-limit', async () => {
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { launcher: ['prlimit', `--fsize=${8 << 20}:unlimited`, '--'] });
  const finish = load(srv, 'fsize', 5);
  let failing = false;
  for (let i = 0; i < 60 && !failing && !srv.exited; i++) {
    await sleep(100);
    failing = / warn batch failed, clients will retry .*file size limit reached/.test(srv.log());
  }
  checkTrue('dbfaults/file-size-limit-batches-failed', failing, 'batches failing with "file size limit reached"',
    srv.exited ? `the server died: ${JSON.stringify(srv.exited)}` : 'no such failure logged');
  check('dbfaults/file-size-limit-readyz-503', 503, await fetch(`${srv.apiUrl}/readyz`).then((x) => x.status, () => 'no answer'));
  await sleep(1000);
  check('dbfaults/file-size-limit-raised', 0, spawnSync('prlimit', ['--pid', String(srv.proc.pid), '--fsize=unlimited:unlimited']).status);
  const r = await finish();
  checkTrue('dbfaults/file-size-limit-ready-again', await readyAgain(srv), '/readyz 200 after the limit was raised', 'not ready');
  checkAcked('dbfaults/file-size-limit', srv, 'fsize', r, 0);
  checkTrue('dbfaults/file-size-limit-no-restart', srv.exited === null, 'the same server process running', JSON.stringify(srv.exited));
  check('dbfaults/file-size-limit-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

done();
