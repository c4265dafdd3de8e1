#!/usr/bin/env node
// `npm run bench:memory`: the memory defaults A/B of issue 25 in one command. One service process,
// direct to a throwaway PostgreSQL 15, started alternately
//   capped:   `sh scripts/start.sh`, the shipped start command with its defaults (NODE_OPTIONS
//             --max-semi-space-size / --max-old-space-size, MALLOC_ARENA_MAX), and
//   uncapped: `node dist/src/main.js`, no flags, no MALLOC_ARENA_MAX,
// interleaved capped, uncapped, capped, uncapped, … (BENCH_MEMORY_ROUNDS rounds). Each run: idle RSS
// (VmRSS BENCH_IDLE_SECONDS after "listening", before any request), seeding through the API, a
// warm-up, then the RTIF shapes (contention, spread) closed-loop at 64 connections; then peak RSS
// (VmHWM over the whole life of the process), writes/s per shape, errors, integrity and OOMs (the
// process gone, or V8's "heap out of memory" in its log). Prints per run and the verdicts: capped ÷
// uncapped writes/s (median per shape, target ≥ 0.95) and the highest peak RSS (target ≤ 512 MiB).
// Writes docs/bench/memory.json and docs/bench/memory.md. Exits 1 on any error, 5xx, integrity
// problem or OOM. Settings (environment): BENCH_MEMORY_ROUNDS (2), BENCH_SECONDS (10),
// BENCH_CONNECTIONS (64), BENCH_WARMUP_SECONDS (3), BENCH_IDLE_SECONDS (5), BENCH_DB_POOL_MAX (10).
import './lib/pinned-node.mjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, loadAverage, log, peakRssMiB, run, sleep } from './lib/system.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const env = process.env;
const settings = {
  rounds: Number(env.BENCH_MEMORY_ROUNDS ?? 2),
  seconds: Number(env.BENCH_SECONDS ?? 10),
  connections: Number(env.BENCH_CONNECTIONS ?? 64),
  warmup_seconds: Number(env.BENCH_WARMUP_SECONDS ?? 3),
  idle_seconds: Number(env.BENCH_IDLE_SECONDS ?? 5),
  db_pool_max: Number(env.BENCH_DB_POOL_MAX ?? 10),
  shapes: ['contention', 'spread'],
};
const TARGET_RATIO = 0.95;
const TARGET_PEAK_MIB = 512;
const outDir = join(root, 'docs/bench');
const workDir = join(root, '.data/bench');
mkdirSync(workDir, { recursive: true });

// Neither variant may inherit the operator's own settings: "uncapped" means none at all, and
// "capped" means start.sh's defaults alone.
for (const name of ['NODE_OPTIONS', 'MALLOC_ARENA_MAX']) {
  if (env[name] !== undefined) log(`ignoring ${name}=${env[name]} from the environment for this A/B`);
  delete env[name];
}

log('building (npm run build: nest build, then the stamp npm start checks)');
run(process.execPath, [join(root, 'scripts/dist-stamp.mjs'), 'build'], { cwd: root });
const { ensureDatabaseTools, removeDir, startPostgres } = await import('./lib/databases.mjs');
const { seedTaskInstances, startService } = await import('./lib/service.mjs');
const { checkIntegrity, driveRtif, shapeTaskInstances, summarize } = await import('./lib/workload.mjs');
ensureDatabaseTools();

const VARIANTS = {
  capped: { command: ['sh', [join(root, 'scripts/start.sh')]], about: 'sh scripts/start.sh (shipped defaults)' },
  uncapped: { command: undefined, about: 'node dist/src/main.js (no flags, no MALLOC_ARENA_MAX)' },
};

/** VmRSS of a process in MiB now. */
function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : undefined;
}

/** What the process was really started with: its NODE_OPTIONS and MALLOC_ARENA_MAX (from /proc, so a start.sh change shows). */
function memorySettingsOf(pid) {
  const vars = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  return { NODE_OPTIONS: vars.NODE_OPTIONS ?? null, MALLOC_ARENA_MAX: vars.MALLOC_ARENA_MAX ?? null };
}

