// Shared by the browser tests and the UI benchmark: a real argus-server (with the embedded UI)
// fed by the OpenTelemetry JS SDK exporters (and optionally argus-loadgen), and Debian's
// Chromium driven by playwright-core.
//   const srv = await startUiServer(build); const data = await seed(srv); const b = await launch();

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { api as otel, exportItems, exporter, makeLogs, makeSpans, require, startServer, MYSQL } from '../server/lib.mjs';

export { require };
export const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.ARGUS_CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function startUiServer(build, env = {}, opts = {}) {
  return startServer(build, { ARGUS_BATCH_LATENCY_MS: '5', ...env }, opts);
}

const SEC = 1000;
const ms = (t) => new Date(t);

function ctxOf(sc) {
  return otel.trace.setSpanContext(otel.context.active(), sc);
}

async function send(srv, signal, items) {
  const exp = exporter(srv, signal, 'grpc');
  for (let i = 0; i < items.length; i += 2000) {
    const r = await exportItems(exp, items.slice(i, i + 2000));
    if (r.code !== 0) throw new Error(`${signal} export failed: ${r.error}`);
  }
  await exp.shutdown();
}

/**
 * Realistic data spread over the last 50 minutes: frontend → checkout → payments / inventory
 * traces (every 7th checkout fails), logs linked to them, and one 10,000-span trace.
 * Returns what the tests need to find it again.
 */
