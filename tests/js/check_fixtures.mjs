#!/usr/bin/env node
// Checks Argus' SQL decoders against the SDK-made fixtures in tests/fixtures.
//
//   node tests/js/check_fixtures.mjs            # from any directory
//   ARGUS_BUILD=build-asan node tests/js/check_fixtures.mjs
//
// For each of traces.pb / traces.json (otlp_spans) and logs.pb / logs.json (otlp_logs) it
// loads the extension into the real sqlite3 shell (`sqlite3 :memory: -cmd ".load <build>/argus"`),
// selects every column of every row as JSON (64-bit integers through CAST(x AS TEXT)), and
// compares each row and field with expected_spans.json / expected_logs.json.
//
// stdout: one TAP-style line per check, `ok - <name>` or `not ok - <name>: <what differs>`.
// stderr: a closing "N passed, N failed" line. Exit status 1 when any check failed.
//
// Environment: ARGUS_BUILD (build directory, relative to the repository root unless
// absolute; default "build"), SQLITE3 (the sqlite3 shell; default "sqlite3" from PATH).
// Uses only Node built-ins.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { parse } from './lib/bigjson.mjs';
import { show } from './lib/deepdiff.mjs';
import { BIGINT_COLUMNS, LOG_COLUMNS, SPAN_COLUMNS, compareRow, normalizeActualRow } from './lib/rows.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const FIXTURES = path.join(REPO, 'tests', 'fixtures');
const BUILD = path.resolve(REPO, process.env.ARGUS_BUILD || 'build');
const EXTENSION = path.join(BUILD, 'argus');
const SQLITE3 = process.env.SQLITE3 || 'sqlite3';

let passed = 0;
let failed = 0;
const oneLine = (s) => String(s).replace(/\s*\n\s*/g, ' | ').trim();
function ok(name) {
  passed++;
  process.stdout.write(`ok - ${oneLine(name)}\n`);
}
function notOk(name, why) {
  failed++;
  process.stdout.write(`not ok - ${oneLine(name)}: ${oneLine(why)}\n`);
}