const results = { started_at: new Date().toISOString(), load_average_at_start: loadAverage(), settings, runs: [] };
const pg = await startPostgres();
try {
  for (let round = 1; round <= settings.rounds; round++) {
    for (const variant of ['capped', 'uncapped']) {
      const tag = `mem_${variant}_${round}`;
      const logPath = join(workDir, `service-${tag}.log`);
      const svc = await startService({
        root,
        processes: 1,
        databaseUrl: pg.url,
        migrationUrl: pg.url,
        poolMax: settings.db_pool_max,
        logPath,
        command: VARIANTS[variant].command,
      });
      const entry = { variant, round, started_with: memorySettingsOf(svc.pid), shapes: {} };
      try {
        await sleep(settings.idle_seconds * 1000);
        entry.idle_rss_mib = rssMiB(svc.pid);
        const seeded = {};
        for (const shape of ['warmup', ...settings.shapes]) seeded[shape] = await seedTaskInstances(svc.baseUrl, shapeTaskInstances(shape, tag));
        if (settings.warmup_seconds > 0)
          await driveRtif({ baseUrl: svc.baseUrl, ids: seeded.warmup, connections: settings.connections, seconds: settings.warmup_seconds });
        for (const shape of settings.shapes) {
          const drive = await driveRtif({ baseUrl: svc.baseUrl, ids: seeded[shape], connections: settings.connections, seconds: settings.seconds });
          const s = summarize(drive.result, settings.seconds);
          const ok = s.status_codes['201'] ?? 0;
          entry.shapes[shape] = {
            writes_per_second: Math.round(ok / settings.seconds),
            p99_ms: s.latency_ms.p99,
            status_codes: s.status_codes,
            errors: s.errors,
            timeouts: s.timeouts,
            integrity: await checkIntegrity(pg.url, seeded[shape], drive),
          };
        }
        entry.peak_rss_mib = peakRssMiB(svc.pid);
      } finally {
        const alive = svc.pid && entry.peak_rss_mib !== undefined;
        await svc.stop();
        entry.oom = !alive || /heap out of memory|FATAL ERROR/i.test(readFileSync(logPath, 'utf8'));
      }
      results.runs.push(entry);
      log(
        `${variant} #${round} (${VARIANTS[variant].about}; ${JSON.stringify(entry.started_with)}): idle RSS ${entry.idle_rss_mib} MiB, peak ${entry.peak_rss_mib} MiB, ` +
          settings.shapes.map((sh) => `${sh} ${entry.shapes[sh]?.writes_per_second} writes/s`).join(', ') +
          `, OOM ${entry.oom}`,
      );
    }
  }
} finally {
  pg.stop();
  removeDir(pg.dir);
}
results.finished_at = new Date().toISOString();
results.load_average_at_end = loadAverage();

// Verdicts: medians per variant and shape (the machine is shared; one run proves little). The
// mean of the middle two for an even count: system.mjs's `median` takes the upper one, which with
// the default 2 rounds would be each variant's best run.
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const med = (variant, pick) => median(results.runs.filter((r) => r.variant === variant).map(pick));
results.verdicts = {
  ratio_by_shape: Object.fromEntries(
    settings.shapes.map((shape) => {
      const c = med('capped', (r) => r.shapes[shape]?.writes_per_second ?? 0);
      const u = med('uncapped', (r) => r.shapes[shape]?.writes_per_second ?? 0);
      const ratio = u > 0 ? Math.round((c / u) * 100) / 100 : null;
      return [shape, { capped_median: c, uncapped_median: u, ratio, verdict: ratio !== null && ratio >= TARGET_RATIO ? 'PASS' : 'FAIL' }];
    }),
  ),
  peak_rss_mib: Object.fromEntries(
    ['capped', 'uncapped'].map((v) => [v, Math.max(...results.runs.filter((r) => r.variant === v).map((r) => r.peak_rss_mib ?? Infinity))]),
  ),
};
results.verdicts.peak_verdict = results.verdicts.peak_rss_mib.capped <= TARGET_PEAK_MIB ? 'PASS' : 'FAIL';

const trouble = (r) =>
  r.oom || Object.values(r.shapes).some((s) => s.errors > 0 || !s.integrity.clean || Object.keys(s.status_codes).some((c) => c >= '500' || c === '409'));
const lines = [
  `| run | started with | idle RSS MiB | peak RSS MiB | ${settings.shapes.map((s) => `${s} writes/s`).join(' | ')} | errors / timeouts | integrity | OOM |`,
  `|---|---|---:|---:|${settings.shapes.map(() => '---:').join('|')}|---|---|---|`,
  ...results.runs.map(
    (r) =>
      `| ${r.variant} #${r.round} | ${r.started_with.NODE_OPTIONS ?? '(no NODE_OPTIONS)'}, MALLOC_ARENA_MAX=${r.started_with.MALLOC_ARENA_MAX ?? 'unset'} | ${r.idle_rss_mib} | ${r.peak_rss_mib ?? '–'} | ${settings.shapes.map((s) => r.shapes[s]?.writes_per_second ?? '–').join(' | ')} | ${settings.shapes.map((s) => `${r.shapes[s]?.errors ?? '–'} / ${r.shapes[s]?.timeouts ?? '–'}`).join(', ')} | ${Object.values(r.shapes).every((s) => s.integrity.clean) ? 'clean' : '**problems**'} | ${r.oom ? '**yes**' : 'no'} |`,
  ),
  '',
  `| verdict | ${settings.shapes.join(' | ')} |`,
  `|---|${settings.shapes.map(() => '---').join('|')}|`,
  `| capped ÷ uncapped writes/s, medians (≥ ${TARGET_RATIO}) | ${settings.shapes
    .map((s) => {
      const v = results.verdicts.ratio_by_shape[s];
      return `${v.capped_median} ÷ ${v.uncapped_median} = ${v.ratio} **${v.verdict}**`;
    })
    .join(' | ')} |`,
  `| highest peak RSS, capped (≤ ${TARGET_PEAK_MIB} MiB) / uncapped | ${results.verdicts.peak_rss_mib.capped} MiB **${results.verdicts.peak_verdict}** / ${results.verdicts.peak_rss_mib.uncapped} MiB | |`,
];
const md = lines.join('\n');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'memory.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(
  join(outDir, 'memory.md'),
  `Run ${results.started_at.slice(0, 16).replace('T', ' ')} UTC, load average ${results.load_average_at_start} at the start, ${results.load_average_at_end} at the end.\n\n${md}\n`,
);
process.stdout.write(`\n${md}\n\nwritten: docs/bench/memory.json, docs/bench/memory.md\n`);
const bad = results.runs.filter(trouble);
if (bad.length > 0) fail(`${bad.length} run(s) with an OOM, errors, 5xx/409 or integrity problems (see the table)`);
