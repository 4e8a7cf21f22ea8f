// End-to-end ingest with the official OpenTelemetry JS exporters: traces and logs over
// OTLP/gRPC, OTLP/HTTP protobuf and OTLP/HTTP JSON, each with and without gzip; every stored row
// is compared field by field (sqlite3 shell) with what the SDK produced.
//   node tests/server/e2e.mjs build
import {
  startServer, stopServer, sql, makeSpans, makeLogs, exporter, exportItems, hrToNs, api,
  check, checkTrue, guard, done,
} from './lib.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5' });

const T0 = 1700000000; // seconds; explicit times make the stored values exact
const variants = [];
for (const transport of ['grpc', 'proto', 'http-json'])
  for (const gzip of [false, true]) variants.push({ transport, gzip, tag: `${transport}${gzip ? '-gzip' : ''}` });

async function tracesCase(v, i) {
  const name = `e2e/traces/${v.tag}`;
  const service = `svc-${v.tag}`;
  const spans = await makeSpans({ 'service.name': service, 'deployment.environment': 'test' }, (tracer) => {
    const root = tracer.startSpan('GET /cart', {
      kind: api.SpanKind.SERVER,
      startTime: [T0 + i, 1000],
      attributes: { 'http.method': 'GET', 'http.status_code': 200, ratio: 0.25, ok: true, tags: ['a', 'b'] },
    });
    root.addEvent('cache miss', { key: 'cart:1' }, [T0 + i, 5000]);
    const ctx = api.trace.setSpan(api.ROOT_CONTEXT, root);
    const child = tracer.startSpan('SELECT cart', {
      kind: api.SpanKind.CLIENT,
      startTime: [T0 + i, 2000],
      attributes: { 'db.system': 'sqlite', 'unicode': 'héllo ✓' },
      links: [{ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }, attributes: { why: 'retry' } }],
    }, ctx);
    child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'db timeout' });
    child.end([T0 + i, 900000]);
    root.setStatus({ code: api.SpanStatusCode.OK });
    root.end([T0 + i, 1000000]);
  });
  const exp = exporter(srv, 'traces', v.transport, v.gzip);
  const res = await exportItems(exp, spans);
  await exp.shutdown();
  if (!checkTrue(`${name}/export`, res.code === 0, 'SUCCESS (0)', `${res.code} ${res.error}`)) return;
  const rows = sql(srv.db, `SELECT trace_id, span_id, parent_span_id, name, kind,
      CAST(start_time_unix_nano AS TEXT) AS start, CAST(end_time_unix_nano AS TEXT) AS end,
      CAST(duration_ns AS TEXT) AS duration, status_code, status_message, service_name, attributes,
      events ->> '$[0].name' AS event_name, events -> '$[0].attributes' AS event_attrs,
      CAST(events ->> '$[0].time_unix_nano' AS TEXT) AS event_time, links, resource_attributes,
      scope_name, scope_version, flags
    FROM spans WHERE service_name = '${service}' ORDER BY start_time_unix_nano`);
  check(`${name}/row-count`, spans.length, rows.length);
  const sorted = [...spans].sort((a, b) => (hrToNs(a.startTime) < hrToNs(b.startTime) ? -1 : 1));
  sorted.forEach((s, k) => {
    const r = rows[k] || {};
    const what = `${name}/span-${k}`;
    const start = hrToNs(s.startTime), end = hrToNs(s.endTime);
    check(`${what}/ids`, [s.spanContext().traceId, s.spanContext().spanId, s.parentSpanContext ? s.parentSpanContext.spanId : null],
      [r.trace_id, r.span_id, r.parent_span_id]);
    check(`${what}/name-kind`, [s.name, s.kind + 1], [r.name, r.kind]);
    check(`${what}/times`, [start, end, (BigInt(end) - BigInt(start)).toString()], [r.start, r.end, r.duration]);
    check(`${what}/status`, [s.status.code, s.status.message || null], [r.status_code, r.status_message || null]);
    check(`${what}/attributes`, s.attributes, JSON.parse(r.attributes || 'null'));
    const res = JSON.parse(r.resource_attributes || '{}');
    check(`${what}/resource`, [service, 'test'], [res['service.name'], res['deployment.environment']]);
    check(`${what}/scope`, ['argus-test-scope', '1.2.3'], [r.scope_name, r.scope_version]);
    check(`${what}/flags`, s.spanContext().traceFlags, r.flags & 0xff);
    if (s.events.length) {
      check(`${what}/event`, [s.events[0].name, s.events[0].attributes, hrToNs(s.events[0].time)],
        [r.event_name, JSON.parse(r.event_attrs || 'null'), r.event_time]);
    }
    if (s.links.length) {
      const l = JSON.parse(r.links || '[]')[0] || {};
      check(`${what}/link`, [s.links[0].context.traceId, s.links[0].context.spanId, s.links[0].attributes],
        [l.trace_id, l.span_id, l.attributes]);
    }
  });
  const tr = sql(srv.db, `SELECT root_name, span_count, error_count, services FROM traces WHERE trace_id = '${spans[0].spanContext().traceId}'`);
  check(`${name}/trace-summary`, [{ root_name: 'GET /cart', span_count: 2, error_count: 1, services: JSON.stringify([service]) }], tr);
}

