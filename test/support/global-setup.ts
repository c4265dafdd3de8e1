import { Client } from 'pg';
import { loadAppConfig } from '../../src/settings';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrations } from '../../src/database/migrate';
import { freePort } from './postgres-process';
import { TEST_DATABASE_URL_ENV } from './test-database';

/**
 * Gives the suite a fresh, migrated database on a real PostgreSQL: the server at DATABASE_URL
 * when set (CI runs the suite once that way against Debian's PostgreSQL 15), otherwise an
 * embedded PostgreSQL kept under .data/test-postgres.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const pg = await startEmbeddedPostgres({
      dataDir: process.env.TEST_EMBEDDED_PG_DATA_DIR ?? '.data/test-postgres',
      port: process.env.TEST_EMBEDDED_PG_PORT ? Number(process.env.TEST_EMBEDDED_PG_PORT) : await freePort(),
      database: 'postgres',
    });
    serverUrl = pg.url;
    (globalThis as Record<string, unknown>).__EMBEDDED_PG__ = pg;
  }
  const database = `tea_test_${Date.now()}_${process.pid}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  process.env[TEST_DATABASE_URL_ENV] = url.toString();
  (globalThis as Record<string, unknown>).__TEST_DB__ = { serverUrl, database };
  await runMigrations(loadAppConfig({ DATABASE_URL: url.toString() }), url.toString());
}
