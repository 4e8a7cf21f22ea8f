// Web UI benchmark: prints figures, asserts nothing. Real argus-server + Chromium.
//   node tests/web/bench.mjs build                 # everything (the live-tail run lasts 10 min)
//   ARGUS_BENCH_TAIL_SECONDS=60 node tests/web/bench.mjs build
// Prints: gzipped JavaScript the first page loads, time to first meaningful paint per page,
// waterfall open time for 1k and 10k spans, frames/s while scrolling the 10k waterfall, and the
// page's JS heap during a live tail at about 1,000 lines/s.
import http from 'node:http';
import path from 'node:path';
import { makeLogs, exporter, exportItems } from '../server/lib.mjs';
import { bigTrace, launch, seed, startUiServer, until } from './lib.mjs';

const build = path.resolve(process.argv[2] || 'build');
const tailSeconds = Number(process.env.ARGUS_BENCH_TAIL_SECONDS || 600);
const srv = await startUiServer(build);
const base = srv.apiUrl;
const data = await seed(srv);
const t1k = await bigTrace(srv, 1000, data.now - 10 * 60_000);
await until(`${base}/api/traces/${data.bigTraceId}`, (t) => t.spans?.length === 10000, 30000);
const range = `from=${data.now - 55 * 60_000}&to=${data.now + 60_000}`;

function servedBytes(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (d) => (n += d.length));
      res.on('end', () => resolve({ bytes: n, gzip: res.headers['content-encoding'] === 'gzip' }));
    }).on('error', reject);
  });
}

const browser = await launch();
const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await ctx.newPage();

// 1. JavaScript the first page loads
const js = new Set();
page.on('response', (r) => {
  if (r.url().endsWith('.js')) js.add(r.url());
});
await page.goto(`${base}/?${range}`);
await page.waitForSelector('[data-testid="kpi-requests-value"]');
let total = 0;
for (const u of js) total += (await servedBytes(u)).bytes;
console.log(`first page (dashboard): ${js.size} JavaScript files, ${(total / 1024).toFixed(1)} KiB gzipped as served (target < 400 KiB)`);

// 2. time to first meaningful paint per page (navigation start -> data on screen), warm cache
const pages = [
  ['dashboard', `/?${range}`, '[data-testid="kpi-requests-value"]'],
  ['logs', `/logs?${range}`, '[data-testid="log-row"]'],
  ['traces', `/traces?${range}`, '[data-testid="trace-link"]'],
  ['trace (4 spans)', `/traces/${data.failingTraceId}?${range}`, '[data-testid="span-row"]'],
  ['settings', `/settings?${range}`, '[data-testid="db-size"]'],
];
for (const [name, url, sel] of pages) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    await page.goto('about:blank');
    const t0 = Date.now();
    await page.goto(base + url);
    await page.waitForSelector(sel);
    times.push(Date.now() - t0);
  }
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
  console.log(`${name}: data on screen in ${Math.min(...times)} ms (best of 3; median ${times.sort((a, b) => a - b)[1]} ms), first contentful paint ${fcp === null ? '?' : fcp.toFixed(0)} ms`);
}

// 3. waterfall open time and 4. scrolling
for (const [n, id] of [
  [1000, t1k],
  [10000, data.bigTraceId],
]) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    await page.goto('about:blank');
    const t0 = Date.now();
    await page.goto(`${base}/traces/${id}?${range}`);
    await page.waitForSelector('[data-testid="span-row"]');
    times.push(Date.now() - t0);
  }
  // in the app: from the traces list, click the trace (no page load, bundle already parsed)
  const spa = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${base}/traces?${range}&service=batch&sort=spans`);
    await page.waitForSelector(`a[href^="/traces/${id}"]`);
    const c0 = Date.now();
    await page.click(`a[href^="/traces/${id}"]`);
    await page.waitForSelector('[data-testid="span-row"]');
    spa.push(Date.now() - c0);
  }
  const t0 = Date.now();
  await page.click('[data-testid="expand-all"]');
  await page.waitForFunction((k) => document.querySelector('.wf-minimap-label')?.textContent === `${k} rows`, n);
  const expand = Date.now() - t0;
  const fps = await page.evaluate(async () => {
    const el = document.querySelector('[data-testid="waterfall"]');
    let f = 0;
    const start = performance.now();
    while (performance.now() - start < 3000) {
      el.scrollTop = (el.scrollTop + 300) % el.scrollHeight;
      await new Promise((r) => requestAnimationFrame(r));
      f++;
    }
    return f / ((performance.now() - start) / 1000);
  });
  console.log(`waterfall ${n} spans: open from the traces list (click -> rows on screen) ${Math.min(...spa)} ms best of 3 (target < 1000 ms for 10k); as a fresh page load ${Math.min(...times)} ms; expand all ${expand} ms; scrolling ${fps.toFixed(0)} frames/s`);
}

// 5. memory during the live tail at ~1,000 lines/s
await page.goto(`${base}/logs?tab=live`);
await page.waitForFunction(() => document.querySelector('[data-testid="tail-status"]')?.textContent === 'live');
const cdp = await ctx.newCDPSession(page);
await cdp.send('Performance.enable');
const heap = async () => {
  await cdp.send('HeapProfiler.collectGarbage');
  const m = await cdp.send('Performance.getMetrics');
  return m.metrics.find((x) => x.name === 'JSHeapUsedSize').value / 1048576;
};
const exp = exporter(srv, 'logs', 'grpc');
const start = Date.now();
let sent = 0;
let nextReport = 0;
console.log(`live tail: ${tailSeconds} s at ~1,000 lines/s; JS heap after GC at start ${(await heap()).toFixed(1)} MiB`);
while (Date.now() - start < tailSeconds * 1000) {
  const tick = Date.now();
  const batch = await makeLogs({ 'service.name': 'tail-bench' }, (logger) => {
    for (let i = 0; i < 100; i++) logger.emit({ severityNumber: 9, severityText: 'INFO', body: `tail line ${sent + i} user=${(sent + i) % 97} took ${(sent + i) % 300} ms` });
  });
  await exportItems(exp, batch);
  sent += 100;
  const el = Date.now() - start;
  if (el >= nextReport) {
    const rows = await page.$$eval('[data-testid="log-row"]', (r) => r.length);
    console.log(`  t=${Math.round(el / 1000)} s: ${sent} lines sent, JS heap ${(await heap()).toFixed(1)} MiB, ${rows} rows in the DOM`);
    nextReport += Math.max(10000, (tailSeconds * 1000) / 10);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
}
console.log(`live tail: ${sent} lines in ${((Date.now() - start) / 1000).toFixed(0)} s (${(sent / ((Date.now() - start) / 1000)).toFixed(0)}/s); JS heap after GC at the end ${(await heap()).toFixed(1)} MiB`);
await exp.shutdown();
await browser.close();
process.exit(0);
