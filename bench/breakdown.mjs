#!/usr/bin/env node
// `npm run bench:breakdown`: where the service's CPU for one RTIF write goes below HTTP, layer by
// layer, measured inside one process (no HTTP, no load generator competing for the CPU) against a
// throwaway PostgreSQL 15. Each case runs BREAKDOWN_OPS operations (3,000) at 64 concurrent
// callers over the service's pool of 10 connections, three times; the table gives the median
// CPU microseconds of this process per operation (user + system, so the driver's socket
// writes count) and the operations per second. Writes docs/bench/breakdown.md and prints it.
//
// The cases stack up, so each difference is one layer's cost:
//   driver floor      node-postgres alone sends the write's statements in the service's three
//                     messages (BEGIN with the lookup, the upsert as MikroORM renders it, COMMIT)
//                     with literal values
//   unit of work      UnitOfWorkRunner.run with an empty handler: MikroORM's em.transactional and
//                     kysely open and end a transaction; the service's client defers BEGIN to the
//                     first statement, so with none nothing reaches the database
//   + lookup          the same plus the write's key-share lookup (em.execute)
//   + RtifService     the whole database side of the route: lookup, redaction, em.upsert, COMMIT
import './lib/pinned-node.mjs';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuModel, log, median, run } from './lib/system.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const OPS = Number(process.env.BREAKDOWN_OPS ?? 3000);
const CONCURRENCY = 64;
const REPEATS = 3;

log('building (nest build)');
run(join(root, 'node_modules/.bin/nest'), ['build'], { cwd: root });
const { ensureDatabaseTools, removeDir, startPostgres } = await import('./lib/databases.mjs');
const { renderedFields } = await import('./lib/workload.mjs');
ensureDatabaseTools();

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Runs `op(i)` OPS times with CONCURRENCY callers; returns CPU µs per op and ops per second. */
async function measure(op) {
  let next = 0;
  const worker = async () => {
    while (next < OPS) await op(next++);
  };
  const c0 = cpuMicros();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { cpu_us: (cpuMicros() - c0) / OPS, ops_per_second: OPS / seconds };
}

