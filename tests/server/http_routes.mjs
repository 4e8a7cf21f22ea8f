// The route tables of both HTTP listeners, through the real server: JSON errors with the right
// codes (404 for an unknown /api/ path, 405 with Allow), the answer at "/" without a built-in UI,
// /v1/ on the API port, OTLP/HTTP format chosen by Content-Type (parameters allowed; anything else
// 415), /healthz and /readyz shapes.
//   node tests/server/http_routes.mjs build
import { startServer, stopServer, post, makeSpans, serializers, check, guard, done } from './lib.mjs';

const build = process.argv[2] || 'build';
const srv = await startServer(build, { ARGUS_BATCH_LATENCY_MS: '2' });

async function get(url, init = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

await guard('routes/api', async () => {
  let r = await get(`${srv.apiUrl}/api/no/such/thing?x=1`);
  check('routes/api-unknown-404-json', [404, 'application/json', 'not_found'],
    [r.status, r.headers.get('content-type'), r.json && r.json.error && r.json.error.code]);
  check('routes/api-404-message-names-path', true, /\/api\/no\/such\/thing/.test(r.json.error.message));
  r = await get(`${srv.apiUrl}/healthz`, { method: 'POST' });
  check('routes/healthz-post-405', [405, 'GET, HEAD', 'method_not_allowed'],
    [r.status, r.headers.get('allow'), r.json && r.json.error.code]);
  r = await get(`${srv.apiUrl}/healthz`);
  check('routes/healthz', [200, { status: 'ok' }], [r.status, r.json]);
  r = await get(`${srv.apiUrl}/readyz`);
  check('routes/readyz', [200, { status: 'ready' }], [r.status, r.json]);
  r = await get(`${srv.apiUrl}/healthz`, { method: 'HEAD' });
  check('routes/healthz-head', [200, ''], [r.status, r.text]);
  r = await get(`${srv.apiUrl}/v1/traces`, { method: 'POST', body: 'x' });
  check('routes/v1-on-api-port-404', [404, 'not_found'], [r.status, r.json && r.json.error.code]);
  r = await get(`${srv.apiUrl}/`);
  if (/^text\/html/.test(r.headers.get('content-type') || '')) {
    // A build with the web UI embedded: index.html for every page, hashed assets cached for good.
    const index = r;
    check('routes/ui-index', [200, 'no-cache', true], [index.status, index.headers.get('cache-control'), /^"/.test(index.headers.get('etag') || '')]);
    const deep = await get(`${srv.apiUrl}/traces/0123456789abcdef?x=1`);
    check('routes/ui-spa-fallback', [200, index.text], [deep.status, deep.text]);
    const again = await get(`${srv.apiUrl}/`, { headers: { 'If-None-Match': index.headers.get('etag') } });
    check('routes/ui-index-304', [304, ''], [again.status, again.text]);
    const m = index.text.match(/(?:src|href)="(\/assets\/[^"]+\.js)"/);
    check('routes/ui-index-names-an-asset', true, !!m);
    if (m) {
      const raw = await fetch(`${srv.apiUrl}${m[1]}`, { headers: { 'Accept-Encoding': 'identity' } });
      const body = Buffer.from(await raw.arrayBuffer());
      check('routes/ui-asset-immutable', [200, 'public, max-age=31536000, immutable', null, true],
        [raw.status, raw.headers.get('cache-control'), raw.headers.get('content-encoding'), body.length > 0]);
      // node's fetch inflates gzip itself: the same bytes must come back either way.
      const gz = await fetch(`${srv.apiUrl}${m[1]}`, { headers: { 'Accept-Encoding': 'gzip' } });
      const gzBody = Buffer.from(await gz.arrayBuffer());
      check('routes/ui-asset-gzip', ['gzip', true], [gz.headers.get('content-encoding'), gzBody.equals(body)]);
      const nm = await fetch(`${srv.apiUrl}${m[1]}`, { headers: { 'If-None-Match': raw.headers.get('etag') } });
      check('routes/ui-asset-304', 304, nm.status);
    }
    const missing = await get(`${srv.apiUrl}/api/nothing-here`);
    check('routes/ui-no-fallback-under-api', [404, 'not_found'], [missing.status, missing.json && missing.json.error.code]);
  } else {
    check('routes/no-ui-answer', [200, 'text/plain; charset=utf-8', 1, true],
      [r.status, r.headers.get('content-type'), r.text.trim().split('\n').length, /web UI/.test(r.text)]);
    r = await get(`${srv.apiUrl}/some/page`);
    check('routes/no-ui-other-page-404', [404, 'not_found'], [r.status, r.json && r.json.error.code]);
  }
  r = await get(`${srv.apiUrl}/some/page`, { method: 'DELETE' });
  check('routes/non-get-outside-api-405', [405, 'GET, HEAD'], [r.status, r.headers.get('allow')]);
  r = await get(`${srv.apiUrl}/x%zz`);
  check('routes/bad-escape-400', [400, 'bad_request'], [r.status, r.json && r.json.error.code]);
});

await guard('routes/otlp', async () => {
  const spans = await makeSpans({ 'service.name': 'routes' }, (tracer) => tracer.startSpan('op').end());
  const json = Buffer.from(serializers.JsonTraceSerializer.serializeRequest(spans));
  const pb = Buffer.from(serializers.ProtobufTraceSerializer.serializeRequest(spans));
  let r = await post(`${srv.otlpUrl}/v1/traces`, json, { 'Content-Type': 'application/json; charset=utf-8' });
  check('routes/otlp-json-with-charset', [200, 'application/json'], [r.status, r.headers.get('content-type')]);
  r = await post(`${srv.otlpUrl}/v1/traces`, pb, { 'Content-Type': 'application/x-protobuf' });
  check('routes/otlp-protobuf', [200, 'application/x-protobuf'], [r.status, r.headers.get('content-type')]);
  r = await post(`${srv.otlpUrl}/v1/traces`, pb, { 'Content-Type': 'Application/Protobuf' });
  check('routes/otlp-application-protobuf', 200, r.status);
  r = await post(`${srv.otlpUrl}/v1/traces`, json, { 'Content-Type': 'text/json' });
  check('routes/otlp-unsupported-type-415', 415, r.status);
  r = await post(`${srv.otlpUrl}/v1/traces`, json, {});
  check('routes/otlp-no-type-415', 415, r.status);
  r = await post(`${srv.otlpUrl}/v1/metrics`, json, { 'Content-Type': 'application/json' });
  check('routes/otlp-unknown-path-404', 404, r.status);
  const g = await fetch(`${srv.otlpUrl}/v1/logs`);
  check('routes/otlp-get-405', [405, 'POST, OPTIONS'], [g.status, g.headers.get('allow')]);
});

check('routes/clean-exit', { code: 0, signal: null }, await stopServer(srv));
done();
