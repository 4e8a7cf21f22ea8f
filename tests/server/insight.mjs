// The insight worker: logs sent over OTLP/HTTP JSON are searchable as soon as they are acknowledged,
// then tagged in the background (logs.insight = ai_insight(...), logs.pattern_id, log_patterns);
// the expected values come from the same SQL functions run by the sqlite3 shell on the extension.
// A restart resumes from argus_jobs without counting a line twice; with the worker off nothing is tagged.
//   node tests/server/insight.mjs build
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  startServer, stopServer, post, sql, sleep, tempDir, check, checkTrue, guard, done,
} from './lib.mjs';

const build = process.argv[2] || 'build';
const ext = path.resolve(build, 'argus');
// A batch of 3 makes the 7 lines below take several batches, so patterns are merged across them.
const env = { ARGUS_BATCH_LATENCY_MS: '2', ARGUS_INSIGHT_INTERVAL_MS: '50', ARGUS_INSIGHT_BATCH: '3' };

// One value computed by the Argus extension in a fresh in-memory database; args are quoted here.
// An ASan build's extension needs the ASan runtime preloaded into the (uninstrumented) shell.
let shellEnv = process.env;
function extValue(fn, args) {
  const expr = `${fn}(${args.map((a) => (typeof a === 'number' ? String(a) : q(a))).join(', ')})`;
  const run = () => spawnSync('sqlite3', ['-json', '-cmd', `.load ${ext}`, ':memory:', `SELECT ${expr} AS v;`],
    { encoding: 'utf8', env: shellEnv });
  let r = run();
  if (r.status !== 0 && /ASan runtime/.test(r.stderr) && shellEnv === process.env) {
    const asan = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
    shellEnv = { ...process.env, LD_PRELOAD: asan, ASAN_OPTIONS: 'detect_leaks=0' };
    r = run();
  }
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout)[0].v;
}
const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

function logsRequest(service, records) {
  return JSON.stringify({ resourceLogs: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scopeLogs: [{ logRecords: records.map((r) => ({
      timeUnixNano: r.time, severityNumber: r.severity, body: { stringValue: r.body },
      attributes: (r.attributes || []).map(([key, v]) => ({ key, value: { stringValue: v } })),
    })) }],
  }] });
}
async function send(srv, service, records) {
  return post(`${srv.otlpUrl}/v1/logs`, logsRequest(service, records), { 'content-type': 'application/json' });
}

// Polls (up to ms) until every stored log has a pattern_id; returns the number still untagged.
async function waitTagged(srv, ms = 10000) {
  const until = Date.now() + ms;
  for (;;) {
    const n = sql(srv.db, 'SELECT count(*) AS n FROM logs WHERE pattern_id IS NULL')[0].n;
    if (n === 0 || Date.now() > until) return n;
    await sleep(50);
  }
}

const T = 1700000000000000000n;
const ns = (k) => (T + BigInt(k)).toString();
const errorLine = { time: ns(1), severity: 17, body: 'dial tcp 10.0.3.7:5432: connect: connection refused' };
const infoLine = { time: ns(2), severity: 9, body: 'cache warmed in the background' };
const userLines = [42, 7, 9, 1234, 5].map((n, k) => ({ time: ns(10 + k), severity: 9, body: `User ${n} logged in` }));

const dir = tempDir('insight');
let srv = await startServer(build, env, { dir });

