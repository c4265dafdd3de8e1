import 'reflect-metadata';
import type { Logger as PinoRoot } from 'pino';
import { createApp } from './bootstrap';
import { isClusterPrimary, runClusterPrimary } from './cluster';
import { DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS, developmentBanner, resolveAuthConfig } from './common/auth/development-secret';
import { TokenIssuer } from './common/auth/token-issuer';
import { shutdownGracefully } from './common/lifecycle/graceful-shutdown';
import { createRootLogger } from './common/logging/logging';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { resolveDatabase } from './database/database';
import { runMigrations } from './database/migrate';
import { tuneHeapGrowth } from './heap-tuning';

async function main(): Promise<void> {
  tuneHeapGrowth();
  // Until the configuration (and so LOG_LEVEL) is known, log at info.
  const bootRoot = createRootLogger({ logLevel: 'info' });
  const bootLog = bootRoot.child({ context: 'Main' });
  let config: AppConfig;
  try {
    config = resolveAuthConfig(loadConfig(), (line) => bootLog.info(line));
  } catch (error) {
    if (error instanceof ConfigError) {
      bootLog.fatal({ problems: error.problems }, 'invalid configuration');
      await flushThenExit(bootRoot, 2);
    }
    throw error;
  }
  const root = createRootLogger(config);
  const log = root.child({ context: 'Main' });
  // WEB_CONCURRENCY > 1: this process only forks workers, which run the rest of main() each.
  if (isClusterPrimary(config)) return runClusterPrimary(config, log);

  const db = await resolveDatabase(config, (line) => log.info(line));
  if (config.database.runMigrationsOnStart) {
    const applied = await runMigrations(config, db.migrationUrl);
    log.info(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
  } else {
    log.info('MIGRATIONS_RUN_ON_START=false: not applying migrations');
  }

  const app = await createApp({ config, databaseUrl: db.url, rootLogger: root });
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
        { drained: outcome.drained, in_flight_at_start: outcome.inFlightAtStart, connections_at_start: outcome.connectionsAtStart, connections_accepted: outcome.connectionsAccepted },
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

  await app.listen(config.http.port, config.http.host);
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
  // Start-up failures: the error's name and code, and the first line of its message unless it
  // comes from the driver (whose messages may hold SQL and values).
  const e = error as { message?: string; code?: string } | null;
  const fromDriver = typeof e?.code === 'string';
  const logger = createRootLogger({ logLevel: 'info' });
  logger.fatal({ context: 'Main', err: error, ...(fromDriver ? {} : { detail: e?.message?.split('\n')[0] }) }, 'start-up failed');
  await flushThenExit(logger, 1);
});