const pg = await startPostgres();
let app;
let pool;
try {
  require('reflect-metadata');
  const { loadAppConfig: loadConfig } = require('../dist/src/settings');
  const { runMigrations } = require('../dist/src/database/migrate');
  const { createApp } = require('../dist/src/bootstrap');
  const { UnitOfWorkRunner } = require('../dist/src/common/unit-of-work/unit-of-work.runner');
  const { RtifService } = require('../dist/src/task-instances/rtif/rtif.service');
  const { TaskInstancesService } = require('../dist/src/task-instances/control-plane/task-instances.service');
  const { redactSensitive } = require('../dist/src/common/json/redaction');
  const Pg = require('pg');

  const config = loadConfig({ ...process.env, DATABASE_URL: pg.url, JWT_SECRET: randomBytes(32).toString('base64url'), LOG_LEVEL: 'warn', DB_POOL_MAX: '10' });
  await runMigrations(config, pg.url);
  app = await createApp({ config, databaseUrl: pg.url });
  await app.init();
  const runner = app.get(UnitOfWorkRunner);
  const rtif = app.get(RtifService);
  const tis = app.get(TaskInstancesService);
  const policy = { idempotent: true, lockTimeout: 'first-statement' };

  // 1,000 task instances (20 dags × 5 runs × 10 tasks), created as the control plane creates them.
  const ids = [];
  for (let d = 0; d < 20; d++)
    for (let r = 0; r < 5; r++)
      for (let t = 0; t < 10; t++) {
        const dto = {
          dag_id: `breakdown_${d}`,
          run_id: `run_${r}`,
          task_id: `task_${t}`,
          map_index: -1,
          run_after: new Date(Date.UTC(2026, 10, 1 + r)).toISOString(),
        };
        ids.push((await runner.run({ idempotent: false }, 'seed', () => tis.create(dto))).id);
      }
  const body = renderedFields(1, 'sk_live_1_9f8e7d6c5b4a39281706f5e4d3c2b1a0');
  const keyOf = new Map();
  for (const ti of await app
    .get(require('@mikro-orm/core').MikroORM)
    .em.fork()
    .getConnection()
    .execute('select id, dag_id, task_id, run_id, map_index from task_instance'))
    keyOf.set(ti.id, ti);
  const id = (i) => ids[i % ids.length];
  // Every task instance written once first, so every case measures the steady state: an overwrite.
  for (const ti of ids) await runner.run(policy, 'seed', () => rtif.write(ti, body));

  pool = new Pg.Pool({ connectionString: pg.url, max: 10 });
  const lit = (v) => Pg.Client.prototype.escapeLiteral(String(v));
  const lookupSql = rtif.lookupForWrite;
  const cases = [
    {
      name: 'driver floor: node-postgres sends the statements in three messages',
      op: async (i) => {
        const ti = keyOf.get(id(i));
        const c = await pool.connect();
        try {
          await c.query(`start transaction isolation level read committed;\n${lookupSql.replace('?', lit(ti.id))}`);
          await c.query(
            `insert into "rendered_task_instance_fields" ("dag_id", "k8s_pod_yaml", "map_index", "rendered_fields", "run_id", "task_id", "updated_at") values (${lit(ti.dag_id)}, NULL, ${ti.map_index}, ${lit(JSON.stringify(redactSensitive(body, config.rtif.sensitiveFields)))}, ${lit(ti.run_id)}, ${lit(ti.task_id)}, ${lit(new Date().toISOString())}) on conflict ("dag_id", "task_id", "run_id", "map_index") do update set "rendered_fields" = excluded."rendered_fields", "k8s_pod_yaml" = excluded."k8s_pod_yaml", "updated_at" = excluded."updated_at"`,
          );
          await c.query('COMMIT;');
        } finally {
          c.release();
        }
      },
    },
    { name: 'unit of work, empty handler (MikroORM + kysely; BEGIN deferred, so nothing sent)', op: () => runner.run(policy, 'bench', async () => undefined) },
    { name: '+ the key-share lookup (em.execute)', op: (i) => runner.run(policy, 'bench', (em) => em.execute(lookupSql, [id(i)])) },
    { name: "+ redaction and em.upsert: RtifService.write, the route's database side", op: (i) => runner.run(policy, 'bench', () => rtif.write(id(i), body)) },
  ];
  const results = cases.map((c) => ({ name: c.name, runs: [] }));
  // Round-robin over the cases, so that a slow patch of a shared machine hits all of them alike.
  for (let rep = 0; rep <= REPEATS; rep++) {
    for (let k = 0; k < cases.length; k++) {
      const m = await measure(cases[k].op);
      if (rep > 0) results[k].runs.push(m); // rep 0 warms up the JIT and the pools
    }
    if (rep > 0) log(`pass ${rep}/${REPEATS} done`);
  }

  const rows = results.map((r, k) => {
    const cpu = median(r.runs.map((m) => m.cpu_us));
    const prev = k > 0 ? median(results[k - 1].runs.map((m) => m.cpu_us)) : undefined;
    return {
      name: r.name,
      cpu_us: Math.round(cpu),
      layer_us: k > 1 && prev !== undefined ? Math.round(cpu - prev) : undefined,
      ops: Math.round(median(r.runs.map((m) => m.ops_per_second))),
      spread: r.runs.map((m) => Math.round(m.cpu_us)).join(', '),
    };
  });
  const md = [
    `# Below HTTP: CPU per RTIF write, layer by layer`,
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:breakdown\` (bench/breakdown.mjs): ${cpus().length} × ${cpuModel()}, Node ${process.version}, ` +
      `PostgreSQL 15 on the same host; ${OPS} operations per case at ${CONCURRENCY} concurrent callers over a pool of 10, ` +
      `median of ${REPEATS} passes; CPU is this process's (user + system), so the driver's socket writes count.`,
    '',
    '| case | CPU µs per write | this layer adds | writes/s | the passes (µs) |',
    '|---|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.name} | ${r.cpu_us} | ${r.layer_us ?? '–'} | ${r.ops} | ${r.spread} |`),
    '',
  ].join('\n');
  mkdirSync(join(root, 'docs/bench'), { recursive: true });
  writeFileSync(join(root, 'docs/bench/breakdown.md'), md);
  process.stdout.write(`\n${md}\nwritten: docs/bench/breakdown.md\n`);
} finally {
  await pool?.end();
  await app?.close();
  pg.stop();
  removeDir(pg.dir);
}
