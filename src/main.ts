import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS, developmentSecret, hasConfiguredKey, NO_KEY_WITH_DATABASE_URL, withDevelopmentSecret } from './common/auth/development-secret';
import { TokenIssuer } from './common/auth/token-issuer';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { resolveDatabase } from './database/database';
import { runMigrations } from './database/migrate';

async function main(): Promise<void> {
  const logger = new Logger('Main');
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  if (!hasConfiguredKey(config.auth)) {
    if (config.database.url) {
      logger.error(NO_KEY_WITH_DATABASE_URL);
      process.exit(2);
    }
    const dev = developmentSecret(config);
    logger.log(`${dev.created ? 'generated' : 'using'} the development JWT secret in ${dev.file} (no JWT key configured; local use only)`);
    config = withDevelopmentSecret(config, dev.secret, dev.file);
  }

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
    process.stdout.write(
      `\nDevelopment admin token (valid ${DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS / 86_400} days). Paste it into Swagger UI's Authorize dialog at http://${shown}:${config.http.port}/docs,\n` +
        `or send it as "Authorization: Bearer <token>" to /api/v1/...:\n\n${admin.token}\n\n`,
    );
  }
}

main().catch((error: unknown) => {
  // Start-up failures: print what failed without driver messages that might hold values.
  const e = error as { name?: string; code?: string; message?: string };
  new Logger('Main').error(`start-up failed: ${e?.name ?? 'Error'}${e?.code ? ` (${e.code})` : ''}: ${e?.message?.split('\n')[0] ?? String(error)}`);
  process.exit(1);
});
