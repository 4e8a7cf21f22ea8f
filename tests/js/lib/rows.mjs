// The row contract of otlp_spans() / otlp_logs() and a field-by-field row comparison.
// Shared by tests/js/check_fixtures.mjs and tests/fixtures/generate.mjs.

import { parse } from './bigjson.mjs';
import { diff, show } from './deepdiff.mjs';

export const SPAN_COLUMNS = [
  'trace_id', 'span_id', 'parent_span_id', 'trace_state', 'flags', 'name', 'kind',
  'start_time_unix_nano', 'end_time_unix_nano', 'duration_ns', 'status_code', 'status_message',
  'service_name', 'attributes', 'events', 'links', 'resource_attributes', 'scope_name',
  'scope_version', 'scope_attributes', 'dropped_attributes_count', 'dropped_events_count',
  'dropped_links_count',
];

export const LOG_COLUMNS = [
  'time_unix_nano', 'observed_time_unix_nano', 'severity_number', 'severity_text', 'body',
  'body_type', 'attributes', 'trace_id', 'span_id', 'flags', 'event_name',
  'dropped_attributes_count', 'service_name', 'resource_attributes', 'scope_name',
  'scope_version', 'scope_attributes',
];

// 64-bit integer columns: selected as CAST(x AS TEXT) and compared as digit strings.
export const BIGINT_COLUMNS = new Set([
  'start_time_unix_nano', 'end_time_unix_nano', 'duration_ns', 'time_unix_nano', 'observed_time_unix_nano',
]);

// Columns holding JSON text.
export const JSON_COLUMNS = new Set(['attributes', 'events', 'links', 'resource_attributes', 'scope_attributes']);

// Turns a row as returned through SQL json_object() into comparable values: JSON text
// columns are parsed (a column already embedded as JSON is taken as is). Problems are
// appended to `problems`.
export function normalizeActualRow(row, columns, problems) {
  const out = {};
  for (const col of columns) {
    if (!Object.prototype.hasOwnProperty.call(row, col)) continue;
    let v = row[col];
    if (JSON_COLUMNS.has(col) && typeof v === 'string') {
      try {
        v = parse(v);
      } catch (e) {
        problems.push(`${col}: not valid JSON (${e.message}): ${show(v)}`);
        v = { __invalid_json__: row[col] };
      }
    }
    out[col] = v;
  }
  return out;
}

function isDigits(v) {
  return typeof v === 'string' && /^[0-9]+$/.test(v);
}

// Compares one expected row with one actual row; returns "field: expected X, got Y" strings.
// Expected "*" for a 64-bit time means "any non-zero value".
export function compareRow(columns, expected, actual) {
  const out = [];
  for (const col of columns) {
    const e = expected[col];
    if (!Object.prototype.hasOwnProperty.call(actual, col)) {
      out.push(`${col}: expected ${show(e)}, got (no such column)`);
      continue;
    }
    const a = actual[col];
    if (BIGINT_COLUMNS.has(col)) {
      if (e === '*') {
        if (!isDigits(a) || /^0+$/.test(a)) out.push(`${col}: expected a non-zero integer, got ${show(a)}`);
      } else if (a !== e) {
        out.push(`${col}: expected ${show(e)}, got ${show(a)}`);
      }
      continue;
    }
    if (col === 'body' && expected.body_type !== null && expected.body_type !== 'string' && e !== null) {
      // Structured bodies: the column is JSON text; compare the values, not the spelling.
      if (typeof a !== 'string') {
        out.push(`body: expected JSON text ${show(e)}, got ${show(a)}`);
        continue;
      }
      let av;
      try {
        av = parse(a);
      } catch (err) {
        out.push(`body: expected JSON text ${show(e)}, got text that is not JSON: ${show(a)}`);
        continue;
      }
      diff(parse(e), av, 'body', out);
      continue;
    }
    diff(e, a, col, out);
  }
  return out;
}
