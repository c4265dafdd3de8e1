#!/usr/bin/env node
// `npm run bench:json`: what it costs to keep every JSON number exactly as sent (issue 14), per
// RTIF write: parse the body text, then serialise it again for the jsonb column. Pure CPU, one
// process, no database. Bodies are realistic rendered fields of about 1 KB (a bash command, an
// env dict, SQL, a few counters), half of them with one number JavaScript's JSON.parse would
// round (an id beyond 2^53); each variant runs BENCH_JSON_OPS (200,000) parse+stringify pairs,
// three rounds, and the table gives the median nanoseconds per pair.
//
//   JSON.parse (lossy)         the old path: plain JSON.parse and JSON.stringify (rounds numbers)
//   reviver, always            JSON.parse(text, reviver): the reviver gets each primitive's source
//                              text (context.source) and keeps a number whose value a double
//                              would change as JSON.rawJSON(source); JSON.stringify writes it back
//   pre-scan + reviver         a regular expression looks for a number that could be changed (16
//                              digits or dots in a row, or an exponent); only then the reviver
//   lossless-json              lossless-json's parse and stringify (every number a LosslessNumber)
//
// The service uses src/common/json/exact-json.ts (pre-scan + reviver); this file keeps its own
// copy of the two functions so that it runs without a TypeScript build.
import './lib/pinned-node.mjs';
import { parse as losslessParse, stringify as losslessStringify } from 'lossless-json';

const OPS = Number(process.env.BENCH_JSON_OPS ?? 200_000);

function body(i, withBigNumber) {
  return JSON.stringify({
    bash_command: `set -euo pipefail; python /opt/airflow/dags/etl/extract.py --date 2026-11-${String((i % 28) + 1).padStart(2, '0')} --partition ${i % 16} --retries 3`,
    env: { TARGET: 'prod', REGION: 'eu-west-1', BATCH_SIZE: '5000', API_TOKEN: 's3cr3t', DEBUG: 'false' },
    sql: `select id, amount, created_at from payments where created_at >= '2026-11-01' and shard = ${i % 8} order by id limit 10000`,
    templates_dict: { threshold: 0.75, max_rows: 100000, ratio: 1.5, tags: ['etl', 'daily', 'payments'], owner: 'data-eng' },
    op_kwargs: { run: i, attempt: 1, conn_id: 'warehouse_default', pool: 'default_pool', queue: 'default', priority_weight: 10 },
    doc_md:
      "Extracts the day's payments into the warehouse staging schema and checks the row counts against the source. Owners: data-eng; escalation: #payments-oncall. Reruns are safe: the load is an upsert on (id).",
    outlets: [{ uri: 's3://warehouse/staging/payments', extra: { format: 'parquet', compression: 'zstd' } }],
  }).replace('"max_rows":100000', withBigNumber ? '"max_rows":100000,"batch_id":12345678901234567890' : '"max_rows":100000');
}

const POSSIBLY_INEXACT = /\d[\d.]{15}|\d[eE]/;
function sameDecimal(a, b) {
  const norm = (s) => {
    const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(s);
    if (!m) return s;
    const digits = (m[1] + (m[2] ?? '')).replace(/^0+/, '');
    const exp = Number(m[3] ?? 0) - (m[2] ?? '').length;
    const trimmed = digits.replace(/0+$/, '');
    if (trimmed === '') return '0';
    return `${s.startsWith('-') ? '-' : ''}${trimmed}e${exp + (digits.length - trimmed.length)}`;
  };
  return norm(a) === norm(b);
}
function reviver(_key, value, context) {
  if (typeof value !== 'number') return value;
  const source = context.source;
  const text = JSON.stringify(value);
  if (text === source || (text !== 'null' && sameDecimal(text, source))) return value;
  return JSON.rawJSON(source);
}
const exactParse = (text) => (POSSIBLY_INEXACT.test(text) ? JSON.parse(text, reviver) : JSON.parse(text));

const variants = {
  'JSON.parse (lossy)': (t) => JSON.stringify(JSON.parse(t)),
  'reviver, always': (t) => JSON.stringify(JSON.parse(t, reviver)),
  'pre-scan + reviver': (t) => JSON.stringify(exactParse(t)),
  'lossless-json': (t) => losslessStringify(losslessParse(t)),
};

for (const [name, fn] of Object.entries(variants)) {
  // Correctness first: the big number comes back as sent (except on the lossy path).
  const out = fn(body(1, true));
  const exact = out.includes('12345678901234567890');
  if (name !== 'JSON.parse (lossy)' && !exact) throw new Error(`${name} rounded the number`);
}

const bodies = Array.from({ length: 64 }, (_, i) => body(i, i % 2 === 0));
const plainBodies = Array.from({ length: 64 }, (_, i) => body(i, false));
const rows = [];
for (const [label, set] of [
  ['half with a big number', bodies],
  ['no big number', plainBodies],
]) {
  for (const [name, fn] of Object.entries(variants)) {
    const rounds = [];
    for (let round = 0; round < 3; round++) {
      let sink = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < OPS; i++) sink += fn(set[i & 63]).length;
      rounds.push(Number(process.hrtime.bigint() - start) / OPS);
      if (sink === 0) throw new Error('unreachable');
    }
    rounds.sort((a, b) => a - b);
    rows.push({ bodies: label, variant: name, 'ns per parse+stringify': Math.round(rounds[1]) });
  }
}
console.log(`node ${process.version}, ${OPS} operations per round, body ≈ ${bodies[0].length} bytes`);
console.table(rows);
