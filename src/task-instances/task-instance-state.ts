/**
 * Airflow's task-instance states. `none` is Airflow's `None`: created, not yet scheduled.
 * `awaiting_input` is Airflow 3.3's human-in-the-loop park (no trigger; a human's answer resumes it).
 */
export const TASK_INSTANCE_STATES = [
  'none',
  'scheduled',
  'queued',
  'running',
  'success',
  'restarting',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'deferred',
  'removed',
  'awaiting_input',
] as const;
export type TaskInstanceState = (typeof TASK_INSTANCE_STATES)[number];

export const DAG_RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export type DagRunState = (typeof DAG_RUN_STATES)[number];

/** Airflow's `DagRunType` values. */
export const DAG_RUN_TYPES = ['backfill', 'scheduled', 'manual', 'operator_triggered', 'asset_triggered', 'asset_materialization'] as const;
export type DagRunType = (typeof DAG_RUN_TYPES)[number];
