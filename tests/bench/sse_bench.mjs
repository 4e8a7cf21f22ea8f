// Live-tail benchmark (prints figures, asserts nothing): a fresh server ingests log records at a
// fixed offered rate over OTLP/HTTP (JSON, batches of 1,000 every 50 ms at 20k/s), first with no
// live-tail client, then with N SSE clients on /api/logs/stream, spread over F distinct service
// filters (the records are spread over the same F services; clients with the same filter share
// the hub's query). Prints the stored
// rate, the export acknowledgement latency and the server's CPU per 100k records for both runs,
// and the delivery latency of the clients' events (receive time minus the record's time, which
// the sender sets to its send time): p50/p95/p99/max.
//   node tests/bench/sse_bench.mjs build-release [clients=200] [rate=20000] [seconds=10] [filters=clients/2]
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import { startServer, stopServer, sql } from '../server/lib.mjs';

const build = process.argv[2] || 'build';
const CLIENTS = Number(process.argv[3] || 200);
const RATE = Number(process.argv[4] || 20000);
const SECONDS = Number(process.argv[5] || 10);
const SERVICES = Math.max(1, Number(process.argv[6] || CLIENTS / 2));
const BATCH = 1000;
const log = (...a) => console.log(...a);

const srv = await startServer(build, {
  ARGUS_RETENTION: 'off', ARGUS_INSIGHT_WORKER: 'off', ARGUS_SSE_MAX_CLIENTS: String(CLIENTS + 10),
  ARGUS_API_QUEUE: String(CLIENTS + 64),
});
const port = new URL(srv.apiUrl).port;
const cpuMs = () => {
  const f = fs.readFileSync(`/proc/${srv.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

// One OTLP/JSON request of BATCH records spread over the services, timed now.
let seq = 0;
function payload() {
  const nowNs = BigInt(Date.now()) * 1000000n;
  const per = Math.ceil(BATCH / SERVICES);
  const resourceLogs = [];
  let left = BATCH;
  for (let s = 0; s < SERVICES && left > 0; s++) {
    const logRecords = [];
    for (let i = 0; i < per && left > 0; i++, left--) {
      logRecords.push({ timeUnixNano: String(nowNs), severityNumber: 9, body: { stringValue: `sse bench record ${seq++} of svc-${s}` } });
    }
    resourceLogs.push({ resource: { attributes: [{ key: 'service.name', value: { stringValue: `svc-${s}` } }] },
      scopeLogs: [{ logRecords }] });
  }
  return JSON.stringify({ resourceLogs });
}

// Sends at RATE for SECONDS; returns {sent, acked, ackP50, ackP99, failed}.
async function ingest() {
  const period = 1000 * BATCH / RATE;
  const acks = [];
  let failed = 0;
  const inflight = new Set();
  const t0 = Date.now();
  for (let k = 0; Date.now() - t0 < SECONDS * 1000; k++) {
    const due = t0 + k * period;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const body = payload();
    const s = Date.now();
    const p = fetch(`${srv.otlpUrl}/v1/logs`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } })
      .then(async (r) => { await r.arrayBuffer(); if (r.status !== 200) failed++; else acks.push(Date.now() - s); })
      .catch(() => { failed++; })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all([...inflight]);
  acks.sort((a, b) => a - b);
  const q = (p) => acks.length ? acks[Math.min(acks.length - 1, Math.floor(p * acks.length))] : NaN;
  return { seconds: (Date.now() - t0) / 1000, acked: acks.length * BATCH, failed, ackP50: q(0.5), ackP99: q(0.99) };
}

function stored() {
  return Number(sql(srv.db, 'SELECT count(*) AS n FROM log_records')[0].n);
}

// A live-tail client on a raw socket: counts events and records each one's delivery latency.
function connect(service, lat) {
  const c = { events: 0, status: null, raw: '', text: '', closed: false };
  c.sock = net.connect(port, '127.0.0.1');
  c.sock.write(`GET /api/logs/stream?service=${service} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
  c.sock.setEncoding('utf8');
  c.sock.on('data', (d) => {
    const now = BigInt(Date.now()) * 1000000n;
    c.raw += d;
    if (c.status === null) {
      const i = c.raw.indexOf('\r\n\r\n');
      if (i < 0) return;
      c.status = Number(c.raw.slice(9, 12));
      c.raw = c.raw.slice(i + 4);
    }
    // chunked transfer: take whole chunks (a hex size line, the data, CRLF) into text
    let k;
    while ((k = c.raw.indexOf('\r\n')) >= 0) {
      const line = c.raw.slice(0, k);
      const size = parseInt(line, 16);
      if (!/^[0-9a-fA-F]+$/.test(line) || c.raw.length < k + 2 + size + 2) break;
      c.text += c.raw.slice(k + 2, k + 2 + size);
      c.raw = c.raw.slice(k + 2 + size + 2);
    }
    const re = /"time_unix_nano":\s*"(\d+)"/g; // MariaDB writes a space after the colon
    let m, last = 0;
    while ((m = re.exec(c.text)) !== null) {
      lat.push(Number(now - BigInt(m[1])) / 1e6);
      c.events++;
      last = re.lastIndex;
    }
    c.text = c.text.slice(last);
  });
  c.sock.on('close', () => { c.closed = true; });
  c.sock.on('error', () => { c.closed = true; });
  return c;
}

log(`load average: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} CPUs`);
log(`offered: ${RATE} records/s for ${SECONDS} s in OTLP/JSON requests of ${BATCH}; ${CLIENTS} clients over ${SERVICES} service filters`);

// Without clients.
let c0 = cpuMs(), n0 = stored();
const a = await ingest();
await new Promise((r) => setTimeout(r, 1000));
let n1 = stored(), c1 = cpuMs();
const rateA = (n1 - n0) / a.seconds;
log(`no clients:   stored ${(n1 - n0)} (${rateA.toFixed(0)}/s), ack p50 ${a.ackP50} ms p99 ${a.ackP99} ms, failed requests ${a.failed}, server CPU ${((c1 - c0) / (n1 - n0) * 100000).toFixed(0)} ms per 100k records`);

// With clients.
const lat = [];
const clients = [];
for (let i = 0; i < CLIENTS; i++) clients.push(connect(`svc-${i % SERVICES}`, lat));
for (let i = 0; i < 100 && clients.some((c) => c.status === null); i++) await new Promise((r) => setTimeout(r, 50));
const refused = clients.filter((c) => c.status !== 200).length;
c0 = cpuMs(); n0 = stored();
const b = await ingest();
await new Promise((r) => setTimeout(r, 2000));
n1 = stored(); c1 = cpuMs();
const rateB = (n1 - n0) / b.seconds;
const expected = (n1 - n0) * CLIENTS / SERVICES;
const got = clients.reduce((s, c) => s + c.events, 0);
log(`${CLIENTS} clients: stored ${(n1 - n0)} (${rateB.toFixed(0)}/s, ${(100 * (rateB / rateA - 1)).toFixed(1)} % vs no clients), ack p50 ${b.ackP50} ms p99 ${b.ackP99} ms, failed requests ${b.failed}, server CPU ${((c1 - c0) / (n1 - n0) * 100000).toFixed(0)} ms per 100k records (streams included)`);
lat.sort((x, y) => x - y);
const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(0) : 'n/a';
log(`delivery: ${got} events of ${expected} expected (${refused} clients refused), latency p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
for (const c of clients) c.sock.destroy();
await stopServer(srv, 60000);
process.exit(0);
