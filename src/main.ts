import 'reflect-metadata';
import cluster from 'node:cluster';
import type { Logger as PinoRoot } from 'pino';
import { createApp } from './bootstrap';
import { isClusterPrimary, runClusterPrimary } from './cluster';
import { DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS, developmentBanner, resolveAuthConfig } from './common/auth/development-secret';
import { TokenIssuer } from './common/auth/token-issuer';
import { shutdownGracefully } from './common/lifecycle/graceful-shutdown';
import { createRootLogger } from './common/logging/logging';
import { assertCanListen, explainListenError } from './common/startup/port-check';
import { StartupError } from './common/startup/startup-error';
import { ConfigError, type AppConfig } from './config/app-config';
import { loadAppConfig } from './settings';
import { explainDatabaseFailure, resolveDatabase } from './database/database';
import { runMigrations } from './database/migrate';
import { tuneHeapGrowth } from './heap-tuning';

async function main(): Promise<void> {
  tuneHeapGrowth();
  // Until the configuration (and so LOG_LEVEL) is known, log at info.
  const bootRoot = createRootLogger({ logLevel: 'info' });
  const bootLog = bootRoot.child({ context: 'Main' });
  let config: AppConfig;
  try {
    config = resolveAuthConfig(loadAppConfig(), (line) => bootLog.info(line));
  } catch (error) {
    if (error instanceof ConfigError) {
      bootLog.fatal({ problems: error.problems }, 'invalid configuration');
      process.stderr.write(`\nstart-up failed: invalid configuration: ${error.problems.join('; ')}. Fix the variables named (docs/settings.md).\n\n`);
      await flushThenExit(bootRoot, 2);
    }
    throw error;
  }
  const root = createRootLogger(config);
  const log = root.child({ context: 'Main' });
  // Before a whole database is started for nothing. Cluster workers share the primary's port.
  if (cluster.isPrimary) await assertCanListen(config.http.host, config.http.port, 'PORT');
  // WEB_CONCURRENCY > 1: this process only forks workers, which run the rest of main() each.
  if (isClusterPrimary(config)) return runClusterPrimary(config, log);

  const db = await resolveDatabase(config, (line) => log.info(line));
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    if (config.database.runMigrationsOnStart) {
      const applied = await runMigrations(config, db.migrationUrl);
      log.info(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
    } else {
      log.info('MIGRATIONS_RUN_ON_START=false: not applying migrations');
    }
    app = await createApp({ config, databaseUrl: db.url, rootLogger: root });
  } catch (error) {
    await db.stop();
    throw explainDatabaseFailure(error, config, db);
  }
  let closing = false;
  // SIGTERM (orchestrator) and SIGINT (Ctrl-C): refuse new connections, let accepted requests
  // finish within SHUTDOWN_GRACE_MS, close the pool, stop the embedded database, exit 0.
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal, delay_ms: config.shutdown.delayMs, grace_ms: config.shutdown.graceMs }, 'shutting down: draining in-flight requests');
    try {
      const outcome = await shutdownGracefully(app, {
        delayMs: config.shutdown.delayMs,
        graceMs: config.shutdown.graceMs,
        onListenerClosed: (inFlight) => log.info({ in_flight: inFlight }, 'listener closed: refusing new connections'),
      });
      log.info(
        {
          drained: outcome.drained,
          in_flight_at_start: outcome.inFlightAtStart,
          connections_at_start: outcome.connectionsAtStart,
          connections_accepted: outcome.connectionsAccepted,
        },
        outcome.drained ? 'drained: every accepted request was answered' : 'grace period over: remaining connections were cut',
      );
      await db.stop();
      log.info('stopped');
      await flushThenExit(root, 0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      await flushThenExit(root, 1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    // Taken between the check above and now.
    const explained = await explainListenError(error, config.http.host, config.http.port, 'PORT');
    await app.close();
    await db.stop();
    throw explained ?? error;
  }
  const shown = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
  log.info({ port: config.http.port }, `listening on http://${shown}:${config.http.port} (Swagger UI: /docs, OpenAPI: /openapi.json)`);
  if (config.auth.developmentSecretFile) {
    // Printed to stdout, not through the logger: log lines never carry tokens.
    const admin = await app.get(TokenIssuer).issue('dev-admin', 'admin', DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS);
    await new Promise<void>((resolve) => root.flush(() => resolve()));
    process.stdout.write(developmentBanner(admin.token, `http://${shown}:${config.http.port}`));
  }
}

/** stdout is written asynchronously: flush it, or the last lines ("stopped") can be lost. */
async function flushThenExit(root: PinoRoot, code: number): Promise<never> {
  await new Promise<void>((resolve) => root.flush(() => resolve()));
  process.exit(code);
}

main().catch(async (error: unknown) => {
  const logger = createRootLogger({ logLevel: 'info' });
  if (error instanceof StartupError) {
    logger.fatal({ context: 'Main', what: error.what, where: error.where, fix: error.fix, err: error.cause }, `start-up failed: ${error.message}`);
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.stderr.write(`\nstart-up failed: ${error.message}\n\n`);
    process.exit(1);
  }
  // Anything else: the error's name and code, and the first line of its message unless it comes
  // from the driver (whose messages may hold SQL and values).
  const e = error as { name?: string; message?: string; code?: string } | null;
  const fromDriver = typeof e?.code === 'string';
  const detail = fromDriver ? undefined : e?.message?.split('\n')[0];
  logger.fatal({ context: 'Main', err: error, ...(detail ? { detail } : {}) }, 'start-up failed');
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.stderr.write(
    `\nstart-up failed: ${[e?.name ?? 'error', e?.code, detail].filter(Boolean).join(': ')} (the fatal JSON log line has the error's type and code)\n\n`,
  );
  process.exit(1);
});
