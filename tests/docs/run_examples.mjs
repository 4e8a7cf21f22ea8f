// Executes the SQL examples of the docs and compares their output (docs/sql.md explains the
// format): every ```sql block runs, in order, in one in-memory database per page that has the
// Argus schema; an ```output block right after it must match the block's output exactly.
//   node tests/docs/run_examples.mjs build docs/sql.md README.md
// Prints TAP lines ("ok - <page>#<n>" / "not ok - ...") and exits 1 on any failure.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const [build, ...pages] = process.argv.slice(2);
let failed = 0;

function blocksOf(text) {
  const re = /^```(\w+)[^\n]*\n([\s\S]*?)^```\s*$/gm;
  const blocks = [];
  let m;
  while ((m = re.exec(text))) {
    const line = text.slice(0, m.index).split('\n').length;
    blocks.push({ lang: m[1], body: m[2], line });
  }
  const examples = [];
  for (let i = 0; i < blocks.length; i++) {
    if (blocks[i].lang !== 'sql') continue;
    const next = blocks[i + 1];
    examples.push({
      sql: blocks[i].body,
      line: blocks[i].line,
      expected: next && next.lang === 'output' ? next.body : null,
    });
  }
  return examples;
}

// The shell says where an error happened in its input; the docs cannot know that line number.
const norm = (s) => s.replace(/^(Runtime |Parse )?[Ee]rror near line \d+: /gm, 'Error: ').split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\n+$/, '');

// ```console blocks: each "$ command" line runs with bash from the repository root and must
// print exactly the lines that follow it (up to the next "$ " line).
function consoleExamples(page, text) {
  const re = /^```console[^\n]*\n([\s\S]*?)^```\s*$/gm;
  let m;
  while ((m = re.exec(text))) {
    const line0 = text.slice(0, m.index).split('\n').length;
    const lines = m[1].replace(/\n$/, '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith('$ ')) continue;
      let cmd = lines[i].slice(2);
      while (cmd.endsWith('\\') && i + 1 < lines.length) cmd = cmd.slice(0, -1) + '\n' + lines[++i];
      const expected = [];
      while (i + 1 < lines.length && !lines[i + 1].startsWith('$ ')) expected.push(lines[++i]);
      const r = spawnSync('bash', ['-c', cmd + ' 2>&1'], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const name = `${page}:${line0 + 1} $ ${cmd.split('\n')[0].slice(0, 60)}`;
      if (norm(r.stdout) === norm(expected.join('\n'))) {
        console.log(`ok - ${name}`);
      } else {
        failed++;
        console.log(`not ok - ${name}`);
        console.error(`--- ${name}\nexpected:\n${norm(expected.join('\n'))}\ngot:\n${norm(r.stdout)}\n---`);
      }
    }
  }
}

for (const page of pages) {
  consoleExamples(page, readFileSync(page, 'utf8'));
  const examples = blocksOf(readFileSync(page, 'utf8'));
  if (examples.length === 0) continue;
  const marker = (i) => `--ARGUS-EXAMPLE-${i}--`;
  let script = '';
  examples.forEach((ex, i) => {
    script += `.print ${marker(i)}\n${ex.sql}\n`;
  });
  script += `.print ${marker(examples.length)}\n`;
  // stderr joins stdout in order (unbuffered) so an error shows where its example printed it.
  const ext = resolve(build, 'argus').replace(/'/g, "'\\''");
  const r = spawnSync('sh', ['-c', `exec stdbuf -o0 -e0 sqlite3 -batch -cmd '.load ${ext}' \
    -cmd '.output /dev/null' -cmd 'SELECT argus_migrate();' -cmd '.output stdout' :memory: 2>&1`],
  { input: script, encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = r.stdout;
  examples.forEach((ex, i) => {
    const start = out.indexOf(marker(i) + '\n');
    const end = out.indexOf(marker(i + 1) + '\n');
    const got = start < 0 || end < 0 ? out : out.slice(start + marker(i).length + 1, end);
    const name = `${page}:${ex.line}`;
    const want = ex.expected === null ? '' : ex.expected;
    if (norm(got) === norm(want)) {
      console.log(`ok - ${name}`);
    } else {
      failed++;
      console.log(`not ok - ${name}`);
      console.error(`--- ${name}\nexpected:\n${norm(want)}\ngot:\n${norm(got)}\n---`);
    }
  });
}
process.exit(failed ? 1 : 0);
