// Every REST route against data sent by the OpenTelemetry JS SDK exporters: figures checked
// against an exact computation here, filters' hits and exclusions, cursor paging that visits
// each record once while ingest goes on, waterfall order, bad parameters (400 naming them) and
// SQL-injection strings (correct answer or 400, database unchanged).
//   node tests/api/routes.mjs build
import { startServer, stopServer, check, checkTrue, guard, done, sql, ok, notOk, makeLogs, exporter, exportItems, dialect } from '../server/lib.mjs';
import { loadDataset, insightsDone, exactPercentile, SERVICES } from './data.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5', ARGUS_INSIGHT_INTERVAL_MS: '20' });
const d = await loadDataset(srv);
const T0 = d.T0;
const START = (T0 - 60) * 1000, END = (T0 + 25 * 60) * 1000; // ms; the early traces fall before
const RANGE = `start=${START}&end=${END}`;
const inRange = (ns) => ns >= BigInt(START) * 1000000n && ns < BigInt(END) * 1000000n;

async function get(path) {
  const res = await fetch(`${srv.apiUrl}${path}`);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}

const spans = d.spans.filter((s) => inRange(s.start));
const isRequest = (s) => s.kind === 2 || s.kind === 5 || s.parent === null;

await guard('api/services', async () => {
  const r = await get(`/api/services?${RANGE}`);
  const expected = SERVICES.map((svc) => {
    const req = spans.filter((s) => s.svc === svc && isRequest(s));
    const errors = req.filter((s) => s.error).length;
    return { service: svc, requests: req.length, errors, error_rate: req.length ? errors / req.length : 0,
      logs: d.logs.filter((l) => l.svc === svc && inRange(l.time)).length };
  });
  check('api/services/counts', expected,
    r.json.services.map(({ service, requests, errors, error_rate, logs }) => ({ service, requests, errors, error_rate, logs })));
  for (const s of r.json.services) {
    const exact = exactPercentile(spans.filter((x) => x.svc === s.service && isRequest(x)).map((x) => x.dur), 0.95);
    checkTrue(`api/services/p95/${s.service}`, Math.abs(s.p95_ns - exact) <= exact * 0.02,
      `within 2% of ${exact}`, s.p95_ns);
  }
});

await guard('api/operations', async () => {
  const r = await get(`/api/services/checkout/operations?${RANGE}`);
  const counts = {};
  for (const s of spans.filter((x) => x.svc === 'checkout')) {
    counts[s.name] = counts[s.name] || { name: s.name, spans: 0, errors: 0 };
    counts[s.name].spans++;
    if (s.error) counts[s.name].errors++;
  }
  const expected = Object.values(counts).sort((a, b) => b.spans - a.spans || (a.name < b.name ? -1 : 1));
  check('api/operations/checkout', expected, r.json.operations);
  const none = await get(`/api/services/nope/operations?${RANGE}`);
  check('api/operations/unknown-service-empty', [200, []], [none.status, none.json.operations]);
});

