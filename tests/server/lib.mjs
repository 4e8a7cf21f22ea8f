// Shared helpers for the argus-server tests: start/stop servers on free loopback ports with a
// temporary data directory, query the database with the sqlite3 shell, make OTLP data with the
// real OpenTelemetry JS SDK, and print TAP lines ("ok - name" / "not ok - name: expected X, got Y").
//   import { startServer, tap, sql } from './lib.mjs';
//   const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5' });
// Every server started here is killed when the process exits, even after a failure.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export const require = createRequire(new URL('../js/package.json', import.meta.url));

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));

// ---- MariaDB mode ---------------------------------------------------------------------------
// With ARGUS_TEST_MYSQL_URL=mysql://root@127.0.0.1:PORT and ARGUS_TEST_MYSQL_SOCKET=/path/sock (a
// private MariaDB with sql/mysql/install.sql's functions, as tests/mysql/run.sh starts it), every
// server started here stores in a fresh database of that MariaDB instead of a SQLite file, and
// sql() queries it with the mariadb client. Suites that run on both read `dialect`.
export const MYSQL = process.env.ARGUS_TEST_MYSQL_URL
  ? { url: process.env.ARGUS_TEST_MYSQL_URL, socket: process.env.ARGUS_TEST_MYSQL_SOCKET } : null;
export const dialect = MYSQL ? 'mysql' : 'sqlite';
let mysqlDbs = 0;

// ---- TAP ------------------------------------------------------------------------------------
let failures = 0;
export function ok(name) {
  console.log(`ok - ${name}`);
}
export function notOk(name, why) {
  failures++;
  console.log(`not ok - ${name}: ${String(why).replace(/\s+/g, ' ').slice(0, 600)}`);
}
// Passes when actual deep-equals expected (JSON comparison), else reports both.
export function check(name, expected, actual) {
  const e = JSON.stringify(expected), a = JSON.stringify(actual);
  if (e === a) ok(name);
  else notOk(name, `expected ${e}, got ${a}`);
  return e === a;
}
export function checkTrue(name, cond, expected, actual) {
  if (cond) ok(name);
  else notOk(name, `expected ${expected}, got ${actual}`);
  return !!cond;
}
export function failed() {
  return failures;
}
// Ends the test script now (stdout to a pipe is synchronous on Linux, so nothing is lost):
// idle keep-alive sockets and gRPC channels must not keep it waiting.
export function done() {
  process.exit(failures ? 1 : 0);
}
// Runs fn; a thrown error becomes one failed test (so one broken case never hides the others).
export async function guard(name, fn) {
  try {
    await fn();
  } catch (e) {
    notOk(name, `threw ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- server ---------------------------------------------------------------------------------
export function tempDir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `argus-${tag}-`));
}

// Starts build/argus-server with every port chosen by the kernel (port 0) and waits for
// "started". env adds ARGUS_* settings; opts.dir reuses a data directory (restart tests).
export async function startServer(build, env = {}, opts = {}) {
  const dir = opts.dir || tempDir('server');
  const bin = path.resolve(build, 'argus-server');
  const logFile = path.join(dir, `server-${Date.now()}.log`);
  // MariaDB mode: one database per data directory (a restart with opts.dir finds it again)
  if (MYSQL && !fs.existsSync(path.join(dir, 'mysql-db'))) {
    fs.writeFileSync(path.join(dir, 'mysql-db'), `argus_${process.pid}_${Date.now() % 100000000}_${++mysqlDbs}`);
  }
  const mysqlDb = MYSQL ? fs.readFileSync(path.join(dir, 'mysql-db'), 'utf8') : null;
  const fullEnv = {
    PATH: process.env.PATH,
    ARGUS_DB: MYSQL ? `${MYSQL.url}/${mysqlDb}` : `sqlite:${path.join(dir, 'data', 'argus.db')}`,
    ARGUS_GRPC_LISTEN: '127.0.0.1:0',
    ARGUS_OTLP_HTTP_LISTEN: '127.0.0.1:0',
    ARGUS_HTTP_LISTEN: '127.0.0.1:0',
    ARGUS_LOG_LEVEL: 'info',
    ARGUS_INGEST_THREADS: '2',
    ...env,
  };
  for (const k of Object.keys(fullEnv)) if (fullEnv[k] === undefined) delete fullEnv[k];
  // opts.launcher: a command the server runs under, e.g. ['prlimit', '--nofile=1024:4096'].
  const argv = [...(opts.launcher || []), bin, ...(opts.args || [])];
  const proc = spawn(argv[0], argv.slice(1), { cwd: dir, env: fullEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(proc);
  let log = '';
  const out = fs.createWriteStream(logFile);
  const srv = {
    proc, dir, logFile,
    db: MYSQL ? { mysql: mysqlDb } : path.join(dir, 'data', 'argus.db'),
    exited: null,
    log: () => log,
  };
  srv.exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      srv.exited = { code, signal };
      resolve(srv.exited);
    });
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 10 s; log: ${log.slice(-800)}`)), 10000);
    proc.stderr.on('data', onData);
    function onData(d) {
      log += d.toString();
      out.write(d);
      if (/ info started /.test(log)) {
        clearTimeout(timer);
        resolve();
        // opts.pauseLog: stop reading the server's stderr once it started (the pipe fills up);
        // srv.resumeLog() reads it again.
        if (opts.pauseLog && !srv.resumeLog) {
          proc.stderr.removeListener('data', onData);
          proc.stderr.pause();
          srv.resumeLog = () => { proc.stderr.on('data', onData); proc.stderr.resume(); };
        }
      }
    }
    srv.exitPromise.then((e) => {
      clearTimeout(timer);
      if (!/ info started /.test(log)) reject(new Error(`server exited (${JSON.stringify(e)}) before starting: ${log.slice(-800)}`));
    });
  });
  const port = (proto) => {
    const m = log.match(new RegExp(`listening proto=${proto} addr=\\S+:(\\d+)`));
    return m ? Number(m[1]) : null;
  };
  srv.grpcPort = port('otlp-grpc');
  srv.httpPort = port('otlp-http');
  srv.apiPort = port('api');
  srv.grpcUrl = `http://127.0.0.1:${srv.grpcPort}`;
  srv.otlpUrl = `http://127.0.0.1:${srv.httpPort}`;
  srv.apiUrl = `http://127.0.0.1:${srv.apiPort}`;
  return srv;
}

