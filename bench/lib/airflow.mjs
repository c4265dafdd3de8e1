// The Airflow replica (bench/airflow/rtif_replica.py) beside the service: its Debian packages, its
// database in the bench's PostgreSQL, the same task instances, HS512 tokens, and its integrity check.
import { openSync, readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { PG_BIN } from './databases.mjs';
import { freePort, IS_ROOT, log, peakRssMiB, run, sleep, spawnLogged, waitForExit, childrenOf } from './system.mjs';

/** Debian's interpreter: the packages below install for it, not for a pyenv or venv python on PATH. */
export const PYTHON = process.env.BENCH_AIRFLOW_PYTHON ?? '/usr/bin/python3';
/** Airflow 3's api-server stack as Debian bookworm packages it (versions differ from Airflow's pins: docs/performance.md). */
const PACKAGES = {
  fastapi: 'python3-fastapi',
  uvicorn: 'python3-uvicorn',
  uvloop: 'python3-uvloop',
  httptools: 'python3-httptools',
  sqlalchemy: 'python3-sqlalchemy',
  psycopg2: 'python3-psycopg2',
  jwt: 'python3-jwt',
  pydantic: 'python3-pydantic',
};
const DATABASE = 'airflow';
const AUDIENCE = 'urn:airflow.apache.org:task';
const SECRET = randomBytes(64).toString('base64url');
const secretKey = new TextEncoder().encode(SECRET);

function cmdlineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Installs the replica's Python packages when one is missing (apt-get, as root), then reports their versions. */
export function ensureAirflowPackages() {
  const probe = () => {
    try {
      return run(PYTHON, [
        '-c',
        `import importlib, json; print(json.dumps({m: getattr(importlib.import_module(m), '__version__', getattr(importlib.import_module(m), 'VERSION', '?')) for m in ${JSON.stringify(Object.keys(PACKAGES))}}))`,
      ]);
    } catch {
      return undefined;
    }
  };
  let out = probe();
  if (!out) {
    if (!IS_ROOT) throw new Error(`the Airflow replica needs ${Object.values(PACKAGES).join(' ')} (apt-get install as root), or BENCH_AIRFLOW=0`);
    log(`installing the Airflow replica's packages (apt-get): ${Object.values(PACKAGES).join(' ')}`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...Object.values(PACKAGES)], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    out = probe();
    if (!out) throw new Error(`${PYTHON} still cannot import the replica's packages after apt-get install`);
  }
  const versions = { python: run(PYTHON, ['--version']).trim(), ...JSON.parse(out) };
  return Object.fromEntries(Object.entries(versions).map(([k, v]) => [k, String(v)]));
}

/** A token as Airflow's api-server issues and checks them: HS512, the task audience, sub = the TI id. */
export async function signAirflowToken(sub, scope) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub, scope, aud: AUDIENCE, iat: now, nbf: now, exp: now + 600, jti: randomUUID() })
    .setProtectedHeader({ alg: 'HS512', typ: 'JWT' })
    .sign(secretKey);
}

/** Creates the replica's database (Airflow's tables, bench/airflow/schema.sql) in the bench's PostgreSQL. */
export function createAirflowDatabase(root, pgServer) {
  const base = pgServer.url.slice(0, pgServer.url.lastIndexOf('/'));
  run(join(PG_BIN, 'psql'), [`${base}/postgres`, '-qAtc', `create database ${DATABASE}`]);
  const url = `${base}/${DATABASE}`;
  run(join(PG_BIN, 'psql'), [url, '-q', '-v', 'ON_ERROR_STOP=1', '-f', join(root, 'bench/airflow/schema.sql')]);
  return url;
}

/**
 * Seeds the replica's tables with the same task instances (same ids, dag/run/task ids and
 * run_after) the service was seeded with: `bodies` as shapeTaskInstances gives them, `ids` as the
 * service answered them.
 */
export async function seedAirflow(databaseUrl, bodies, ids) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const runs = new Map();
    for (const b of bodies) runs.set(`${b.dag_id}\u0000${b.run_id}`, b);
    const r = [...runs.values()];
    await client.query(
      `insert into dag_run (dag_id, run_id, run_after, logical_date, run_type, state, clear_number, conf)
       select d, r, a, a, 'scheduled', 'running', 0, '{}'::jsonb from unnest($1::text[], $2::text[], $3::timestamptz[]) as t(d, r, a)
       on conflict do nothing`,
      [r.map((x) => x.dag_id), r.map((x) => x.run_id), r.map((x) => x.run_after)],
    );
    await client.query(
      `insert into task_instance (id, dag_id, run_id, task_id, map_index, state, try_number, max_tries, pool, pool_slots, queue, priority_weight, operator, hostname, unixname, pid, executor)
       select i, d, r, t, -1, 'running', 1, 0, 'default_pool', 1, 'default', 1, 'BashOperator', 'worker-1', 'airflow', 4242, 'LocalExecutor'
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as x(i, d, r, t)`,
      [ids, bodies.map((b) => b.dag_id), bodies.map((b) => b.run_id), bodies.map((b) => b.task_id)],
    );
  } finally {
    await client.end();
  }
}

/**
 * Starts the replica under uvicorn with `processes` workers (uvicorn's own supervisor when > 1, as
 * `airflow api-server --workers N`), Airflow's defaults otherwise (uvloop, httptools, access log on).
 * Ready when GET /execution/health answers.
 */
