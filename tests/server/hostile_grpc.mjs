// Hostile clients on the gRPC port (issue 11, connections): 1,100 idle connections with the
// open-file limit at 1,024, a listener at its connection cap, one address over its per-address
// cap. Attackers connect from 127.0.0.2; exports and health checks come from 127.0.0.1. The port
// keeps accepting (excess connections are closed at once), /healthz and /readyz answer within a
// second, /readyz says when the gRPC port cannot take new clients, and everything recovers when
// the attackers leave. Connections that stay idle (no preface, or no call) are closed after
// ARGUS_HTTP_IDLE_TIMEOUT.
//   node tests/server/hostile_grpc.mjs build
import net from 'node:net';
import {
  startServer, stopServer, makeSpans, exporter, exportItems, count, check, checkTrue, guard, done, sleep, openMany,
} from './lib.mjs';

const build = process.argv[2] || 'build';
const ATTACKER = '127.0.0.2';

async function timedGet(url, ms = 1000) {
  const t0 = Date.now();
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(ms) });
    return { status: r.status, ms: Date.now() - t0, body: await r.text() };
  } catch (e) {
    return { status: e.name === 'TimeoutError' ? 'timeout' : `error: ${e.message}`, ms: Date.now() - t0, body: '' };
  }
}

// One SDK gRPC export of a span (a new channel each time); {code, ms}.
async function grpcExport(srv, service, timeoutMillis = 3000) {
  const spans = await makeSpans({ 'service.name': service }, (t) => t.startSpan('op').end());
  const exp = exporter(srv, 'traces', 'grpc', false, { timeoutMillis });
  const t0 = Date.now();
  const r = await exportItems(exp, spans);
  await exp.shutdown().catch(() => {});
  return { code: r.code, ms: Date.now() - t0 };
}

// 1,100 idle connections with the open-file limit at 1,024 (soft and hard): the gRPC listener
// holds its share of descriptors ((1024 - 128) / 3 = 298) and at most 200 from the attacker's
// address; the rest are closed at once. Health checks and an exporter from another address get
// in; after the attackers close, the port takes new clients again.
await guard('hostile-grpc/idle-fd-limit', async () => {
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2', ARGUS_GRPC_MAX_CONNECTIONS_PER_ADDRESS: '200' },
    { launcher: ['prlimit', '--nofile=1024:1024', '--'] });
  checkTrue('hostile-grpc/idle-cap-from-fd-limit', /proto=otlp-grpc .*max_connections=298 /.test(srv.log()),
    'the gRPC listener capped at 298 connections', srv.log().match(/proto=otlp-grpc .*/)?.[0]);
  const attack = await openMany(srv.grpcPort, 1100, ATTACKER);
  await sleep(500);
  checkTrue('hostile-grpc/idle-excess-closed-at-once', attack.closed() >= 900, 'at least 900 of 1100 closed by the server', attack.closed());
  const h = await timedGet(`${srv.apiUrl}/healthz`);
  check('hostile-grpc/idle-healthz-within-1s', 200, h.status);
  const rd = await timedGet(`${srv.apiUrl}/readyz`);
  checkTrue('hostile-grpc/idle-readyz-within-1s', rd.status === 200 || rd.status === 503, 'an answer within 1 s', rd.status);
  const sys = await fetch(`${srv.apiUrl}/api/system`).then((x) => x.json());
  const metrics = await fetch(`${srv.apiUrl}/metrics`).then((x) => x.text());
  const metric = Number((metrics.match(/^argus_grpc_refused_total (\d+)$/m) || [])[1]);
  checkTrue('hostile-grpc/idle-refusals-in-system-and-metrics', sys.grpc.refused >= 900 && metric === sys.grpc.refused,
    'grpc.refused >= 900 in /api/system and the same argus_grpc_refused_total', `${sys.grpc.refused} / ${metric}`);
  const during = await grpcExport(srv, 'hostile-grpc-during');
  check('hostile-grpc/idle-export-from-other-address', 0, during.code);
  attack.destroy();
  // The port accepts again once the attackers are gone: 190 new clients from the same address
  // (under its cap of 200) all get in.
  await sleep(600);
  const again = await openMany(srv.grpcPort, 190, ATTACKER);
  await sleep(300);
  check('hostile-grpc/idle-accepts-after-attack', 0, again.closed());
  again.destroy();
  const after = await grpcExport(srv, 'hostile-grpc-after');
  check('hostile-grpc/idle-export-after-attack', 0, after.code);
  let ready = { status: 0 };
  for (let i = 0; i < 30 && ready.status !== 200; i++) {
    await sleep(100);
    ready = await timedGet(`${srv.apiUrl}/readyz`);
  }
  check('hostile-grpc/idle-readyz-after-attack', 200, ready.status);
  check('hostile-grpc/idle-exports-stored', 2, count(srv.db, 'spans', "service_name LIKE 'hostile-grpc-%'"));
  check('hostile-grpc/idle-clean-exit', { code: 0, signal: null }, await stopServer(srv));
  const refused = [...srv.log().matchAll(/ stats .*grpc_refused=(\d+)/g)].map((m) => Number(m[1])).pop();
  checkTrue('hostile-grpc/idle-refusals-counted', refused >= 900, 'grpc_refused >= 900 in the last stats line', refused);
});

