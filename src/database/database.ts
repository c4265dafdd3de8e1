import type { AppConfig } from '../config/app-config';
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
