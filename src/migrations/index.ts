import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000_initial_schema } from './Migration20261125000000_initial_schema';
import { Migration20261125190000_task_instance_lifecycle } from './Migration20261125190000_task_instance_lifecycle';
import { Migration20261125200000_dag_run_retention_index } from './Migration20261125200000_dag_run_retention_index';
import { Migration20261128100000_task_instance_search_indexes } from './Migration20261128100000_task_instance_search_indexes';
import { Migration20261128110000_xcom } from './Migration20261128110000_xcom';
import { Migration20261128120000_idempotency_key } from './Migration20261128120000_idempotency_key';
import { Migration20261206100000_task_sdk_bodies } from './Migration20261206100000_task_sdk_bodies';
import { Migration20261206110000_task_instance_reads } from './Migration20261206110000_task_instance_reads';
import { Migration20261206120000_variables_connections } from './Migration20261206120000_variables_connections';
import { Migration20261206130000_assets } from './Migration20261206130000_assets';
import { Migration20261206140000_dag_runs } from './Migration20261206140000_dag_runs';
import { Migration20261206150000_hitl } from './Migration20261206150000_hitl';

/**
 * Every migration, in order. Listed explicitly (not discovered by a file glob) so that the same
 * list runs from `dist/` in production, from TypeScript under jest, and from the CLI.
 * Add a new migration by creating `MigrationYYYYMMDDhhmmss_name.ts` here and appending it.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261125000000_initial_schema', class: Migration20261125000000_initial_schema },
  { name: 'Migration20261125190000_task_instance_lifecycle', class: Migration20261125190000_task_instance_lifecycle },
  { name: 'Migration20261125200000_dag_run_retention_index', class: Migration20261125200000_dag_run_retention_index },
  { name: 'Migration20261128100000_task_instance_search_indexes', class: Migration20261128100000_task_instance_search_indexes },
  { name: 'Migration20261128110000_xcom', class: Migration20261128110000_xcom },
  { name: 'Migration20261128120000_idempotency_key', class: Migration20261128120000_idempotency_key },
  { name: 'Migration20261206100000_task_sdk_bodies', class: Migration20261206100000_task_sdk_bodies },
  { name: 'Migration20261206110000_task_instance_reads', class: Migration20261206110000_task_instance_reads },
  { name: 'Migration20261206120000_variables_connections', class: Migration20261206120000_variables_connections },
  { name: 'Migration20261206130000_assets', class: Migration20261206130000_assets },
  { name: 'Migration20261206140000_dag_runs', class: Migration20261206140000_dag_runs },
  { name: 'Migration20261206150000_hitl', class: Migration20261206150000_hitl },
];
