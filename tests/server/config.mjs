// Configuration: precedence (flag > environment > ./.env > default), invalid values stop the
// server naming the key, a mysql:// URL is refused as not supported yet, the SQLite file and its
// directory are created on first start, and a port already in use is an error (no sharing).
//   node tests/server/config.mjs build
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, stopServer, tempDir, check, checkTrue, guard, done } from './lib.mjs';

const build = process.argv[2] || 'build';
const bin = path.resolve(build, 'argus-server');

// Runs the server expecting it to stop at once; returns {code, stderr}.
function runFailing(env, args = [], cwd = tempDir('config')) {
  const r = spawnSync(bin, args, {
    cwd, encoding: 'utf8', timeout: 10000,
    env: { PATH: process.env.PATH, ARGUS_GRPC_LISTEN: '127.0.0.1:0', ARGUS_OTLP_HTTP_LISTEN: '127.0.0.1:0', ARGUS_HTTP_LISTEN: '127.0.0.1:0', ...env },
  });
  return { code: r.status, stderr: r.stderr || '' };
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
expectRefused('config/mysql-backend-not-built', { ARGUS_DB: 'mysql://argus:secret@127.0.0.1:3306/argus' }, [], 1,
  /the mysql backend is not built in this binary/);
expectRefused('config/unknown-db-scheme', { ARGUS_DB: 'postgres://x' }, [], 2, /ARGUS_DB .*expected sqlite:<path>/);
expectRefused('config/bad-listen-address', { ARGUS_GRPC_LISTEN: 'localhost' }, [], 2, /ARGUS_GRPC_LISTEN .*host:port/);
expectRefused('config/bad-log-level', {}, ['--log-level=loud'], 2, /ARGUS_LOG_LEVEL \(from flag\)/);
expectRefused('config/unknown-flag', {}, ['--no-such-option', '1'], 2, /unknown option '--no-such-option'/);
expectRefused('config/queue-smaller-than-batch', { ARGUS_BATCH_SIZE: '100', ARGUS_QUEUE_MAX_ITEMS: '10' }, [], 2,
  /ARGUS_QUEUE_MAX_ITEMS .*ARGUS_BATCH_SIZE/);
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
  const srv = await startServer(build, { ARGUS_BATCH_SIZE: '222', ARGUS_QUEUE_MAX_ITEMS: '3000', ARGUS_DB: undefined, ARGUS_LOG_LEVEL: undefined },
    { dir, args: ['--queue-max-items', '4444'] });
  const log = srv.log();
  const origin = (key) => {
    const m = log.match(new RegExp(`config key=${key} value=(\\S+) origin=(\\S+)`));
    return m ? `${m[1]} from ${m[2]}` : 'not logged';
  };
  check('config/precedence', {
    ARGUS_LOG_LEVEL: 'debug from .env', ARGUS_BATCH_SIZE: '222 from environment',
    ARGUS_QUEUE_MAX_ITEMS: '4444 from flag', ARGUS_STATS_INTERVAL_S: '7 from .env',
    ARGUS_MAX_MESSAGE_SIZE: '16MiB from default',
  }, {
    ARGUS_LOG_LEVEL: origin('ARGUS_LOG_LEVEL'), ARGUS_BATCH_SIZE: origin('ARGUS_BATCH_SIZE'),
    ARGUS_QUEUE_MAX_ITEMS: origin('ARGUS_QUEUE_MAX_ITEMS'), ARGUS_STATS_INTERVAL_S: origin('ARGUS_STATS_INTERVAL_S'),
    ARGUS_MAX_MESSAGE_SIZE: origin('ARGUS_MAX_MESSAGE_SIZE'),
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
