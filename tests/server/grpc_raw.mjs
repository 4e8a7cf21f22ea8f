// A raw gRPC client for tests (@grpc/grpc-js with identity serializers): sends exact bytes to a
// method and returns {code, details, body} without any OTLP library in between.
//   const r = await grpcCall(srv.grpcUrl, TRACES_METHOD, Buffer.from('garbage'));
import { require } from './lib.mjs';

const grpc = require('@grpc/grpc-js');

export const TRACES_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
export const LOGS_METHOD = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

const clients = new Map();
function client(url, options = {}) {
  const key = url + JSON.stringify(options);
  if (!clients.has(key)) {
    clients.set(key, new grpc.Client(url.replace(/^http:\/\//, ''), grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 << 20,
      ...options,
    }));
  }
  return clients.get(key);
}

export function grpcCall(url, method, payload, { gzip = false, timeoutMs = 20000 } = {}) {
  const c = client(url, gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
  return new Promise((resolve) => {
    c.makeUnaryRequest(method, (b) => b, (b) => b, payload, new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs }, (err, body) => {
        if (err) {
          const bin = err.metadata && err.metadata.get('grpc-status-details-bin');
          resolve({ code: err.code, details: err.details, body: null,
            statusDetails: bin && bin.length ? Buffer.from(bin[0]) : null });
        }
        else resolve({ code: 0, details: '', body });
      });
  });
}

export function closeClients() {
  for (const c of clients.values()) c.close();
  clients.clear();
}

// Decodes an Export*ServiceResponse: {rejected, message} of partial_success, or null when absent.
export function decodeExportResponse(buf) {
  const fields = readMessage(buf);
  if (!fields[1]) return null;
  const ps = readMessage(fields[1]);
  return { rejected: Number(ps[1] || 0), message: ps[2] ? ps[2].toString('utf8') : '' };
}

// Decodes google.rpc.Status: {code, message}.
export function decodeStatus(buf) {
  const f = readMessage(buf);
  return { code: Number(f[1] || 0), message: f[2] ? f[2].toString('utf8') : '' };
}

// Decodes the grpc-status-details-bin trailer (google.rpc.Status with details): {code, message,
// retry: {typeUrl, seconds} of its first detail, or null}.
export function decodeStatusDetails(buf) {
  const f = readMessage(buf);
  let retry = null;
  if (f[3]) {
    const any = readMessage(f[3]);
    const info = any[2] ? readMessage(any[2]) : {};
    const delay = info[1] ? readMessage(info[1]) : {};
    retry = { typeUrl: any[1] ? any[1].toString('utf8') : '', seconds: Number(delay[1] || 0) };
  }
  return { code: Number(f[1] || 0), message: f[2] ? f[2].toString('utf8') : '', retry };
}

// field number -> last value (BigInt for varints, Buffer for length-delimited).
function readMessage(buf) {
  const out = {};
  let i = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3, type = key & 7;
    if (type === 0) out[field] = varint();
    else if (type === 2) {
      const n = Number(varint());
      out[field] = buf.subarray(i, i + n);
      i += n;
    } else throw new Error(`unexpected wire type ${type}`);
  }
  return out;
}
