import { Migration } from '@mikro-orm/migrations';

/**
 * The XCom module's tables: `xcom` (one value per task instance and key) and `task_map` (the
 * mapped length a task's return value expands into). Both hang off `task_instance` with
 * `on delete cascade`, as in Airflow: deleting a task instance (or its dag run) deletes them.
 * Every constraint is named so that errors, logs and policies can cite it.
 */
export class Migration20261128110000_xcom extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table xcom (
        dag_id varchar(250) not null,
        task_id varchar(250) not null,
        run_id varchar(250) not null,
        key varchar(512) not null,
        map_index integer not null default -1,
        value jsonb not null,
        timestamp timestamptz not null default now(),
        constraint xcom_pkey primary key (dag_id, task_id, run_id, key, map_index),
        constraint xcom_ti_fkey foreign key (dag_id, task_id, run_id, map_index)
          references task_instance (dag_id, task_id, run_id, map_index) on delete cascade,
        constraint xcom_key_check check (length(key) >= 1),
        constraint xcom_map_index_check check (map_index >= -1)
      );`);
    // The cascade from task_instance and PATCH …/run's xcom_keys_to_clear look XComs up by task
    // instance; the primary key has "key" before map_index, so it serves only the first three columns.
    this.addSql('create index xcom_ti_idx on xcom (dag_id, task_id, run_id, map_index);');
    this.addSql(`
      create table task_map (
        dag_id varchar(250) not null,
        task_id varchar(250) not null,
        run_id varchar(250) not null,
        map_index integer not null,
        length integer not null,
        keys jsonb null,
        constraint task_map_pkey primary key (dag_id, task_id, run_id, map_index),
        constraint task_map_ti_fkey foreign key (dag_id, task_id, run_id, map_index)
          references task_instance (dag_id, task_id, run_id, map_index) on delete cascade,
        constraint task_map_length_not_negative check (length >= 0)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists task_map;');
    this.addSql('drop table if exists xcom;');
  }
}
