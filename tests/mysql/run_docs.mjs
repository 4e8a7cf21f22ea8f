// Executes the MariaDB examples of docs/mysql.md and compares their output: every ```mysql block
// runs, in order, through the real `mariadb` client (--table, database argus_docs, @fixtures set
// to the absolute path of tests/fixtures/); a ```output block right after it must match exactly
// (trailing blanks ignored). Errors are part of the output ("ERROR 1105 (HY000) at line 1: ...").
//   node tests/mysql/run_docs.mjs docs/mysql.md /tmp/argus-mariadb.X/sock /abs/tests/fixtures/
// Prints TAP lines ("ok - docs/mysql.md:<line>" / "not ok - ..."); exits 1 on any failure.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [page, socket, fixtures] = process.argv.slice(2);
const text = readFileSync(page, 'utf8');
const re = /^```(\w+)[^\n]*\n([\s\S]*?)^```\s*$/gm;
const blocks = [];
let m;
while ((m = re.exec(text))) {
  blocks.push({ lang: m[1], body: m[2], line: text.slice(0, m.index).split('\n').length });
}
const norm = (s) => s.split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\n+$/, '');
let failed = 0;
let count = 0;
for (let i = 0; i < blocks.length; i++) {
  if (blocks[i].lang !== 'mysql') continue;
  count++;
  const expected = blocks[i + 1] && blocks[i + 1].lang === 'output' ? blocks[i + 1].body : '';
  const r = spawnSync('sh', ['-c', 'exec mariadb --no-defaults -uroot -S "$1" --table ' +
    `--init-command="SET @fixtures = '$2'" argus_docs 2>&1`, 'sh', socket, fixtures],
  { input: blocks[i].body, encoding: 'utf8', maxBuffer: 1 << 28 });
  const name = `${page}:${blocks[i].line}`;
  if (norm(r.stdout) === norm(expected)) {
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}`);
    console.error(`--- ${name}\nexpected:\n${norm(expected)}\ngot:\n${norm(r.stdout)}\n---`);
  }
}
if (count === 0) {
  console.log(`not ok - ${page}: no mysql examples found`);
  failed++;
}
process.exit(failed ? 1 : 0);
