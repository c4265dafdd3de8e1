import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { AppConfig } from './config/app-config';
import { explainDatabaseFailure, resolveDatabase } from './database/database';
import { runMigrations } from './database/migrate';
import { serveClusterMetrics } from './common/metrics/cluster-metrics';

/** Respawning stops when workers exit this often within `CRASH_WINDOW_MS` (a crash loop). */
const MAX_EXITS_PER_WINDOW_PER_WORKER = 3;
const CRASH_WINDOW_MS = 60_000;
const RESPAWN_DELAY_MS = 1_000;
/** Workers still running this long after SIGTERM are killed. */
const WORKER_STOP_TIMEOUT_MS = 30_000;

/** True in the process that must fork the HTTP workers (`WEB_CONCURRENCY` > 1) instead of serving. */
export function isClusterPrimary(config: AppConfig): boolean {
  return config.http.workers > 1 && cluster.isPrimary;
}

/**
 * The `node:cluster` primary: resolves the database once (starting the embedded one when
 * `DATABASE_URL` is unset), applies migrations once under their advisory lock, then forks
 * `WEB_CONCURRENCY` workers. Each worker runs the ordinary single-process start-up of `main.ts`
 * with `DATABASE_URL` pointing at that database and `MIGRATIONS_RUN_ON_START=false`, and listens on
 * the shared port (the primary accepts connections and hands them out round-robin).
 *
 * A worker that exits while the primary is not stopping is logged and replaced; a crash loop
 * stops the whole process with exit code 1. SIGTERM/SIGINT are forwarded to the workers, and the
 * primary exits once they have closed (the embedded database, if any, stops last).
 */
export async function runClusterPrimary(config: AppConfig, logger: Logger): Promise<void> {
  const db = await resolveDatabase(config, (line) => logger.info(line));
  if (config.database.runMigrationsOnStart) {
    try {
      const applied = await runMigrations(config, db.migrationUrl);
      logger.info(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
    } catch (error) {
      await db.stop();
      throw explainDatabaseFailure(error, config, db);
    }
  }
  const workerEnv: Record<string, string> = { DATABASE_URL: db.url, MIGRATION_DATABASE_URL: db.migrationUrl, MIGRATIONS_RUN_ON_START: 'false' };
  if (config.auth.developmentSecretFile && config.auth.secret) {
    // Local use with the embedded database: the workers see DATABASE_URL, so they would refuse to
    // start without a key; they get the primary's development secret (same user, child env only).
    workerEnv.JWT_SECRET = config.auth.secret;
    logger.info('development JWT secret passed to the workers; get an admin token with `npm run token -- admin <name>`');
  }

  let stopping = false;
  const recentExits: number[] = [];
  const fork = (): Worker => cluster.fork(workerEnv);

  cluster.on('listening', (worker, address) => {
    logger.info(`worker ${worker.process.pid} listening on port ${address.port}`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.warn(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`})`);
    const now = Date.now();
    recentExits.push(now);
    while (recentExits.length > 0 && recentExits[0] < now - CRASH_WINDOW_MS) recentExits.shift();
    if (recentExits.length > MAX_EXITS_PER_WINDOW_PER_WORKER * config.http.workers) {
      logger.error(`workers keep exiting (${recentExits.length} in ${CRASH_WINDOW_MS / 1000} s): stopping`);
      void stop(1);
      return;
    }
    setTimeout(() => {
      if (!stopping) fork();
    }, RESPAWN_DELAY_MS).unref();
  });

  const stop = async (exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(workers.map((w) => stopWorker(w)));
    await db.stop();
    process.exit(exitCode);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      logger.info(`${signal} received: stopping ${config.http.workers} workers`);
      void stop(0);
    });
  }

  // A scrape of /metrics lands on one worker, which asks here for every worker's metrics.
  serveClusterMetrics();
  logger.info(`primary ${process.pid}: forking ${config.http.workers} workers`);
  for (let i = 0; i < config.http.workers; i++) fork();
}

function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), WORKER_STOP_TIMEOUT_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.process.kill('SIGTERM');
  });
}
