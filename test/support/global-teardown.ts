import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  const db = g.__TEST_DB__ as { serverUrl: string; database: string } | undefined;
  if (db) {
    const admin = new Client({ connectionString: db.serverUrl });
    await admin.connect();
    try {
      await admin.query(`drop database if exists "${db.database}" with (force)`);
    } finally {
      await admin.end();
    }
  }
  const pg = g.__EMBEDDED_PG__ as { stop(): Promise<void> } | undefined;
  await pg?.stop();
}