// At its configured cap the gRPC listener refuses new clients, and /readyz says so (503 naming
// it) while /healthz stays 200; readiness returns when the connections go.
await guard('hostile-grpc/cap-config', async () => {
  const srv = await startServer(build, { ARGUS_GRPC_MAX_CONNECTIONS: '16' });
  const conns = await openMany(srv.grpcPort, 24, ATTACKER);
  await sleep(300);
  check('hostile-grpc/cap-excess-closed', 8, conns.closed());
  const rd = await timedGet(`${srv.apiUrl}/readyz`);
  check('hostile-grpc/cap-readyz-503', [503, true], [rd.status, /otlp-grpc listener at its connection cap \(16\)/.test(rd.body)]);
  check('hostile-grpc/cap-healthz-200', 200, (await timedGet(`${srv.apiUrl}/healthz`)).status);
  conns.destroy();
  let again = { status: 0 };
  for (let i = 0; i < 30 && again.status !== 200; i++) {
    await sleep(100);
    again = await timedGet(`${srv.apiUrl}/readyz`);
  }
  check('hostile-grpc/cap-readyz-recovers', 200, again.status);
  check('hostile-grpc/cap-export-after', 0, (await grpcExport(srv, 'hostile-grpc-cap')).code);
  check('hostile-grpc/cap-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

// One address is held to ARGUS_GRPC_MAX_CONNECTIONS_PER_ADDRESS; others still get in.
await guard('hostile-grpc/per-address', async () => {
  const srv = await startServer(build, { ARGUS_GRPC_MAX_CONNECTIONS_PER_ADDRESS: '5' });
  const a = await openMany(srv.grpcPort, 12, ATTACKER);
  await sleep(300);
  check('hostile-grpc/per-address-excess-closed', 7, a.closed());
  const b = await openMany(srv.grpcPort, 5, '127.0.0.3');
  await sleep(200);
  check('hostile-grpc/per-address-other-address-in', 0, b.closed());
  check('hostile-grpc/per-address-export', 0, (await grpcExport(srv, 'hostile-grpc-addr')).code);
  check('hostile-grpc/per-address-readyz-200', 200, (await timedGet(`${srv.apiUrl}/readyz`)).status);
  a.destroy();
  b.destroy();
  check('hostile-grpc/per-address-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

// Connections that never send the HTTP/2 preface, or open a channel and make no call, are closed
// after ARGUS_HTTP_IDLE_TIMEOUT (grpc core has no handshake deadline for the sockets we hand it).
await guard('hostile-grpc/idle-timeout', async () => {
  const srv = await startServer(build, { ARGUS_HTTP_IDLE_TIMEOUT: '1s' });
  const t0 = Date.now();
  const closedAfter = (s) => new Promise((resolve) => {
    s.on('close', () => resolve(Date.now() - t0));
    s.on('error', () => {});
    s.on('data', () => {});
    setTimeout(() => resolve('still open after 5 s'), 5000);
  });
  const silent = closedAfter(net.connect(srv.grpcPort, '127.0.0.1'));
  const preface = net.connect(srv.grpcPort, '127.0.0.1', () => preface.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
  const noCalls = closedAfter(preface);
  const [a, b] = await Promise.all([silent, noCalls]);
  checkTrue('hostile-grpc/idle-timeout-silent-closed', typeof a === 'number' && a >= 900 && a < 4000,
    'a connection that sends nothing closed after ~1 s', a);
  checkTrue('hostile-grpc/idle-timeout-no-calls-closed', typeof b === 'number' && b >= 900 && b < 4000,
    'an HTTP/2 connection without calls closed after ~1 s', b);
  check('hostile-grpc/idle-timeout-export-still-ok', 0, (await grpcExport(srv, 'hostile-grpc-idle')).code);
  check('hostile-grpc/idle-timeout-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

done();
