#!/usr/bin/env node
// `npm run bench:hotpath`: two per-request costs of the RTIF write measured on their own (issue 25,
// round 3), because on a shared machine the whole-service bench cannot resolve a few per cent.
// One process, no HTTP, no database; CPU time of the whole process (`process.cpuUsage`, so
// libuv's thread-pool threads count too), variants interleaved over BENCH_MICRO_ROUNDS (7)
// rounds, median round reported.
//
//   log line                one request line (~300 bytes, the service's pino options) per turn of
//                           the event loop, as under load, to a file: pino's default destination
//                           (asynchronous, one write through the thread pool per line) against
//                           the service's (`bufferedStdout`: 4 KB gathered, one synchronous write);
//                           a loop that logs nothing is subtracted
//   request-context fork    what MikroORM's request-context middleware did per request:
//                           `em.fork({ useContext: true })` (an EntityManager, its unit of work,
//                           entity factory, and two `process.env` writes); and one `process.env`
//                           write alone (`Configuration.set` → `setEnv('MIKRO_ORM_COLORS', …)`)
//
// Settings: BENCH_MICRO_ROUNDS (7), BENCH_MICRO_LINES (5,000 per round), BENCH_MICRO_FORKS (20,000).
import './lib/pinned-node.mjs';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

process.removeAllListeners('warning');
const { pino } = await import('pino');
const { MikroORM } = await import('@mikro-orm/postgresql');
// The service's logger, from its TypeScript source (compiled on load, as `npm run token` does).
const require = createRequire(import.meta.url);
require('../test/support/register-ts.js');
const { bufferedStdout, createRootLogger } = require('../src/common/logging/logging.ts');

const ROUNDS = Number(process.env.BENCH_MICRO_ROUNDS ?? 7);
const LINES = Number(process.env.BENCH_MICRO_LINES ?? 5_000);
const FORKS = Number(process.env.BENCH_MICRO_FORKS ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'tea-micro-'));

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU µs per line: LINES request lines, one per turn of the loop, then everything flushed. */
async function logRound(variant) {
  const file = join(dir, `${variant}.log`);
  let stream;
  let fd;
  if (variant === 'pino default') {
    fd = openSync(file, 'w');
    // What pino builds when given no destination: SonicBoom on the descriptor, asynchronous.
    stream = pino.destination({ dest: fd, sync: false });
  } else if (variant === 'buffered') {
    stream = bufferedStdout(file);
  }
  const log = stream ? createRootLogger({ logLevel: 'info' }, stream).child({ correlation_id: '01a24d99-b5f1-73f3-a679-b8de899d076e' }) : undefined;
  const line = {
    method: 'PUT',
    route: '/execution/task-instances/:task_instance_id/rtif',
    path: '/execution/task-instances/01a24d99-57e2-73f4-92a0-3e594c5db9e3/rtif',
    status: 201,
    duration_ms: 41,
  };
  const start = cpuMicros();
  for (let i = 0; i < LINES; i++) {
    log?.info(line, 'request completed');
    await nextTurn();
  }
  if (stream) await new Promise((resolve) => stream.flush(() => resolve()));
  const spent = cpuMicros() - start;
  // Ending the stream closes its descriptor too.
  if (stream) await new Promise((resolve) => stream.once('close', resolve).end());
  rmSync(file, { force: true });
  return spent / LINES;
}

const orm = new MikroORM({ dbName: 'unused', entities: [], discovery: { warnWhenNoEntities: false }, connect: false, allowGlobalContext: false });

/** CPU µs per request-context fork. */
function forkRound() {
  const start = cpuMicros();
  for (let i = 0; i < FORKS; i++) orm.em.fork({ useContext: true });
  return (cpuMicros() - start) / FORKS;
}

/** CPU µs per `process.env` write, as `Configuration.set` makes two per fork. */
function envRound() {
  const start = cpuMicros();
  for (let i = 0; i < FORKS; i++) process.env.MIKRO_ORM_COLORS = i % 2 === 0 ? 'true' : 'false';
  return (cpuMicros() - start) / FORKS;
}

const results = { 'pino default': [], buffered: [], 'no logging': [], fork: [], env: [] };
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so that drift hits every variant alike.
  const order = round % 2 === 0 ? ['pino default', 'buffered', 'no logging'] : ['no logging', 'buffered', 'pino default'];
  for (const variant of order) results[variant].push(await logRound(variant));
  results.fork.push(forkRound());
  results.env.push(envRound());
}
rmSync(dir, { recursive: true, force: true });

const base = median(results['no logging']);
const fmt = (x) => x.toFixed(1);
console.log(
  `Node ${process.version}; ${ROUNDS} rounds; load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
console.log('| cost | CPU µs (median round) | the rounds |');
console.log('|---|---:|---|');
for (const variant of ['pino default', 'buffered']) {
  console.log(
    `| one request line, ${variant} (loop subtracted) | ${fmt(median(results[variant]) - base)} | ${results[variant].map((x) => fmt(x - base)).join(', ')} |`,
  );
}
console.log(`| MikroORM request-context fork (\`em.fork({ useContext: true })\`) | ${fmt(median(results.fork))} | ${results.fork.map(fmt).join(', ')} |`);
console.log(`| one \`process.env\` write | ${fmt(median(results.env))} | ${results.env.map(fmt).join(', ')} |`);
await orm.close();
