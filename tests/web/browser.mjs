// Browser tests of the web UI: real Chromium (playwright-core) against a real argus-server with
// the embedded UI, fed by the OpenTelemetry JS SDK exporters and argus-loadgen. Every page at
// 1440x900 and 390x844 (screenshots in <build>/screenshots/), figures on screen against the API,
// time picker and URL, zone toggle, live tail, the 10,000-span waterfall, search, collapse,
// keyboard navigation, and no console errors. Prints TAP.
//   node tests/web/browser.mjs build

import path from 'node:path';
import { check, checkTrue, done, guard, notOk, ok, stopServer, MYSQL } from '../server/lib.mjs';
import { launch, loadgen, screenshotDir, seed, sendLog, startUiServer, until } from './lib.mjs';

const build = path.resolve(process.argv[2] || 'build');
const shots = screenshotDir(build);
const consoleErrors = [];

let srv = await startUiServer(build);
const base = srv.apiUrl;

// ---- the UI is embedded and served with the agreed caching --------------------------------
let served = false;
await guard('ui/served', async () => {
  const res = await fetch(`${base}/`);
  const html = await res.text();
  served = checkTrue('ui/index.html at /', res.status === 200 && html.includes('<div id="root">'), '200 with the UI (build with node installed)', `${res.status} ${html.slice(0, 120)}`);
  if (!served) return;
  check('ui/index.html is not cached', 'no-cache', (res.headers.get('cache-control') || '').includes('no-cache') ? 'no-cache' : res.headers.get('cache-control'));
  const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  const a = await fetch(`${base}${js}`, { headers: { 'Accept-Encoding': 'gzip' } });
  checkTrue('ui/hashed asset cached for a year', a.status === 200 && /immutable|max-age=31536000/.test(a.headers.get('cache-control') || ''), 'immutable caching', `${a.status} ${a.headers.get('cache-control')}`);
  const deep = await fetch(`${base}/traces/0123456789abcdef0123456789abcdef?from=now-1h&to=now`);
  checkTrue('ui/SPA fallback for a deep link', deep.status === 200 && (await deep.text()).includes('<div id="root">'), 'index.html', deep.status);
});
if (!served) done();

const data = await seed(srv);
await guard('seed/loadgen', async () => {
  loadgen(build, srv);
  ok('seed/loadgen');
});
// Wait until the API sees the seeded data (rollups and the big trace).
await until(`${base}/api/traces/${data.bigTraceId}`, (t) => t.spans?.length === 10000, 20000).catch((e) => notOk('seed/big trace stored', e.message));
const range = { from: String(data.now - 55 * 60_000), to: String(data.now + 60_000) };
const q = (extra = {}) => new URLSearchParams({ ...range, ...extra }).toString();
await until(`${base}/api/dashboard/summary?start=${range.from}&end=${range.to}`, (s) => s.current?.requests > 0, 20000).catch((e) => notOk('seed/dashboard has data', e.message));

const browser = await launch();

async function newPage(width, height, opts = {}) {
  const ctx = await browser.newContext({ viewport: { width, height }, timezoneId: 'Asia/Kolkata', locale: 'en-GB', ...opts });
  if (opts.dark) await ctx.addInitScript(() => localStorage.setItem('argus.theme', 'dark'));
  else await ctx.addInitScript(() => localStorage.getItem('argus.theme') || localStorage.setItem('argus.theme', 'light'));
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return page;
}

const PAGES = [
  { name: 'dashboard', url: () => `/?${q()}`, ready: '[data-testid="kpi-requests-value"]' },
  { name: 'logs', url: () => `/logs?${q()}`, ready: '[data-testid="log-row"]' },
  { name: 'traces', url: () => `/traces?${q()}`, ready: '[data-testid="trace-link"]' },
  { name: 'trace', url: () => `/traces/${data.failingTraceId}?${q()}`, ready: '[data-testid="span-row"]' },
  { name: 'trace-10k', url: () => `/traces/${data.bigTraceId}?${q()}`, ready: '[data-testid="span-row"]' },
  { name: 'settings', url: () => `/settings?${q()}`, ready: '[data-testid="db-size"]' },
];

