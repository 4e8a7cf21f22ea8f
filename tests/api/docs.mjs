// Executes the examples of docs/api.md: a server with the OTLP fixtures of tests/fixtures (as
// the page says), each "<!-- example -->" request sent and its answer compared with the page's.
//   node tests/api/docs.mjs build
import fs from 'node:fs';
import { startServer, stopServer, check, guard, done, post } from '../server/lib.mjs';
import { insightsDone } from './data.mjs';

const build = process.argv[2] || 'build';
const page = fs.readFileSync('docs/api.md', 'utf8');
const re = /<!-- example -->\n```http\nGET (\S+)\n```\nAnswer \((\d+)\):\n\n```json\n([\s\S]*?)```/g;
const examples = [...page.matchAll(re)].map((m) => ({ path: m[1], status: Number(m[2]), answer: JSON.parse(m[3]),
  line: page.slice(0, m.index).split('\n').length }));

// Key order does not matter in JSON objects; compare canonical forms.
const canon = (v) => (Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
  ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);

const srv = await startServer(build, { ARGUS_RETENTION: 'off', ARGUS_INSIGHT_INTERVAL_MS: '20' });
const PB = { 'Content-Type': 'application/x-protobuf' };
await post(`${srv.otlpUrl}/v1/traces`, fs.readFileSync('tests/fixtures/traces.pb'), PB);
await post(`${srv.otlpUrl}/v1/logs`, fs.readFileSync('tests/fixtures/logs.pb'), PB);
await insightsDone(srv);
check('docs/api.md/has-examples', true, examples.length >= 10);
for (const ex of examples) {
  await guard(`docs/api.md:${ex.line}`, async () => {
    const res = await fetch(`${srv.apiUrl}${ex.path}`);
    const got = await res.json();
    check(`docs/api.md:${ex.line} GET ${ex.path.slice(0, 60)}`, [ex.status, canon(ex.answer)], [res.status, canon(got)]);
  });
}
const st = await stopServer(srv);
check('docs/server-stops-cleanly', 0, st && st.code);
done();
