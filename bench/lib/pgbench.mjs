// The database's limit for this write: the statements the service sends for one RTIF write, run
// by pgbench at the same concurrency against the same database.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import { PG_BIN } from './databases.mjs';
import { run } from './system.mjs';
import { STORED_BODIES } from './workload.mjs';

const SHAPE_KEY = { contention: 1, spread: 2 };

/**
 * The pgbench script of one write: the service's own statement text (`RTIF_WRITE_SQL` in dist/,
 * the statement MikroORM's query log shows), which an overwrite sends alone (the route is
 * `autocommit`: no BEGIN/COMMIT). The one difference: pgbench cannot pick a random UUID from a
 * list, so the task instance id is a primary-key lookup in a 1,000-row helper table (`bench_ti`)
 * inside the same statement. That adds a few microseconds of server work per write; it makes the
 * limit a little lower, not higher.
 */
export function pgbenchScript(root, shape, count) {
  const require = createRequire(join(root, 'package.json'));
  const { RTIF_WRITE_SQL } = require(join(root, 'dist/src/task-instances/rtif.service.js'));
  const parts = RTIF_WRITE_SQL.split('?');
  if (parts.length !== 4) throw new Error('RTIF_WRITE_SQL is expected to have three parameters (lock timeout, fields, task instance id)');
  // MikroORM's em.execute inlines escaped literals and sends a simple query; pgbench -M simple
  // substitutes the variables as text, so the quotes are written here.
  const write = parts[0] + "':lock_timeout'" + parts[1] + "':body'" + parts[2] + '(select id from bench_ti where k = :k)' + parts[3];
  return [
    `\\set k ${SHAPE_KEY[shape] * 10_000} + random(1, ${count})`,
    `${write.replace(/\s+/g, ' ').trim()};`,
    '',
  ].join('\n');
}

/** Stores the task instance ids of a shape in `bench_ti`, keyed as the script picks them. */
export async function loadHelperTable(databaseUrl, shape, ids) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('create table if not exists bench_ti (k integer primary key, id uuid not null)');
    await client.query('delete from bench_ti where k / 10000 = $1', [SHAPE_KEY[shape]]);
    await client.query('insert into bench_ti (k, id) select $1::int * 10000 + n, id from unnest($2::uuid[]) with ordinality as u(id, n)', [SHAPE_KEY[shape], ids]);
    await client.query('analyze bench_ti');
  } finally {
    await client.end();
  }
}

/**
 * Runs pgbench with the simple query protocol and literal values — what the service sends, since
 * MikroORM's `em.execute` inlines its parameters — and returns tps and latency percentiles.
 */
export function runPgbench({ dir, databaseUrl, shape, script, clients, seconds, lockTimeoutMs }) {
  const scriptPath = join(dir, `pgbench-${shape}.sql`);
  const logDir = join(dir, `pgbench-log-${shape}`);
  mkdirSync(logDir, { recursive: true });
  writeFileSync(scriptPath, script);
  const out = run(join(PG_BIN, 'pgbench'), [
    '-n', '-M', 'simple', '-c', String(clients), '-j', '2', '-T', String(seconds),
    '-D', `body=${STORED_BODIES[0].replace(/'/g, "''")}`, '-D', `lock_timeout=${lockTimeoutMs}`, '-f', scriptPath, '-l', `--log-prefix=${join(logDir, 'tx')}`, databaseUrl,
  ]);
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  const latencies = [];
  for (const f of readdirSync(logDir)) {
    for (const line of readFileSync(join(logDir, f), 'utf8').split('\n')) {
      const fields = line.split(' ');
      if (fields.length >= 6) latencies.push(Number(fields[2]) / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] * 10) / 10 : undefined);
  return {
    tps: Math.round(tps),
    transactions: latencies.length,
    failed,
    latency_ms: { p50: pct(50), p90: pct(90), p99: pct(99) },
  };
}
