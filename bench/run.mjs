#!/usr/bin/env node
// `npm run bench`: PUT /execution/task-instances/{id}/rtif under load (and the reads every task
// start makes: variable get, connection get), 1 and 2 service processes,
// directly and through PgBouncer (transaction pooling), contention and spread shapes, with an
// integrity check after every run and pgbench's figure for the same SQL as the limit.
// Writes docs/bench/results.json, docs/bench/results.md and docs/bench/chart.svg; prints the table.
// `npm run bench -- --profile` instead profiles one worker (--cpu-prof) under the spread shape.
// Settings (environment): BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_PROCESSES (1,2),
// BENCH_PATHS (direct,pgbouncer), BENCH_SHAPES (contention,spread,variable-get,connection-get), BENCH_DB_POOL_MAX (10),
// BENCH_PGBOUNCER_POOL (20), BENCH_WARMUP_SECONDS (3), BENCH_NODE_ARGS (extra flags for the service's
// node), BENCH_LIMIT (1; 0 skips the pgbench limit), BENCH_AIRFLOW (1; 0 skips the Airflow replica,
// lib/airflow.mjs), BENCH_OPEN_LOOP_SECONDS (10; 0 skips the open-loop run at 70 % of saturation after
// each RTIF shape on the direct path, lib/open-loop.mjs), BENCH_START (script: the service starts as
// `npm start` and the image do, through scripts/start.sh with its shipped memory defaults, so the
// peak RSS shown is the shipped configuration's; node: bare `node dist/src/main.js`, no flags; the
// profile always uses node, for --cpu-prof), BENCH_REPLICA (1: the read shapes once more on a
// path "direct+replica", the service reading from a hot standby through DB_READ_REPLICA_URLS; see
// lib/replica.mjs), DB_ISOLATION (passed to the service; recorded). Requests carry real JWTs signed with a secret the bench gives the service (lib/service.mjs).
import './lib/pinned-node.mjs';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { cpuModel, fail, loadAverage, log, machineCpuSeconds, run, treeCpuSeconds } from './lib/system.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const env = process.env;
const list = (v, d) =>
  (v ?? d)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const settings = {
  seconds: Number(env.BENCH_SECONDS ?? 10),
  warmup_seconds: Number(env.BENCH_WARMUP_SECONDS ?? 3),
  connections: Number(env.BENCH_CONNECTIONS ?? 64),
  processes: list(env.BENCH_PROCESSES, '1,2').map(Number),
  paths: list(env.BENCH_PATHS, 'direct,pgbouncer'),
  shapes: list(env.BENCH_SHAPES, 'contention,spread,variable-get,connection-get'),
  db_pool_max: Number(env.BENCH_DB_POOL_MAX ?? 10),
  pgbouncer_pool: Number(env.BENCH_PGBOUNCER_POOL ?? 20),
  lock_timeout_ms: 2000,
  // 0: skip pgbench's limit (quick before/after comparisons of the service alone).
  limit: env.BENCH_LIMIT !== '0',
  // The Airflow replica on the same run (direct path, the same process counts and RTIF shapes).
  airflow: env.BENCH_AIRFLOW !== '0',
  open_loop_seconds: Number(env.BENCH_OPEN_LOOP_SECONDS ?? 10),
  open_loop_share: 0.7,
  start: env.BENCH_START ?? 'script',
  replica: env.BENCH_REPLICA === '1',
  isolation: env.DB_ISOLATION ?? 'read_committed',
};
if (!['script', 'node'].includes(settings.start)) fail(`BENCH_START must be script or node, not ${settings.start}`);
const profileMode = process.argv.includes('--profile');
if (profileMode) Object.assign(settings, { processes: [1], paths: ['direct'], shapes: ['spread'], airflow: false, open_loop_seconds: 0 });
const outDir = join(root, 'docs/bench');
const workDir = join(root, '.data/bench');

