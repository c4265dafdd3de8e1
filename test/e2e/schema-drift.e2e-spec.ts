import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../../src/config/app-config';
import { buildOrmOptions } from '../../src/database/orm-options';
import { testDatabaseUrl } from '../support/test-database';

/**
 * Entities and migrations describe one schema: after the migrations (the global set-up applied
 * them to the test database), MikroORM's schema diff between the entity metadata and the database
 * holds nothing but the known differences below. An entity change without a migration, or a
 * migration the entities do not describe (a column type, an index or constraint name), fails here
 * with the SQL the schema generator would run.
 *
 * KNOWN: what the hand-written migrations have and the entity metadata does not (yet) declare. Each
 * line is one statement of the diff; the list may only shrink (see the report of issue 12):
 * - foreign keys: the entities keep keys as scalar columns (no `@ManyToOne`), so MikroORM cannot
 *   know the composite foreign keys the migrations create;
 * - check constraints and server defaults the migrations add as a second line of defence;
 * - indexes the entities do not declare, or declare in another shape (`dag_run` retention index);
 * - `task_reschedule.id` and `trigger.id`: identity columns in the migrations, `serial` in metadata;
 * - the task-instance search indexes (`Migration20261128100000_task_instance_search_indexes`),
 *   which the `TaskInstance` entity does not declare;
 * - `idempotency_key`: the Idempotency-Key store (`src/common/idempotency-keys/`) reads and writes
 *   it with SQL of its own and declares no entity.
 */
const KNOWN = new Set(
  `alter table "rendered_task_instance_fields" drop constraint "rtif_ti_fkey";
alter table "task_instance" drop constraint "task_instance_dag_run_fkey";
alter table "task_instance" drop constraint "task_instance_trigger_id_fkey";
alter table "task_instance_history" drop constraint "task_instance_history_ti_fkey";
alter table "task_reschedule" drop constraint "task_reschedule_ti_fkey";
alter table "xcom" drop constraint "xcom_ti_fkey";
alter table "task_map" drop constraint "task_map_ti_fkey";
alter table "asset_alias_asset" drop constraint "asset_alias_asset_alias_fkey";
alter table "asset_alias_asset" drop constraint "asset_alias_asset_asset_fkey";
alter table "asset_alias_asset_event" drop constraint "asset_alias_asset_event_alias_fkey";
alter table "asset_alias_asset_event" drop constraint "asset_alias_asset_event_event_fkey";
alter table "asset_event" drop constraint "asset_event_asset_fkey";
alter table "hitl_detail" drop constraint "hitl_detail_ti_fkey";
drop index "dag_run_dag_id_logical_date_idx";
drop index "dag_run_dag_id_run_after_run_id_idx";
alter table "dag_run" drop constraint "dag_run_clear_number_check";
alter table "dag_run" drop constraint "dag_run_conf_check";
alter table "dag_run" drop constraint "dag_run_run_type_check";
alter table "dag_run" drop constraint "dag_run_state_check";
alter table "dag_run" alter column "state" drop default;
create index "dag_run_dag_id_run_after_run_id_idx" on "dag_run" ("dag_id", "run_after", "run_id");
alter table "rendered_task_instance_fields" alter column "map_index" drop default;
alter table "rendered_task_instance_fields" alter column "updated_at" drop default;
drop index "task_instance_dag_id_run_id_idx";
drop index "task_instance_trigger_id_idx";
alter table "task_instance" drop constraint "task_instance_map_index_check";
alter table "task_instance" drop constraint "task_instance_max_tries_check";
alter table "task_instance" drop constraint "task_instance_state_check";
alter table "task_instance" drop constraint "task_instance_try_number_check";
alter table "task_instance" alter column "try_number" drop default;
alter table "task_instance" alter column "max_tries" drop default;
alter table "task_instance" alter column "state" drop default;
alter table "task_instance" alter column "updated_at" drop default;
alter table "task_instance_history" drop constraint "task_instance_history_state_check";
alter table "task_instance_history" alter column "map_index" drop default;
alter table "task_instance_history" alter column "updated_at" drop default;
alter table "task_reschedule" drop column "id";
alter table "task_reschedule" add "id" serial primary key;
alter table "trigger" drop column "id";
alter table "trigger" add "id" serial primary key;
alter table "trigger" alter column "created_date" drop default;
drop table if exists "idempotency_key" cascade;`.split('\n'),
);

/**
 * Tables some test files create for their own routes (`test/support/*.module.ts`), in the same
 * database, so whether they exist here depends on the order jest runs the files in. Not schema.
 */
const TEST_FIXTURE_TABLE = /^(alter table|drop table if exists) "(fault_|idem_test_)/;
describe('entity ↔ migration drift', () => {
  it('leaves the schema generator nothing to change after the migrations but the known differences', async () => {
    const url = testDatabaseUrl();
    const orm = await MikroORM.init(buildOrmOptions(loadConfig({ DATABASE_URL: url }), url));
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
