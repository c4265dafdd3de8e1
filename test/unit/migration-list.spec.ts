import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationObject } from '@mikro-orm/core';
import { CORE_MIGRATIONS, MIGRATIONS, orderMigrations } from '../../src/migrations';
import { Migration20261128120000_idempotency_key } from '../../src/migrations/Migration20261128120000_idempotency_key';

// Only the names matter to the ordering; any migration class will do.
const migration = (name: string): MigrationObject => ({ name, class: Migration20261128120000_idempotency_key });

describe('the migration list (the core and every feature manifest)', () => {
  it('lists every migration file exactly once, in name order', () => {
    const files = readdirSync(join(__dirname, '../../src/migrations'))
      .filter((f) => /^Migration\d{14}_\w+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    const names = MIGRATIONS.map((m) => m.name);
    expect(names).toEqual(files);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([...names].sort());
  });

  it('names each migration after its class', () => {
    expect(MIGRATIONS.filter((m) => m.class.name !== m.name).map((m) => m.name)).toEqual([]);
    expect(CORE_MIGRATIONS.map((m) => m.name)).toEqual(['Migration20261128120000_idempotency_key']);
  });

  it('orders lists from several manifests by name and refuses a name listed twice', () => {
    const a = migration('Migration20260101000000_a');
    const b = migration('Migration20260102000000_b');
    const c = migration('Migration20260103000000_c');
    expect(orderMigrations([[c, a], [b]]).map((m) => m.name)).toEqual([a.name, b.name, c.name]);
    expect(() => orderMigrations([[a, b], [migration(a.name)]])).toThrow('Migration Migration20260101000000_a is listed twice');
  });
});
