// /api/system's insight lag and /metrics' argus_insight_lag count the log records committed and
// not yet tagged, as of the request: with the insight worker looking only once a minute, records
// stored since its last look are counted (they were not, while the lag came from the worker's
// own reading of max(id) alone; a test waiting for lag 0 went on with a batch still untagged).
// So does the periodic stats line in the server's log. Runs on SQLite and, in the mysql-api layer, on MariaDB.
//   node tests/api/insight_lag.mjs build
import { startServer, stopServer, check, guard, done, post } from '../server/lib.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '5', ARGUS_INSIGHT_INTERVAL_MS: '60000',
  ARGUS_STATS_INTERVAL_S: '1' });
const N = 7;
const nowNs = BigInt(Date.now()) * 1000000n;

await guard('insight-lag', async () => {
  const logs = [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'lag' } }] },
    scopeLogs: [{ logRecords: Array.from({ length: N }, (_, i) => ({
      timeUnixNano: String(nowNs + BigInt(i)), severityNumber: 9, body: { stringValue: `line ${i}` } })) }],
  }];
  const r = await post(`${srv.otlpUrl}/v1/logs`, JSON.stringify({ resourceLogs: logs }),
    { 'Content-Type': 'application/json' });
  check('insight-lag/stored', 200, r.status);
  // The worker looked at start (nothing then) and sleeps a minute: every record is lagging,
  // unless it happened to look after the commit, in which case all are tagged.
  const s = await fetch(`${srv.apiUrl}/api/system`).then((x) => x.json());
  check('insight-lag/system-lag-plus-tagged', N, s.insights.lag + s.insights.last_id);
  const m = await fetch(`${srv.apiUrl}/metrics`).then((x) => x.text());
  const lag = Number((m.match(/^argus_insight_lag (\d+)$/m) || [])[1]);
  check('insight-lag/metrics-lag-plus-tagged', N, lag + s.insights.last_id);
  // the next stats line (one a second) after the commit
  const lines = () => srv.log().split('\n').filter((l) => / info stats /.test(l));
  const before = lines().length;
  for (let i = 0; i < 40 && lines().length < before + 1; i++) await new Promise((ok) => setTimeout(ok, 100));
  const m2 = (lines().pop() || '').match(/insight_last_id=(\d+) insight_lag=(\d+)/);
  check('insight-lag/stats-line-lag-plus-tagged', N, m2 ? Number(m2[1]) + Number(m2[2]) : null);
});

await stopServer(srv);
done();