// ---- every page at both widths, light and dark ------------------------------------------------
for (const [w, h] of [
  [1440, 900],
  [390, 844],
]) {
  const page = await newPage(w, h);
  for (const p of PAGES) {
    await guard(`page/${p.name}/${w}`, async () => {
      await page.goto(base + p.url());
      await page.waitForSelector(p.ready, { timeout: 15000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shots, `${p.name}-${w}.png`), fullPage: p.name !== 'trace-10k' && p.name !== 'logs' });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      checkTrue(`page/${p.name}/${w} renders without horizontal page overflow`, overflow <= 1, 'page no wider than the window', `${overflow}px wider`);
    });
  }
  await page.context().close();
}
{
  const page = await newPage(1440, 900, { dark: true });
  for (const p of PAGES.filter((x) => ['dashboard', 'logs', 'trace'].includes(x.name))) {
    await guard(`page/${p.name}/dark`, async () => {
      await page.goto(base + p.url());
      await page.waitForSelector(p.ready, { timeout: 15000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shots, `${p.name}-1440-dark.png`) });
      const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.header')).backgroundColor);
      checkTrue(`page/${p.name}/dark theme applied`, bg !== 'rgb(255, 255, 255)', 'a dark header', bg);
    });
  }
  await page.context().close();
}

const page = await newPage(1440, 900);

// ---- figures on screen match the API --------------------------------------------------------
await guard('dashboard/figures match the API', async () => {
  await page.goto(`${base}/?${q()}`);
  await page.waitForSelector('[data-testid="kpi-requests-value"]');
  const s = await (await fetch(`${base}/api/dashboard/summary?start=${range.from}&end=${range.to}`)).json();
  check('dashboard/requests KPI equals the API', String(s.current.requests), (await page.textContent('[data-testid="kpi-requests-value"]')).trim());
  check('dashboard/errors KPI equals the API', String(s.current.errors), (await page.textContent('[data-testid="kpi-errors-value"]')).trim());
  await page.goto(`${base}/?${q({ service: 'checkout' })}`);
  await page.waitForSelector('[data-testid="kpi-requests-value"]');
  const c = await (await fetch(`${base}/api/dashboard/summary?start=${range.from}&end=${range.to}&service=checkout`)).json();
  await page.waitForFunction((n) => document.querySelector('[data-testid="kpi-requests-value"]')?.textContent.trim() === n, String(c.current.requests), { timeout: 5000 }).catch(() => {});
  check('dashboard/one service: requests KPI equals the API', String(c.current.requests), (await page.textContent('[data-testid="kpi-requests-value"]')).trim());
  await page.screenshot({ path: path.join(shots, 'dashboard-service-1440.png') });
  const t = await (await fetch(`${base}/api/traces?start=${range.from}&end=${range.to}&limit=1`)).json();
  await page.goto(`${base}/traces?${q()}`);
  await page.waitForSelector('[data-testid="trace-link"]');
  check('traces/total equals the API', `${t.total} traces`, (await page.textContent('[data-testid="traces-total"]')).trim());
});

