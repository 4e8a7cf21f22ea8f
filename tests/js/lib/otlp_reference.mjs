// A small, independent reference decoder for OTLP trace and log export requests, in
// protobuf or OTLP/JSON, producing rows in the shape of Argus' otlp_spans() / otlp_logs()
// (see tests/fixtures/README.md for the row contract).
//
// It exists to self-check the fixtures: generate.mjs decodes what the real SDK exporters
// sent and compares it with the rows it expects. Only Node built-ins are used.
//
// Row value conventions (same as expected_*.json):
//   - 64-bit times at the top level of a row are strings of digits;
//   - times inside events are BigInt (written as bare integer literals by bigjson);
//   - AnyValue: string, bool, int (Number when safe, else BigInt), double (Number),
//     bytes (base64 string), array, kvlist (object), empty AnyValue -> null.

import { parse as parseJson, stringify } from './bigjson.mjs';

// ---------------------------------------------------------------- protobuf reading

class PbReader {
  constructor(buf) {
    this.buf = buf;
    this.pos = 0;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  done() {
    return this.pos >= this.buf.length;
  }
  varint() {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('protobuf: truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new Error('protobuf: varint too long');
    }
    return BigInt.asUintN(64, result);
  }
  fixed64() {
    if (this.pos + 8 > this.buf.length) throw new Error('protobuf: truncated fixed64');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  fixed32() {
    if (this.pos + 4 > this.buf.length) throw new Error('protobuf: truncated fixed32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  bytes() {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('protobuf: truncated length-delimited field');
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
}

// Returns [{no, wt, v}] for every field of a message. v: BigInt (varint, fixed64),
// Number (fixed32) or Uint8Array (length-delimited).
function fields(buf) {
  const r = new PbReader(buf);
  const out = [];
  while (!r.done()) {
    const tag = Number(r.varint());
    const no = tag >>> 3;
    const wt = tag & 7;
    let v;
    if (wt === 0) v = r.varint();
    else if (wt === 1) v = r.fixed64();
    else if (wt === 2) v = r.bytes();
    else if (wt === 5) v = r.fixed32();
    else throw new Error(`protobuf: unsupported wire type ${wt}`);
    out.push({ no, wt, v });
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const str = (b) => utf8.decode(b);
const hex = (b) => Buffer.from(b).toString('hex');
const b64 = (b) => Buffer.from(b).toString('base64');
const f64 = (bits) => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, bits, true);
  return dv.getFloat64(0, true);
};
function intValue(big) {
  const v = BigInt.asIntN(64, big);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function pbAnyValue(buf) {
  let out = null;
  let type = null;
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: out = str(f.v); type = 'string'; break;
      case 2: out = f.v !== 0n; type = 'bool'; break;
      case 3: out = intValue(f.v); type = 'int'; break;
      case 4: out = f64(f.v); type = 'double'; break;
      case 5: out = fields(f.v).filter((x) => x.no === 1).map((x) => pbAnyValue(x.v).value); type = 'array'; break;
      case 6: out = pbKeyValues(fields(f.v).filter((x) => x.no === 1).map((x) => x.v)); type = 'kvlist'; break;
      case 7: out = b64(f.v); type = 'bytes'; break;
      default: break;
    }
  }
  return { value: out, type };
}

function pbKeyValues(list) {
  const obj = {};
  for (const kvBuf of list) {
    let key = '';
    let value = null;
    for (const f of fields(kvBuf)) {
      if (f.no === 1) key = str(f.v);
      else if (f.no === 2) value = pbAnyValue(f.v).value;
    }
    obj[key] = value;
  }
  return obj;
}

function pbResource(buf) {
  const kvs = [];
  for (const f of fields(buf)) if (f.no === 1) kvs.push(f.v);
  return pbKeyValues(kvs);
}

function pbScope(buf) {
  const s = { name: '', version: '', attributes: {} };
  const kvs = [];
  for (const f of fields(buf)) {
    if (f.no === 1) s.name = str(f.v);
    else if (f.no === 2) s.version = str(f.v);
    else if (f.no === 3) kvs.push(f.v);
  }
  s.attributes = pbKeyValues(kvs);
  return s;
}

// Walks Export*ServiceRequest -> Resource* -> Scope* -> items (field numbers shared by
// traces and logs: 1 = resource_X, 1 = resource, 2 = scope_X, 1 = scope, 2 = items).
function pbWalk(buf, onItem) {
  for (const top of fields(buf)) {
    if (top.no !== 1) continue;
    let resource = {};
    const scopes = [];
    for (const f of fields(top.v)) {
      if (f.no === 1) resource = pbResource(f.v);
      else if (f.no === 2) scopes.push(f.v);
    }
    for (const scopeBuf of scopes) {
      let scope = { name: '', version: '', attributes: {} };
      const items = [];
      for (const f of fields(scopeBuf)) {
        if (f.no === 1) scope = pbScope(f.v);
        else if (f.no === 2) items.push(f.v);
      }
      for (const it of items) onItem(resource, scope, it);
    }
  }
}

function common(resource, scope) {
  return {
    service_name: typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown_service',
    resource_attributes: resource,
    scope_name: scope.name,
    scope_version: scope.version === '' ? null : scope.version,
    scope_attributes: scope.attributes,
  };
}

function spanRow(s, resource, scope) {
  const c = common(resource, scope);
  return {
    trace_id: s.trace_id,
    span_id: s.span_id,
    parent_span_id: s.parent_span_id === '' ? null : s.parent_span_id,
    trace_state: s.trace_state === '' ? null : s.trace_state,
    flags: s.flags,
    name: s.name,
    kind: s.kind,
    start_time_unix_nano: s.start.toString(),
    end_time_unix_nano: s.end.toString(),
    duration_ns: (s.end - s.start).toString(),
    status_code: s.status_code,
    status_message: s.status_message === '' ? null : s.status_message,
    service_name: c.service_name,
    attributes: s.attributes,
    events: s.events,
    links: s.links,
    resource_attributes: c.resource_attributes,
    scope_name: c.scope_name,
    scope_version: c.scope_version,
    scope_attributes: c.scope_attributes,
    dropped_attributes_count: s.dropped_attributes_count,
    dropped_events_count: s.dropped_events_count,
    dropped_links_count: s.dropped_links_count,
  };
}

function logRow(l, resource, scope) {
  const c = common(resource, scope);
  const body = bodyText(l.body, l.body_type);
  return {
    time_unix_nano: l.time.toString(),
    observed_time_unix_nano: l.observed.toString(),
    severity_number: l.severity_number,
    severity_text: l.severity_text === '' ? null : l.severity_text,
    body,
    body_type: l.body_type,
    attributes: l.attributes,
    trace_id: l.trace_id === '' ? null : l.trace_id,
    span_id: l.span_id === '' ? null : l.span_id,
    flags: l.flags,
    event_name: l.event_name === '' ? null : l.event_name,
    dropped_attributes_count: l.dropped_attributes_count,
    service_name: c.service_name,
    resource_attributes: c.resource_attributes,
    scope_name: c.scope_name,
    scope_version: c.scope_version,
    scope_attributes: c.scope_attributes,
  };
}

export function decodeTracesPb(buf) {
  const rows = [];
  pbWalk(buf, (resource, scope, spanBuf) => {
    const s = {
      trace_id: '', span_id: '', parent_span_id: '', trace_state: '', flags: 0, name: '', kind: 0,
      start: 0n, end: 0n, status_code: 0, status_message: '', attributes: {}, events: [], links: [],
      dropped_attributes_count: 0, dropped_events_count: 0, dropped_links_count: 0,
    };
    const attrs = [];
    for (const f of fields(spanBuf)) {
      switch (f.no) {
        case 1: s.trace_id = hex(f.v); break;
        case 2: s.span_id = hex(f.v); break;
        case 3: s.trace_state = str(f.v); break;
        case 4: s.parent_span_id = hex(f.v); break;
        case 5: s.name = str(f.v); break;
        case 6: s.kind = Number(f.v); break;
        case 7: s.start = f.v; break;
        case 8: s.end = f.v; break;
        case 9: attrs.push(f.v); break;
        case 10: s.dropped_attributes_count = Number(f.v); break;
        case 11: {
          const e = { time_unix_nano: 0n, name: '', attributes: {}, dropped_attributes_count: 0 };
          const ea = [];
          for (const g of fields(f.v)) {
            if (g.no === 1) e.time_unix_nano = g.v;
            else if (g.no === 2) e.name = str(g.v);
            else if (g.no === 3) ea.push(g.v);
            else if (g.no === 4) e.dropped_attributes_count = Number(g.v);
          }
          e.attributes = pbKeyValues(ea);
          s.events.push(e);
          break;
        }
        case 12: s.dropped_events_count = Number(f.v); break;
        case 13: {
          const l = { trace_id: '', span_id: '', trace_state: null, attributes: {}, dropped_attributes_count: 0, flags: 0 };
          const la = [];
          for (const g of fields(f.v)) {
            if (g.no === 1) l.trace_id = hex(g.v);
            else if (g.no === 2) l.span_id = hex(g.v);
            else if (g.no === 3) l.trace_state = str(g.v) || null;
            else if (g.no === 4) la.push(g.v);
            else if (g.no === 5) l.dropped_attributes_count = Number(g.v);
            else if (g.no === 6) l.flags = g.v;
          }
          l.attributes = pbKeyValues(la);
          s.links.push(l);
          break;
        }
        case 14: s.dropped_links_count = Number(f.v); break;
        case 15:
          for (const g of fields(f.v)) {
            if (g.no === 2) s.status_message = str(g.v);
            else if (g.no === 3) s.status_code = Number(g.v);
          }
          break;
        case 16: s.flags = f.v; break;
        default: break;
      }
    }
    s.attributes = pbKeyValues(attrs);
    rows.push(spanRow(s, resource, scope));
  });
  return rows;
}

export function decodeLogsPb(buf) {
  const rows = [];
  pbWalk(buf, (resource, scope, recBuf) => {
    const l = {
      time: 0n, observed: 0n, severity_number: 0, severity_text: '', body: null, body_type: null,
      attributes: {}, trace_id: '', span_id: '', flags: 0, event_name: '', dropped_attributes_count: 0,
    };
    const attrs = [];
    for (const f of fields(recBuf)) {
      switch (f.no) {
        case 1: l.time = f.v; break;
        case 2: l.severity_number = Number(f.v); break;
        case 3: l.severity_text = str(f.v); break;
        case 5: {
          const av = pbAnyValue(f.v);
          l.body = av.value;
          l.body_type = av.type;
          break;
        }
        case 6: attrs.push(f.v); break;
        case 7: l.dropped_attributes_count = Number(f.v); break;
        case 8: l.flags = f.v; break;
        case 9: l.trace_id = hex(f.v); break;
        case 10: l.span_id = hex(f.v); break;
        case 11: l.observed = f.v; break;
        case 12: l.event_name = str(f.v); break;
        default: break;
      }
    }
    l.attributes = pbKeyValues(attrs);
    rows.push(logRow(l, resource, scope));
  });
  return rows;
}

// ---------------------------------------------------------------- OTLP/JSON reading

const pick = (o, camel, snake) => (o == null ? undefined : o[camel] !== undefined ? o[camel] : o[snake]);

function jsInt(v) {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string') return intValue(BigInt(v));
  return v; // Number or BigInt from bigjson
}
function jsU64(v) {
  if (v === undefined || v === null) return 0n;
  return BigInt(v);
}

function jsonAnyValue(av) {
  if (av == null) return { value: null, type: null };
  const keys = [
    ['stringValue', 'string_value', 'string'],
    ['boolValue', 'bool_value', 'bool'],
    ['intValue', 'int_value', 'int'],
    ['doubleValue', 'double_value', 'double'],
    ['arrayValue', 'array_value', 'array'],
    ['kvlistValue', 'kvlist_value', 'kvlist'],
    ['bytesValue', 'bytes_value', 'bytes'],
  ];
  for (const [camel, snake, type] of keys) {
    const v = pick(av, camel, snake);
    if (v === undefined) continue;
    switch (type) {
      case 'string': return { value: v, type };
      case 'bool': return { value: v, type };
      case 'int': {
        // The JS exporter writes integral Numbers as intValue even beyond int64 (e.g.
        // 1.7976931348623157e308); such a value can only be taken as a double.
        if (typeof v === 'number' && !Number.isSafeInteger(v)) return { value: v, type };
        return { value: jsInt(v), type };
      }
      case 'double': return { value: typeof v === 'string' ? Number(v) : v, type };
      case 'array': return { value: (v.values || []).map((x) => jsonAnyValue(x).value), type };
      case 'kvlist': return { value: jsonKeyValues(v.values || []), type };
      case 'bytes': return { value: Buffer.from(v, 'base64').toString('base64'), type };
      default: break;
    }
  }
  return { value: null, type: null };
}

function jsonKeyValues(list) {
  const obj = {};
  for (const kv of list || []) obj[kv.key] = jsonAnyValue(kv.value).value;
  return obj;
}

function jsonWalk(doc, topKey, topSnake, scopeKey, scopeSnake, itemKey, itemSnake, onItem) {
  for (const rs of pick(doc, topKey, topSnake) || []) {
    const resource = jsonKeyValues(rs.resource?.attributes);
    for (const ss of pick(rs, scopeKey, scopeSnake) || []) {
      const sc = ss.scope || {};
      const scope = { name: sc.name || '', version: sc.version || '', attributes: jsonKeyValues(sc.attributes) };
      for (const it of pick(ss, itemKey, itemSnake) || []) onItem(resource, scope, it);
    }
  }
}

const idHex = (v) => (v ? String(v).toLowerCase() : '');

export function decodeTracesJson(text) {
  const doc = parseJson(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  const rows = [];
  jsonWalk(doc, 'resourceSpans', 'resource_spans', 'scopeSpans', 'scope_spans', 'spans', 'spans', (resource, scope, sp) => {
    const status = sp.status || {};
    const s = {
      trace_id: idHex(pick(sp, 'traceId', 'trace_id')),
      span_id: idHex(pick(sp, 'spanId', 'span_id')),
      parent_span_id: idHex(pick(sp, 'parentSpanId', 'parent_span_id')),
      trace_state: pick(sp, 'traceState', 'trace_state') || '',
      flags: Number(sp.flags || 0),
      name: sp.name || '',
      kind: Number(sp.kind || 0),
      start: jsU64(pick(sp, 'startTimeUnixNano', 'start_time_unix_nano')),
      end: jsU64(pick(sp, 'endTimeUnixNano', 'end_time_unix_nano')),
      status_code: Number(status.code || 0),
      status_message: status.message || '',
      attributes: jsonKeyValues(sp.attributes),
      events: (sp.events || []).map((e) => ({
        time_unix_nano: jsU64(pick(e, 'timeUnixNano', 'time_unix_nano')),
        name: e.name || '',
        attributes: jsonKeyValues(e.attributes),
        dropped_attributes_count: Number(pick(e, 'droppedAttributesCount', 'dropped_attributes_count') || 0),
      })),
      links: (sp.links || []).map((l) => ({
        trace_id: idHex(pick(l, 'traceId', 'trace_id')),
        span_id: idHex(pick(l, 'spanId', 'span_id')),
        trace_state: pick(l, 'traceState', 'trace_state') || null,
        attributes: jsonKeyValues(l.attributes),
        dropped_attributes_count: Number(pick(l, 'droppedAttributesCount', 'dropped_attributes_count') || 0),
        flags: Number(l.flags || 0),
      })),
      dropped_attributes_count: Number(pick(sp, 'droppedAttributesCount', 'dropped_attributes_count') || 0),
      dropped_events_count: Number(pick(sp, 'droppedEventsCount', 'dropped_events_count') || 0),
      dropped_links_count: Number(pick(sp, 'droppedLinksCount', 'dropped_links_count') || 0),
    };
    rows.push(spanRow(s, resource, scope));
  });
  return rows;
}

export function decodeLogsJson(text) {
  const doc = parseJson(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  const rows = [];
  jsonWalk(doc, 'resourceLogs', 'resource_logs', 'scopeLogs', 'scope_logs', 'logRecords', 'log_records', (resource, scope, lr) => {
    const body = jsonAnyValue(lr.body);
    const l = {
      time: jsU64(pick(lr, 'timeUnixNano', 'time_unix_nano')),
      observed: jsU64(pick(lr, 'observedTimeUnixNano', 'observed_time_unix_nano')),
      severity_number: Number(pick(lr, 'severityNumber', 'severity_number') || 0),
      severity_text: pick(lr, 'severityText', 'severity_text') || '',
      body: body.value,
      body_type: body.type,
      attributes: jsonKeyValues(lr.attributes),
      trace_id: idHex(pick(lr, 'traceId', 'trace_id')),
      span_id: idHex(pick(lr, 'spanId', 'span_id')),
      flags: Number(lr.flags || 0),
      event_name: pick(lr, 'eventName', 'event_name') || '',
      dropped_attributes_count: Number(pick(lr, 'droppedAttributesCount', 'dropped_attributes_count') || 0),
    };
    rows.push(logRow(l, resource, scope));
  });
  return rows;
}

// The text the decoder puts in the `body` column: a string body verbatim, anything else
// as the JSON text of its value, NULL when there is no body.
export function bodyText(value, type) {
  if (type === null || type === undefined) return null;
  if (type === 'string') return value;
  return stringify(value);
}

// Sorting as the checker's SQL does: ORDER BY service_name (BINARY = UTF-8 bytes),
// the time column (integer), span_id (NULL first).
export function sortRows(rows, timeKey) {
  const cmpBytes = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return rows.slice().sort((x, y) => {
    const s = cmpBytes(x.service_name, y.service_name);
    if (s) return s;
    const tx = BigInt(x[timeKey]);
    const ty = BigInt(y[timeKey]);
    if (tx !== ty) return tx < ty ? -1 : 1;
    if (x.span_id === y.span_id) return 0;
    if (x.span_id === null) return -1;
    if (y.span_id === null) return 1;
    return cmpBytes(x.span_id, y.span_id);
  });
}