await guard('insight/tagging', async () => {
  const r1 = await send(srv, 'checkout', [errorLine, infoLine, userLines[0], userLines[1]]);
  // Full-text search works at once: the FTS index is filled by the ingest transaction itself.
  const hits = sql(srv.db, `SELECT body FROM logs WHERE id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH '"connection refused"')`);
  check('insight/searchable-at-ack', [200, [errorLine.body]], [r1.status, hits.map((h) => h.body)]);
  const r2 = await send(srv, 'auth', userLines.slice(2));
  check('insight/second-request', 200, r2.status);

  const left = await waitTagged(srv);
  check('insight/all-tagged-within-10s', 0, left);

  const expectedError = extValue('ai_insight', [errorLine.body, errorLine.severity, '{}']);
  checkTrue('insight/error-line-has-an-insight', expectedError && JSON.parse(expectedError).category,
    'ai_insight() to give a category for a refused connection', expectedError);
  const err = sql(srv.db, `SELECT insight, pattern_id FROM logs WHERE body = ${q(errorLine.body)}`)[0] || {};
  check('insight/error-line-category', JSON.parse(expectedError).category, JSON.parse(err.insight || '{}').category);
  check('insight/error-line-insight-equals-ai_insight', JSON.parse(expectedError), JSON.parse(err.insight || 'null'));
  check('insight/error-line-pattern-id', extValue('log_pattern_id', [errorLine.body]), err.pattern_id);

  const expectedInfo = extValue('ai_insight', [infoLine.body, infoLine.severity, '{}']);
  const info = sql(srv.db, `SELECT insight, pattern_id FROM logs WHERE body = ${q(infoLine.body)}`)[0] || {};
  check('insight/info-line-no-insight', [null, null], [expectedInfo, info.insight ?? null]);
  check('insight/info-line-pattern-id', extValue('log_pattern_id', [infoLine.body]), info.pattern_id);

  const userPid = extValue('log_pattern_id', [userLines[0].body]);
  const ids = sql(srv.db, `SELECT DISTINCT pattern_id FROM logs WHERE body LIKE 'User % logged in'`);
  check('insight/same-pattern-same-id', [userPid], ids.map((r) => r.pattern_id));
  const pat = sql(srv.db, `SELECT template, count, CAST(first_seen_ns AS TEXT) AS first, CAST(last_seen_ns AS TEXT) AS last,
      services, category FROM log_patterns WHERE pattern_id = ${q(userPid)}`);
  check('insight/pattern-row', [{ template: extValue('log_template', [userLines[0].body]), count: userLines.length,
    first: userLines[0].time, last: userLines[userLines.length - 1].time, services: '["auth","checkout"]', category: null }], pat);
  const errPat = sql(srv.db, `SELECT count, services, category FROM log_patterns WHERE pattern_id = ${q(err.pattern_id)}`);
  check('insight/error-pattern-category', [{ count: 1, services: '["checkout"]', category: JSON.parse(expectedError).category }], errPat);
  const total = sql(srv.db, 'SELECT (SELECT sum(count) FROM log_patterns) AS counted, (SELECT count(*) FROM logs) AS logs')[0];
  check('insight/patterns-count-every-line-once', total.logs, total.counted);
  const job = sql(srv.db, `SELECT last_id = (SELECT max(id) FROM logs) AS at_end FROM argus_jobs WHERE name = 'insights'`);
  check('insight/progress-saved', [{ at_end: 1 }], job);
});

await guard('insight/restart-resumes', async () => {
  const st = await stopServer(srv);
  check('insight/clean-exit', { code: 0, signal: null }, st);
  const statsLine = srv.log().split('\n').filter((l) => / info stats /.test(l)).pop() || '';
  // 7 lines in batches of 3: at least 3 transactions.
  const m = statsLine.match(/insight_last_id=7 insight_lag=0 insight_batches=(\d+) insight_errors=0/);
  checkTrue('insight/stats-line', m && Number(m[1]) >= 3,
    'insight_last_id=7 insight_lag=0 insight_batches=(3 or more) insight_errors=0', statsLine);
  srv = await startServer(build, env, { dir });
  const extra = { time: ns(100), severity: 9, body: 'User 77 logged in' };
  const r = await send(srv, 'web', [extra]);
  check('insight/restart-export', 200, r.status);
  check('insight/restart-all-tagged', 0, await waitTagged(srv));
  const pid = extValue('log_pattern_id', [extra.body]);
  // Counted once more, not re-counted from the start: progress came from argus_jobs.
  check('insight/restart-pattern-count', [{ count: userLines.length + 1, services: '["auth","checkout","web"]', last: extra.time }],
    sql(srv.db, `SELECT count, services, CAST(last_seen_ns AS TEXT) AS last FROM log_patterns WHERE pattern_id = ${q(pid)}`));
  check('insight/restart-clean-exit', { code: 0, signal: null }, await stopServer(srv));
});

await guard('insight/worker-off', async () => {
  const off = await startServer(build, { ...env, ARGUS_INSIGHT_WORKER: 'off' });
  const r = await send(off, 'checkout', [errorLine]);
  check('insight/off-export', 200, r.status);
  const hits = sql(off.db, `SELECT count(*) AS n FROM logs_fts WHERE logs_fts MATCH '"connection refused"'`)[0].n;
  await sleep(300);
  check('insight/off-searchable-not-tagged', [1, 1, 0],
    [hits, sql(off.db, 'SELECT count(*) AS n FROM logs WHERE pattern_id IS NULL AND insight IS NULL')[0].n,
      sql(off.db, 'SELECT count(*) AS n FROM log_patterns')[0].n]);
  check('insight/off-clean-exit', { code: 0, signal: null }, await stopServer(off));
});

done();
