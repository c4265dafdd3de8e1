import 'reflect-metadata';
import { loadAppConfig } from '../settings';
import { resolveDatabase } from '../database/database';
import { runMigrations } from '../database/migrate';

/** `npm run migration:up`: applies pending migrations to DATABASE_URL (or the embedded database). */
async function main(): Promise<void> {
  const config = loadAppConfig();
  const db = await resolveDatabase(config, (line) => console.log(line));
  try {
    const applied = await runMigrations(config, db.migrationUrl);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'nothing to apply: the schema is up to date');
  } finally {
    await db.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`migration failed: ${(error as Error)?.message?.split('\n')[0] ?? String(error)}`);
  process.exit(1);
});
