import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { isClusterPrimary, runClusterPrimary } from './cluster';
import { DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS, developmentBanner, resolveAuthConfig } from './common/auth/development-secret';
import { TokenIssuer } from './common/auth/token-issuer';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { resolveDatabase } from './database/database';
import { runMigrations } from './database/migrate';
import { tuneHeapGrowth } from './heap-tuning';

async function main(): Promise<void> {
  tuneHeapGrowth();
  const logger = new Logger('Main');
  let config: AppConfig;
  try {
    config = resolveAuthConfig(loadConfig(), (line) => logger.log(line));
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  // WEB_CONCURRENCY > 1: this process only forks workers, which run the rest of main() each.
  if (isClusterPrimary(config)) return runClusterPrimary(config, logger);

  const db = await resolveDatabase(config, (line) => logger.log(line));
  if (config.database.runMigrationsOnStart) {
    const applied = await runMigrations(config, db.migrationUrl);
    logger.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
  } else {
    logger.log('MIGRATIONS_RUN_ON_START=false: not applying migrations');
  }

  const app = await createApp({ config, databaseUrl: db.url });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: closing`);
    await app.close();
    await db.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(config.http.port, config.http.host);
  const shown = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
  logger.log(`listening on http://${shown}:${config.http.port} (Swagger UI: /docs, OpenAPI: /openapi.json)`);
  if (config.auth.developmentSecretFile) {
    // Printed to stdout, not through the logger: log lines never carry tokens.
    const admin = await app.get(TokenIssuer).issue('dev-admin', 'admin', DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS);
    process.stdout.write(developmentBanner(admin.token, `http://${shown}:${config.http.port}`));
  }
}

main().catch((error: unknown) => {
  // Start-up failures: print what failed without driver messages that might hold values.
  const e = error as { name?: string; code?: string; message?: string };
  new Logger('Main').error(`start-up failed: ${e?.name ?? 'Error'}${e?.code ? ` (${e.code})` : ''}: ${e?.message?.split('\n')[0] ?? String(error)}`);
  process.exit(1);
});
