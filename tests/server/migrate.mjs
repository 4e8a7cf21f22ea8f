// Upgrade: argus-server started on a database of schema version 4 (before resources were stored
// once) migrates it before listening, says so in its log, keeps every row readable through the
// spans / logs views, and ingests into it afterwards.
//   node tests/server/migrate.mjs build
import {
  startServer, stopServer, post, sql, makeSpans, serializers, tempDir, check, checkTrue, guard, done,
} from './lib.mjs';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const build = process.argv[2] || 'build';
const root = path.resolve(new URL('../..', import.meta.url).pathname);
const dir = tempDir('migrate');
const db = path.join(dir, 'data', 'argus.db');
fs.mkdirSync(path.dirname(db), { recursive: true });

// Version 4 as argus_migrate() left it: migrations 001-004 and their argus_migrations rows.
const lines = [
  `.load ${path.resolve(build, 'argus')}`,
  'CREATE TABLE argus_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_unix_nano INTEGER NOT NULL);',
];
for (const f of fs.readdirSync(path.join(root, 'sql/sqlite')).filter((n) => /^00[1-4]_.*\.sql$/.test(n)).sort()) {
  lines.push(`.read ${path.join(root, 'sql/sqlite', f)}`);
  lines.push(`INSERT INTO argus_migrations VALUES (${parseInt(f, 10)}, '${f}', 1);`);
}
for (let i = 0; i < 50; i++) {
  lines.push(`INSERT INTO spans (trace_id, span_id, name, start_time_unix_nano, end_time_unix_nano, duration_ns,
    service_name, resource_attributes) VALUES ('0102030405060708090a0b0c0d0e0f${(16 + i).toString(16)}',
    'a1a2a3a4a5a6a7a8', 'old-${i}', ${i}, ${i + 1}, 1, 'old', '{"service.name":"old","pod":"p${i % 2}"}');`);
  lines.push(`INSERT INTO logs (time_unix_nano, observed_time_unix_nano, body, service_name, resource_attributes)
    VALUES (${i}, ${i}, 'old line ${i} checkout', 'old', '{"service.name":"old","pod":"p${i % 2}"}');`);
}
// The newest schema version is the highest numbered migration shipped in sql/sqlite.
const latest = Math.max(...fs.readdirSync(path.join(root, 'sql/sqlite')).filter((n) => /^\d{3}_.*\.sql$/.test(n))
  .map((n) => parseInt(n, 10)));
const made = spawnSync('sqlite3', ['-bail', db], { input: lines.join('\n'), encoding: 'utf8' });
check('migrate/v4-database-built', 0, made.status);

const srv = await startServer(build, {}, { dir });
await guard('migrate', async () => {
  checkTrue('migrate/log-says-migrating', new RegExp(`info migrating the database schema .*from=4 to=${latest}\\b`).test(srv.log()),
    `a "migrating" line from=4 to=${latest}`, srv.log().split('\n').slice(0, 3).join(' | '));
  checkTrue('migrate/log-says-migrated', new RegExp(`info database schema migrated version=${latest}\\b`).test(srv.log()),
    'a "migrated" line', srv.log().split('\n').slice(0, 4).join(' | '));
  check('migrate/old-spans-readable', [{ n: 50, r: 2 }],
    sql(db, `SELECT count(*) AS n, count(DISTINCT resource_attributes) AS r FROM spans WHERE service_name = 'old'`));
  check('migrate/old-logs-searchable', [{ n: 50 }],
    sql(db, `SELECT count(*) AS n FROM logs_fts WHERE logs_fts MATCH 'checkout'`));
  const spans = await makeSpans({ 'service.name': 'new' }, (tracer) => tracer.startSpan('fresh').end());
  const r = await post(`${srv.otlpUrl}/v1/traces`, Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans)),
    { 'Content-Type': 'application/x-protobuf' });
  check('migrate/ingest-after-migration', 200, r.status);
  check('migrate/new-span-stored', [{ name: 'fresh', res: 'new' }],
    sql(db, `SELECT name, resource_attributes ->> '$."service.name"' AS res FROM spans WHERE service_name = 'new'`));
});
const st = await stopServer(srv);
check('migrate/clean-exit', { code: 0, signal: null }, st);

// A second start finds nothing to migrate and says nothing about it.
const again = await startServer(build, {}, { dir });
checkTrue('migrate/restart-no-migration', !/migrating the database schema/.test(again.log()),
  'no "migrating" line', again.log().split('\n').slice(0, 3).join(' | '));
check('migrate/restart-clean-exit', { code: 0, signal: null }, await stopServer(again));
done();
