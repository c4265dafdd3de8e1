import { Migration } from '@mikro-orm/migrations';

/**
 * Initial schema: dag_run, task_instance, rendered_task_instance_fields.
 * Every constraint is named so that errors, logs and conflict policies can cite it.
 */
export class Migration20261125000000_initial_schema extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table dag_run (
        dag_id varchar(250) not null,
        run_id varchar(250) not null,
        logical_date timestamptz null,
        run_after timestamptz not null,
        state varchar(50) not null default 'running',
        constraint dag_run_pkey primary key (dag_id, run_id),
        constraint dag_run_state_check check (state in ('queued', 'running', 'success', 'failed'))
      );`);
    this.addSql(`create index dag_run_dag_id_run_after_idx on dag_run (dag_id, run_after desc);`);
    this.addSql(`
      create table task_instance (
        id uuid not null,
        dag_id varchar(250) not null,
        run_id varchar(250) not null,
        task_id varchar(250) not null,
        map_index integer not null default -1,
        try_number integer not null default 0,
        max_tries integer not null default 0,
        state varchar(20) not null default 'none',
        hostname varchar(1000) null,
        unixname varchar(1000) null,
        pid integer null,
        start_date timestamptz null,
        end_date timestamptz null,
        last_heartbeat_at timestamptz null,
        updated_at timestamptz not null default now(),
        constraint task_instance_pkey primary key (id),
        constraint task_instance_composite_key unique (dag_id, task_id, run_id, map_index),
        constraint task_instance_dag_run_fkey foreign key (dag_id, run_id)
          references dag_run (dag_id, run_id) on delete cascade,
        constraint task_instance_state_check check (state in ('none', 'scheduled', 'queued', 'running',
          'success', 'restarting', 'failed', 'up_for_retry', 'up_for_reschedule', 'upstream_failed',
          'skipped', 'deferred', 'removed')),
        constraint task_instance_map_index_check check (map_index >= -1),
        constraint task_instance_try_number_check check (try_number >= 0),
        constraint task_instance_max_tries_check check (max_tries >= 0)
      );`);
    this.addSql(`create index task_instance_dag_id_run_id_idx on task_instance (dag_id, run_id);`);
    this.addSql(`
      create table rendered_task_instance_fields (
        dag_id varchar(250) not null,
        task_id varchar(250) not null,
        run_id varchar(250) not null,
        map_index integer not null default -1,
        rendered_fields jsonb not null,
        k8s_pod_yaml jsonb null,
        updated_at timestamptz not null default now(),
        constraint rendered_task_instance_fields_pkey primary key (dag_id, task_id, run_id, map_index),
        constraint rtif_ti_fkey foreign key (dag_id, task_id, run_id, map_index)
          references task_instance (dag_id, task_id, run_id, map_index) on delete cascade
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists rendered_task_instance_fields;');
    this.addSql('drop table if exists task_instance;');
    this.addSql('drop table if exists dag_run;');
  }
}
