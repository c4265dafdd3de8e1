import { Entity, Index, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import type { DagRunState } from './task-instance-state';

/** One run of a DAG. Keyed by (`dag_id`, `run_id`) as in Airflow; constraint names are in the migration. */
@Entity({ tableName: 'dag_run' })
// Serves RTIF retention's top-N query; the migration creates it (dag_id, run_after desc, run_id desc).
@Index({ name: 'dag_run_dag_id_run_after_run_id_idx', properties: ['dagId', 'runAfter', 'runId'] })
export class DagRun {
  [PrimaryKeyProp]?: ['dagId', 'runId'];

  @PrimaryKey({ type: 'string', length: 250 })
  dagId!: string;

  @PrimaryKey({ type: 'string', length: 250 })
  runId!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  logicalDate?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  runAfter!: Date;

  @Property({ type: 'string', length: 50 })
  state!: DagRunState;
}
