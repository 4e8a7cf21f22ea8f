// Hostile HTTP clients (issue 11, connections): thousands of idle connections, clients sending
// their headers at 1 byte/s, a listener at its connection cap, a low open-file limit. Attackers
// connect from 127.0.0.2; the well-behaved exporter and health checks come from 127.0.0.1 and
// must keep getting answers within a second.
//   node tests/server/hostile_http.mjs build
import net from 'node:net';
import { startServer, stopServer, post, makeSpans, serializers, check, checkTrue, guard, done, sleep } from './lib.mjs';

const build = process.argv[2] || 'build';
const ATTACKER = '127.0.0.2';

// Opens n connections from ATTACKER; resolves once each has connected (or failed/closed) with
// {sockets, closed: () => how many the server has closed since}.
async function openMany(port, n, onConnect = () => {}, localAddress = ATTACKER) {
  const sockets = [];
  let closed = 0;
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(s);
    s.on('connect', () => { onConnect(s); resolve(); });
    s.on('error', () => resolve());
    s.on('close', () => { closed++; resolve(); });
    s.on('data', () => {});
  })));
  return { sockets, closed: () => closed, destroy: () => sockets.forEach((s) => s.destroy()) };
}

// GET with a deadline; {status, ms} or {status: 'timeout'/'error: ...', ms}.
async function timedGet(url, ms = 1000) {
  const t0 = Date.now();
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(ms) });
    const body = await r.text();
    return { status: r.status, ms: Date.now() - t0, body };
  } catch (e) {
    return { status: e.name === 'TimeoutError' ? 'timeout' : `error: ${e.message}`, ms: Date.now() - t0 };
  }
}

const spans = await makeSpans({ 'service.name': 'hostile' }, (tracer) => tracer.startSpan('op').end());
const body = Buffer.from(serializers.JsonTraceSerializer.serializeRequest(spans));
async function exportOk(srv) {
  const t0 = Date.now();
  try {
    const r = await Promise.race([
      post(`${srv.otlpUrl}/v1/traces`, body, { 'Content-Type': 'application/json' }),
      sleep(2000).then(() => ({ status: 'timeout' })),
    ]);
    return { status: r.status, within2s: Date.now() - t0 < 2000 };
  } catch (e) {
    return { status: `error: ${e.message}`, within2s: false };
  }
}

