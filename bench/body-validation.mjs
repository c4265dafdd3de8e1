#!/usr/bin/env node
// `node bench/body-validation.mjs [old-ref]`: CPU per request of the body handling Nest runs
// before a handler, the request-body code of `old-ref` (default: the commit before the @JsonBody
// change) against this tree's, interleaved in one process (issue 24 item 4: bodies through the one
// global pipe must not cost the RTIF hot path anything). No HTTP, no database: the pipes are called
// as Nest 12's PipesConsumer calls them (the global pipe, then the parameter's own, each awaited), on the bench's
// own rendered-fields bodies (bench/lib/workload.mjs), parsed as the HTTP layer parses them.
//
//   rtif      PUT …/rtif: old = global pipe (design type Object) + JsonObjectBodyPipe;
//             new = global pipe on RenderedFieldsBody (@JsonBody free-form object)
//   run       PATCH …/run, a valid body: old = global pipe (Object) + StrictBodyPipe
//             (depth walk, then the global pipe on TIEnterRunningPayload); new = the global pipe
//             on TIEnterRunningPayload (@JsonBody object, depth bound)
//
// The old tree's src/ is extracted with `git archive` into bench/.old-src-<pid> (inside the
// repository so that it resolves node_modules) and removed on exit. Settings: BENCH_BODY_ROUNDS
// (9), BENCH_BODY_CALLS (200,000 RTIF bodies per variant and round, a twentieth of that for `run`). Reported: per variant the median round's
// CPU µs per request, and new ÷ old per round (median, min, max).
import './lib/pinned-node.mjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SENT_BODIES } from './lib/workload.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OLD_REF = process.argv[2] ?? '74e6e13';
const ROUNDS = Number(process.env.BENCH_BODY_ROUNDS ?? 9);
const CALLS = Number(process.env.BENCH_BODY_CALLS ?? 200_000);
// A `run` body costs about 20 times an RTIF body's handling: rounds of about the same length.
const callsOf = (name) => (name.startsWith('rtif') ? CALLS : Math.ceil(CALLS / 20));

const oldDir = join(root, 'bench', `.old-src-${process.pid}`);
mkdirSync(oldDir);
process.on('exit', () => rmSync(oldDir, { recursive: true, force: true }));
execFileSync('sh', ['-c', `git -C "${root}" archive ${OLD_REF} src | tar -x -C "${oldDir}"`]);

const require = createRequire(import.meta.url);
require('reflect-metadata');
require('../test/support/register-ts.js');
const load = (base, path) => require(join(base, 'src', path));

const { parseExactJson } = load(root, 'common/json/exact-json.ts');
const bodies = SENT_BODIES.map((text) => parseExactJson(text));
const runBody = { state: 'running', hostname: 'worker-1.example.com', unixname: 'airflow', pid: 4242, start_date: '2026-11-25T10:00:00Z' };

const oldV = load(oldDir, 'common/problem/validation.ts');
const { JsonObjectBodyPipe } = load(oldDir, 'common/http/pipes/json-object-body.pipe.ts');
const { StrictBodyPipe } = load(oldDir, 'common/http/pipes/strict-body.pipe.ts');
const { LIFECYCLE_BODY_MAX_DEPTH } = load(oldDir, 'task-instances/lifecycle/lifecycle.limits.ts');
const OldRun = load(oldDir, 'task-instances/lifecycle/dto/run.dto.ts').TIEnterRunningPayload;
const newV = load(root, 'common/problem/validation.ts');
const { RenderedFieldsBody } = load(root, 'task-instances/rtif/dto/rendered-fields.dto.ts');
const NewRun = load(root, 'task-instances/lifecycle/dto/run.dto.ts').TIEnterRunningPayload;

const oldGlobal = oldV.createValidationPipe();
const newGlobal = newV.createValidationPipe();
const objectBody = new JsonObjectBodyPipe();
const strictRun = new StrictBodyPipe(OldRun, LIFECYCLE_BODY_MAX_DEPTH);
const asBody = (metatype) => ({ type: 'body', metatype, data: undefined });

/** What Nest's PipesConsumer.applyPipes does with a parameter's pipes (the global one first): each awaited in turn. */
async function applyPipes(value, metadata, pipes) {
  let result = value;
  for (const pipe of pipes) result = await pipe.transform(result, metadata);
  return result;
}

/** One request's body handling: the pipes Nest runs for the route's `@Body()` parameter. */
const VARIANTS = {
  'rtif old': (v) => applyPipes(v, asBody(Object), [oldGlobal, objectBody]),
  'rtif new': async (v) => (await applyPipes(v, asBody(RenderedFieldsBody), [newGlobal])).fields,
  'run old': (v) => applyPipes(v, asBody(Object), [oldGlobal, strictRun]),
  'run new': (v) => applyPipes(v, asBody(NewRun), [newGlobal]),
};

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** CPU µs per call of `variant` (bodies in turn). */
async function round(name) {
  const fn = VARIANTS[name];
  const calls = callsOf(name);
  const input = name.startsWith('rtif') ? bodies : [runBody];
  const start = cpuMicros();
  for (let i = 0; i < calls; i++) {
    const out = await fn(input[i % input.length]);
    if (out === undefined) throw new Error(`${name} answered nothing`);
  }
  return (cpuMicros() - start) / calls;
}

// Both answer the same values before anything is timed.
for (const b of bodies) if ((await VARIANTS['rtif old'](b)) !== (await VARIANTS['rtif new'](b))) throw new Error('rtif: old and new differ');
if (JSON.stringify(await VARIANTS['run old'](runBody)) !== JSON.stringify(await VARIANTS['run new'](runBody))) throw new Error('run: old and new differ');
for (const name of Object.keys(VARIANTS)) await round(name); // warm-up

const samples = Object.fromEntries(Object.keys(VARIANTS).map((n) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which goes first, so a drift in the machine's load falls on both.
  for (const route of ['rtif', 'run']) {
    const order = r % 2 ? ['new', 'old'] : ['old', 'new'];
    for (const which of order) samples[`${route} ${which}`].push(await round(`${route} ${which}`));
  }
}
const fmt = (x) => x.toFixed(2);
console.log(
  `old = ${OLD_REF}, new = working tree; ${ROUNDS} rounds × ${CALLS} (rtif) / ${callsOf('run')} (run) calls; load average ${(await import('node:os')).loadavg().map(fmt).join(' ')}`,
);
for (const route of ['rtif', 'run']) {
  const ratios = samples[`${route} new`].map((n, i) => n / samples[`${route} old`][i]);
  console.log(
    `${route}: old ${fmt(median(samples[`${route} old`]))} µs, new ${fmt(median(samples[`${route} new`]))} µs per request; ` +
      `new ÷ old per round: median ${fmt(median(ratios))} (min ${fmt(Math.min(...ratios))}, max ${fmt(Math.max(...ratios))})`,
  );
}
