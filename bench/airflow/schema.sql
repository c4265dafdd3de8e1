-- The Airflow replica's tables (bench/airflow/rtif_replica.py), in their own database of the bench's
-- throwaway PostgreSQL. Airflow 3's layout for the columns the RTIF route reads and writes:
--   dag_run, task_instance: airflow-core/src/airflow/models/{dagrun,taskinstance}.py (the route's
--     `select(TI)` loads every mapped column of both, the dag run through TI.dag_run's lazy="joined");
--   rendered_task_instance_fields: airflow-core/src/airflow/models/renderedtifields.py @ 0a7fb709
--     (composite primary key, FK to task_instance ON DELETE CASCADE, `JSON` columns: SQLAlchemy's
--     sa.JSON() is PostgreSQL's json, not jsonb).
-- Left out: columns no part of the route touches that Airflow also maps (executor_config pickle,
-- context_carrier, span_status, …) and the tables of other features (dag, dag_version, trigger).
create table dag_run (
  id serial primary key,
  dag_id varchar(250) not null,
  queued_at timestamptz,
  logical_date timestamptz,
  start_date timestamptz,
  end_date timestamptz,
  state varchar(50),
  run_id varchar(250) not null,
  creating_job_id integer,
  run_type varchar(50) not null,
  triggered_by varchar(50),
  conf jsonb,
  data_interval_start timestamptz,
  data_interval_end timestamptz,
  run_after timestamptz not null,
  last_scheduling_decision timestamptz,
  log_template_id integer,
  updated_at timestamptz,
  clear_number integer not null default 0,
  bundle_version varchar(250),
  partition_key varchar(250),
  constraint dag_run_dag_id_run_id_key unique (dag_id, run_id)
);
create index idx_dag_run_run_after on dag_run (run_after);

create table task_instance (
  id uuid primary key,
  task_id varchar(250) not null,
  dag_id varchar(250) not null,
  run_id varchar(250) not null,
  map_index integer not null default -1,
  start_date timestamptz,
  end_date timestamptz,
  duration double precision,
  state varchar(20),
  try_number integer default 0,
  max_tries integer default -1,
  hostname varchar(1000),
  unixname varchar(1000),
  pool varchar(256) not null,
  pool_slots integer not null,
  queue varchar(256),
  priority_weight integer,
  operator varchar(1000),
  custom_operator_name varchar(1000),
  queued_dttm timestamptz,
  scheduled_dttm timestamptz,
  queued_by_job_id integer,
  last_heartbeat_at timestamptz,
  pid integer,
  executor varchar(1000),
  updated_at timestamptz,
  rendered_map_index varchar(250),
  external_executor_id varchar(250),
  trigger_id integer,
  trigger_timeout timestamp,
  next_method varchar(1000),
  next_kwargs json,
  task_display_name varchar(2000),
  dag_version_id uuid,
  constraint task_instance_composite_key unique (dag_id, task_id, run_id, map_index),
  constraint task_instance_dag_run_fkey foreign key (dag_id, run_id) references dag_run (dag_id, run_id) on delete cascade
);

create table rendered_task_instance_fields (
  dag_id varchar(250) not null,
  task_id varchar(250) not null,
  run_id varchar(250) not null,
  map_index integer not null default -1,
  rendered_fields json not null,
  k8s_pod_yaml json,
  constraint rendered_task_instance_fields_pkey primary key (dag_id, task_id, run_id, map_index),
  constraint rtif_ti_fkey foreign key (dag_id, task_id, run_id, map_index)
    references task_instance (dag_id, task_id, run_id, map_index) on delete cascade
);
