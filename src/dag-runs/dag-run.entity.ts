import { OptionalProps, PrimaryKeyProp } from '@mikro-orm/core';
import { Check, Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { JsonTextType } from '../common/json/json-text.type';
import { DAG_RUN_STATES, DAG_RUN_TYPES, type DagRunState, type DagRunType } from '../task-instances/task-instance-state';

const sqlList = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

/** One run of a DAG. Keyed by (`dag_id`, `run_id`) as in Airflow; constraint names are in the migration. */
@Entity({ tableName: 'dag_run' })
// Serves RTIF retention's top-N query; the migration creates it (dag_id, run_after desc, run_id desc).
@Index({
  name: 'dag_run_dag_id_run_after_run_id_idx',
  columns: [{ name: 'dag_id' }, { name: 'run_after', sort: 'desc' }, { name: 'run_id', sort: 'desc' }],
})
// previous-successful-dagrun: the latest successful run of a dag before a logical date.
@Index({ name: 'dag_run_dag_id_logical_date_idx', columns: [{ name: 'dag_id' }, { name: 'logical_date', sort: 'desc' }] })
@Check({ name: 'dag_run_state_check', expression: `state in (${sqlList(DAG_RUN_STATES)})` })
@Check({ name: 'dag_run_run_type_check', expression: `run_type in (${sqlList(DAG_RUN_TYPES)})` })
@Check({ name: 'dag_run_conf_check', expression: "jsonb_typeof(conf) = 'object'" })
@Check({ name: 'dag_run_clear_number_check', expression: 'clear_number >= 0' })
export class DagRun {
  [PrimaryKeyProp]?: ['dagId', 'runId'];
  [OptionalProps]?: 'runType' | 'conf' | 'clearNumber';

  @PrimaryKey({ type: 'string', length: 250 })
  dagId!: string;

  @PrimaryKey({ type: 'string', length: 250 })
  runId!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  logicalDate?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  runAfter!: Date;

  @Property({ type: 'string', length: 50, default: 'running' })
  state!: DagRunState;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  dataIntervalStart?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  dataIntervalEnd?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  startDate?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  endDate?: Date | null;

  @Property({ type: 'string', length: 50, default: 'manual' })
  runType: DagRunType = 'manual';

  /** The conf object as JSON text (`JsonTextType`): `parseExactJson` it to read numbers as the control plane sent them. */
  @Property({ type: JsonTextType, columnType: 'jsonb', default: '{}' })
  conf: string = '{}';

  /** How many times the run was cleared; Airflow's workers read it from the run context. */
  @Property({ type: 'integer', default: 0 })
  clearNumber: number = 0;

  /** Who triggered the run; a run a task triggers inherits its own run's (Airflow's rule). */
  @Property({ type: 'string', length: 512, nullable: true })
  triggeringUserName?: string | null;

  @Property({ type: 'string', length: 250, nullable: true })
  partitionKey?: string | null;

  @Property({ type: 'text', nullable: true })
  note?: string | null;
}