// ---- traces: server paging, sorting and filters ---------------------------------------------------
await guard('traces paging and sorting', async () => {
  await page.goto(`${base}/traces?${q()}`);
  await page.waitForSelector('[data-testid="trace-link"]');
  const first = await page.getAttribute('[data-testid="trace-link"]', 'href');
  await page.click('[data-testid="next-page"]');
  await page.waitForFunction((f) => document.querySelector('[data-testid="trace-link"]')?.getAttribute('href') !== f, first);
  const api1 = await (await fetch(`${base}/api/traces?start=${range.from}&end=${range.to}&limit=50`)).json();
  const api2 = await (await fetch(`${base}/api/traces?start=${range.from}&end=${range.to}&limit=50&cursor=${encodeURIComponent(api1.next_cursor)}`)).json();
  const shown = await page.$$eval('[data-testid="trace-link"]', (a) => a.map((x) => x.getAttribute('href').split('?')[0].split('/').pop()));
  check('traces/second page is the API\'s second page', api2.traces.map((t) => t.trace_id), shown);
  // the paging position is in the URL: a reload, and Back from a trace, return to page 2
  const pageTwo = () => page.$$eval('[data-testid="trace-link"]', (a) => a.map((x) => x.getAttribute('href').split('?')[0].split('/').pop()));
  check('traces/page cursor is in the URL', [api1.next_cursor], new URL(page.url()).searchParams.getAll('cursor'));
  await page.reload();
  await page.waitForFunction((id) => document.querySelector('[data-testid="trace-link"]')?.getAttribute('href').includes(id), api2.traces[0].trace_id, { timeout: 10000 });
  check('traces/reload keeps page 2', ['page 2', api2.traces.map((t) => t.trace_id)], [(await page.textContent('[data-testid="page-number"]')).trim(), await pageTwo()]);
  await page.click('[data-testid="trace-link"]');
  await page.waitForSelector('[data-testid="span-row"]');
  await page.goBack();
  await page.waitForFunction((id) => document.querySelector('[data-testid="trace-link"]')?.getAttribute('href').includes(id), api2.traces[0].trace_id, { timeout: 10000 });
  check('traces/Back from a trace returns to page 2', ['page 2', api2.traces.map((t) => t.trace_id)], [(await page.textContent('[data-testid="page-number"]')).trim(), await pageTwo()]);
  await page.click('[data-testid="prev-page"]');
  await page.waitForFunction((id) => document.querySelector('[data-testid="trace-link"]')?.getAttribute('href').includes(id), api1.traces[0].trace_id, { timeout: 10000 });
  check('traces/Newer returns to page 1 and drops the cursor', ['page 1', []], [(await page.textContent('[data-testid="page-number"]')).trim(), new URL(page.url()).searchParams.getAll('cursor')]);
  await page.click('th:has-text("Duration")');
  await page.waitForURL(/sort=duration/);
  await page.waitForSelector('[data-testid="trace-link"]');
  const top = await (await fetch(`${base}/api/traces?start=${range.from}&end=${range.to}&limit=1&sort=duration&order=asc`)).json();
  await page.waitForFunction((id) => document.querySelector('[data-testid="trace-link"]')?.getAttribute('href').includes(id), top.traces[0].trace_id, { timeout: 10000 });
  ok('traces/sorting by duration is done by the server (URL and rows)');
  await page.goto(`${base}/traces?${q({ service: 'batch' })}`);
  await page.waitForSelector('[data-testid="trace-link"]');
  check('traces/service filter', '1 traces', (await page.textContent('[data-testid="traces-total"]')).trim());
});

// ---- charts: a bucket opens exactly its window; dragging the log histogram zooms -----------------
await guard('chart clicks', async () => {
  await page.goto(`${base}/?${q()}`);
  await page.waitForSelector('[data-testid="chart-traffic"] .highcharts-point', { state: 'attached' });
  const ts = await (await fetch(`${base}/api/dashboard/timeseries?start=${range.from}&end=${range.to}`)).json();
  const points = await page.$$('[data-testid="chart-traffic"] .highcharts-series-0 .highcharts-point');
  const h = await Promise.all(points.map((p) => p.boundingBox()));
  const tallest = h.reduce((best, b, i) => (b && b.height > (h[best]?.height ?? -1) ? i : best), 0);
  await points[tallest].click({ force: true });
  await page.waitForURL(/\/traces\?/);
  const u = new URL(page.url());
  const from = Number(u.searchParams.get('from'));
  const to = Number(u.searchParams.get('to'));
  checkTrue('dashboard/a bar opens the traces of exactly its bucket', ts.buckets.includes(from) && to - from === ts.step_ms, `from on a bucket start, to = from + ${ts.step_ms}`, `from=${from} to=${to}`);
  await page.goto(`${base}/logs?${q()}`);
  await page.waitForSelector('[data-testid="log-histogram"] .highcharts-plot-background');
  const box = await (await page.$('[data-testid="log-histogram"] .highcharts-plot-background')).boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction((f) => new URL(location.href).searchParams.get('from') !== f, range.from);
  const z = new URL(page.url());
  const zf = Number(z.searchParams.get('from'));
  const zt = Number(z.searchParams.get('to'));
  checkTrue('logs/dragging the histogram zooms into that part of the range', zf > Number(range.from) && zt < Number(range.to) && zt > zf, 'a narrower absolute range', `${zf}..${zt}`);
});