// Preflight: dependencies, a fresh build, Debian's PostgreSQL 15, pgbench and PgBouncer.
if (!existsSync(join(root, 'node_modules/autocannon'))) {
  log('node_modules incomplete: npm ci');
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
log('building (npm run build: nest build, then the stamp npm start checks)');
run(process.execPath, [join(root, 'scripts/dist-stamp.mjs'), 'build'], { cwd: root });
const { ensureDatabaseTools, removeDir, startPgBouncer, startPostgres } = await import('./lib/databases.mjs');
const { seedTaskInstances, startService } = await import('./lib/service.mjs');
const { checkIntegrity, driveReads, driveRtif, READ_SHAPES, seedReadTargets, shapeTaskInstances, summarize } = await import('./lib/workload.mjs');
// Variables and connections stored encrypted, as in a deployment with a fernet_key.
const BENCH_FERNET_KEY = `${randomBytes(32).toString('base64url')}=`;
const { loadHelperTable, pgbenchScript, runPgbench } = await import('./lib/pgbench.mjs');
const { counterDelta, metricSums, RUN_COUNTERS, startStandby } = await import('./lib/replica.mjs');
const { markdownTable, svgChart } = await import('./lib/report.mjs');
const { flameGraphSvg, profileMarkdown, readProfileWindow, summarizeProfile } = await import('./lib/profile.mjs');
const { benchAirflow, ensureAirflowPackages } = await import('./lib/airflow.mjs');
const { mergeWrites, openLoopAfter } = await import('./lib/open-loop.mjs');
const { addPerRequestFigures, compareTargets, comparisonMarkdown } = await import('./lib/compare.mjs');
ensureDatabaseTools();
const airflowVersions = settings.airflow ? ensureAirflowPackages() : undefined;
mkdirSync(workDir, { recursive: true });
mkdirSync(outDir, { recursive: true });

/**
 * The service's event loop over a measured interval, from its /metrics: utilisation (busy share of
 * wall time, per process) and the longest delay (prom-client resets its delay histogram at every
 * scrape, so the scrape before the run starts the window). Under WEB_CONCURRENCY a scrape answers
 * for every worker (counters summed, the delay's maximum taken).
 */
async function eventLoopMeter(baseUrl, processes) {
  const read = async () => {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    const value = (name) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.slice(name.length + 1)) : NaN;
    };
    return { at: Date.now(), active: value('nodejs_eventloop_active_seconds_total'), lagMax: value('nodejs_eventloop_lag_max_seconds') };
  };
  const start = await read();
  return async () => {
    const end = await read();
    const wall = (end.at - start.at) / 1000;
    return {
      utilization: Math.round(((end.active - start.active) / wall / processes) * 100) / 100,
      max_delay_ms: Math.round(end.lagMax * 1e4) / 10,
    };
  };
}

/** CPU cores used by each party over a measured interval (seconds of CPU per second of wall time). */
function cpuMeter(pids) {
  const selfStat = () => {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const v = f
      .slice(f.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return { own: (v[11] + v[12]) / 100, children: (v[13] + v[14]) / 100 };
  };
  const take = () => ({
    at: process.hrtime.bigint(),
    machine: machineCpuSeconds().busy,
    service: pids.service ? treeCpuSeconds(pids.service) : 0,
    postgres: treeCpuSeconds(pids.postgres),
    standby: pids.standby ? treeCpuSeconds(pids.standby) : 0,
    pgbouncer: pids.pgbouncer ? treeCpuSeconds(pids.pgbouncer) : 0,
    self: selfStat(),
  });
  const start = take();
  return (loadGenerator) => {
    const end = take();
    const wall = Number(end.at - start.at) / 1e9;
    const d = (k) => end[k] - start[k];
    const gen = loadGenerator === 'pgbench' ? end.self.children - start.self.children : end.self.own - start.self.own;
    const ours = d('service') + d('postgres') + d('standby') + d('pgbouncer') + gen;
    const r = (x) => Math.round((x / wall) * 100) / 100;
    return {
      service: r(d('service')),
      // Both servers when the service reads from a standby: the database's whole cost per request.
      postgres: r(d('postgres') + d('standby')),
      ...(pids.standby ? { standby: r(d('standby')) } : {}),
      pgbouncer: r(d('pgbouncer')),
      load_generator: r(gen),
      other: r(Math.max(0, d('machine') - ours)),
      machine: r(d('machine')),
    };
  };
}

const results = {
  started_at: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpu_model: cpuModel(),
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load_average_at_start: loadAverage(),
  },
  settings,
  runs: [],
  limits: {},
};

