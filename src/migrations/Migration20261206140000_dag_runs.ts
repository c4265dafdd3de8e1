import { Migration } from '@mikro-orm/migrations';

/**
 * What the dag-run and dag routes of the execution API need:
 * - `dag`: the dags the control plane registered (Airflow's `DagModel`, reduced to what
 *   `GET /execution/dags/{dag_id}` answers, plus `has_import_errors`, which refuses a trigger);
 * - `dag_run.triggering_user_name`, `partition_key`, `note`: stored by a trigger, answered by the
 *   dag-run reads and the run context;
 * - run type `operator_triggered` (`TriggerDagRunOperator`'s runs).
 * New columns are nullable and the check only widens, so existing rows and a rolling deploy need
 * no backfill.
 */
export class Migration20261206140000_dag_runs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table dag (
        dag_id varchar(250) not null,
        is_paused boolean not null default false,
        bundle_name varchar(250) null,
        bundle_version varchar(200) null,
        relative_fileloc varchar(2000) null,
        owners varchar(2000) null,
        tags jsonb not null default '[]',
        next_dagrun timestamptz null,
        has_import_errors boolean not null default false,
        updated_at timestamptz not null,
        constraint dag_pkey primary key (dag_id),
        constraint dag_tags_check check (jsonb_typeof(tags) = 'array')
      );`);
    this.addSql(`
      alter table dag_run
        add column triggering_user_name varchar(512) null,
        add column partition_key varchar(250) null,
        add column note text null;`);
    this.addSql(`
      alter table dag_run
        drop constraint dag_run_run_type_check,
        add constraint dag_run_run_type_check
          check (run_type in ('backfill', 'scheduled', 'manual', 'operator_triggered', 'asset_triggered', 'asset_materialization'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from dag_run where run_type = 'operator_triggered';`);
    this.addSql(`
      alter table dag_run
        drop constraint dag_run_run_type_check,
        add constraint dag_run_run_type_check check (run_type in ('backfill', 'scheduled', 'manual', 'asset_triggered', 'asset_materialization'));`);
    this.addSql('alter table dag_run drop column if exists note, drop column if exists partition_key, drop column if exists triggering_user_name;');
    this.addSql('drop table if exists dag;');
  }
}