// ---- time picker: URL, data, reload, Back ---------------------------------------------------
await guard('time picker', async () => {
  await page.goto(`${base}/?from=now-1h&to=now`);
  await page.waitForSelector('[data-testid="kpi-requests-value"]');
  const hour = Number((await page.textContent('[data-testid="kpi-requests-value"]')).trim());
  await page.click('[data-testid="time-picker"]');
  await page.click('[data-testid="time-picker-panel"] >> text="15 minutes"');
  await page.waitForURL(/from=now-15m/);
  ok('time picker/preset writes the URL');
  await page.waitForFunction((h) => Number(document.querySelector('[data-testid="kpi-requests-value"]')?.textContent) < h, hour, { timeout: 10000 });
  ok('time picker/preset changes the data');
  await page.reload();
  await page.waitForSelector('[data-testid="kpi-requests-value"]');
  check('time picker/survives a reload', 'Last 15 minutes', (await page.textContent('[data-testid="time-picker"]')).trim());
  await page.click('[data-testid="time-picker"]');
  await page.fill('input[aria-label="from"]', 'now-2h');
  await page.fill('input[aria-label="to"]', 'now');
  await page.keyboard.press('Enter');
  await page.waitForURL(/from=now-2h/);
  ok('time picker/typed relative range stays relative');
  await page.goBack();
  await page.waitForURL(/from=now-15m/);
  await page.goBack();
  await page.waitForURL(/from=now-1h/);
  ok('time picker/Back restores earlier ranges');
});

// ---- zone toggle shifts displayed times by the zone's offset (+05:30) -------------------------
await guard('zone toggle', async () => {
  await page.goto(`${base}/traces?${q()}`);
  await page.waitForSelector('[data-testid="trace-link"]');
  await page.click('[data-testid="zone-toggle"] >> text=Local');
  const cell = 'tbody tr.ant-table-row td:nth-child(2) .mono';
  const local = (await page.textContent(cell)).trim();
  await page.click('[data-testid="zone-toggle"] >> text=UTC');
  await page.waitForFunction(([sel, before]) => document.querySelector(sel)?.textContent.trim() !== before, [cell, local]);
  const utc = (await page.textContent(cell)).trim();
  const mins = (s) => {
    const [hh, mm] = s.split(' ')[0].split(':').map(Number);
    return hh * 60 + mm;
  };
  check('zone/local minus UTC is +05:30 in Asia/Kolkata', 330, (mins(local) - mins(utc) + 1440) % 1440);
  await page.click('[data-testid="zone-toggle"] >> text=Local');
});

// ---- live tail ------------------------------------------------------------------------------
await guard('live tail', async () => {
  await page.goto(`${base}/logs?tab=live`);
  await page.waitForFunction(() => document.querySelector('[data-testid="tail-status"]')?.textContent === 'live', null, { timeout: 10000 });
  const body = `live tail probe ${Date.now()}`;
  await sendLog(srv, body);
  const t0 = Date.now();
  await page.waitForSelector(`[data-testid="tail-table"] >> text=${body}`, { timeout: 2000 });
  ok(`live tail/a new log appears within 2 s (${Date.now() - t0} ms after its export was acknowledged)`);
  await page.screenshot({ path: path.join(shots, 'logs-live-1440.png') });
  await page.click('[data-testid="tail-pause"]');
  // (this body once made a 123-byte request that the server took for JSON: keep it as a check)
  await sendLog(srv, `while paused ${1765075000000 + (Date.now() % 1000000000)}`);
  await page.waitForSelector('[data-testid="tail-resume"] >> text=/1 new/', { timeout: 3000 });
  ok('live tail/paused tail counts waiting lines');
  await page.click('[data-testid="tail-resume"]');
  await page.waitForSelector('[data-testid="tail-table"] >> text=/while paused/', { timeout: 3000 });
  ok('live tail/resume shows them');
  // A dropped connection (the server restarts on the same ports and database): the browser
  // reconnects with Last-Event-ID and gets the lines stored meanwhile, each once.
  const ports = { ARGUS_HTTP_LISTEN: `127.0.0.1:${srv.apiPort}`, ARGUS_GRPC_LISTEN: `127.0.0.1:${srv.grpcPort}`, ARGUS_OTLP_HTTP_LISTEN: `127.0.0.1:${srv.httpPort}` };
  await stopServer(srv);
  await page.waitForFunction(() => document.querySelector('[data-testid="tail-status"]')?.textContent !== 'live', null, { timeout: 5000 });
  srv = await startUiServer(build, ports, { dir: srv.dir });
  const gap = [1, 2, 3].map((k) => `gap ${k} ${Date.now() % 100000}`);
  for (const g of gap) await sendLog(srv, g, 9);
  for (const g of gap) await page.waitForSelector(`[data-testid="tail-table"] >> text=${g}`, { timeout: 8000 });
  const seen = await page.$$eval('[data-testid="tail-table"] [data-testid="log-row"]', (r) => r.map((x) => x.getAttribute('data-log-id')));
  check('live tail/after a dropped connection every line arrives once', seen.length, new Set(seen).size);
  ok('live tail/reconnects without gaps');
});

