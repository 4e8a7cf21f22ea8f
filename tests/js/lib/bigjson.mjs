// JSON that keeps 64-bit integers exact.
//
// parse(text): like JSON.parse, except that an integer literal (no fraction, no exponent)
// outside the IEEE-754 safe range becomes a BigInt, so nanosecond timestamps such as
// 1714564800123456789 survive. Every other number is a plain Number.
//
// stringify(value, indent): like JSON.stringify, except that BigInt values are written
// as bare integer literals.
//
// Only Node built-ins are used, so the checker runs without `npm ci`.

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

export function parse(text) {
  let i = 0;
  const n = text.length;

  function fail(msg) {
    const near = JSON.stringify(text.slice(Math.max(0, i - 20), i + 20));
    throw new SyntaxError(`bigjson: ${msg} at offset ${i} near ${near}`);
  }
  function skip() {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  }
  function value() {
    skip();
    if (i >= n) fail('unexpected end of input');
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    fail(`unexpected character ${JSON.stringify(c)}`);
  }
  function literal(word, v) {
    if (text.startsWith(word, i)) {
      i += word.length;
      return v;
    }
    fail(`bad literal`);
  }
  function number() {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('bad number');
    i += m[0].length;
    const lit = m[0];
    if (m[2] === undefined && m[3] === undefined) {
      const asNum = Number(lit);
      if (!Number.isSafeInteger(asNum)) return BigInt(lit);
      return asNum;
    }
    return Number(lit);
  }
  function string() {
    const start = i;
    i++; // opening quote
    let simple = true;
    while (i < n) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) break; // closing quote
      if (ch === 0x5c) {
        simple = false;
        i += 2;
        continue;
      }
      if (ch < 0x20) fail('raw control character in string');
      i++;
    }
    if (i >= n) fail('unterminated string');
    i++; // closing quote
    if (simple) return text.slice(start + 1, i - 1);
    return JSON.parse(text.slice(start, i)); // escapes are standard JSON
  }
  // The members of an array or object, from its opening bracket to `close` (']' or '}'): item()
  // reads one member; `what` names the container in the error.
  function members(close, what, item) {
    i++;
    skip();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      skip();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      fail(`expected , or ${close} in ${what}`);
    }
  }
  function array() {
    const out = [];
    members(']', 'array', () => out.push(value()));
    return out;
  }
  function object() {
    const out = {};
    members('}', 'object', () => {
      skip();
      if (text[i] !== '"') fail('expected string key');
      const k = string();
      skip();
      if (text[i] !== ':') fail('expected :');
      i++;
      const v = value();
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    });
    return out;
  }

  const v = value();
  skip();
  if (i !== n) fail('trailing characters');
  return v;
}

const MARK = '\u0000@@bigint@@';

export function stringify(value, indent) {
  const s = JSON.stringify(
    value,
    (_k, v) => (typeof v === 'bigint' ? MARK + v.toString() : v),
    indent,
  );
  // JSON.stringify escapes U+0000 as \u0000, which no ordinary string here contains
  // followed by our marker text.
  return s.replace(/"\\u0000@@bigint@@(-?[0-9]+)"/g, '$1');
}