async function logsCase(v, i) {
  const name = `e2e/logs/${v.tag}`;
  const service = `logsvc-${v.tag}`;
  const traceId = `5eed${String(i).padStart(4, '0')}000000000000000000000001`;
  const spanContext = { traceId, spanId: '00000000000000a1', traceFlags: 1 };
  const logs = await makeLogs({ 'service.name': service }, (logger) => {
    logger.emit({
      severityNumber: 17, severityText: 'ERROR', body: `payment failed for order ${i}`,
      attributes: { 'order.id': 1000 + i, retry: false, amount: 12.5 },
      timestamp: [T0 + i, 111], observedTimestamp: [T0 + i, 222],
      context: api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext),
    });
    logger.emit({
      severityNumber: 9, severityText: 'INFO', body: { event: 'login', user: { id: 7, roles: ['admin'] } },
      timestamp: [T0 + i, 333], observedTimestamp: [T0 + i, 444],
    });
  });
  const exp = exporter(srv, 'logs', v.transport, v.gzip);
  const res = await exportItems(exp, logs);
  await exp.shutdown();
  if (!checkTrue(`${name}/export`, res.code === 0, 'SUCCESS (0)', `${res.code} ${res.error}`)) return;
  const rows = sql(srv.db, `SELECT CAST(time_unix_nano AS TEXT) AS time, CAST(observed_time_unix_nano AS TEXT) AS observed,
      severity_number, severity_text, body, body_type, attributes, trace_id, span_id, service_name,
      scope_name, scope_version, resource_attributes
    FROM logs WHERE service_name = '${service}' ORDER BY time_unix_nano`);
  check(`${name}/row-count`, logs.length, rows.length);
  logs.forEach((l, k) => {
    const r = rows[k] || {};
    const what = `${name}/log-${k}`;
    check(`${what}/times`, [hrToNs(l.hrTime), hrToNs(l.hrTimeObserved)], [r.time, r.observed]);
    check(`${what}/severity`, [l.severityNumber, l.severityText], [r.severity_number, r.severity_text]);
    if (typeof l.body === 'string') check(`${what}/body`, [l.body, 'string'], [r.body, r.body_type]);
    else check(`${what}/body`, [l.body, 'kvlist'], [JSON.parse(r.body || 'null'), r.body_type]);
    check(`${what}/attributes`, l.attributes, JSON.parse(r.attributes || 'null'));
    check(`${what}/trace`, [l.spanContext ? l.spanContext.traceId : null, l.spanContext ? l.spanContext.spanId : null],
      [r.trace_id, r.span_id]);
    check(`${what}/scope`, ['argus-test-logger', '4.5.6', service], [r.scope_name, r.scope_version, r.service_name]);
  });
  const fts = sql(srv.db, `SELECT count(*) AS n FROM logs_fts WHERE logs_fts MATCH '"order ${i}"'`);
  check(`${name}/full-text`, [{ n: 1 }], fts);
}

let i = 0;
for (const v of variants) {
  i++;
  await guard(`e2e/traces/${v.tag}`, () => tracesCase(v, i));
  await guard(`e2e/logs/${v.tag}`, () => logsCase(v, i));
}
const st = await stopServer(srv);
check('e2e/clean-exit', { code: 0, signal: null }, st);
done();