// ---- log explorer: query, expand, add filter, context, jump to trace ---------------------------
await guard('log explorer', async () => {
  await page.goto(`${base}/logs?${q({ q: 'declined' })}`);
  await page.waitForSelector('[data-testid="log-row"]');
  const rows = await page.$$eval('[data-testid="log-row"]', (r) => r.map((x) => x.textContent));
  checkTrue('logs/query filters rows', rows.length > 0 && rows.every((t) => t.includes('declined')), 'only declined payments', rows.slice(0, 3));
  await page.click('[data-testid="log-row"]:has-text("connection reset by peer") .log-row');
  await page.waitForSelector('[data-testid="log-details"]');
  await page.hover('[data-testid="log-details"] .json-leaf:has-text("error.type")');
  await page.click('[data-testid="log-details"] .json-leaf:has-text("error.type") [aria-label="filter by value"]');
  await page.waitForURL(/attr\.error\.type%3AECONNRESET|attr.error.type:ECONNRESET/);
  ok('logs/JSON tree adds key:value to the query');
  await page.waitForSelector('[data-testid="log-row"]');
  await page.click('[data-testid="log-row"] .log-row');
  await page.click('[data-testid="log-context-button"]');
  await page.waitForSelector('[data-testid="context-self"]');
  ok('logs/context opens around the line');
  await page.keyboard.press('Escape');
  await page.click('[data-testid="log-trace-link"]');
  await page.waitForSelector('[data-testid="span-row"]');
  await page.waitForSelector('[data-testid="span-details-body"]');
  check('logs/jump to the trace opens the line\'s span', 'checkout · POST /pay', (await page.textContent('.ant-drawer-title')).trim());
  check('logs/that span is selected in the waterfall', 1, (await page.$$('.wf-selected')).length);
  await page.keyboard.press('Escape');
  await page.goto(`${base}/logs?${q({ q: '"unclosed' })}`);
  await page.waitForSelector('[data-testid="query-error"]');
  ok('logs/invalid query explained');
});

// ---- the 10,000-span trace ------------------------------------------------------------------
await guard('waterfall 10k', async () => {
  const t0 = Date.now();
  await page.goto(`${base}/traces/${data.bigTraceId}?${q()}`);
  await page.waitForSelector('[data-testid="span-row"]', { timeout: 15000 });
  const firstRow = Date.now() - t0;
  check('waterfall/10k spans counted', '10000 spans', (await page.textContent('[data-testid="span-count"]')).trim());
  console.log(`# 10,000-span trace: first rows on screen ${firstRow} ms after navigation`);
  checkTrue('waterfall/10k trace opens in under 5 s', firstRow < 5000, '< 5000 ms', `${firstRow} ms`);
  const collapsedRows = await page.textContent('.wf-minimap-label');
  check('waterfall/huge trace starts with subtrees collapsed', '100 rows', collapsedRows.trim());
  await page.click('[data-testid="expand-all"]');
  await page.waitForFunction(() => document.querySelector('.wf-minimap-label')?.textContent === '10000 rows');
  const dom = await page.$$eval('[data-testid="span-row"]', (r) => r.length);
  checkTrue('waterfall/virtualized (few rows in the DOM)', dom < 150, '< 150 rows in the DOM', dom);
  const frames = await page.evaluate(async () => {
    const el = document.querySelector('[data-testid="waterfall"]');
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 1000) {
      el.scrollTop += 400;
      await new Promise((r) => requestAnimationFrame(r));
      n++;
    }
    return { fps: n / ((performance.now() - start) / 1000), top: el.scrollTop };
  });
  console.log(`# waterfall scrolling: ${frames.fps.toFixed(0)} frames/s`);
  checkTrue('waterfall/scrolls', frames.top > 2000, 'scrolled down', frames.top);
  const names = await page.$$eval('[data-testid="span-row"] .wf-span-name', (r) => r.map((x) => x.textContent));
  checkTrue('waterfall/rows far down are rendered', names.some((n) => /upsert item/.test(n)), 'upsert item rows', names.slice(0, 3));
  await page.fill('[data-testid="span-search"] input', 'chunk-007');
  await page.waitForSelector('[data-testid="match-count"]');
  check('waterfall/search counts matches', '1 matches', (await page.textContent('[data-testid="match-count"]')).trim());
  await page.click('[data-testid="matches-only"]');
  await page.waitForFunction(() => document.querySelector('.wf-minimap-label')?.textContent === '2 rows');
  ok('waterfall/matches only shows the match and its ancestors');
  await page.click('[data-testid="matches-only"]');
  await page.fill('[data-testid="span-search"] input', '');
  await page.click('[data-testid="collapse-all"]');
  await page.waitForFunction(() => document.querySelector('.wf-minimap-label')?.textContent === '1 rows');
  ok('waterfall/collapse all');
  await page.screenshot({ path: path.join(shots, 'trace-10k-collapsed-1440.png') });
});