await guard('api/dashboard', async () => {
  const r = await get(`/api/dashboard/summary?${RANGE}`);
  const req = spans.filter(isRequest), errors = req.filter((s) => s.error).length;
  const logsBy = (from, to) => {
    const out = { TRACE: 0, DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0, FATAL: 0, UNSPECIFIED: 0 };
    const names = ['UNSPECIFIED', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
    for (const l of d.logs) if (l.time >= from && l.time < to) out[names[Math.ceil(l.sev / 4)]]++;
    return out;
  };
  const s0 = BigInt(START) * 1000000n, e0 = BigInt(END) * 1000000n, p0 = s0 - (e0 - s0);
  check('api/dashboard/summary/current',
    { requests: req.length, errors, error_rate: errors / req.length, logs: logsBy(s0, e0) },
    { requests: r.json.current.requests, errors: r.json.current.errors, error_rate: r.json.current.error_rate, logs: r.json.current.logs });
  const prev = d.spans.filter((s) => s.start >= p0 && s.start < s0 && isRequest(s));
  check('api/dashboard/summary/previous', [prev.length, logsBy(p0, s0)], [r.json.previous.requests, r.json.previous.logs]);
  const exact = exactPercentile(req.map((s) => s.dur), 0.5);
  checkTrue('api/dashboard/summary/p50', Math.abs(r.json.current.p50_ns - exact) <= exact * 0.02, `within 2% of ${exact}`, r.json.current.p50_ns);

  const ts = await get(`/api/dashboard/timeseries?${RANGE}&step=5m`);
  const b = ts.json.buckets;
  checkTrue('api/dashboard/timeseries/buckets', ts.json.step_ms === 300000 && b.length > 0 &&
    b.every((x, i) => i === 0 || x - b[i - 1] === 300000), 'consecutive 5-minute buckets', JSON.stringify(b).slice(0, 200));
  const perBucket = b.map((t) => req.filter((s) => Number(s.start / 1000000n) >= t && Number(s.start / 1000000n) < t + 300000).length);
  check('api/dashboard/timeseries/requests', perBucket, ts.json.series[0].requests);
  check('api/dashboard/timeseries/logs-total', d.logs.filter((l) => inRange(l.time)).length,
    Object.values(ts.json.logs).flat().reduce((a, x) => a + x, 0));
  const g = await get(`/api/dashboard/timeseries?${RANGE}&step=5m&group_by=service`);
  check('api/dashboard/timeseries/group-by-service', SERVICES.map((svc) => [svc, req.filter((s) => s.svc === svc).length]),
    g.json.series.map((x) => [x.service, x.requests.reduce((a, y) => a + y, 0)]));

  const tf = await get(`/api/dashboard/top-failing?${RANGE}`);
  const failing = SERVICES.map((svc) => {
    const rq = req.filter((s) => s.svc === svc), er = rq.filter((s) => s.error).length;
    return [svc, rq.length, er];
  }).filter((x) => x[2] > 0).sort((a, c) => c[2] - a[2] || c[2] / c[1] - a[2] / a[1]);
  check('api/dashboard/top-failing/ranking', failing, tf.json.services.map((s) => [s.service, s.requests, s.errors]));
  const pay = tf.json.services.find((s) => s.service === 'checkout').operations;
  check('api/dashboard/top-failing/operations', ['POST /pay', spans.filter((s) => s.svc === 'checkout' && s.name === 'POST /pay' && s.error).length],
    [pay[0].name, pay[0].errors]);
});

// ---- logs -------------------------------------------------------------------------------------
const logsIn = d.logs.filter((l) => inRange(l.time));
const newestFirst = (a, b) => (a.time === b.time ? b.id - a.id : a.time < b.time ? 1 : -1);
async function searchIds(params) {
  const r = await get(`/api/logs?${RANGE}&limit=1000&${params}`);
  if (r.status !== 200) throw new Error(`${params}: ${r.status} ${r.text}`);
  return r.json.logs.map((l) => l.id);
}
const idsOf = (pred) => logsIn.filter(pred).sort(newestFirst).map((l) => l.id);
const bodyText = (l) => (typeof l.body === 'string' ? l.body : '');

await guard('api/logs/filters', async () => {
  const cases = [
    ['all', '', () => true],
    ['service-param', 'service=cart', (l) => l.svc === 'cart'],
    ['service-repeated', 'service=cart&service=inventory', (l) => l.svc !== 'checkout'],
    ['severity-param', 'severity=ERROR', (l) => l.sev >= 17 && l.sev <= 20],
    ['severity-ge', `severity=${encodeURIComponent('>=WARN')}`, (l) => l.sev >= 13],
    ['q-service', 'q=service:inventory', (l) => l.svc === 'inventory'],
    ['q-level', `q=${encodeURIComponent('level:>=WARN')}`, (l) => l.sev >= 13],
    ['q-word', 'q=declined', (l) => bodyText(l).includes('declined')],
    ['q-word-any-case', 'q=DeClined', (l) => bodyText(l).includes('declined')],
    ['q-prefix', 'q=reserv*', (l) => /\breserv/.test(bodyText(l))],
    ['q-phrase', `q=${encodeURIComponent('"out of stock"')}`, (l) => bodyText(l).includes('out of stock')],
    ['q-negation', `q=${encodeURIComponent('order -service:cart -declined')}`, (l) => l.svc !== 'cart' && !bodyText(l).includes('declined')],
    ['q-attr', `q=${encodeURIComponent('attr.pay.method:card')}`, (l) => l.attrs['pay.method'] === 'card'],
    ['q-attr-number', `q=${encodeURIComponent('attr.order.id:7')}`, (l) => l.attrs['order.id'] === 7],
    ['q-resource', `q=${encodeURIComponent('resource.deployment.environment:staging')}`, (l) => l.env === 'staging'],
    ['q-negated-phrase', `q=${encodeURIComponent('order -"accepted by"')}`, (l) => !bodyText(l).includes('accepted by')],
    ['trace-param', `trace_id=${spans[0].trace}`, (l) => l.trace === spans[0].trace],
    ['q-trace', `q=trace_id:${spans[0].trace.toUpperCase()}`, (l) => l.trace === spans[0].trace],
    ['combined', `service=checkout&q=${encodeURIComponent('level:ERROR payment')}`, (l) => l.svc === 'checkout' && l.sev === 17 && bodyText(l).includes('payment')],
  ];
  for (const [name, params, pred] of cases) {
    const want = idsOf(pred);
    const got = await searchIds(params);
    if (want.length === 0) notOk(`api/logs/filter/${name}`, 'the test data has no hit for this filter');
    else check(`api/logs/filter/${name}`, want, got);
  }
  const one = (await get(`/api/logs?${RANGE}&limit=1&q=declined`)).json.logs[0];
  const l = d.logs.find((x) => x.id === one.id);
  check('api/logs/record-shape', {
    time_unix_nano: l.time.toString(), severity_number: 17, severity_text: 'ERROR', service: l.svc, body: l.body,
    attributes: l.attrs, resource: { 'service.name': l.svc, 'deployment.environment': l.env }, trace_id: l.trace,
    scope: { name: 'argus-test-logger', version: '4.5.6' } },
  { time_unix_nano: one.time_unix_nano, severity_number: one.severity_number, severity_text: one.severity_text,
    service: one.service, body: one.body, attributes: one.attributes, resource: one.resource, trace_id: one.trace_id, scope: one.scope });
});

await guard('api/logs/paging-during-ingest', async () => {
  const want = logsIn.sort(newestFirst).map((l) => l.id);
  // Ingest goes on meanwhile: records inside the range, both newer and older than the pages.
  let stop = false;
  const pump = (async () => {
    let k = 0;
    while (!stop) {
      const more = await makeLogs({ 'service.name': 'pump' }, (logger) => {
        for (let j = 0; j < 20; j++, k++) {
          logger.emit({ severityNumber: 9, body: `pump ${k}`, timestamp: [T0 + (k % 1200), 0] });
        }
      });
      const exp = exporter(srv, 'logs', 'proto');
      await exportItems(exp, more);
      await exp.shutdown();
    }
  })();
  const seen = [];
  let cursor = null, pages = 0;
  do {
    const r = await get(`/api/logs?${RANGE}&limit=7&service=cart&service=checkout&service=inventory${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...r.json.logs.map((x) => x.id));
    cursor = r.json.next_cursor;
    pages++;
  } while (cursor && pages < 1000);
  stop = true;
  await pump;
  const dup = seen.length - new Set(seen).size;
  check('api/logs/paging/no-duplicates', 0, dup);
  check('api/logs/paging/every-record-once', want, seen);
});

await guard('api/logs/histogram', async () => {
  const r = await get(`/api/logs/histogram?${RANGE}&step=10m&service=inventory`);
  const want = r.json.buckets.map((b) => {
    const inb = logsIn.filter((l) => l.svc === 'inventory' && Number(l.time / 1000000n) >= b.start_ms && Number(l.time / 1000000n) < b.start_ms + 600000);
    return [inb.length, inb.filter((l) => l.sev === 17).length, inb.filter((l) => l.sev === 5).length];
  });
  check('api/logs/histogram/counts', want, r.json.buckets.map((b) => [b.total, b.counts.ERROR, b.counts.DEBUG]));
  check('api/logs/histogram/total', logsIn.filter((l) => l.svc === 'inventory').length, r.json.buckets.reduce((a, b) => a + b.total, 0));
  // the same through a filter the rollups cannot answer (the records are read)
  const q = await get(`/api/logs/histogram?${RANGE}&step=10m&q=service:inventory`);
  check('api/logs/histogram/records-path-agrees', r.json.buckets, q.json.buckets);
  const w = await get(`/api/logs/histogram?${RANGE}&step=10m&severity=${encodeURIComponent('>=WARN')}`);
  check('api/logs/histogram/severity', logsIn.filter((l) => l.sev >= 13).length, w.json.buckets.reduce((a, b) => a + b.total, 0));
});

await guard('api/logs/context', async () => {
  const svcLogs = d.logs.filter((l) => l.svc === 'cart').sort((a, b) => (a.time === b.time ? a.id - b.id : a.time < b.time ? -1 : 1));
  const mid = svcLogs[10];
  const r = await get(`/api/logs/${mid.id}/context?before=3&after=2`);
  check('api/logs/context/by-service', [svcLogs.slice(7, 10).map((l) => l.id), mid.id, svcLogs.slice(11, 13).map((l) => l.id)],
    [r.json.before.map((l) => l.id), r.json.log.id, r.json.after.map((l) => l.id)]);
  const tr = d.logs.filter((l) => l.trace === mid.trace).sort((a, b) => (a.time === b.time ? a.id - b.id : a.time < b.time ? -1 : 1));
  const pos = tr.findIndex((l) => l.id === mid.id);
  const t = await get(`/api/logs/${mid.id}/context?by=trace&before=5&after=5`);
  check('api/logs/context/by-trace', [tr.slice(Math.max(0, pos - 5), pos).map((l) => l.id), tr.slice(pos + 1, pos + 6).map((l) => l.id)],
    [t.json.before.map((l) => l.id), t.json.after.map((l) => l.id)]);
  check('api/logs/context/unknown-404', 404, (await get('/api/logs/999999999/context')).status);
});

await guard('api/logs/patterns', async () => {
  checkTrue('api/logs/patterns/insights-done', await insightsDone(srv), 'insight lag 0', 'still tagging');
  const r = await get(`/api/logs/patterns?${RANGE}&service=inventory`);
  const stock = logsIn.filter((l) => l.svc === 'inventory' && bodyText(l).startsWith('out of stock'));
  const p = r.json.patterns.find((x) => x.template.startsWith('out of stock'));
  check('api/logs/patterns/out-of-stock', [stock.length, 'out of stock for order <num>', ['inventory']],
    p ? [p.count, p.template, p.services] : null);
  const times = stock.map((l) => l.time).sort((a, b) => (a < b ? -1 : 1));
  check('api/logs/patterns/first-last', [times[0].toString(), times[times.length - 1].toString()], p ? [p.first_ns, p.last_ns] : null);
});

// ---- traces -----------------------------------------------------------------------------------
const traces = {};
for (const s of d.spans) {
  const t = (traces[s.trace] = traces[s.trace] || { id: s.trace, spans: [] });
  t.spans.push(s);
}
for (const t of Object.values(traces)) {
  t.root = t.spans.find((s) => s.parent === null);
  t.start = t.spans.reduce((m, s) => (s.start < m ? s.start : m), t.spans[0].start);
  const end = t.spans.reduce((m, s) => (s.start + BigInt(s.dur) > m ? s.start + BigInt(s.dur) : m), 0n);
  t.dur = Number(end - t.start);
  t.errors = t.spans.filter((s) => s.error).length;
}
const tracesIn = Object.values(traces).filter((t) => inRange(t.start));

await guard('api/traces/list', async () => {
  const order = (a, b) => (a.start === b.start ? (a.id < b.id ? 1 : -1) : a.start < b.start ? 1 : -1);
  const cases = [
    ['all', '', () => true],
    ['service', 'service=checkout', (t) => t.root.svc === 'checkout'],
    ['operation', `operation=${encodeURIComponent('POST /pay')}`, (t) => t.spans.some((s) => s.name === 'POST /pay')],
    // the operation is any span of the trace: inventory's 'reserve' is never a root
    ['operation-non-root', 'operation=reserve', (t) => t.spans.some((s) => s.name === 'reserve')],
    ['operation-of-service', 'service=inventory&operation=reserve', (t) => t.spans.some((s) => s.svc === 'inventory' && s.name === 'reserve')],
    ['operation-child-of-service', `service=cart&operation=${encodeURIComponent('SELECT items')}`,
      (t) => t.spans.some((s) => s.svc === 'cart' && s.name === 'SELECT items')],
    // a span of that name in another service does not count
    ['operation-other-service', 'service=checkout&operation=reserve', () => false],
    ['root-operation', `root_operation=${encodeURIComponent('POST /pay')}`, (t) => t.root.name === 'POST /pay'],
    ['root-operation-non-root', 'root_operation=reserve', () => false],
    ['min-duration', 'min_duration=250ms', (t) => t.dur >= 250000000],
    ['max-duration', 'max_duration=0.1s', (t) => t.dur <= 100000000],
    ['error', 'error=true', (t) => t.errors > 0],
    ['attr', 'attr.customer.tier=gold', (t) => t.root.tier === 'gold'],
  ];
  for (const [name, params, pred] of cases) {
    const want = tracesIn.filter(pred).sort(order);
    const r = await get(`/api/traces?${RANGE}&limit=1000&${params}`);
    check(`api/traces/filter/${name}`, [want.map((t) => t.id), want.length],
      [r.json.traces.map((t) => t.trace_id), r.json.total]);
  }
  // the data must hold both kinds for the operation cases to mean anything: cart traces whose
  // non-root 'SELECT items' matches, and checkout traces that have no cart span
  const cartDb = tracesIn.filter((t) => t.spans.some((s) => s.svc === 'cart' && s.name === 'SELECT items'));
  checkTrue('api/traces/filter/operation-data', cartDb.length > 0 && cartDb.length < tracesIn.length && cartDb.every((t) => t.root.name !== 'SELECT items'),
    'some traces with a non-root cart SELECT items, some without', `${cartDb.length} of ${tracesIn.length}`);
  const first = (await get(`/api/traces?${RANGE}&limit=1`)).json.traces[0];
  const t = tracesIn.sort(order)[0];
  check('api/traces/summary-shape', { trace_id: t.id, root_service: t.root.svc, root_name: t.root.name, start_ns: t.start.toString(),
    duration_ns: t.dur, span_count: t.spans.length, error_count: t.errors, services: [...new Set(t.spans.map((s) => s.svc))].sort() }, first);
  // sort by duration, paging with a cursor
  const byDur = tracesIn.slice().sort((a, b) => (a.dur === b.dur ? (a.id < b.id ? -1 : 1) : a.dur - b.dur));
  const seen = [];
  let cursor = null, total = null;
  do {
    const r = await get(`/api/traces?${RANGE}&sort=duration&order=asc&limit=6${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...r.json.traces.map((x) => x.trace_id));
    cursor = r.json.next_cursor;
    total = r.json.total;
  } while (cursor);
  check('api/traces/paging-by-duration', [byDur.map((x) => x.id), tracesIn.length], [seen, total]);
});

await guard('api/traces/waterfall', async () => {
  const t = tracesIn[5];
  const r = await get(`/api/traces/${t.id}`);
  // display order: the root, then its children by start time, depth first
  const kids = (id) => t.spans.filter((s) => s.parent === id).sort((a, b) => (a.start < b.start ? -1 : 1));
  const order = [];
  const walk = (s, depth) => { order.push([s.span, depth]); for (const k of kids(s.span)) walk(k, depth + 1); };
  walk(t.root, 0);
  check('api/traces/waterfall/order-depth', order, r.json.spans.map((s) => [s.span_id, s.depth]));
  check('api/traces/waterfall/header', [t.start.toString(), t.dur, d.logs.filter((l) => l.trace === t.id).length, [...new Set(t.spans.map((s) => s.svc))].sort()],
    [r.json.start_ns, r.json.duration_ns, r.json.log_count, r.json.services]);
  const root = r.json.spans[0];
  check('api/traces/waterfall/root', ['SERVER', 0, t.root.dur, true, false, { 'service.name': t.root.svc, 'deployment.environment': 'prod' }],
    [root.kind, root.offset_ns, root.duration_ns, root.critical, root.orphan, root.resource]);
  check('api/traces/waterfall/malformed-400', [400, 'bad_parameter', true],
    [(await get('/api/traces/xyz')).status, (await get('/api/traces/xyz')).json.error.code, /trace_id/.test((await get('/api/traces/xyz')).json.error.message)]);
  check('api/traces/waterfall/unknown-404', 404, (await get(`/api/traces/${'0'.repeat(31)}1`)).status);
});

await guard('api/system', async () => {
  const r = await get('/api/system');
  const rows = sql(srv.db, 'SELECT (SELECT count(*) FROM span_records) AS s, (SELECT count(*) FROM log_records) AS l, (SELECT count(*) FROM traces) AS t')[0];
  check('api/system/rows', [rows.s, rows.l, rows.t], [r.json.rows.spans, r.json.rows.logs, r.json.rows.traces]);
  check('api/system/backend', [dialect, true, true], [r.json.backend, r.json.database.size_bytes > 0, r.json.ingest.traces.stored >= d.spans.length]);
  const m = await get('/metrics');
  checkTrue('api/metrics/prometheus', m.status === 200 && /text\/plain/.test(m.headers.get('content-type')) &&
    new RegExp(`argus_rows\\{table="spans"\\} ${rows.s}`).test(m.text), `argus_rows{table="spans"} ${rows.s}`, m.text.slice(0, 300));
  // The breaker, the memory budget and the HTTP layer's slow-connection closes, in both views.
  check('api/system/breaker-memory-http',
    { state: 'closed', opened: 0, since_ns: null, limit_bytes: 256 * 1024 * 1024, closed_slow: 'number' },
    { state: r.json.breaker.state, opened: r.json.breaker.opened, since_ns: r.json.breaker.since_ns,
      limit_bytes: r.json.memory.limit_bytes, closed_slow: typeof r.json.http.closed_slow });
  const metric = (name) => Number((m.text.match(new RegExp(`^${name} (\\d+)$`, 'm')) || [])[1]);
  check('api/metrics/breaker-memory-http',
    { open: 0, opened: 0, limit: 256 * 1024 * 1024, refused: r.json.memory.refused, slow: 'number' },
    { open: metric('argus_breaker_open'), opened: metric('argus_breaker_opened_total'),
      limit: metric('argus_memory_limit_bytes'), refused: metric('argus_memory_refused_total'),
      slow: Number.isInteger(metric('argus_http_closed_slow_total')) ? 'number' : metric('argus_http_closed_slow_total') });
});

// ---- bad parameters and injection -------------------------------------------------------------
await guard('api/bad-parameters', async () => {
  const cases = [
    ['/api/services?start=yesterday', 'start'], ['/api/services?end=2026-13-01', 'end'],
    ['/api/services?start=now-5x', 'start'], [`/api/services?start=${END}&end=${START}`, 'start'],
    ['/api/logs?limit=0', 'limit'], ['/api/logs?limit=abc', 'limit'], ['/api/logs?limit=100000', 'limit'],
    ['/api/logs?cursor=zzz', 'cursor'], ['/api/logs?severity=LOUD', 'severity'],
    ['/api/logs?trace_id=123', 'trace_id'], ['/api/logs?span_id=xyz', 'span_id'],
    ['/api/logs?q=%22unclosed', 'q'], ['/api/logs?q=color:red', 'q'], ['/api/logs?q=level:', 'q'],
    ['/api/logs/histogram?step=1ns', 'step'], ['/api/logs/abc/context', 'id'],
    ['/api/logs/1/context?by=host', 'by'], ['/api/logs/1/context?before=-1', 'before'],
    ['/api/dashboard/timeseries?group_by=host', 'group_by'], ['/api/dashboard/timeseries?step=90s', 'step'],
    ['/api/traces?min_duration=fast', 'min_duration'], ['/api/traces?sort=name', 'sort'],
    ['/api/traces?order=up', 'order'], ['/api/traces?error=maybe', 'error'], ['/api/traces?cursor=1.2', 'cursor'],
    ['/api/traces/not-hex', 'trace_id'],
  ];
  for (const [url, param] of cases) {
    const r = await get(url);
    checkTrue(`api/bad/${url}`, r.status === 400 && r.json && r.json.error.code === 'bad_parameter' && r.json.error.message.startsWith(param),
      `400 bad_parameter naming ${param}`, `${r.status} ${r.text.slice(0, 200)}`);
  }
  const del = await fetch(`${srv.apiUrl}/api/data`, { method: 'DELETE' });
  const body = await del.json();
  check('api/bad/delete-needs-confirm', [400, true], [del.status, body.error.message.startsWith('confirm')]);
});

// Tables, indexes, views and triggers: a statement slipped into a parameter would change them.
const SCHEMA_OBJECTS = dialect === 'mysql'
  ? '(SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()) + (SELECT count(*) FROM information_schema.statistics WHERE table_schema = DATABASE())'
  : '(SELECT count(*) FROM sqlite_master)';

await guard('api/sql-injection', async () => {
  const before = sql(srv.db, `SELECT (SELECT count(*) FROM span_records) AS s, (SELECT count(*) FROM log_records) AS l,
    (SELECT count(*) FROM traces) AS t, ${SCHEMA_OBJECTS} AS m`)[0];
  const evil = ["'; DROP TABLE log_records; --", "x' OR '1'='1", '1); DELETE FROM traces; --', '" OR 1=1 --',
    "cart') UNION SELECT sql FROM sqlite_master --"];
  const params = ['service', 'severity', 'trace_id', 'span_id', 'q', 'cursor', 'start', 'end', 'limit', 'operation', 'root_operation',
    'min_duration', 'sort', 'order', 'attr.x', 'step', 'group_by', 'by'];
  const routes = ['/api/logs', '/api/logs/histogram', '/api/traces', '/api/services', '/api/dashboard/summary',
    '/api/dashboard/timeseries', '/api/logs/patterns', '/api/dashboard/top-failing'];
  let bad = [];
  for (const route of routes) {
    for (const p of params) {
      for (const e of evil) {
        const r = await get(`${route}?${RANGE}&${encodeURIComponent(p)}=${encodeURIComponent(e)}`);
        if (r.status !== 200 && r.status !== 400) bad.push(`${route} ${p}: ${r.status} ${r.text.slice(0, 100)}`);
        if (r.status === 200 && p === 'service' && route === '/api/logs' && r.json.logs.length !== 0) bad.push(`${route} ${p}: matched ${r.json.logs.length}`);
      }
    }
  }
  for (const e of evil) {
    const r = await get(`/api/services/${encodeURIComponent(e)}/operations`);
    if (r.status !== 200 || r.json.operations.length !== 0) bad.push(`operations ${e}: ${r.status}`);
    const q = await get(`/api/logs?${RANGE}&q=${encodeURIComponent(`attr.${e.replace(/"/g, '')}:1`)}`);
    if (q.status !== 200 && q.status !== 400) bad.push(`attr key ${e}: ${q.status}`);
  }
  check('api/sql-injection/answers-200-or-400', [], bad.slice(0, 5));
  const after = sql(srv.db, `SELECT (SELECT count(*) FROM span_records) AS s, (SELECT count(*) FROM log_records) AS l,
    (SELECT count(*) FROM traces) AS t, ${SCHEMA_OBJECTS} AS m`)[0];
  // the pump above may still be committing its last batch: only shrinking would be a change
  checkTrue('api/sql-injection/database-unchanged', after.s === before.s && after.t === before.t && after.m === before.m && after.l >= before.l,
    JSON.stringify(before), JSON.stringify(after));
});

const stopped = await stopServer(srv);
check('api/server-stops-cleanly', 0, stopped && stopped.code);
ok('api/routes-done');
done();
