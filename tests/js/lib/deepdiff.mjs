// Structural comparison of decoded JSON values (as produced by bigjson.parse) with
// readable difference reports.
//
// Numbers: Number and BigInt compare by exact value. When a value lies outside the
// 64-bit integer range (a double such as 1.7976931348623157e308) it is compared as a
// double, so "1.7976931348623157e+308" and its exact integer digits are equal.
// Objects compare by key set (order-insensitive); arrays element by element.

import { stringify } from './bigjson.mjs';

const TWO64 = 2 ** 64;

function isNum(v) {
  return typeof v === 'number' || typeof v === 'bigint';
}

export function numEqual(a, b) {
  if (typeof a === typeof b) return a === b || (Number.isNaN(a) && Number.isNaN(b));
  const n = typeof a === 'number' ? a : b;
  const big = typeof a === 'bigint' ? a : b;
  if (Number.isInteger(n) && BigInt(n) === big) return true;
  return Math.abs(n) >= TWO64 && Number(big) === n;
}

export function show(v, max = 160) {
  let s;
  if (v === undefined) s = '(missing)';
  else if (typeof v === 'bigint') s = v.toString();
  else if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && Math.abs(v) < TWO64) s = BigInt(v).toString();
  else s = stringify(v);
  if (s.length > max) s = `${s.slice(0, max)}...(${s.length} chars)`;
  return s;
}

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (isNum(v)) return 'number';
  return typeof v;
}

function keyPath(path, k) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
}

// Returns a list of "path: expected X, got Y" strings (empty when equal).
export function diff(expected, actual, path = '', out = [], limit = 20) {
  if (out.length >= limit) return out;
  const te = typeName(expected);
  const ta = typeName(actual);
  const where = path || '(value)';
  if (actual === undefined && expected !== undefined) {
    out.push(`${where}: expected ${show(expected)}, got (missing)`);
    return out;
  }
  if (te !== ta) {
    out.push(`${where}: expected ${show(expected)}, got ${show(actual)}`);
    return out;
  }
  if (te === 'number') {
    if (!numEqual(expected, actual)) out.push(`${where}: expected ${show(expected)}, got ${show(actual)}`);
    return out;
  }
  if (te === 'array') {
    if (expected.length !== actual.length) {
      out.push(`${where}: expected an array of ${expected.length} items, got ${actual.length}: ${show(actual)}`);
      return out;
    }
    for (let i = 0; i < expected.length && out.length < limit; i++) diff(expected[i], actual[i], `${path}[${i}]`, out, limit);
    return out;
  }
  if (te === 'object') {
    for (const k of Object.keys(expected)) {
      if (out.length >= limit) break;
      if (!Object.prototype.hasOwnProperty.call(actual, k)) {
        out.push(`${keyPath(path, k)}: expected ${show(expected[k])}, got (missing key)`);
        continue;
      }
      diff(expected[k], actual[k], keyPath(path, k), out, limit);
    }
    for (const k of Object.keys(actual)) {
      if (out.length >= limit) break;
      if (!Object.prototype.hasOwnProperty.call(expected, k)) {
        out.push(`${keyPath(path, k)}: unexpected key, got ${show(actual[k])}`);
      }
    }
    return out;
  }
  if (expected !== actual) out.push(`${where}: expected ${show(expected)}, got ${show(actual)}`);
  return out;
}
