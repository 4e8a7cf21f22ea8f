// Connection attacks on the gRPC port (issue 11), a benchmark: prints, for 1,100 idle connections
// from one address with the open-file limit at 1,024 (soft and hard), the server's open
// descriptors and RSS, how many attackers the server closed at once, the latency of /healthz and
// of an SDK gRPC export from another address during the attack, and after the attackers left.
// Asserts nothing.
//   node tests/bench/grpc_connection_attacks.mjs build
import fs from 'node:fs';
import { startServer, stopServer, makeSpans, exporter, exportItems, sleep, openMany } from '../server/lib.mjs';

const build = process.argv[2] || 'build';

async function timed(fn) {
  const t0 = Date.now();
  const r = await fn();
  return `${r} in ${Date.now() - t0} ms`;
}
const healthz = (srv) => timed(() => fetch(`${srv.apiUrl}/healthz`, { signal: AbortSignal.timeout(3000) })
  .then((r) => r.status, (e) => (e.name === 'TimeoutError' ? 'timeout' : 'error')));
async function exportOnce(srv, service) {
  const spans = await makeSpans({ 'service.name': service }, (t) => t.startSpan('op').end());
  const exp = exporter(srv, 'traces', 'grpc', false, { timeoutMillis: 3000 });
  const r = await timed(() => exportItems(exp, spans).then((x) => (x.code === 0 ? 'ok' : 'failed')));
  await exp.shutdown().catch(() => {});
  return r;
}

const srv = await startServer(build, { ARGUS_GRPC_MAX_CONNECTIONS_PER_ADDRESS: '200' },
  { launcher: ['prlimit', '--nofile=1024:1024', '--'] });
const fds = () => { try { return fs.readdirSync(`/proc/${srv.proc.pid}/fd`).length; } catch { return 0; } };
const rss = () => Number(fs.readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
console.log(`idle server: ${fds()} fds, ${rss().toFixed(0)} MiB`);
const t0 = Date.now();
const attack = await openMany(srv.grpcPort, 1100, '127.0.0.2');
await sleep(500);
console.log(`1100 idle connections opened in ${Date.now() - t0 - 500} ms; closed by the server within 0.5 s: ${attack.closed()}`);
console.log(`under attack: ${fds()} fds, ${rss().toFixed(0)} MiB; /healthz ${await healthz(srv)}; gRPC export ${await exportOnce(srv, 'bench-during')}`);
attack.destroy();
await sleep(500);
console.log(`after: ${fds()} fds; /healthz ${await healthz(srv)}; gRPC export ${await exportOnce(srv, 'bench-after')}`);
await stopServer(srv);
process.exit(0);
