import type { MigrationObject } from '@mikro-orm/core';
import { FEATURES } from '../features';
import { Migration20261128120000_idempotency_key } from './Migration20261128120000_idempotency_key';

/** Migrations of the core (`src/common/`), which no feature owns. A feature lists its own in its manifest. */
export const CORE_MIGRATIONS: readonly MigrationObject[] = [
  { name: 'Migration20261128120000_idempotency_key', class: Migration20261128120000_idempotency_key },
];

/**
 * The migrations of the core and of every feature, in name (= timestamp) order; a name listed twice
 * throws, so a merge that registers one in two manifests fails at start-up, not in production.
 */
export function orderMigrations(lists: readonly (readonly MigrationObject[])[]): MigrationObject[] {
  const all = lists.flat();
  const seen = new Set<string>();
  for (const migration of all) {
    if (seen.has(migration.name)) throw new Error(`Migration ${migration.name} is listed twice`);
    seen.add(migration.name);
  }
  // Code-unit order, not locale order: the names share one fixed-width timestamp prefix.
  return [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Every migration, in order. Listed explicitly (not discovered by a file glob) so that the same
 * list runs from `dist/` in production, from TypeScript under jest, and from the CLI. Add a new
 * migration by creating `MigrationYYYYMMDDhhmmss_name.ts` here and listing it in its feature's
 * manifest (`src/<feature>/<feature>.feature.ts`), or in `CORE_MIGRATIONS` for the core.
 */
export const MIGRATIONS: MigrationObject[] = orderMigrations([CORE_MIGRATIONS, ...FEATURES.map((f) => f.migrations ?? [])]);
