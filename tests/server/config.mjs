// Configuration: precedence (flag > environment > ./.env > default), invalid values stop the
// server naming the key, a mysql:// URL is parsed and handed to the storage driver, the SQLite file and its
// directory are created on first start, and a port already in use is an error (no sharing).
//   node tests/server/config.mjs build
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, stopServer, tempDir, check, checkTrue, guard, done } from './lib.mjs';

const build = process.argv[2] || 'build';
const bin = path.resolve(build, 'argus-server');

// Runs the server expecting it to stop at once; returns {code, timedOut, stderr} (timedOut: still
// running after timeout ms, then stopped by SIGTERM).
function runFailing(env, args = [], cwd = tempDir('config'), timeout = 10000) {
  const r = spawnSync(bin, args, {
    cwd, encoding: 'utf8', timeout,
    env: { PATH: process.env.PATH, ARGUS_GRPC_LISTEN: '127.0.0.1:0', ARGUS_OTLP_HTTP_LISTEN: '127.0.0.1:0', ARGUS_HTTP_LISTEN: '127.0.0.1:0', ...env },
  });
  return { code: r.status, timedOut: !!r.error && r.error.code === 'ETIMEDOUT', stderr: r.stderr || '' };
}

function expectRefused(name, env, args, code, pattern) {
  const r = runFailing(env, args);
  checkTrue(name, r.code === code && pattern.test(r.stderr), `exit ${code} and a message matching ${pattern}`,
    `exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
}

expectRefused('config/invalid-number-names-key', { ARGUS_BATCH_SIZE: 'lots' }, [], 2,
  / error invalid configuration .*ARGUS_BATCH_SIZE \(from environment\)/);
expectRefused('config/invalid-flag-value-names-key', {}, ['--max-message-size', '12parsecs'], 2,
  /ARGUS_MAX_MESSAGE_SIZE \(from flag\)/);
// A mysql:// URL reaches the storage driver: a binary without the backend says so (exit 1); one
// with it tries to connect (nothing listens on port 1), names the server and keeps running, not
// ready, retrying with back-off (docs/mysql.md; tests/mysql/start_down.sh tests the rest).
{
  const r = runFailing({ ARGUS_DB: 'mysql://argus:secret@127.0.0.1:1/argus' }, [], tempDir('config'), 2500);
  const built = !/the mysql backend is not built in this binary/.test(r.stderr);
  checkTrue('config/mysql-not-built-or-unreachable',
    built ? r.timedOut && /cannot connect to the database, retrying .*mysql: connecting to 127\.0\.0\.1:1/.test(r.stderr) : r.code === 1,
    'exit 1 (backend not built) or still running after 2.5 s with a retry line naming 127.0.0.1:1',
    `exit ${r.code}${r.timedOut ? ' after the timeout' : ''}: ${r.stderr.trim().split('\n').pop()}`);
}
expectRefused('config/unknown-db-scheme', { ARGUS_DB: 'postgres://x' }, [], 2, /ARGUS_DB .*expected sqlite:<path>/);
expectRefused('config/bad-listen-address', { ARGUS_GRPC_LISTEN: 'localhost' }, [], 2, /ARGUS_GRPC_LISTEN .*host:port/);
expectRefused('config/bad-log-level', {}, ['--log-level=loud'], 2, /ARGUS_LOG_LEVEL \(from flag\)/);
expectRefused('config/unknown-flag', {}, ['--no-such-option', '1'], 2, /unknown option '--no-such-option'/);
expectRefused('config/queue-smaller-than-batch', { ARGUS_BATCH_SIZE: '100', ARGUS_QUEUE_MAX_ITEMS: '10' }, [], 2,
  /ARGUS_QUEUE_MAX_ITEMS .*ARGUS_BATCH_SIZE/);
// Durations and sizes with units, limits per key, flags through getopt_long.
expectRefused('config/duration-not-whole-seconds', { ARGUS_STATS_INTERVAL_S: '1500ms' }, [], 2,
  /ARGUS_STATS_INTERVAL_S \(from environment\): expected whole seconds/);
expectRefused('config/duration-above-limit', {}, ['--batch-latency-ms=2h'], 2,
  /ARGUS_BATCH_LATENCY_MS \(from flag\): expected 0 to 1m, got '2h'/);
expectRefused('config/duration-bad-unit', { ARGUS_HTTP_HEADER_TIMEOUT: '5 fortnights' }, [], 2,
  /ARGUS_HTTP_HEADER_TIMEOUT .*expected a duration such as 250ms/);
expectRefused('config/retention-bad', { ARGUS_RETENTION: 'forever' }, [], 2, /ARGUS_RETENTION .*\(or off\)/);
expectRefused('config/size-above-limit', { ARGUS_MAX_MESSAGE_SIZE: '2GiB' }, [], 2,
  /ARGUS_MAX_MESSAGE_SIZE .*expected 1 to 1GiB/);
expectRefused('config/count-below-limit', { ARGUS_HTTP_MAX_CONNECTIONS: '3' }, [], 2,
  /ARGUS_HTTP_MAX_CONNECTIONS .*expected 16 to 1000000, got 3/);
expectRefused('config/flag-needs-value', {}, ['--batch-size'], 2, /option --batch-size needs a value/);
expectRefused('config/stray-argument', {}, ['serve'], 2, /unexpected argument 'serve'/);
// ARGUS_DB: mysql URLs are parsed (errors name the key, exit 2); a valid one reaches the storage
// driver, which says whether this binary has the backend; no password ever reaches the log.
expectRefused('config/mysql-url-without-user', { ARGUS_DB: 'mysql://127.0.0.1:3306/argus' }, [], 2,
  /ARGUS_DB \(from environment\): expected mysql:\/\/user@host:port\/database/);
expectRefused('config/mysql-url-bad-port', { ARGUS_DB: 'mysql://argus@db:99999/argus' }, [], 2, /ARGUS_DB .*bad port/);
expectRefused('config/mysql-url-unknown-parameter', { ARGUS_DB: 'mysql://argus@db/argus?ssl=1' }, [], 2,
  /ARGUS_DB .*unknown URL parameter 'ssl=1'/);
expectRefused('config/password-file-missing', { ARGUS_DB: 'mysql://argus@db/argus', ARGUS_DB_PASSWORD_FILE: '/nonexistent/pw' }, [], 2,
  /ARGUS_DB_PASSWORD_FILE \(from environment\): cannot read \/nonexistent\/pw/);
{
  const r = runFailing({ ARGUS_DB: 'mysql://argus:s3cr%40t-url@127.0.0.1:3306/argus?socket=/run/x.sock', ARGUS_LOG_LEVEL: 'debug' }, [], tempDir('config'), 1500);
  checkTrue('config/mysql-url-redacted', (r.code !== 0 || r.timedOut) && !/s3cr/.test(r.stderr) && /key=ARGUS_DB value="?mysql:\/\/argus:\(redacted\)@127\.0\.0\.1:3306\/argus\?socket=\/run\/x\.sock/.test(r.stderr),
    'a refusal (or retries) whose log shows ARGUS_DB with the password redacted', `exit ${r.code}: ${r.stderr.split('\n').filter((l) => /ARGUS_DB|s3cr/.test(l)).join(' | ')}`);
  const r1 = runFailing({ ARGUS_DB: 'mysql://argus:p@ss:w0rd@127.0.0.1:1/argus', ARGUS_LOG_LEVEL: 'debug' }, [], tempDir('config'), 1500);
  checkTrue('config/mysql-url-password-with-at-redacted', (r1.code === 1 || r1.timedOut) && !/p@ss|w0rd/.test(r1.stderr) && /argus:\(redacted\)@127\.0\.0\.1:1\/argus/.test(r1.stderr),
    'exit 1 (not built) or running and retrying, with the whole password redacted', `exit ${r1.code}: ${r1.stderr.split('\n').filter((l) => /ARGUS_DB|ss|w0rd/.test(l)).join(' | ')}`);
  const r2 = runFailing({ ARGUS_DB: 'mysql://argus@127.0.0.1/argus', ARGUS_DB_PASSWORD: 'hunter2-env', ARGUS_LOG_LEVEL: 'debug' }, [], tempDir('config'), 1500);
  checkTrue('config/db-password-redacted', (r2.code !== 0 || r2.timedOut) && !/hunter2/.test(r2.stderr) && /key=ARGUS_DB_PASSWORD value=\(redacted\) origin=environment/.test(r2.stderr),
    'ARGUS_DB_PASSWORD logged as (redacted)', `exit ${r2.code}: ${r2.stderr.split('\n').filter((l) => /PASSWORD|hunter/.test(l)).join(' | ')}`);
}
{
  const dir = tempDir('config');
  fs.writeFileSync(path.join(dir, '.env'), '# comment\nARGUS_SQLITE_SYNCHRONOUS=sometimes\n');
  const r = runFailing({}, [], dir);
  checkTrue('config/invalid-dotenv-value-names-key', r.code === 2 && /ARGUS_SQLITE_SYNCHRONOUS \(from \.env\)/.test(r.stderr),
    'exit 2 naming ARGUS_SQLITE_SYNCHRONOUS (from .env)', `exit ${r.code}: ${r.stderr.trim()}`);
}

await guard('config/precedence', async () => {
  const dir = tempDir('config');
  fs.writeFileSync(path.join(dir, '.env'), [
    'ARGUS_LOG_LEVEL=debug', 'ARGUS_BATCH_SIZE=111', 'export ARGUS_QUEUE_MAX_ITEMS="5000"',
    "ARGUS_STATS_INTERVAL_S='7'  ", 'ARGUS_DB=sqlite:nested/dir/from-dotenv.db # where the data goes',
  ].join('\n') + '\n');
  const srv = await startServer(build, { ARGUS_BATCH_SIZE: '222', ARGUS_QUEUE_MAX_ITEMS: '3000', ARGUS_DB: undefined, ARGUS_LOG_LEVEL: undefined,
    ARGUS_HTTP_MAX_BODY: '2048KiB', ARGUS_BATCH_LATENCY_MS: '250ms' },
    { dir, args: ['--queue-max-items', '4444', '--http-header-timeout=90000ms'] });
  const log = srv.log();
  const origin = (key) => {
    const m = log.match(new RegExp(`config key=${key} value=(\\S+) origin=(\\S+)`));
    return m ? `${m[1]} from ${m[2]}` : 'not logged';
  };
  check('config/precedence', {
    ARGUS_LOG_LEVEL: 'debug from .env', ARGUS_BATCH_SIZE: '222 from environment',
    ARGUS_QUEUE_MAX_ITEMS: '4444 from flag', ARGUS_STATS_INTERVAL_S: '7s from .env',
    ARGUS_MAX_MESSAGE_SIZE: '16MiB from default',
    ARGUS_RETENTION: '7d from default', ARGUS_HTTP_HEADER_TIMEOUT: '90s from flag',
    ARGUS_HTTP_MAX_BODY: '2MiB from environment', ARGUS_BATCH_LATENCY_MS: '250ms from environment',
  }, {
    ARGUS_LOG_LEVEL: origin('ARGUS_LOG_LEVEL'), ARGUS_BATCH_SIZE: origin('ARGUS_BATCH_SIZE'),
    ARGUS_QUEUE_MAX_ITEMS: origin('ARGUS_QUEUE_MAX_ITEMS'), ARGUS_STATS_INTERVAL_S: origin('ARGUS_STATS_INTERVAL_S'),
    ARGUS_MAX_MESSAGE_SIZE: origin('ARGUS_MAX_MESSAGE_SIZE'),
    ARGUS_RETENTION: origin('ARGUS_RETENTION'), ARGUS_HTTP_HEADER_TIMEOUT: origin('ARGUS_HTTP_HEADER_TIMEOUT'),
    ARGUS_HTTP_MAX_BODY: origin('ARGUS_HTTP_MAX_BODY'), ARGUS_BATCH_LATENCY_MS: origin('ARGUS_BATCH_LATENCY_MS'),
  });
  check('config/db-and-directory-created', true, fs.existsSync(path.join(dir, 'nested', 'dir', 'from-dotenv.db')));
  checkTrue('config/log-line-format', log.trim().split('\n').every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warn|error) \S/.test(l)),
    'every line "ts level msg key=value..."', log.trim().split('\n').find((l) => !/^\d{4}-.*Z (debug|info|warn|error) /.test(l)));

  // No port sharing: a second server on the same ports must refuse to start.
  const r = runFailing({ ARGUS_GRPC_LISTEN: `127.0.0.1:${srv.grpcPort}`, ARGUS_DB: `sqlite:${dir}/other.db` });
  checkTrue('config/grpc-port-in-use', r.code === 1 && /ARGUS_GRPC_LISTEN/.test(r.stderr),
    'exit 1 naming ARGUS_GRPC_LISTEN', `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  const r2 = runFailing({ ARGUS_OTLP_HTTP_LISTEN: `127.0.0.1:${srv.httpPort}`, ARGUS_DB: `sqlite:${dir}/other.db` });
  checkTrue('config/http-port-in-use', r2.code === 1 && /ARGUS_OTLP_HTTP_LISTEN/.test(r2.stderr),
    'exit 1 naming ARGUS_OTLP_HTTP_LISTEN', `exit ${r2.code}: ${r2.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  const st = await stopServer(srv);
  check('config/clean-exit', { code: 0, signal: null }, st);
});

await guard('config/help', async () => {
  const r = spawnSync(bin, ['--help'], { encoding: 'utf8' });
  const keys = ['ARGUS_DB', 'ARGUS_GRPC_LISTEN', 'ARGUS_OTLP_HTTP_LISTEN', 'ARGUS_HTTP_LISTEN', 'ARGUS_BATCH_SIZE',
    'ARGUS_BATCH_LATENCY_MS', 'ARGUS_QUEUE_MAX_ITEMS', 'ARGUS_QUEUE_MAX_BYTES', 'ARGUS_MAX_MESSAGE_SIZE',
    'ARGUS_CORS_ALLOWED_ORIGINS', 'ARGUS_LOG_LEVEL', 'ARGUS_SQLITE_SYNCHRONOUS'];
  check('config/help-lists-keys', [0, []], [r.status, keys.filter((k) => !r.stdout.includes(k))]);
  const docs = fs.readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const example = fs.readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const all = [...r.stdout.matchAll(/\b(ARGUS_[A-Z_]+)\b/g)].map((m) => m[1]);
  check('config/every-key-documented', [], all.filter((k) => !docs.includes(`\`${k}\``)));
  check('config/every-key-in-env-example', [], all.filter((k) => !example.includes(k)));
});

done();