await guard('waterfall keyboard', async () => {
  await page.goto(`${base}/traces/${data.failingTraceId}?${q()}`);
  await page.waitForSelector('[data-testid="span-row"]');
  const ids = await page.$$eval('[data-testid="span-row"]', (r) => r.map((x) => x.getAttribute('data-span-id')));
  await page.focus('[data-testid="waterfall"]');
  await page.keyboard.press('ArrowDown');
  check('keyboard/down selects the next span', ids[1], await page.getAttribute('.wf-selected', 'data-span-id'));
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="span-row"]').length === 1);
  ok('keyboard/left collapses');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="span-row"]').length === n, ids.length);
  ok('keyboard/right expands');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="span-details-body"]');
  await page.waitForTimeout(500); // the drawer slides in
  check('keyboard/enter opens the details', true, (await page.textContent('.ant-drawer-title')).includes('GET /checkout'));
  await page.screenshot({ path: path.join(shots, 'trace-details-1440.png') });
  await page.keyboard.press('Escape');
  const errs = await page.$$('.wf-error');
  checkTrue('waterfall/error spans marked', errs.length >= 1, 'an error mark', errs.length);
});

// ---- errors went up -> failing trace -> its logs, in three clicks -------------------------------
await guard('three clicks', async () => {
  await page.goto(`${base}/?${q()}`);
  await page.click('[data-testid="failing-service"]');
  await page.waitForSelector('[data-testid="trace-link"]');
  await page.click('[data-testid="trace-link"]');
  await page.waitForSelector('[data-testid="trace-logs-link"]');
  const traceId = page.url().match(/\/traces\/([0-9a-f]{32})/)[1];
  const errorSpans = await page.$$('.wf-error');
  checkTrue('journey/the trace opened from a failing service has an error span', errorSpans.length > 0, 'an error mark', errorSpans.length);
  await page.click('[data-testid="trace-logs-link"]');
  await page.waitForSelector('[data-testid="log-row"]');
  const shown = await page.$$eval('[data-testid="log-row"]', (r) => r.map((x) => Number(x.getAttribute('data-log-id'))));
  const u = new URL(page.url());
  const want = await (await fetch(`${base}/api/logs?q=${encodeURIComponent(u.searchParams.get('q'))}&start=${u.searchParams.get('from')}&end=${u.searchParams.get('to')}`)).json();
  check('journey/dashboard -> failing trace -> its logs in three clicks', { q: `trace_id:${traceId}`, ids: want.logs.map((l) => l.id) }, { q: u.searchParams.get('q'), ids: shown });
});

