import type { AppConfig } from '../config/app-config';
import { explainConnectionError } from './connection-errors';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface ResolvedDatabase {
  /** URL the service's pool connects to (may be PgBouncer). */
  url: string;
  /** Direct URL for migrations and their advisory lock. */
  migrationUrl: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** `DATABASE_URL` when set; otherwise a persistent embedded PostgreSQL for local use. */
export async function resolveDatabase(config: AppConfig, log: (line: string) => void): Promise<ResolvedDatabase> {
  if (config.database.url) {
    return { url: config.database.url, migrationUrl: config.database.migrationUrl ?? config.database.url, embedded: false, stop: async () => undefined };
  }
  const pg = await startEmbeddedPostgres({ ...config.database.embedded, log });
  log(`embedded PostgreSQL on 127.0.0.1:${config.database.embedded.port}, data in ${config.database.embedded.dataDir}`);
  return { url: pg.url, migrationUrl: pg.url, embedded: true, stop: () => pg.stop() };
}

/**
 * A failure of the first database work (migrations when they run on start, else the pool's first
 * connection) explained with the variable its URL came from; other errors are returned as they are.
 */
export function explainDatabaseFailure(error: unknown, config: AppConfig, db: ResolvedDatabase): unknown {
  const migrating = config.database.runMigrationsOnStart;
  const url = migrating ? db.migrationUrl : db.url;
  const variable = db.embedded ? 'the embedded PostgreSQL' : url !== config.database.url ? 'MIGRATION_DATABASE_URL' : 'DATABASE_URL';
  return explainConnectionError(error, url, variable, config.database.connectTimeoutMs) ?? error;
}