const sqlString = (s) => `'${String(s).replace(/'/g, "''")}'`;
const dotArg = (s) => (/[\s"'\\]/.test(s) ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : s);

function buildSql(fn, file, columns) {
  const pairs = columns.map((c) => `'${c}', ${BIGINT_COLUMNS.has(c) ? `CAST(${c} AS TEXT)` : c}`);
  const order = fn === 'otlp_spans' ? 'service_name, start_time_unix_nano, span_id' : 'service_name, time_unix_nano, span_id';
  return (
    `SELECT json_group_array(json_object(${pairs.join(', ')})) ` +
    `FROM (SELECT * FROM ${fn}(readfile(${sqlString(file)})) ORDER BY ${order});`
  );
}

function runSqlite(sql) {
  const r = spawnSync(SQLITE3, [':memory:', '-bail', '-cmd', `.load ${dotArg(EXTENSION)}`, sql], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.error) return { error: `cannot run ${SQLITE3}: ${r.error.message}` };
  const stderr = (r.stderr || '').trim();
  if (r.status !== 0 || stderr) return { error: `sqlite3 exited ${r.status}: ${stderr || '(no message)'}` };
  return { stdout: r.stdout };
}

// Runs the query; columns the decoder does not have are dropped from the SELECT (and reported
// as missing in every row) so that the other fields can still be checked.
function queryRows(fn, file, columns) {
  let cols = columns.slice();
  const missing = [];
  for (;;) {
    const res = runSqlite(buildSql(fn, file, cols));
    if (res.error) {
      const m = /no such column: ([A-Za-z_][A-Za-z0-9_]*)/.exec(res.error);
      if (m && cols.includes(m[1]) && cols.length > 1) {
        missing.push(m[1]);
        cols = cols.filter((c) => c !== m[1]);
        continue;
      }
      return { error: res.error, missing };
    }
    let rows;
    try {
      rows = parse(res.stdout.trim());
    } catch (e) {
      return { error: `output is not JSON (${e.message}): ${show(res.stdout, 300)}`, missing };
    }
    if (!Array.isArray(rows)) return { error: `expected a JSON array, got ${show(rows)}`, missing };
    return { rows, missing };
  }
}

function describe(kind, row) {
  if (!row) return '';
  if (kind === 'spans') return `span_id=${row.span_id} name=${JSON.stringify(row.name)}`;
  return `service=${JSON.stringify(row.service_name)} time=${row.time_unix_nano} severity=${row.severity_number}`;
}

function checkFile(kind, fileName, expected) {
  const fn = kind === 'spans' ? 'otlp_spans' : 'otlp_logs';
  const columns = kind === 'spans' ? SPAN_COLUMNS : LOG_COLUMNS;
  const file = path.join(FIXTURES, fileName);
  const label = `${fileName}`;

  let result;
  if (!fs.existsSync(`${EXTENSION}.so`)) {
    result = { error: `extension not found: ${EXTENSION}.so (build it, or set ARGUS_BUILD)`, missing: [] };
  } else {
    result = queryRows(fn, file, columns);
  }
  if (result.error) notOk(`${label}: ${fn}() query`, result.error);
  else if (result.missing.length) notOk(`${label}: ${fn}() query`, `no such column: ${result.missing.join(', ')}`);
  else ok(`${label}: ${fn}() query`);

  const actualRaw = result.rows || [];
  if (result.error) notOk(`${label}: row count`, `expected ${expected.length}, got none (query failed)`);
  else if (actualRaw.length !== expected.length) notOk(`${label}: row count`, `expected ${expected.length}, got ${actualRaw.length}`);
  else ok(`${label}: row count is ${expected.length}`);

  const normalized = [];
  const count = Math.max(expected.length, actualRaw.length);
  for (let i = 0; i < count; i++) {
    const e = expected[i];
    const name = `${label} row ${i} (${describe(kind, e || actualRaw[i])})`;
    if (result.error) {
      notOk(name, 'no rows: the query failed');
      continue;
    }
    if (!e) {
      notOk(name, `unexpected extra row: ${show(actualRaw[i], 300)}`);
      continue;
    }
    if (i >= actualRaw.length) {
      notOk(name, 'row missing');
      continue;
    }
    const problems = [];
    const a = normalizeActualRow(actualRaw[i], columns, problems);
    normalized.push(a);
    problems.push(...compareRow(columns, e, a));
    if (problems.length) notOk(name, problems.join('; '));
    else ok(name);
  }
  return result.error ? null : normalized;
}

function crossCheck(kind, a, b, nameA, nameB) {
  const name = `${nameA} and ${nameB} give identical rows`;
  if (!a || !b) {
    notOk(name, 'a query failed');
    return;
  }
  if (a.length !== b.length) {
    notOk(name, `${nameA} gave ${a.length} rows, ${nameB} gave ${b.length}`);
    return;
  }
  const columns = kind === 'spans' ? SPAN_COLUMNS : LOG_COLUMNS;
  const problems = [];
  for (let i = 0; i < a.length; i++) {
    for (const d of compareRow(columns, a[i], b[i])) problems.push(`row ${i} (${describe(kind, a[i])}) ${d.replace(': expected ', `: ${nameA} has `).replace(', got ', `, ${nameB} has `)}`);
  }
  if (problems.length) notOk(name, problems.slice(0, 10).join('; ') + (problems.length > 10 ? `; ... ${problems.length - 10} more` : ''));
  else ok(name);
}

function loadExpected(fileName) {
  return parse(fs.readFileSync(path.join(FIXTURES, fileName), 'utf8'));
}

const expectedSpans = loadExpected('expected_spans.json');
const expectedLogs = loadExpected('expected_logs.json');

const spansPb = checkFile('spans', 'traces.pb', expectedSpans);
const spansJson = checkFile('spans', 'traces.json', expectedSpans);
crossCheck('spans', spansPb, spansJson, 'traces.pb', 'traces.json');
const logsPb = checkFile('logs', 'logs.pb', expectedLogs);
const logsJson = checkFile('logs', 'logs.json', expectedLogs);
crossCheck('logs', logsPb, logsJson, 'logs.pb', 'logs.json');

process.stderr.write(`check_fixtures: ${passed} passed, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