export async function seed(srv, { now = Date.now(), traces = 60 } = {}) {
  const roots = [];
  const frontend = await makeSpans({ 'service.name': 'frontend', 'host.name': 'web-1' }, (tracer) => {
    for (let i = 0; i < traces; i++) {
      const t0 = now - 50 * 60 * SEC + Math.floor((i / traces) * 48 * 60 * SEC);
      const s = tracer.startSpan('GET /checkout', { startTime: ms(t0), kind: otel.SpanKind.SERVER, attributes: { 'http.method': 'GET', 'http.route': '/checkout', 'http.status_code': i % 7 === 0 ? 500 : 200 } });
      s.addEvent('cart loaded', { items: 3 }, ms(t0 + 5));
      if (i % 7 === 0) s.setStatus({ code: otel.SpanStatusCode.ERROR, message: 'upstream failed' });
      s.end(ms(t0 + 180 + (i % 10) * 20));
      roots.push({ t0, sc: s.spanContext(), fail: i % 7 === 0 });
    }
  });
  const pays = [];
  const checkout = await makeSpans({ 'service.name': 'checkout', 'host.name': 'web-2' }, (tracer) => {
    for (const r of roots) {
      const s = tracer.startSpan('POST /pay', { startTime: ms(r.t0 + 10), kind: otel.SpanKind.SERVER, attributes: { 'order.id': roots.indexOf(r) } }, ctxOf(r.sc));
      if (r.fail) s.setStatus({ code: otel.SpanStatusCode.ERROR, message: 'payment declined' });
      s.end(ms(r.t0 + 150 + (roots.indexOf(r) % 10) * 20));
      pays.push({ ...r, sc: s.spanContext() });
    }
  });
  const payments = await makeSpans({ 'service.name': 'payments' }, (tracer) => {
    for (const p of pays) {
      const s = tracer.startSpan('charge card', { startTime: ms(p.t0 + 20), kind: otel.SpanKind.CLIENT, attributes: { 'payment.provider': 'acme' } }, ctxOf(p.sc));
      if (p.fail) s.setStatus({ code: otel.SpanStatusCode.ERROR, message: 'card declined' });
      s.end(ms(p.t0 + 120));
    }
  });
  const inventory = await makeSpans({ 'service.name': 'inventory' }, (tracer) => {
    for (const p of pays) {
      tracer.startSpan('SELECT stock', { startTime: ms(p.t0 + 12), kind: otel.SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT qty FROM stock WHERE sku = $1' } }, ctxOf(p.sc)).end(ms(p.t0 + 18));
    }
  });
  const logs = await makeLogs({ 'service.name': 'checkout', 'host.name': 'web-2' }, (logger) => {
    pays.forEach((p, i) => {
      logger.emit({ timestamp: ms(p.t0 + 30), severityNumber: 9, severityText: 'INFO', body: `order ${i} placed`, attributes: { 'order.id': i, 'http.route': '/pay' }, context: ctxOf(p.sc) });
      if (p.fail) logger.emit({ timestamp: ms(p.t0 + 140), severityNumber: 17, severityText: 'ERROR', body: `payment declined for order ${i}: connection reset by peer`, attributes: { 'order.id': i, 'error.type': 'ECONNRESET' }, context: ctxOf(p.sc) });
      if (i % 5 === 0) logger.emit({ timestamp: ms(p.t0 + 60), severityNumber: 13, severityText: 'WARN', body: { event: 'slow_query', table: 'orders', ms: 250 + i }, attributes: { 'db.system': 'postgresql' } });
    });
  });
  const bigId = await bigTrace(srv, 10000, now - 20 * 60 * SEC);
  await send(srv, 'traces', [...frontend, ...checkout, ...payments, ...inventory]);
  await send(srv, 'logs', logs);
  const failing = roots.find((r) => r.fail);
  return { now, traces, bigTraceId: bigId, smallTraceId: roots[1].sc.traceId, failingTraceId: failing.sc.traceId, logCount: logs.length };
}

/**
 * One trace of exactly `total` spans from service "batch": root "import catalog" -> chunks
 * "chunk-000".. -> 100 "upsert item N" each (one of them failed), extra spans under the root.
 * Returns its trace id.
 */
export async function bigTrace(srv, total, t0) {
  let id = null;
  const chunks = Math.floor((total - 1) / 101);
  const spans = await makeSpans({ 'service.name': 'batch' }, (tracer) => {
    const root = tracer.startSpan('import catalog', { startTime: ms(t0), kind: otel.SpanKind.SERVER });
    id = root.spanContext().traceId;
    const under = (s) => otel.trace.setSpan(otel.context.active(), s);
    for (let c = 0; c < chunks; c++) {
      const cs = tracer.startSpan(`chunk-${String(c).padStart(3, '0')}`, { startTime: ms(t0 + c * 100) }, under(root));
      for (let k = 0; k < 100; k++) {
        const item = tracer.startSpan(`upsert item ${c * 100 + k}`, { startTime: ms(t0 + c * 100 + k) }, under(cs));
        if (c === Math.min(42, chunks - 1) && k === 7) item.setStatus({ code: otel.SpanStatusCode.ERROR, message: 'duplicate key' });
        item.end(ms(t0 + c * 100 + k + 1));
      }
      cs.end(ms(t0 + c * 100 + 99));
    }
    for (let e = 1 + chunks * 101; e < total; e++) tracer.startSpan(`flush ${e}`, { startTime: ms(t0 + chunks * 100 + e % 50) }, under(root)).end(ms(t0 + chunks * 100 + 49));
    root.end(ms(t0 + chunks * 100 + 50));
  });
  await send(srv, 'traces', spans);
  return id;
}

/** A log record sent now through the SDK's gRPC exporter (for the live tail). */
export async function sendLog(srv, body, severityNumber = 17) {
  const logs = await makeLogs({ 'service.name': 'checkout' }, (logger) => logger.emit({ timestamp: new Date(), severityNumber, severityText: severityNumber >= 17 ? 'ERROR' : 'INFO', body }));
  await send(srv, 'logs', logs);
}

/** Background load from argus-loadgen (realistic random traces and logs). */
export function loadgen(build, srv, args = ['--concurrent', '2', '--iterations', '2', '--spans-per-request', '200', '--logs-per-request', '100']) {
  const r = spawnSync(path.resolve(build, 'argus-loadgen'), ['--endpoint', `127.0.0.1:${srv.grpcPort}`, ...args], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`argus-loadgen failed (${r.status}): ${r.stderr.slice(-400)}`);
  return r.stdout;
}

/** Waits until GET url answers JSON for which pred is true. */
export async function until(url, pred, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const res = await fetch(url);
      last = res.ok ? await res.json() : { status: res.status, body: await res.text() };
      if (res.ok && pred(last)) return last;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never satisfied the condition; last answer: ${JSON.stringify(last).slice(0, 300)}`);
}

// build/screenshots, or build/screenshots-mysql when the server reads MariaDB (ARGUS_TEST_MYSQL_URL)
export function screenshotDir(build) {
  const d = path.resolve(build, MYSQL ? 'screenshots-mysql' : 'screenshots');
  fs.mkdirSync(d, { recursive: true });
  return d;
}
