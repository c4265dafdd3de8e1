import type { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { TaskInstanceState } from '../../src/task-instances/task-instance-state';
import { uniqueId } from './test-app';

/**
 * Rows for service-level tests, written straight to PostgreSQL (as the state the service finds,
 * not through its routes), with unique ids so test files never see each other's rows. Every
 * factory takes the connection it writes on: a test decides what is committed when.
 */

export interface DagRunRow {
  dag_id: string;
  run_id: string;
  run_after: Date;
}

export async function insertDagRun(c: Client, overrides: Partial<DagRunRow> & { state?: string } = {}): Promise<DagRunRow> {
  const row = { dag_id: overrides.dag_id ?? uniqueId('dag'), run_id: overrides.run_id ?? uniqueId('run'), run_after: overrides.run_after ?? new Date() };
  await c.query('insert into dag_run (dag_id, run_id, run_after, state) values ($1, $2, $3, $4)', [
    row.dag_id,
    row.run_id,
    row.run_after,
    overrides.state ?? 'running',
  ]);
  return row;
}

export interface TaskInstanceRow {
  id: string;
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  state: TaskInstanceState;
}

/** A task instance in `state` (its dag run must exist: `insertDagRun`). `running` gets a host, pid and start date. */
export async function insertTaskInstance(
  c: Client,
  run: Pick<DagRunRow, 'dag_id' | 'run_id'>,
  overrides: { task_id?: string; map_index?: number; state?: TaskInstanceState; try_number?: number; max_tries?: number } = {},
): Promise<TaskInstanceRow> {
  const row: TaskInstanceRow = {
    id: uuidv7(),
    dag_id: run.dag_id,
    run_id: run.run_id,
    task_id: overrides.task_id ?? uniqueId('task'),
    map_index: overrides.map_index ?? -1,
    state: overrides.state ?? 'queued',
  };
  const running = row.state === 'running';
  await c.query(
    `insert into task_instance (id, dag_id, run_id, task_id, map_index, state, try_number, max_tries, hostname, pid, start_date)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      row.id,
      row.dag_id,
      row.run_id,
      row.task_id,
      row.map_index,
      row.state,
      overrides.try_number ?? (running ? 1 : 0),
      overrides.max_tries ?? 0,
      running ? 'worker-1' : null,
      running ? 4242 : null,
      running ? new Date() : null,
    ],
  );
  return row;
}

/** A rendered-fields row for the task instance's key. */
export async function insertRtif(
  c: Client,
  ti: Pick<TaskInstanceRow, 'dag_id' | 'run_id' | 'task_id' | 'map_index'>,
  fields: object = { seeded: true },
): Promise<void> {
  await c.query('insert into rendered_task_instance_fields (dag_id, task_id, run_id, map_index, rendered_fields) values ($1, $2, $3, $4, $5)', [
    ti.dag_id,
    ti.task_id,
    ti.run_id,
    ti.map_index,
    JSON.stringify(fields),
  ]);
}
