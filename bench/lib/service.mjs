// Starts the built service (dist/) in N processes and talks to it over HTTP.
import { openSync, readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { childrenOf, freePort, log, peakRssMiB, sleep, spawnLogged, waitForExit } from './system.mjs';

/**
 * The service verifies bearer tokens (HS256 with `JWT_SECRET`): the bench starts it with a random
 * secret of its own and signs the tokens a scheduler would hand out — an admin token for the
 * control plane (seeding), one execution token per task instance (sub = its id) for the RTIF
 * write. Valid 10 minutes (the service's default execution TTL), so no refresh is due during a run.
 */
export const BENCH_JWT_SECRET = randomBytes(32).toString('base64url');
const secretKey = new TextEncoder().encode(BENCH_JWT_SECRET);

export async function signToken(sub, scope) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub, scope, aud: 'urn:airflow.apache.org:task', iat: now, nbf: now, exp: now + 600, jti: randomUUID() })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(secretKey);
}

/** Headers of every request the benchmark sends: the one place that builds them. */
export function requestHeaders(token) {
  return { 'content-type': 'application/json', authorization: `Bearer ${token}` };
}

/**
 * `node dist/src/main.js` with WEB_CONCURRENCY=`processes` (a node:cluster primary and its
 * workers when > 1), or `command` ([file, args]: `sh scripts/start.sh`, which execs Node in the
 * same process). Migrations run in the (primary) process over `migrationUrl`, never through
 * PgBouncer. Ready when every worker logged that it listens.
 */
export async function startService({ root, processes, databaseUrl, migrationUrl, poolMax, logPath, nodeArgs = [], env = {}, command }) {
  const port = await freePort();
  const logFd = openSync(logPath, 'w');
  const [file, args] = command ?? [process.execPath, [...nodeArgs, join(root, 'dist/src/main.js')]];
  const child = spawnLogged(file, args, {
    cwd: root,
    logFd,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      WEB_CONCURRENCY: String(processes),
      DATABASE_URL: databaseUrl,
      MIGRATION_DATABASE_URL: migrationUrl,
      DB_POOL_MAX: String(poolMax),
      // The default: one JSON access-log line per request (to a file here), as deployed.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      JWT_SECRET: BENCH_JWT_SECRET,
      MIKRO_ORM_DEBUG: 'false',
      ...env,
    },
  });
  const started = Date.now();
  for (;;) {
    const text = readFileSync(logPath, 'utf8');
    if ((text.match(/listening on http/g) ?? []).length >= processes) break;
    if (child.exitCode !== null) throw new Error(`service exited during start-up, see ${logPath}`);
    if (Date.now() - started > 60_000) {
      // The caller gets no handle to stop it with: stop it here, or it outlives the run.
      child.kill('SIGTERM');
      await waitForExit(child, 30_000);
      throw new Error(`service not listening after 60 s, see ${logPath}`);
    }
    await sleep(100);
  }
  const pids = processes > 1 ? [child.pid, ...childrenOf(child.pid)] : [child.pid];
  log(`service: ${processes} process(es) on 127.0.0.1:${port} (pids ${pids.join(', ')}), DB_POOL_MAX=${poolMax}`);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    /** Worker pids (the one process when not clustered). */
    workerPids: processes > 1 ? pids.slice(1) : pids,
    primaryPid: processes > 1 ? child.pid : undefined,
    peakRss() {
      return {
        primary_mib: processes > 1 ? peakRssMiB(child.pid) : undefined,
        workers_mib: (processes > 1 ? pids.slice(1) : pids).map(peakRssMiB),
      };
    },
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 30_000);
    },
  };
}

/** POSTs task instances through the API, `concurrency` at a time; returns their ids in order. */
export async function seedTaskInstances(baseUrl, bodies, concurrency = 16) {
  const headers = requestHeaders(await signToken('bench-admin', 'admin'));
  const ids = new Array(bodies.length);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      const res = await fetch(`${baseUrl}/api/v1/task-instances`, { method: 'POST', headers, body: JSON.stringify(bodies[i]) });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${text.slice(0, 300)}`);
      ids[i] = JSON.parse(text).id;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}