// 2,000 idle connections on each HTTP port, started with a soft open-file limit of 1,024 (the
// server raises it to the hard limit): health checks and exports from elsewhere still answer.
await guard('hostile/idle', async () => {
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' }, { launcher: ['prlimit', '--nofile=1024:8192', '--'] });
  const otlp = await openMany(srv.httpPort, 2000);
  const apiConns = await openMany(srv.apiPort, 2000);
  await sleep(300);
  const h = await timedGet(`${srv.apiUrl}/healthz`);
  check('hostile/idle-2000-healthz-within-1s', 200, h.status);
  const rd = await timedGet(`${srv.apiUrl}/readyz`);
  check('hostile/idle-2000-readyz-within-1s', 200, rd.status);
  check('hostile/idle-2000-export-answered', { status: 200, within2s: true }, await exportOk(srv));
  // One address holds at most ARGUS_HTTP_MAX_CONNECTIONS_PER_ADDRESS (1024) per listener.
  const held = 2000 - otlp.closed();
  checkTrue('hostile/idle-per-address-cap', held <= 1024 && held >= 900, 'about 1024 connections held from the attacker',
    `${held} held`);
  otlp.destroy();
  apiConns.destroy();
  check('hostile/idle-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

// 1,500 clients on each HTTP port sending their request head at 1 byte/s: answers keep coming,
// and each slow client is closed once ARGUS_HTTP_HEADER_TIMEOUT has passed.
await guard('hostile/slow-headers', async () => {
  const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2', ARGUS_HTTP_HEADER_TIMEOUT: '3s' });
  const head = 'POST /v1/traces HTTP/1.1\r\nHost: argus\r\nContent-Type: application/json\r\nX-Slow: ' + 'a'.repeat(200);
  const trickle = (s) => {
    let i = 0;
    const t = setInterval(() => {
      if (s.destroyed || i >= head.length) return clearInterval(t);
      s.write(head[i++]);
    }, 1000);
    s.on('close', () => clearInterval(t));
  };
  const t0 = Date.now();
  const a = await openMany(srv.httpPort, 1500, trickle);
  const b = await openMany(srv.apiPort, 1500, trickle);
  await sleep(1200);
  const h = await timedGet(`${srv.apiUrl}/healthz`);
  check('hostile/slow-headers-healthz-within-1s', 200, h.status);
  check('hostile/slow-headers-export-answered', { status: 200, within2s: true }, await exportOk(srv));
  // Everyone was still trickling: by 3 s + a margin the server has closed them.
  while ((a.closed() < 1500 || b.closed() < 1500) && Date.now() - t0 < 9000) await sleep(100);
  checkTrue('hostile/slow-headers-closed-after-timeout', a.closed() === 1500 && b.closed() === 1500 && Date.now() - t0 >= 2900,
    'all 3000 slow clients closed by the server after ~3 s', `${a.closed()} + ${b.closed()} closed after ${Date.now() - t0} ms`);
  a.destroy();
  b.destroy();
  check('hostile/slow-headers-clean-exit', { code: 0, signal: null }, await stopServer(srv));
  const counted = [...srv.log().matchAll(/ stats .*http_closed_slow=(\d+)/g)].map((m) => Number(m[1])).pop();
  // 1,024 per port got past the per-address cap; each was then closed as slow.
  checkTrue('hostile/slow-headers-counted-in-stats', counted === 2048, 'http_closed_slow=2048 (2 x the per-address cap) in the last stats line', counted);
});

// Idle connections from many addresses, more than the listener's cap: the oldest waiting ones
// are closed to make room, so health checks still get in.
await guard('hostile/idle-many-addresses', async () => {
  const srv = await startServer(build, { ARGUS_HTTP_MAX_CONNECTIONS: '200' });
  const floods = [];
  for (const a of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) floods.push(await openMany(srv.apiPort, 100, () => {}, a));
  await sleep(1500); // connections waiting a second or more are the ones closed to make room
  const h = await timedGet(`${srv.apiUrl}/healthz`);
  check('hostile/idle-many-addresses-healthz-within-1s', 200, h.status);
  const closed = floods.reduce((n, f) => n + f.closed(), 0);
  checkTrue('hostile/idle-many-addresses-oldest-closed', closed >= 200, 'at least 200 of the 400 idle connections closed by the server', closed);
  floods.forEach((f) => f.destroy());
  check('hostile/idle-many-addresses-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

// A listener that cannot accept makes /readyz fail: at its configured cap, and at the cap the
// open-file limit imposes (hard limit 300 here), both filled by requests still sending their
// body; /healthz still answers; readiness comes back when they go.
for (const [name, env, launcher, n] of [
  ['hostile/cap-config', { ARGUS_HTTP_MAX_CONNECTIONS: '16' }, undefined, 24],
  ['hostile/cap-fd-limit', {}, ['prlimit', '--nofile=300:300', '--'], 400],
]) {
  await guard(name, async () => {
    const srv = await startServer(build, env, launcher ? { launcher } : {});
    // Requests in the middle of their body hold their connection (idle ones would be closed
    // to make room).
    const conns = await openMany(srv.httpPort, n, (s) => s.write(
      'POST /v1/traces HTTP/1.1\r\nHost: argus\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{'));
    await sleep(300);
    const rd = await timedGet(`${srv.apiUrl}/readyz`);
    check(`${name}-readyz-503`, [503, true], [rd.status, /otlp-http listener at its connection cap/.test(rd.body || '')]);
    const h = await timedGet(`${srv.apiUrl}/healthz`);
    check(`${name}-healthz-200`, 200, h.status);
    conns.destroy();
    // Connections whose client has gone free their slot within a reaper tick (hang-up check).
    let again = { status: 0 };
    for (let i = 0; i < 30 && again.status !== 200; i++) {
      await sleep(100);
      again = await timedGet(`${srv.apiUrl}/readyz`);
    }
    check(`${name}-readyz-recovers`, 200, again.status);
    check(`${name}-clean-exit`, { code: 0, signal: null }, await stopServer(srv));
  });
}

done();