// SIGTERM, then wait (up to ms) for the exit; returns {code, signal} or null on timeout.
export async function stopServer(srv, ms = 15000) {
  if (srv.exited) return srv.exited;
  srv.proc.kill('SIGTERM');
  const t = sleep(ms).then(() => null);
  const r = await Promise.race([srv.exitPromise, t]);
  if (!r) srv.proc.kill('SIGKILL');
  return r;
}

export async function killServer(srv) {
  if (srv.exited) return srv.exited;
  srv.proc.kill('SIGKILL');
  return srv.exitPromise;
}

// ---- database -------------------------------------------------------------------------------
// Rows of a query as objects (sqlite3 -json); big integers should be selected CAST(x AS TEXT).
export function sql(db, query) {
  if (db && db.mysql) return mysqlRows(db.mysql, query);
  const r = spawnSync('sqlite3', ['-json', '-cmd', '.timeout 5000', db, query], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}
// The same from MariaDB (tab-separated with a header): numbers that fit a double exactly come back
// as numbers, as sqlite3 -json gives them; NULL as null.
function mysqlRows(database, query) {
  const r = spawnSync('mariadb', ['--no-defaults', '-uroot', '-S', MYSQL.socket, '-B', database, '-e', query],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`mariadb failed: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  if (!lines.length) return [];
  const unescape = (s) => s.replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t', 0: '\0', '\\': '\\' })[c] ?? c);
  const names = lines[0].split('\t');
  return lines.slice(1).map((line) => {
    const row = {};
    line.split('\t').forEach((v, i) => {
      if (v === 'NULL') row[names[i]] = null;
      else if (/^-?\d+(\.\d+)?$/.test(v) && Number.isSafeInteger(Math.trunc(Number(v)))) row[names[i]] = Number(v);
      else row[names[i]] = unescape(v);
    });
    return row;
  });
}
export function count(db, table, where = '1') {
  return sql(db, `SELECT count(*) AS n FROM ${table} WHERE ${where}`)[0].n;
}

// ---- HTTP -----------------------------------------------------------------------------------
export async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', body, headers });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf, text: buf.toString('utf8') };
}

// ---- OpenTelemetry SDK ----------------------------------------------------------------------
export const api = require('@opentelemetry/api');
const traceSdk = require('@opentelemetry/sdk-trace-base');
const logsSdk = require('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');

// Finished ReadableSpans made by the SDK: `make(tracer)` creates and ends spans.
export async function makeSpans(resourceAttrs, make) {
  const mem = new traceSdk.InMemorySpanExporter();
  const provider = new traceSdk.BasicTracerProvider({
    resource: resourceFromAttributes(resourceAttrs),
    spanProcessors: [new traceSdk.SimpleSpanProcessor(mem)],
  });
  make(provider.getTracer('argus-test-scope', '1.2.3'));
  await provider.forceFlush();
  const spans = mem.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

// ReadableLogRecords made by the SDK: `make(logger)` emits them.
export async function makeLogs(resourceAttrs, make) {
  const mem = new logsSdk.InMemoryLogRecordExporter();
  const provider = new logsSdk.LoggerProvider({
    resource: resourceFromAttributes(resourceAttrs),
    processors: [new logsSdk.SimpleLogRecordProcessor({ exporter: mem })],
  });
  make(provider.getLogger('argus-test-logger', '4.5.6'));
  await provider.forceFlush();
  const logs = mem.getFinishedLogRecords();
  await provider.shutdown();
  return logs;
}

const exporters = {
  'traces/grpc': () => require('@opentelemetry/exporter-trace-otlp-grpc').OTLPTraceExporter,
  'traces/proto': () => require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter,
  'traces/http-json': () => require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter,
  'logs/grpc': () => require('@opentelemetry/exporter-logs-otlp-grpc').OTLPLogExporter,
  'logs/proto': () => require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter,
  'logs/http-json': () => require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter,
};

// An official exporter for signal ('traces'|'logs') over transport ('grpc'|'proto'|'http-json').
export function exporter(srv, signal, transport, gzip = false, extra = {}) {
  const Cls = exporters[`${signal}/${transport}`]();
  const url = transport === 'grpc' ? srv.grpcUrl : `${srv.otlpUrl}/v1/${signal}`;
  return new Cls({ url, compression: gzip ? 'gzip' : 'none', timeoutMillis: 20000, ...extra });
}

// exporter.export() as a promise of {code, error}: code 0 is SUCCESS.
export function exportItems(exp, items) {
  return new Promise((resolve) => exp.export(items, (r) => resolve(r)));
}

// ns since the epoch as a decimal string, from an SDK HrTime [seconds, nanoseconds].
export function hrToNs(hr) {
  return (BigInt(hr[0]) * 1000000000n + BigInt(hr[1])).toString();
}

export const serializers = require('@opentelemetry/otlp-transformer');

// Opens n TCP connections to 127.0.0.1:port from the local address `from` (a connection
// flood); resolves once each connected or failed, with {closed: () => how many the server
// closed, destroy}.
export async function openMany(port, n, from) {
  const sockets = [];
  let closed = 0;
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
    sockets.push(s);
    s.on('connect', resolve);
    s.on('error', () => resolve());
    s.on('close', () => { closed++; resolve(); });
    s.on('data', () => {});
  })));
  return { closed: () => closed, destroy: () => sockets.forEach((s) => s.destroy()) };
}
