import { MikroORM } from '@mikro-orm/postgresql';
import { loadAppConfig } from '../../src/settings';
import { buildOrmOptions } from '../../src/database/orm-options';
import { testDatabaseUrl } from '../support/test-database';

/**
 * Entities and migrations describe one schema: after the migrations (the global set-up applied
 * them to the test database), MikroORM's schema diff between the entity metadata and the database
 * holds nothing but the known differences below. An entity change without a migration, or a
 * migration the entities do not describe (a column type, an index or constraint name), fails here
 * with the SQL the schema generator would run.
 *
 * KNOWN: what the hand-written migrations have and the entity metadata does not declare, one line
 * of the diff each, with why; the list may only shrink (see the report of issue 12). Checks, server
 * defaults, identity ids, every index and the single-column foreign keys (`mapToPk` relations) are
 * declared on the entities (issue 24, item 6).
 */
const KNOWN = new Set<string>([
  // references task_instance's composite unique key (dag_id, task_id, run_id, map_index): MikroORM 7.2's `targetKey` is one property with a unique of its own (MetadataValidator.isPropertyUnique: "composite unique is not sufficient"; #7099, #7626)
  'alter table "rendered_task_instance_fields" drop constraint "rtif_ti_fkey";',
  // a composite relation to dag_run must own dag_id/run_id (MikroORM 7 refuses it beside the scalar columns), moving every task-instance write onto it: not measured yet
  'alter table "task_instance" drop constraint "task_instance_dag_run_fkey";',
  // the same composite unique key of task_instance as rtif_ti_fkey
  'alter table "task_instance_history" drop constraint "task_instance_history_ti_fkey";',
  // the same composite unique key of task_instance as rtif_ti_fkey
  'alter table "xcom" drop constraint "xcom_ti_fkey";',
  // the same composite unique key of task_instance as rtif_ti_fkey
  'alter table "task_map" drop constraint "task_map_ti_fkey";',
]);

/**
 * Tables some test files create for their own routes (`test/support/*.module.ts`), in the same
 * database, so whether they exist here depends on the order jest runs the files in. Not schema.
 */
const TEST_FIXTURE_TABLE = /^(alter table|drop table if exists) "(fault_|idem_test_)/;
describe('entity ↔ migration drift', () => {
  it('leaves the schema generator nothing to change after the migrations but the known differences', async () => {
    const url = testDatabaseUrl();
    const orm = await MikroORM.init(buildOrmOptions(loadAppConfig({ DATABASE_URL: url }), url));
    try {
      const sql = await orm.schema.getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: true });
      const statements = sql
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 0 && !TEST_FIXTURE_TABLE.test(line));
      expect(statements.filter((statement) => !KNOWN.has(statement))).toEqual([]);
      // The list only shrinks: an entry the diff no longer produces must be removed from it.
      expect([...KNOWN].filter((statement) => !statements.includes(statement))).toEqual([]);
    } finally {
      await orm.close(true);
    }
  });
});
