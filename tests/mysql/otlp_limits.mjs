// Requests at the edges of what OTLP allows, for the MariaDB backend test (tests/mysql/backend.sh):
// service names far longer than 512 characters (and with 4-byte UTF-8), a 200 KB span name,
// a 20 KB attribute key, a 300 KB attribute value, unknown enum values (kind 1000, status 77,
// severity 300), uint32 maxima in the dropped counts and flags. Each request is written both as
// OTLP/JSON and as protobuf (encoded here field by field, so nothing clamps the values on the
// way), and can be sent over gRPC.
//   node tests/mysql/otlp_limits.mjs write DIR       # DIR/limits_{traces,logs}.{json,pb}
//   node tests/mysql/otlp_limits.mjs collide DIR     # DIR/collide.{json,pb}: one small request
//   node tests/mysql/otlp_limits.mjs grpc HOST:PORT traces|logs FILE   # prints "<code> <details>"
import { writeFileSync, readFileSync } from 'node:fs';

const LONG_SERVICE = 'svc-' + 'é😀'.repeat(300) + 's'.repeat(5000); // > 512 characters
const HUGE_SERVICE = 'huge-' + 'h'.repeat(70000); // more than a MariaDB TEXT holds
const U32 = 4294967295;

// ---- protobuf, by hand ----
function varint(n) {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // negative int32 enums are 10-byte varints
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const tag = (field, wire) => varint((field << 3) | wire);
const bytes = (field, buf) => Buffer.concat([tag(field, 2), varint(buf.length), buf]);
const str = (field, s) => bytes(field, Buffer.from(s, 'utf8'));
const uint = (field, n) => Buffer.concat([tag(field, 0), varint(n)]);
function fixed64(field, n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return Buffer.concat([tag(field, 1), b]);
}
function fixed32(field, n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return Buffer.concat([tag(field, 5), b]);
}
const msg = (field, ...parts) => bytes(field, Buffer.concat(parts));
const kvPb = (field, key, value) => msg(field, str(1, key), msg(2, str(1, value)));
const hexPb = (field, h) => bytes(field, Buffer.from(h, 'hex'));

// ---- the requests, as plain data ----
function requests() {
  const resource = (service, extra = []) => ({ service, attrs: [['service.name', service], ...extra] });
  const traces = [
    {
      resource: resource(LONG_SERVICE, [['k8s.pod.name', 'pod-1']]),
      spans: [
        { traceId: 'a1000000000000000000000000000001', spanId: 'b100000000000001', name: 'n'.repeat(200000),
          kind: 1000, start: '1714564800000000000', end: '1714564800250000000', statusCode: 77,
          statusMessage: 'm'.repeat(10000), attrs: [['k'.repeat(20000), 'short'], ['big', 'v'.repeat(300000)]],
          dropped: U32, flags: U32 },
        { traceId: 'a1000000000000000000000000000001', spanId: 'b100000000000002', parentSpanId: 'b100000000000001',
          name: 'child ' + 'é'.repeat(1000), kind: 2, start: '1714564800010000000', end: '1714564800020000000',
          statusCode: 2, statusMessage: '', attrs: [], dropped: 0, flags: 0 },
      ],
    },
    {
      resource: resource(HUGE_SERVICE),
      spans: [
        { traceId: 'a1000000000000000000000000000002', spanId: 'b100000000000003', name: 'root', kind: 2,
          start: '1714564800030000000', end: '1714564800040000000', statusCode: 0, statusMessage: '',
          attrs: [], dropped: 0, flags: 1 },
      ],
    },
  ];
  const logs = [
    {
      resource: resource(LONG_SERVICE),
      records: [
        { time: '1714564800000000000', observed: '1714564800000000001', severity: 300,
          severityText: 'T'.repeat(10000), body: 'b'.repeat(200000), attrs: [['a'.repeat(20000), 'x']],
          eventName: 'e'.repeat(10000), dropped: U32, flags: U32,
          traceId: 'a1000000000000000000000000000001', spanId: 'b100000000000001' },
      ],
    },
    {
      resource: resource(HUGE_SERVICE),
      records: [
        { time: '0', observed: '1714564800000000002', severity: 9, severityText: 'INFO', body: 'plain',
          attrs: [], eventName: '', dropped: 0, flags: 0 },
      ],
    },
  ];
  return { traces, logs };
}

// ---- OTLP/JSON ----
const kvJson = ([key, value]) => ({ key, value: { stringValue: value } });
function tracesJson(traces) {
  return { resourceSpans: traces.map((r) => ({
    resource: { attributes: r.resource.attrs.map(kvJson) },
    scopeSpans: [{ scope: { name: 'limits' }, spans: r.spans.map((s) => ({
      traceId: s.traceId, spanId: s.spanId, ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
      name: s.name, kind: s.kind, startTimeUnixNano: s.start, endTimeUnixNano: s.end,
      attributes: s.attrs.map(kvJson), droppedAttributesCount: s.dropped, droppedEventsCount: s.dropped,
      droppedLinksCount: s.dropped, flags: s.flags,
      status: { code: s.statusCode, ...(s.statusMessage ? { message: s.statusMessage } : {}) },
    })) }],
  })) };
}
function logsJson(logs) {
  return { resourceLogs: logs.map((r) => ({
    resource: { attributes: r.resource.attrs.map(kvJson) },
    scopeLogs: [{ scope: { name: 'limits' }, logRecords: r.records.map((l) => ({
      timeUnixNano: l.time, observedTimeUnixNano: l.observed, severityNumber: l.severity,
      severityText: l.severityText, body: { stringValue: l.body }, attributes: l.attrs.map(kvJson),
      droppedAttributesCount: l.dropped, flags: l.flags, ...(l.eventName ? { eventName: l.eventName } : {}),
      ...(l.traceId ? { traceId: l.traceId, spanId: l.spanId } : {}),
    })) }],
  })) };
}

// ---- protobuf (ExportTraceServiceRequest / ExportLogsServiceRequest) ----
function tracesPb(traces) {
  return Buffer.concat(traces.map((r) => msg(1,
    msg(1, ...r.resource.attrs.map(([k, v]) => kvPb(1, k, v))),
    msg(2, msg(1, str(1, 'limits')), ...r.spans.map((s) => msg(2,
      hexPb(1, s.traceId), hexPb(2, s.spanId), ...(s.parentSpanId ? [hexPb(4, s.parentSpanId)] : []),
      str(5, s.name), uint(6, s.kind), fixed64(7, s.start), fixed64(8, s.end),
      ...s.attrs.map(([k, v]) => kvPb(9, k, v)), uint(10, s.dropped), uint(12, s.dropped),
      uint(14, s.dropped), msg(15, ...(s.statusMessage ? [str(2, s.statusMessage)] : []), uint(3, s.statusCode)),
      fixed32(16, s.flags)))))));
}
function logsPb(logs) {
  return Buffer.concat(logs.map((r) => msg(1,
    msg(1, ...r.resource.attrs.map(([k, v]) => kvPb(1, k, v))),
    msg(2, msg(1, str(1, 'limits')), ...r.records.map((l) => msg(2,
      fixed64(1, l.time), uint(2, l.severity), str(3, l.severityText), msg(5, str(1, l.body)),
      ...l.attrs.map(([k, v]) => kvPb(6, k, v)), uint(7, l.dropped), fixed32(8, l.flags),
      ...(l.traceId ? [hexPb(9, l.traceId), hexPb(10, l.spanId)] : []), fixed64(11, l.observed),
      ...(l.eventName ? [str(12, l.eventName)] : [])))))));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'write') {
  const dir = args[0];
  const { traces, logs } = requests();
  writeFileSync(`${dir}/limits_traces.json`, JSON.stringify(tracesJson(traces)));
  writeFileSync(`${dir}/limits_traces.pb`, tracesPb(traces));
  writeFileSync(`${dir}/limits_logs.json`, JSON.stringify(logsJson(logs)));
  writeFileSync(`${dir}/limits_logs.pb`, logsPb(logs));
} else if (mode === 'collide') {
  // one small request whose resource the test forges a different row for, under its id
  const dir = args[0];
  const traces = [{ resource: { attrs: [['service.name', 'collide'], ['host.name', 'h1']] }, spans: [
    { traceId: 'c0110000000000000000000000000001', spanId: 'c011000000000001', name: 'collide', kind: 2,
      start: '1714564800000000000', end: '1714564800001000000', statusCode: 0, statusMessage: '', attrs: [],
      dropped: 0, flags: 0 }] }];
  writeFileSync(`${dir}/collide.json`, JSON.stringify(tracesJson(traces)));
  writeFileSync(`${dir}/collide.pb`, tracesPb(traces));
} else if (mode === 'grpc') {
  const { grpcCall, closeClients, TRACES_METHOD, LOGS_METHOD } = await import('../server/grpc_raw.mjs');
  const [url, signal, file] = args;
  const r = await grpcCall(url, signal === 'traces' ? TRACES_METHOD : LOGS_METHOD, readFileSync(file));
  closeClients();
  process.stdout.write(`${r.code} ${r.details}\n`);
} else {
  process.stderr.write('usage: otlp_limits.mjs write DIR | grpc HOST:PORT traces|logs FILE\n');
  process.exit(2);
}
