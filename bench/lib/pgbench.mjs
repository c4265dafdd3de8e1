// The database's limit for this write: the statements the service sends for one RTIF write, run
// by pgbench at the same concurrency against the same database.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PG_BIN } from './databases.mjs';
import { run } from './system.mjs';
import { STORED_BODIES } from './workload.mjs';

const SHAPE_KEY = { contention: 1, spread: 2 };

/**
 * The pgbench script of one write: the statements MikroORM's query log shows for an RTIF overwrite
 * (the bench's steady state; a first write adds the retention delete), in the service's order and
 * transaction and messages: BEGIN … READ COMMITTED sent together with the key-share lookup that
 * also sets the transaction's lock_timeout (one message, as the service's client defers BEGIN; the
 * lookup's result kept with \gset, as the service keeps it in memory), the upsert `em.upsert`
 * renders, COMMIT.
 * Differences: pgbench cannot pick a random UUID from a list, so the id is a primary-key lookup in a
 * 1,000-row helper table (`bench_ti`), and `updated_at` is `now()` instead of a literal. Both add a
 * few microseconds of server work; they make the limit a little lower, not higher.
 */
export function pgbenchScript(_root, shape, count) {
  const lookup = `select ti.dag_id, ti.task_id, ti.run_id, ti.map_index,
      exists (select 1 from rendered_task_instance_fields r
               where r.dag_id = ti.dag_id and r.task_id = ti.task_id and r.run_id = ti.run_id and r.map_index = ti.map_index) as has_fields,
      set_config('lock_timeout', ':lock_timeout', true) as lock_timeout
    from task_instance ti where ti.id = (select id from bench_ti where k = :k)
    for key share of ti`;
  // MikroORM inlines escaped literals and sends simple queries; pgbench -M simple substitutes the
  // variables as text, so the quotes are written here (bench ids contain no quotes).
  const upsert = `insert into "rendered_task_instance_fields" ("dag_id", "k8s_pod_yaml", "map_index", "rendered_fields", "run_id", "task_id", "updated_at")
    values (':dag_id', NULL, :map_index, ':body', ':run_id', ':task_id', now())
    on conflict ("dag_id", "task_id", "run_id", "map_index") do update
    set "rendered_fields" = excluded."rendered_fields", "k8s_pod_yaml" = excluded."k8s_pod_yaml", "updated_at" = excluded."updated_at"`;
  const one = (sql) => sql.replace(/\s+/g, ' ').trim();
  return [
    `\\set k ${SHAPE_KEY[shape] * 10_000} + random(1, ${count})`,
    // The service's client sends BEGIN in one message with the lookup (pgbench: a compound command).
    `BEGIN TRANSACTION ISOLATION LEVEL read committed \\; ${one(lookup)} \\gset`,
    `${one(upsert)};`,
    'COMMIT;',
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
    await client.query('insert into bench_ti (k, id) select $1::int * 10000 + n, id from unnest($2::uuid[]) with ordinality as u(id, n)', [
      SHAPE_KEY[shape],
      ids,
    ]);
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
    '-n',
    '-M',
    'simple',
    '-c',
    String(clients),
    '-j',
    '2',
    '-T',
    String(seconds),
    '-D',
    `body=${STORED_BODIES[0].replace(/'/g, "''")}`,
    '-D',
    `lock_timeout=${lockTimeoutMs}`,
    '-f',
    scriptPath,
    '-l',
    `--log-prefix=${join(logDir, 'tx')}`,
    databaseUrl,
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
