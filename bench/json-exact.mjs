#!/usr/bin/env node
// `npm run bench:json`: what it costs to keep every JSON number as written (issues 14 and 24), per
// write: parse the body text, then serialise it again for the jsonb column. Pure CPU, one process,
// no database. Bodies are realistic rendered fields of about 1 KB (a bash command, an env dict,
// SQL, a few counters); each variant runs BENCH_JSON_OPS (50,000) parse+stringify pairs per round,
// BENCH_JSON_ROUNDS (7) rounds, and the table gives the median CPU nanoseconds per pair. Three
// sets of bodies: none with a number JavaScript would respell, half with an integer beyond 2^53,
// half with a Python float written `1.0` (what json.dumps writes for a whole float).
//
//   JSON.parse (lossy)               plain JSON.parse and JSON.stringify (rounds, drops `.0`)
//   before: RTIF                     the rule before issue 24: pre-scan, then a reviver that kept
//                                    a number only when its *value* would change (1.0 became 1)
//   before: XCom                     that parse (the HTTP layer), then the body parsed a second
//                                    time by XCom's own reviver (String(value) !== source)
//   after: parseExactJson (all)      src/common/json/exact-json.ts as shipped: one parse per body,
//                                    pre-scan, then the reviver keeping every number JSON.stringify
//                                    would respell
//   after: reviver, always           the same rule without the pre-scan
import './lib/pinned-node.mjs';

// The service's own parser, loaded from its TypeScript source (Node 24 strips the types). Node
// warns that package.json declares no module type; that notice is not about the measurement.
process.removeAllListeners('warning');
const { parseExactJson, stringifyExactJson } = await import('../src/common/json/exact-json.ts');

const OPS = Number(process.env.BENCH_JSON_OPS ?? 50_000);

function body(i, extra) {
  return JSON.stringify({
    bash_command: `set -euo pipefail; python /opt/airflow/dags/etl/extract.py --date 2026-11-${String((i % 28) + 1).padStart(2, '0')} --partition ${i % 16} --retries 3`,
    env: { TARGET: 'prod', REGION: 'eu-west-1', BATCH_SIZE: '5000', API_TOKEN: 's3cr3t', DEBUG: 'false' },
    sql: `select id, amount, created_at from payments where created_at >= '2026-11-01' and shard = ${i % 8} order by id limit 10000`,
    templates_dict: { threshold: 0.75, max_rows: 100000, ratio: 1.5, tags: ['etl', 'daily', 'payments'], owner: 'data-eng' },
    op_kwargs: { run: i, attempt: 1, conn_id: 'warehouse_default', pool: 'default_pool', queue: 'default', priority_weight: 10 },
    doc_md:
      "Extracts the day's payments into the warehouse staging schema and checks the row counts against the source. Owners: data-eng; escalation: #payments-oncall. Reruns are safe: the load is an upsert on (id).",
    outlets: [{ uri: 's3://warehouse/staging/payments', extra: { format: 'parquet', compression: 'zstd' } }],
  }).replace('"max_rows":100000', `"max_rows":100000${extra}`);
}

// The rule before issue 24, kept here to measure against.
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
const beforeParse = (text) => (POSSIBLY_INEXACT.test(text) ? JSON.parse(text, reviver) : JSON.parse(text));

function xcomReviver(_key, value, context) {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  return String(value) === context.source ? value : JSON.rawJSON(context.source);
}
// The new rule's reviver without the pre-scan.
function afterReviver(_key, value, context) {
  if (typeof value !== 'number' || context?.source === undefined || String(value) === context.source) return value;
  return JSON.rawJSON(context.source);
}

const variants = {
  'JSON.parse (lossy)': (t) => JSON.stringify(JSON.parse(t)),
  'before: RTIF (pre-scan, value rule)': (t) => JSON.stringify(beforeParse(t)),
  'before: XCom (parsed twice)': (t) => {
    beforeParse(t);
    return JSON.stringify(JSON.parse(t, xcomReviver));
  },
  'after: parseExactJson (every route)': (t) => stringifyExactJson(parseExactJson(t)),
  'after: reviver, always': (t) => JSON.stringify(JSON.parse(t, afterReviver)),
};

const BIG = ',"batch_id":12345678901234567890';
const FLOAT = ',"threshold_pct":1.0';
for (const [name, fn] of Object.entries(variants)) {
  // Correctness first: the numbers come back as the variant's rule promises.
  const big = fn(body(1, BIG)).includes('12345678901234567890');
  const float = fn(body(1, FLOAT)).includes('"threshold_pct":1.0');
  if (name !== 'JSON.parse (lossy)' && !big) throw new Error(`${name} rounded the number`);
  if ((name.startsWith('after') || name.includes('XCom')) && !float) throw new Error(`${name} respelled 1.0`);
}

const sets = [
  ['no respelled number', (i) => body(i, '')],
  ['half with a big integer', (i) => body(i, i % 2 === 0 ? BIG : '')],
  ['half with a float 1.0', (i) => body(i, i % 2 === 0 ? FLOAT : '')],
];
// CPU time of this process (process.cpuUsage), not wall time: on a shared machine a wall clock
// also counts the time spent waiting for a core. Rounds interleave the variants, so a slow spell
// of the machine falls on all of them alike; the median round is reported.
const ROUNDS = Number(process.env.BENCH_JSON_ROUNDS ?? 7);
const rows = [];
for (const [label, make] of sets) {
  const bodies = Array.from({ length: 64 }, (_, i) => make(i));
  const perVariant = new Map(Object.keys(variants).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      let sink = 0;
      const start = process.cpuUsage();
      for (let i = 0; i < OPS; i++) sink += fn(bodies[i & 63]).length;
      const used = process.cpuUsage(start);
      perVariant.get(name).push(((used.user + used.system) * 1000) / OPS);
      if (sink === 0) throw new Error('unreachable');
    }
  }
  for (const [name, samples] of perVariant) {
    samples.sort((x, y) => x - y);
    rows.push({ bodies: label, variant: name, 'CPU ns per parse+stringify': Math.round(samples[samples.length >> 1]) });
  }
}
console.log(`node ${process.version}, ${OPS} operations per variant and round, ${ROUNDS} rounds, body ≈ ${body(0, '').length} bytes`);
console.table(rows);
