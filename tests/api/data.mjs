// A deterministic data set for the API tests, made by the OpenTelemetry JS SDK and sent through
// its official exporters, together with the truth the tests compute expected answers from.
//   const d = await loadDataset(srv);   // d.spans, d.logs: what was sent; d.T0: base time (s)
import { api, makeSpans, makeLogs, exporter, exportItems, sql, sleep, hrToNs } from '../server/lib.mjs';

export const SERVICES = ['cart', 'checkout', 'inventory'];

// Base time: 30 whole minutes ago, so the data sits in the default last hour and in whole
// rollup minutes.
export function baseTime() {
  return Math.floor(Date.now() / 60000) * 60 - 30 * 60;
}

const ms = (n) => n * 1000000;
const hr = (sec, ns) => [sec + Math.floor(ns / 1e9), ns % 1e9];

// Spans: traces i = 0..39 every 30 s from T0, three early ones before T0 - 60 s.
function traceSpecs(T0) {
  const specs = [];
  for (let i = -3; i < 40; i++) {
    const start = i < 0 ? T0 - 300 + (i + 3) * 10 : T0 + i * 30;
    const svc = i % 2 === 0 ? 'checkout' : 'cart';
    const name = i % 3 === 0 ? 'POST /pay' : 'GET /cart';
    const dur = ms(((i + 3) * 7919) % 500 + 10);
    specs.push({ i, start, svc, name, dur, rootError: name === 'POST /pay' && i % 6 === 0,
      invError: i % 5 === 0, tier: i % 4 === 0 ? 'gold' : 'basic' });
  }
  return specs;
}

export async function loadDataset(srv) {
  const T0 = baseTime();
  const specs = traceSpecs(T0);
  const truth = { spans: [], logs: [], T0 };
  const byService = {};
  for (const svc of SERVICES) byService[svc] = [];
  const ctxOf = {};
  for (const svc of ['checkout', 'cart']) {
    byService[svc] = await makeSpans({ 'service.name': svc, 'deployment.environment': 'prod' }, (tracer) => {
      for (const s of specs.filter((x) => x.svc === svc)) {
        const root = tracer.startSpan(s.name, {
          kind: api.SpanKind.SERVER, startTime: hr(s.start, 0),
          attributes: { 'http.route': s.name, 'customer.tier': s.tier, 'order.id': 1000 + s.i },
        });
        const ctx = api.trace.setSpan(api.ROOT_CONTEXT, root);
        const db = tracer.startSpan('SELECT items', { kind: api.SpanKind.CLIENT, startTime: hr(s.start, ms(1)) }, ctx);
        db.end(hr(s.start, ms(1) + Math.floor(s.dur / 4)));
        if (s.rootError) root.setStatus({ code: api.SpanStatusCode.ERROR, message: 'card declined' });
        root.end(hr(s.start, s.dur));
        ctxOf[s.i] = root.spanContext();
        truth.spans.push({ trace: root.spanContext().traceId, span: root.spanContext().spanId, parent: null,
          svc, name: s.name, kind: 2, error: s.rootError, start: BigInt(s.start) * 1000000000n, dur: s.dur, tier: s.tier });
        truth.spans.push({ trace: root.spanContext().traceId, span: db.spanContext().spanId, parent: root.spanContext().spanId,
          svc, name: 'SELECT items', kind: 3, error: false, start: BigInt(s.start) * 1000000000n + BigInt(ms(1)), dur: Math.floor(s.dur / 4) });
      }
    });
  }
  byService.inventory = await makeSpans({ 'service.name': 'inventory', 'deployment.environment': 'staging' }, (tracer) => {
    for (const s of specs) {
      const parent = api.trace.setSpanContext(api.ROOT_CONTEXT, ctxOf[s.i]);
      const sp = tracer.startSpan('reserve', { kind: api.SpanKind.SERVER, startTime: hr(s.start, ms(2)) }, parent);
      if (s.invError) sp.setStatus({ code: api.SpanStatusCode.ERROR, message: 'out of stock' });
      const d = Math.floor(s.dur / 2);
      sp.end(hr(s.start, ms(2) + d));
      truth.spans.push({ trace: ctxOf[s.i].traceId, span: sp.spanContext().spanId, parent: ctxOf[s.i].spanId,
        svc: 'inventory', name: 'reserve', kind: 2, error: s.invError, start: BigInt(s.start) * 1000000000n + BigInt(ms(2)), dur: d });
    }
  });

  const logSets = [];
  for (const svc of SERVICES) {
    const env = svc === 'inventory' ? 'staging' : 'prod';
    logSets.push(await makeLogs({ 'service.name': svc, 'deployment.environment': env }, (logger) => {
      for (const s of specs) {
        const owner = svc === 'inventory' || s.svc === svc;
        if (!owner) continue;
        const context = api.trace.setSpanContext(api.ROOT_CONTEXT, ctxOf[s.i]);
        const t = s.start;
        const add = (sev, text, body, attrs, off) => {
          logger.emit({ severityNumber: sev, severityText: text, body, attributes: attrs,
            timestamp: hr(t, ms(off)), observedTimestamp: hr(t, ms(off) + 1), context });
          truth.logs.push({ svc, sev, body, attrs, env, trace: ctxOf[s.i].traceId,
            time: BigInt(t) * 1000000000n + BigInt(ms(off)) });
        };
        if (svc === 'inventory') {
          add(s.invError ? 17 : 5, s.invError ? 'ERROR' : 'DEBUG', s.invError ? `out of stock for order ${s.i}` : `reserved items for order ${s.i}`, { 'order.id': s.i }, 3);
        } else {
          add(9, 'INFO', `order ${s.i} accepted by ${svc}`, { 'order.id': s.i, 'pay.method': s.i % 2 ? 'card' : 'cash' }, 0);
          if (s.rootError) add(17, 'ERROR', `payment declined for order ${s.i}`, { 'order.id': s.i, 'pay.method': 'card' }, 5);
          if (s.i % 4 === 1) add(13, 'WARN', `cache miss ratio high on shard ${s.i % 3} at order ${s.i}`, { shard: s.i % 3 }, 7);
        }
      }
    }));
  }
  for (const svc of SERVICES) {
    const exp = exporter(srv, 'traces', 'proto');
    const r = await exportItems(exp, byService[svc]);
    await exp.shutdown();
    if (r.code !== 0) throw new Error(`trace export failed: ${r.error}`);
  }
  for (const set of logSets) {
    const exp = exporter(srv, 'logs', 'http-json');
    const r = await exportItems(exp, set);
    await exp.shutdown();
    if (r.code !== 0) throw new Error(`log export failed: ${r.error}`);
  }
  // Records in the logs table get ids in the order sent; remember each body's id.
  const rows = sql(srv.db, 'SELECT id, body FROM log_records ORDER BY id');
  const idOf = new Map(rows.map((r) => [r.body, r.id]));
  for (const l of truth.logs) l.id = idOf.get(typeof l.body === 'string' ? l.body : JSON.stringify(l.body));
  return truth;
}

// Waits until the background insight worker has tagged every log (patterns, insights).
export async function insightsDone(srv) {
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`${srv.apiUrl}/api/system`).then((x) => x.json());
    if (r.insights && r.insights.lag === 0 && r.insights.last_id > 0) return true;
    await sleep(100);
  }
  return false;
}

// Exact percentile with linear interpolation between closest ranks (percentile()'s rule).
export function exactPercentile(values, p) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return null;
  const rank = p * (v.length - 1), lo = Math.floor(rank), hi = Math.ceil(rank);
  return v[lo] + (v[hi] - v[lo]) * (rank - lo);
}

export { hrToNs };