// ---- states and panels worth looking at: empty range, patterns, context, help, phone menus -----
await guard('screens', async () => {
  await page.goto(`${base}/?from=now-7d&to=now-6d`);
  await page.waitForSelector('[data-testid="empty-state"]');
  check('empty/dashboard says what to do', true, (await page.textContent('[data-testid="empty-state"]')).includes('127.0.0.1:4317'));
  await page.screenshot({ path: path.join(shots, 'dashboard-empty-1440.png') });
  await page.goto(`${base}/logs?${q({ tab: 'patterns' })}`);
  await page.waitForSelector('[data-testid="patterns"] tr.ant-table-row');
  await page.screenshot({ path: path.join(shots, 'logs-patterns-1440.png') });
  await page.goto(`${base}/logs?${q({ q: 'declined' })}`);
  await page.click('[data-testid="log-row"]:has-text("connection reset by peer") .log-row');
  await page.waitForSelector('[data-testid="log-details"]');
  await page.screenshot({ path: path.join(shots, 'logs-expanded-1440.png') });
  await page.click('[data-testid="log-context-button"]');
  await page.waitForSelector('[data-testid="context-self"]');
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(shots, 'logs-context-1440.png') });
  await page.keyboard.press('Escape');
  await page.click('[data-testid="query-help-button"]');
  await page.waitForSelector('[data-testid="query-help"]');
  await page.screenshot({ path: path.join(shots, 'logs-query-help-1440.png') });
  const phone = await newPage(390, 844);
  await phone.goto(`${base}/traces?${q()}`);
  await phone.waitForSelector('[data-testid="trace-link"]');
  await phone.click('[aria-label="menu"]');
  await phone.waitForSelector('.ant-drawer .nav');
  await phone.waitForTimeout(400);
  await phone.screenshot({ path: path.join(shots, 'nav-drawer-390.png') });
  await phone.keyboard.press('Escape');
  await phone.click('[data-testid="time-picker"]');
  await phone.waitForSelector('[data-testid="time-picker-panel"]');
  await phone.waitForTimeout(300);
  await phone.screenshot({ path: path.join(shots, 'time-picker-390.png') });
  await phone.context().close();
  ok('screens/extra screenshots');
});

// ---- auto-refresh re-asks the API on its interval --------------------------------------------
await guard('auto-refresh', async () => {
  let asked = 0;
  const count = (r) => r.url().includes('/api/dashboard/summary') && asked++;
  page.on('request', count);
  await page.goto(`${base}/?from=now-1h&to=now&refresh=5s`);
  await page.waitForSelector('[data-testid="kpi-requests-value"]');
  await page.waitForTimeout(11500);
  page.off('request', count);
  checkTrue('auto-refresh/every 5s asks again', asked >= 3, 'at least 3 summary requests in 11.5 s', asked);
});

// ---- data management (last: it deletes the data) ----------------------------------------------
await guard('data management', async () => {
  await page.goto(`${base}/settings`);
  await page.waitForSelector('[data-testid="db-size"]');
  const dbName = (await page.textContent('[data-testid="db-name"]')).trim();
  checkTrue('settings/names the database', MYSQL ? /^argus_\w+$/.test(dbName) : dbName.endsWith('argus.db'),
    MYSQL ? 'the MariaDB database' : 'the SQLite file', dbName);
  const rows = (await page.textContent('[data-testid="rows"]')).split(' · ').map((x) => x.replace(/^[\d.,]+[kMG]? /, ''));
  check('settings/row counts in a fixed order', ['spans', 'logs', 'traces', 'resources', 'log_patterns'], rows);
  await page.fill('input[aria-label="older than"]', '30m');
  await page.click('[data-testid="data-management"] button:has-text("Purge")');
  await page.click('.ant-modal-confirm button:has-text("Delete")');
  // the answer (success or the API's error) is shown in the panel
  await page.waitForSelector('[data-testid="data-management"] .ant-alert', { timeout: 60000 });
  const said = await page.textContent('[data-testid="data-management"] .ant-alert');
  checkTrue('settings/purge older than reports what it deleted', /Deleted .*spans/.test(said), 'Deleted N spans…', said);
  const old = await (await fetch(`${base}/api/traces?start=${range.from}&end=${data.now - 31 * 60_000}&limit=1`)).json();
  check('settings/purged traces are gone', 0, old.total);
  await page.click('[data-testid="data-management"] button:has-text("Delete all data")');
  await page.fill('input[aria-label="confirm delete"]', 'delete all');
  await page.click('.ant-modal-footer button:has-text("Delete everything")');
  await page.waitForSelector('text=/Deleted everything/', { timeout: 20000 });
  const all = await (await fetch(`${base}/api/traces?${new URLSearchParams({ start: range.from, end: String(Date.now() + 60_000), limit: '1' })}`)).json();
  check('settings/delete all leaves no traces', 0, all.total);
  await page.waitForTimeout(500); // the dialog fades out
  await page.screenshot({ path: path.join(shots, 'settings-deleted-1440.png') });
});

await browser.close();
checkTrue('console/no errors in the browser console', consoleErrors.length === 0, 'none', consoleErrors.slice(0, 5).join(' | '));
done();
