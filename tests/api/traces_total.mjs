// GET /api/traces around its count cap (docs/api.md: `total` up to 10,000, `total_capped` when
// there are more): 10,002 one-span traces a millisecond apart (two share a start) are sent over
// OTLP/HTTP, then ranges holding 10,002, 10,001, exactly 10,000 and fewer traces are asked for,
// with and without filters, and their pages and cursors are checked against what was sent.
//   node tests/api/traces_total.mjs build
import { startServer, stopServer, check, guard, done, post } from '../server/lib.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5' });

// Trace i starts at T0 + i ms (i = 0..10000); one more trace starts with trace 5000. All but
// trace 4242 have an error span (10,001 error traces); durations vary so sort=duration has work
// to do.
const T0 = (Math.floor(Date.now() / 60000) - 30) * 60000;
const N = 10001;
const sent = [];
for (let i = 0; i <= N; i++) {
  const at = i < N ? i : 5000;
  const id = (0xa0000000 + i).toString(16).padStart(32, '0');
  const start = BigInt(T0 + at) * 1000000n;
  const dur = 1000 + ((i * 7919) % 100000) * 1000;
  sent.push({ id, start, dur, error: i !== 4242, svc: i % 2 ? 'odd' : 'even' });
}
const scopeSpans = (svc) => [{ scope: { name: 'cap' }, spans: sent.filter((t) => t.svc === svc).map((t) => ({
  traceId: t.id, spanId: '00000000000000' + (t.error ? 'e1' : '01'), name: `op ${t.svc}`, kind: 2,
  startTimeUnixNano: String(t.start), endTimeUnixNano: String(t.start + BigInt(t.dur)),
  status: { code: t.error ? 2 : 0 } })) }];
const body = JSON.stringify({ resourceSpans: ['even', 'odd'].map((svc) => ({
  resource: { attributes: [{ key: 'service.name', value: { stringValue: svc } }] }, scopeSpans: scopeSpans(svc) })) });
const sentOk = await post(`${srv.otlpUrl}/v1/traces`, body, { 'Content-Type': 'application/json' });
check('traces-total/sent', 200, sentOk.status);

const get = async (path) => {
  const res = await fetch(`${srv.apiUrl}${path}`);
  return { status: res.status, json: await res.json() };
};
// The traces of [from, to) ms after T0 the filter keeps, newest first (ties: larger id first).
const want = (from, to, keep = () => true) => sent
  .filter((t) => t.start >= BigInt(T0 + from) * 1000000n && t.start < BigInt(T0 + to) * 1000000n && keep(t))
  .sort((a, b) => (a.start === b.start ? (a.id < b.id ? 1 : -1) : a.start < b.start ? 1 : -1));
const range = (from, to) => `start=${T0 + from}&end=${T0 + to}`;
const summary = (t) => ({ trace_id: t.id, root_service: t.svc, root_name: `op ${t.svc}`, start_ns: t.start.toString(),
  duration_ns: t.dur, span_count: 1, error_count: t.error ? 1 : 0, services: [t.svc] });

await guard('traces-total/cap', async () => {
  // [from, to, traces in the range]: 10,002 and 10,001 traces are capped; exactly 10,000 (the
  // tie included) and fewer are counted.
  const cases = [[0, N, 10002], [1, N, 10001], [2, N, 10000], [0, 9999, 10000], [3, N, 9999], [0, 100, 100], [N, N + 5, 0]];
  for (const [from, to, n] of cases) {
    const r = await get(`/api/traces?${range(from, to)}`);
    const w = want(from, to);
    check(`traces-total/${from}-${to}/total`, [200, n, Math.min(n, 10000), n > 10000],
      [r.status, w.length, r.json.total, r.json.total_capped]);
    check(`traces-total/${from}-${to}/first-page`, w.slice(0, 100).map(summary), r.json.traces);
    check(`traces-total/${from}-${to}/cursor`, w.length > 100 ? `${w[99].start}.${w[99].id}` : null, r.json.next_cursor);
  }
});

await guard('traces-total/filters', async () => {
  // The same counts through the filtered path: every trace is 'even' or 'odd'.
  const both = await get(`/api/traces?${range(0, N)}&min_duration=0`);
  check('traces-total/filtered-capped', [10000, true], [both.json.total, both.json.total_capped]);
  const exact = await get(`/api/traces?${range(2, N)}&min_duration=0`);
  check('traces-total/filtered-exact', [10000, false], [exact.json.total, exact.json.total_capped]);
  const odd = await get(`/api/traces?${range(0, N)}&service=odd&limit=50`);
  const w = want(0, N, (t) => t.svc === 'odd');
  check('traces-total/service', [w.length, false, w.slice(0, 50).map(summary), `${w[49].start}.${w[49].id}`],
    [odd.json.total, odd.json.total_capped, odd.json.traces, odd.json.next_cursor]);
  // error=true (read through traces_errors): 10,001 error traces are capped, 10,000 are not.
  const e = await get(`/api/traces?${range(0, N)}&error=true&limit=20`);
  const we = want(0, N, (t) => t.error);
  check('traces-total/error-capped', [10001, 10000, true, we.slice(0, 20).map(summary), `${we[19].start}.${we[19].id}`],
    [we.length, e.json.total, e.json.total_capped, e.json.traces, e.json.next_cursor]);
  const e1 = await get(`/api/traces?${range(1, N)}&error=true&limit=20`);
  check('traces-total/error-exact', [10000, 10000, false], [want(1, N, (t) => t.error).length, e1.json.total, e1.json.total_capped]);
  const ok = await get(`/api/traces?${range(0, N)}&error=false`);
  check('traces-total/error-false', [[sent[4242].id], 1, false], [ok.json.traces.map((t) => t.trace_id), ok.json.total, ok.json.total_capped]);
  const d = await get(`/api/traces?${range(0, N)}&sort=duration`);
  const wd = want(0, N).sort((a, b) => b.dur - a.dur || (a.id < b.id ? 1 : -1));
  check('traces-total/sort-duration-capped', [10000, true, wd.slice(0, 100).map((t) => t.id)],
    [d.json.total, d.json.total_capped, d.json.traces.map((t) => t.trace_id)]);
});

await guard('traces-total/paging', async () => {
  // Pages of 7 through a range holding the two traces of one start: each trace once, in order,
  // and the last page has no cursor; a page that ends the range exactly has none either.
  for (const [from, to, limit] of [[4980, 5020, 7], [4980, 5021, 41], [0, 100, 100], [0, 100, 99]]) {
    const w = want(from, to);
    const seen = [];
    let cursor = null, pages = 0;
    do {
      const r = await get(`/api/traces?${range(from, to)}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...r.json.traces.map((t) => t.trace_id));
      cursor = r.json.next_cursor;
      pages++;
    } while (cursor && pages < 100);
    check(`traces-total/paging-${from}-${to}-by-${limit}`, [w.map((t) => t.id), Math.ceil(w.length / limit)], [seen, pages]);
  }
  const asc = await get(`/api/traces?${range(4990, 5010)}&order=asc&limit=5`);
  const wa = want(4990, 5010).reverse();
  check('traces-total/order-asc', [wa.slice(0, 5).map((t) => t.id), `${wa[4].start}.${wa[4].id}`],
    [asc.json.traces.map((t) => t.trace_id), asc.json.next_cursor]);
});

await stopServer(srv);
done();
