// Memory budget (issue 11.2): ARGUS_MEMORY_LIMIT bounds what requests hold (decoding, decoded,
// queued). A request that could never fit gets a final answer (HTTP 413 without Retry-After,
// gRPC INVALID_ARGUMENT without RetryInfo), never "retry later" forever; requests that only
// have to wait get 429 / RESOURCE_EXHAUSTED with Retry-After and are stored once retried; after
// a burst RSS returns near its baseline (sampled from /proc).
//   node tests/server/memory.mjs build
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  startServer, stopServer, post, count, sleep, tempDir, check, checkTrue, guard, done,
} from './lib.mjs';
import { grpcCall, closeClients, TRACES_METHOD, LOGS_METHOD } from './grpc_raw.mjs';

const build = process.argv[2] || 'build';
const PB = { 'Content-Type': 'application/x-protobuf' };
const rssMiB = (pid) => {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : 0;
};

// One 1000-span and one 1000-log request from argus-loadgen; protobuf repeated fields append, so
// k copies back to back are one valid request of k times as many items.
const dump = tempDir('memory-dump');
spawnSync(path.resolve(build, 'argus-loadgen'), ['--dump', dump, '--spans-per-request', '1000', '--logs-per-request', '1000']);
const traces = fs.readFileSync(path.join(dump, 'traces.pb'));
const logs = fs.readFileSync(path.join(dump, 'logs.pb'));
const times = (buf, k) => Buffer.concat(Array(k).fill(buf));

await guard('memory/never-fits', async () => {
  const srv = await startServer(build, { ARGUS_MEMORY_LIMIT: '32MiB', ARGUS_BATCH_LATENCY_MS: '2' });
  const big = times(traces, 10); // ~4 MiB: ~40 MiB decoded, more than the whole budget
  const h = await post(`${srv.otlpUrl}/v1/traces`, big, PB);
  checkTrue('memory/http-413-final', h.status === 413 && h.headers.get('retry-after') === null && /ARGUS_MEMORY_LIMIT/.test(h.text),
    '413 naming ARGUS_MEMORY_LIMIT, no Retry-After', `${h.status} ${h.headers.get('retry-after')} ${h.text.slice(0, 120)}`);
  const g = await grpcCall(srv.grpcUrl, LOGS_METHOD, times(logs, 10));
  checkTrue('memory/grpc-invalid-argument-final', g.code === 3 && !g.statusDetails,
    'INVALID_ARGUMENT without RetryInfo', `${g.code} ${g.details} details=${!!g.statusDetails}`);
  const j = await post(`${srv.otlpUrl}/v1/traces`, Buffer.from(`{"resourceSpans":[${'{},'.repeat(4 << 20)}{}]}`), { 'Content-Type': 'application/json' });
  check('memory/json-too-large-413', 413, j.status);
  // what fits is still stored
  const ok = await post(`${srv.otlpUrl}/v1/traces`, traces, PB);
  check('memory/small-request-ok', 200, ok.status);
  check('memory/small-request-stored', 1000, count(srv.db, 'span_records'));
  check('memory/clean-exit', { code: 0, signal: null }, await stopServer(srv));
  checkTrue('memory/stats-count-refusals', /memory_refused=[1-9]/.test(srv.log()), 'memory_refused > 0 in the stats line',
    (srv.log().match(/memory_refused=\d+/) || ['none'])[0]);
});

await guard('memory/wait-for-room', async () => {
  // 24 MiB: one ~1.7 MiB request (~17 MiB decoded) at a time; the others are told to retry.
  const srv = await startServer(build, { ARGUS_MEMORY_LIMIT: '24MiB', ARGUS_BATCH_LATENCY_MS: '200' });
  const req = times(traces, 4);
  const statuses = [];
  await Promise.all(Array.from({ length: 6 }, async () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const r = await post(`${srv.otlpUrl}/v1/traces`, req, PB);
      statuses.push(r.status === 429 ? `429 ${r.headers.get('retry-after')}` : String(r.status));
      if (r.status === 200) return;
      await sleep(50);
    }
  }));
  checkTrue('memory/retryable-429-when-busy', statuses.includes('429 1'), 'some 429 with Retry-After: 1', statuses.slice(0, 8).join(','));
  check('memory/every-request-stored-in-the-end', 6, statuses.filter((s) => s === '200').length);
  check('memory/nothing-else-answered', [], statuses.filter((s) => s !== '200' && s !== '429 1'));
  check('memory/budget-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

// RSS figures mean nothing under AddressSanitizer (its allocator keeps freed memory).
const asan = spawnSync('sh', ['-c', `nm -D '${path.resolve(build, 'argus-server')}' 2>/dev/null | grep -c __asan_init`], { encoding: 'utf8' }).stdout.trim() !== '0';
if (!asan) await guard('memory/rss-after-burst', async () => {
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5' });
  await post(`${srv.otlpUrl}/v1/traces`, traces, PB);
  await sleep(500);
  const base = rssMiB(srv.proc.pid);
  // 15 MiB of empty KeyValues (2 bytes each, ~70 once decoded): refused from the wire, before
  // decoding, for good.
  let hpeak = base;
  const hs = setInterval(() => { hpeak = Math.max(hpeak, rssMiB(srv.proc.pid)); }, 10);
  const attrs = Buffer.alloc(15 << 20);
  for (let i = 0; i < attrs.length; i += 2) attrs[i] = 0x0a;
  const field = (n, b) => { const h = []; let l = b.length; h.push((n << 3) | 2); while (l >= 0x80) { h.push((l & 0x7f) | 0x80); l = Math.floor(l / 128); } h.push(l); return Buffer.concat([Buffer.from(h), b]); };
  const hostile = await post(`${srv.otlpUrl}/v1/traces`, field(1, field(1, attrs)), PB);
  clearInterval(hs);
  check('memory/hostile-keyvalues-413', 413, hostile.status);
  checkTrue('memory/hostile-keyvalues-not-decoded', hpeak - base < 64, 'RSS growth < 64 MiB', `${(hpeak - base).toFixed(0)} MiB`);
  let peak = base;
  const sampler = setInterval(() => { peak = Math.max(peak, rssMiB(srv.proc.pid)); }, 20);
  // A burst: 16 clients at once, 4 MiB requests (~40 MiB each decoded), over both protocols.
  const big = times(traces, 10);
  await Promise.all(Array.from({ length: 16 }, async (_, i) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const code = i % 2 ? (await post(`${srv.otlpUrl}/v1/traces`, big, PB)).status
        : ((await grpcCall(srv.grpcUrl, TRACES_METHOD, big)).code === 0 ? 200 : 429);
      if (code === 200) return;
      await sleep(100);
    }
  }));
  clearInterval(sampler);
  await sleep(1500);
  const idle = rssMiB(srv.proc.pid);
  console.error(`# rss baseline ${base.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, idle ${idle.toFixed(0)} MiB`);
  checkTrue('memory/burst-peak-within-budget', peak <= base + 256 + 64, `peak <= baseline + 256 + 64 MiB (baseline ${base.toFixed(0)})`, `${peak.toFixed(0)} MiB`);
  checkTrue('memory/idle-near-baseline-after-burst', idle <= base + 64, `idle <= baseline + 64 MiB (baseline ${base.toFixed(0)})`, `${idle.toFixed(0)} MiB`);
  // the 16 requests are identical: a retry of one another, stored once
  check('memory/burst-stored-once', 10000 + 1000, count(srv.db, 'span_records'));
  closeClients();
  check('memory/rss-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

done();