export async function startAirflow({ root, processes, databaseUrl, logPath }) {
  const port = await freePort();
  const logFd = openSync(logPath, 'w');
  const sqlalchemyUrl = databaseUrl.replace(/^postgres:\/\//, 'postgresql+psycopg2://');
  const args = ['-m', 'uvicorn', 'rtif_replica:app', '--app-dir', join(root, 'bench/airflow'), '--host', '127.0.0.1', '--port', String(port)];
  if (processes > 1) args.push('--workers', String(processes));
  const child = spawnLogged(PYTHON, args, {
    cwd: root,
    logFd,
    env: { ...process.env, AIRFLOW_REPLICA_DATABASE_URL: sqlalchemyUrl, AIRFLOW_REPLICA_JWT_SECRET: SECRET, PYTHONUNBUFFERED: '1' },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/execution/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`Airflow replica exited during start-up, see ${logPath}: ${readFileSync(logPath, 'utf8').slice(-500)}`);
    if (Date.now() - started > 60_000) {
      child.kill('SIGTERM');
      await waitForExit(child, 30_000);
      throw new Error(`Airflow replica not answering after 60 s, see ${logPath}`);
    }
    await sleep(200);
  }
  // uvicorn --workers: a supervisor and its worker processes; multiprocessing also starts a
  // resource tracker, which is no worker (its command line names it).
  const workers = processes > 1 ? childrenOf(child.pid).filter((pid) => !cmdlineOf(pid).includes('resource_tracker')) : [child.pid];
  log(`Airflow replica: uvicorn, ${processes} worker(s) on 127.0.0.1:${port} (pids ${[child.pid, ...(processes > 1 ? workers : [])].join(', ')})`);
  return {
    baseUrl,
    pid: child.pid,
    peakRss() {
      return { primary_mib: processes > 1 ? peakRssMiB(child.pid) : undefined, workers_mib: workers.map(peakRssMiB) };
    },
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 30_000);
    },
  };
}

/**
 * The replica's part of `npm run bench`: for each process count, start it, seed the same task
 * instances as the service's (shapeTaskInstances, fresh ids), warm up, then per RTIF shape the same
 * closed-loop run (driveRtif: bodies, connections, duration), the same CPU accounting (`cpuMeter`
 * from run.mjs: the replica's process tree as "service" against PostgreSQL's), the open-loop run at
 * 70 % of its own saturation, and the same integrity check. Returns entries shaped like the
 * service's runs, with `target: 'airflow'`.
 */
export async function benchAirflow({ root, pgServer, settings, shapes, workDir, cpuMeter }) {
  const { checkIntegrity, driveRtif, shapeTaskInstances, summarize } = await import('./workload.mjs');
  const { mergeWrites, openLoopAfter } = await import('./open-loop.mjs');
  const { addPerRequestFigures } = await import('./compare.mjs');
  const databaseUrl = createAirflowDatabase(root, pgServer);
  const entries = [];
  for (const processes of settings.processes) {
    const tag = `${processes}p_airflow`;
    const seeded = {};
    for (const shape of ['warmup', ...shapes]) {
      const bodies = shapeTaskInstances(shape, tag);
      seeded[shape] = bodies.map(() => randomUUID());
      await seedAirflow(databaseUrl, bodies, seeded[shape]);
    }
    const af = await startAirflow({ root, processes, databaseUrl, logPath: join(workDir, `airflow-${tag}.log`) });
    const own = [];
    try {
      const common = { baseUrl: af.baseUrl, connections: settings.connections, sign: signAirflowToken };
      if (settings.warmup_seconds > 0) await driveRtif({ ...common, ids: seeded.warmup, seconds: settings.warmup_seconds });
      for (const shape of shapes) {
        const meter = cpuMeter({ service: af.pid, postgres: pgServer.pid });
        const drive = await driveRtif({ ...common, ids: seeded[shape], seconds: settings.seconds });
        const cpu = meter('autocannon');
        const entry = { target: 'airflow', shape, processes, path: 'direct', ...summarize(drive.result, settings.seconds), cpu_cores: cpu };
        const openLoop = await openLoopAfter(entry.rps, {
          ...common,
          ids: seeded[shape],
          seconds: settings.open_loop_seconds,
          share: settings.open_loop_share,
        });
        entry.open_loop = openLoop?.figures;
        entry.integrity = await checkIntegrity(databaseUrl, seeded[shape], mergeWrites(drive, openLoop));
        addPerRequestFigures(entry, cpu, settings);
        own.push(entry);
        log(
          `${tag} ${shape}: ${entry.rps} req/s, p50 ${entry.latency_ms.p50} p99 ${entry.latency_ms.p99} ms, ${JSON.stringify(entry.status_codes)}, ` +
            `integrity ${entry.integrity.clean ? 'clean' : JSON.stringify(entry.integrity.problems)}, cpu ms/request ${JSON.stringify(entry.cpu_ms_per_request)}, ` +
            `replica/postgres ${entry.service_per_postgres_cpu}, open loop ${JSON.stringify(entry.open_loop ?? null)}`,
        );
      }
      const rss = af.peakRss();
      for (const e of own) e.peak_rss = rss;
    } finally {
      await af.stop();
    }
    entries.push(...own);
  }
  return entries;
}
