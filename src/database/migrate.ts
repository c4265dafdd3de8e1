import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { AppConfig } from '../config/app-config';
import { buildOrmOptions } from './orm-options';

/** Advisory-lock key that serializes migrations across replicas starting at once. */
export const MIGRATION_LOCK_SQL_KEY = "hashtext('task-execution-api:migrations')";

/**
 * Applies pending migrations while holding a session-level PostgreSQL advisory lock on a
 * dedicated connection, so several replicas starting together run them one at a time (the
 * second finds nothing pending). Use a direct URL, not PgBouncer: the lock is session state.
 *
 * @returns the names of the migrations applied
 */
export async function runMigrations(config: AppConfig, url: string): Promise<string[]> {
  const lock = new Client({ connectionString: url, connectionTimeoutMillis: config.database.connectTimeoutMs });
  await lock.connect();
  try {
    await lock.query(`select pg_advisory_lock(${MIGRATION_LOCK_SQL_KEY})`);
    const orm = await MikroORM.init(buildOrmOptions(config, url, undefined, 1, { withReplicas: false }));
    try {
      const applied = await orm.migrator.up();
      return applied.map((m) => m.name);
    } finally {
      await orm.close(true);
    }
  } finally {
    await lock.query(`select pg_advisory_unlock(${MIGRATION_LOCK_SQL_KEY})`).catch(() => undefined);
    await lock.end();
  }
}