const pg = await startPostgres();
const bouncer = settings.paths.includes('pgbouncer') ? await startPgBouncer(pg, { poolSize: settings.pgbouncer_pool }) : undefined;
const standby = settings.replica ? await startStandby(pg) : undefined;
// With a standby, the read shapes run once more with the service reading from it.
const paths = standby ? [...settings.paths, 'direct+replica'] : settings.paths;
results.machine.postgres = run('/usr/lib/postgresql/15/bin/postgres', ['--version']).trim();
if (airflowVersions) results.machine.airflow_replica = airflowVersions;
let profileDir;
let profileWindow;
const idsForLimit = {};
try {
  for (const path of paths) {
    const replicaPath = path === 'direct+replica';
    const shapes = replicaPath ? settings.shapes.filter((s) => READ_SHAPES.includes(s)) : settings.shapes;
    for (const processes of settings.processes) {
      if (shapes.length === 0) break;
      const tag = `${processes}p_${path}`;
      profileDir = profileMode ? join(workDir, `profile-${Date.now()}`) : undefined;
      const serviceEnv = { FERNET_KEY: BENCH_FERNET_KEY, ...(replicaPath ? { DB_READ_REPLICA_URLS: standby.url } : {}) };
      const svc = await startService({
        root,
        processes,
        databaseUrl: path === 'pgbouncer' ? bouncer.url : pg.url,
        migrationUrl: pg.url,
        poolMax: settings.db_pool_max,
        logPath: join(workDir, `service-${tag}.log`),
        env: serviceEnv,
        // start.sh puts its defaults first and the operator's NODE_OPTIONS after them (later wins).
        ...(settings.start === 'script' && !profileDir
          ? { command: ['sh', [join(root, 'scripts/start.sh')]], env: { ...serviceEnv, ...(env.BENCH_NODE_ARGS ? { NODE_OPTIONS: env.BENCH_NODE_ARGS } : {}) } }
          : { nodeArgs: [...(env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])] }),
      });
      try {
        const seeded = {};
        for (const shape of ['warmup', ...shapes])
          seeded[shape] = READ_SHAPES.includes(shape)
            ? await seedReadTargets(svc.baseUrl, shape, tag)
            : await seedTaskInstances(svc.baseUrl, shapeTaskInstances(shape, tag));
        log(
          `${tag}: seeded ${Object.values(seeded).reduce((a, b) => a + b.length, 0)} task instances through the API; warming up ${settings.warmup_seconds} s`,
        );
        // Every seeded row on the standby before the first read, so no read falls back for want of it.
        if (replicaPath) await standby.waitForReplay();
        if (settings.warmup_seconds > 0)
          await driveRtif({ baseUrl: svc.baseUrl, ids: seeded.warmup, connections: settings.connections, seconds: settings.warmup_seconds });
        for (const shape of shapes) {
          const countersBefore = await metricSums(svc.baseUrl, RUN_COUNTERS);
          const loop = await eventLoopMeter(svc.baseUrl, processes);
          const meter = cpuMeter({
            service: svc.pid,
            postgres: pg.pid,
            standby: replicaPath ? standby.pid : undefined,
            pgbouncer: path === 'pgbouncer' ? bouncer.pid : undefined,
          });
          const driveStart = Date.now();
          const reads = READ_SHAPES.includes(shape);
          const drive = reads
            ? await driveReads({
                baseUrl: svc.baseUrl,
                targets: seeded[shape],
                tokenIds: seeded.warmup,
                connections: settings.connections,
                seconds: settings.seconds,
              })
            : await driveRtif({ baseUrl: svc.baseUrl, ids: seeded[shape], connections: settings.connections, seconds: settings.seconds });
          profileWindow = { start: driveStart, end: Date.now() };
          const cpu = meter('autocannon');
          const eventLoop = await loop();
          // Replica reads and fallbacks (read shapes), retries (writes; 40001 under DB_ISOLATION=serializable), from /metrics.
          const counters = counterDelta(countersBefore, await metricSums(svc.baseUrl, RUN_COUNTERS));
          const entry = {
            target: 'service',
            shape,
            processes,
            path,
            ...summarize(drive.result, settings.seconds),
            cpu_cores: cpu,
            event_loop: eventLoop,
            counters,
          };
          // Then the tail at 70 % of the saturation just measured, open-loop (direct path only).
          const openLoop =
            reads || path !== 'direct'
              ? undefined
              : await openLoopAfter(entry.rps, {
                  baseUrl: svc.baseUrl,
                  ids: seeded[shape],
                  seconds: settings.open_loop_seconds,
                  share: settings.open_loop_share,
                  connections: settings.connections,
                });
          if (openLoop) entry.open_loop = openLoop.figures;
          const integrity = reads ? drive.integrity : await checkIntegrity(pg.url, seeded[shape], mergeWrites(drive, openLoop));
          entry.integrity = integrity;
          // CPU milliseconds per answered request (steadier than req/s on a shared machine), service ÷ postgres, p99 ÷ mean.
          addPerRequestFigures(entry, cpu, settings);
          results.runs.push(entry);
          if (!reads) idsForLimit[shape] ??= seeded[shape];
          log(
            `${tag} ${shape}: ${entry.rps} req/s, p50 ${entry.latency_ms.p50} p90 ${entry.latency_ms.p90} p99 ${entry.latency_ms.p99} ms, ` +
              `${JSON.stringify(entry.status_codes)}, integrity ${integrity.clean ? 'clean' : JSON.stringify(integrity.problems)}, cpu ${JSON.stringify(cpu)}, cpu ms/request ${JSON.stringify(entry.cpu_ms_per_request)}, ` +
              `service/postgres ${entry.service_per_postgres_cpu}, p99/mean ${entry.p99_per_mean_latency}, event loop ${JSON.stringify(eventLoop)}, counters ${JSON.stringify(counters)}` +
              (entry.open_loop ? `, open loop ${JSON.stringify(entry.open_loop)}` : ''),
          );
        }
        const rss = svc.peakRss();
        for (const r of results.runs.filter((x) => x.processes === processes && x.path === path)) r.peak_rss = rss;
      } finally {
        await svc.stop();
        if (profileWindow) profileWindow.exited = Date.now();
      }
    }
  }
  const rtifShapes = settings.shapes.filter((s) => !READ_SHAPES.includes(s));
  if (settings.airflow && rtifShapes.length > 0)
    results.runs.push(...(await benchAirflow({ root, pgServer: pg, settings, shapes: rtifShapes, workDir, cpuMeter })));
  if (!profileMode && settings.limit) {
    // pgbench's limit is the RTIF write's SQL: the read shapes have none.
    for (const shape of settings.shapes.filter((s) => !READ_SHAPES.includes(s))) {
      // The task instances of the first service run: already written, so pgbench overwrites, as
      // the service does in its steady state.
      await loadHelperTable(pg.url, shape, idsForLimit[shape]);
      const script = pgbenchScript(root, shape, idsForLimit[shape].length);
      const meter = cpuMeter({ postgres: pg.pid });
      const limit = runPgbench({
        dir: pg.dir,
        databaseUrl: pg.url,
        shape,
        script,
        clients: settings.connections,
        seconds: settings.seconds,
        lockTimeoutMs: settings.lock_timeout_ms,
      });
      const cpu = meter('pgbench');
      results.limits[shape] = {
        ...limit,
        cpu_cores: cpu,
        cpu_ms_per_request: { postgres: Math.round(((cpu.postgres * settings.seconds) / limit.transactions) * 1e5) / 100 },
        script,
      };
      log(`pgbench ${shape}: ${limit.tps} tps, p50 ${limit.latency_ms.p50} p90 ${limit.latency_ms.p90} p99 ${limit.latency_ms.p99} ms, ${limit.failed} failed`);
    }
  }
} finally {
  await bouncer?.stop();
  standby?.stop();
  pg.stop();
  removeDir(pg.dir);
}
results.finished_at = new Date().toISOString();
results.machine.load_average_at_end = loadAverage();

if (profileMode) {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) fail(`no .cpuprofile written in ${profileDir}`);
  // The profile ends when the worker exits: the measured run is the span that ended that long before.
  const sampled = readProfileWindow(join(profileDir, file), {
    fromEndMs: profileWindow.exited - profileWindow.start,
    toEndMs: profileWindow.exited - profileWindow.end,
  });
  const summary = summarizeProfile(sampled);
  const md = [
    `# CPU profile of one worker (${results.runs[0].rps} req/s, spread, ${settings.connections} connections, ${settings.seconds} s)`,
    '',
    profileMarkdown(summary),
  ].join('\n');
  writeFileSync(join(outDir, 'profile.md'), md);
  writeFileSync(
    join(outDir, 'flame.svg'),
    flameGraphSvg(sampled, { title: `RTIF write, one worker, spread shape, ${results.runs[0].rps} req/s under --cpu-prof` }),
  );
  process.stdout.write(
    `${md}\nprofile: ${join(profileDir, file)} (open in Chrome DevTools); summary in docs/bench/profile.md, flame graph in docs/bench/flame.svg\n`,
  );
} else {
  results.comparison = compareTargets(results);
  const comparison = results.comparison.length > 0 ? `\n\nAgainst the targets (issue 25):\n\n${comparisonMarkdown(results.comparison)}` : '';
  const table = `${markdownTable(results)}${comparison}`;
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'results.md'), `${table}\n`);
  writeFileSync(join(outDir, 'chart.svg'), svgChart(results));
  // docs/performance.md shows this run's table between its markers.
  const doc = join(root, 'docs/performance.md');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  if (existsSync(doc)) {
    const text = readFileSync(doc, 'utf8');
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a >= 0 && b > a) {
      const m = results.machine;
      const about = `Run ${results.started_at.slice(0, 16).replace('T', ' ')} UTC: ${m.cpus} × ${m.cpu_model}, ${m.memory_gib} GiB, Node ${m.node}, ${m.postgres}; load average ${m.load_average_at_start} at the start, ${m.load_average_at_end} at the end.`;
      writeFileSync(doc, `${text.slice(0, a + start.length)}\n${about}\n\n${table}\n${text.slice(b)}`);
    }
  }
  process.stdout.write(`\n${table}\n\nwritten: docs/bench/results.json, docs/bench/results.md, docs/bench/chart.svg\n`);
}

// Correctness is not a figure: a dirty integrity check, a 5xx or a 409 fails the command. The
// replica's own troubles (a Python server timing out under load) void its comparison, not the run.
const failedCodes = (codes = {}) => Object.keys(codes).some((c) => c >= '500' || c === '409');
const troubled = (r) => !r.integrity.clean || failedCodes(r.status_codes) || r.errors > 0 || failedCodes(r.open_loop?.status_codes) || r.open_loop?.errors > 0;
for (const r of results.runs.filter((x) => x.target === 'airflow' && troubled(x)))
  log(`warning: the Airflow replica's ${r.processes}p ${r.shape} run had errors, timeouts, 5xx or integrity problems: its comparison row is suspect`);
const bad = results.runs.filter((r) => r.target !== 'airflow' && troubled(r));
if (bad.length > 0) fail(`${bad.length} run(s) with integrity problems, 5xx, 409 or connection errors (see the table)`);
