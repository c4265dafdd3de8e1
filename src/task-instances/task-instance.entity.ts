import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { JsonTextType } from '../common/json/json-text.type';
import { Trigger } from './lifecycle/trigger.entity';
import { TASK_INSTANCE_STATES, type TaskInstanceState } from './task-instance-state';

/** The `state in (…)` check of `task_instance` and `task_instance_history`, as the migrations write it. */
export const TASK_INSTANCE_STATE_CHECK = `state in (${TASK_INSTANCE_STATES.map((state) => `'${state}'`).join(', ')})`;

/** An asset a task declares as an inlet or an outlet: Airflow's unique key of an asset. */
export interface AssetRef {
  name: string;
  uri: string;
}

/**
 * An asset's name and uri are at most this many UTF-8 bytes each (Airflow allows 1500 characters):
 * both sit in one unique index entry, which PostgreSQL refuses above about 2.7 kB, and that refusal
 * must be a 422, not a database error.
 */
export const ASSET_KEY_MAX_BYTES = 1000;

/** Name of the unique key (`dag_id`, `task_id`, `run_id`, `map_index`); errors and policies cite it. */
export const TASK_INSTANCE_KEY_CONSTRAINT = 'task_instance_composite_key';

/**
 * One task of one dag run (one map index of it, for mapped tasks). `id` is a UUIDv7 so that
 * new rows land at the right edge of the primary-key index.
 */
@Entity({ tableName: 'task_instance' })
@Unique({ name: TASK_INSTANCE_KEY_CONSTRAINT, properties: ['dagId', 'taskId', 'runId', 'mapIndex'] })
// The control plane's search filters and pages by (filter column, id): Migration20261128100000.
@Index({ name: 'task_instance_dag_id_id_idx', properties: ['dagId', 'id'] })
@Index({ name: 'task_instance_run_id_id_idx', properties: ['runId', 'id'] })
@Index({ name: 'task_instance_task_id_id_idx', properties: ['taskId', 'id'] })
@Index({ name: 'task_instance_map_index_id_idx', properties: ['mapIndex', 'id'] })
@Index({ name: 'task_instance_state_id_idx', properties: ['state', 'id'] })
@Index({ name: 'task_instance_dag_id_run_id_idx', properties: ['dagId', 'runId'] })
@Index({ name: 'task_instance_trigger_id_idx', properties: ['triggerId'] })
@Check({ name: 'task_instance_state_check', expression: TASK_INSTANCE_STATE_CHECK })
@Check({ name: 'task_instance_map_index_check', expression: 'map_index >= -1' })
@Check({ name: 'task_instance_try_number_check', expression: 'try_number >= 0' })
@Check({ name: 'task_instance_max_tries_check', expression: 'max_tries >= 0' })
export class TaskInstance {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'string', length: 250 })
  dagId!: string;

  @Property({ type: 'string', length: 250 })
  runId!: string;

  @Property({ type: 'string', length: 250 })
  taskId!: string;

  @Property({ type: 'integer', default: -1 })
  mapIndex: number = -1;

  @Property({ type: 'integer', default: 0 })
  tryNumber!: number;

  @Property({ type: 'integer', default: 0 })
  maxTries!: number;

  @Property({ type: 'string', length: 20, default: 'none' })
  state!: TaskInstanceState;

  @Property({ type: 'string', length: 1000, nullable: true })
  hostname?: string | null;

  @Property({ type: 'string', length: 1000, nullable: true })
  unixname?: string | null;

  @Property({ type: 'integer', nullable: true })
  pid?: number | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  startDate?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  endDate?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastHeartbeatAt?: Date | null;

  /** Seconds from `start_date` to `end_date` of the try, set when it finishes. */
  @Property({ type: 'double', nullable: true })
  duration?: number | null;

  @Property({ type: 'string', length: 250, nullable: true })
  renderedMapIndex?: string | null;

  /** Set while a try is deferred and when it resumes: the method the worker calls next. */
  @Property({ type: 'string', length: 1000, nullable: true })
  nextMethod?: string | null;

  /**
   * Arguments of `next_method` as JSON text (`JsonTextType`): an object, or the JSON string the
   * worker encrypted. Text, not a document: MikroORM's insert and update walk (and write into)
   * object data, which exact numbers (frozen `JSON.rawJSON` leaves) do not survive.
   */
  @Property({ type: JsonTextType, columnType: 'jsonb', nullable: true })
  nextKwargs?: string | null;

  /** `mapToPk`: the lifecycle reads and writes the id only; a deferral never loads its trigger row. */
  @ManyToOne(() => Trigger, {
    fieldName: 'trigger_id',
    mapToPk: true,
    nullable: true,
    deleteRule: 'set null',
    foreignKeyName: 'task_instance_trigger_id_fkey',
  })
  triggerId?: number | null;

  /** Deadline of a deferral's trigger, or of an `awaiting_input` park (Airflow keeps both here). */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  triggerTimeout?: Date | null;

  /** Seconds to wait before the next try, as the failed try asked (`retry_delay_seconds`); cleared by `/run`. */
  @Property({ type: 'double', nullable: true })
  retryDelayOverride?: number | null;

  /** Why the try asked for a retry (`retry_reason`, first 500 characters); cleared by `/run`. */
  @Property({ type: 'string', length: 500, nullable: true })
  retryReason?: string | null;

  /** The operator's class name (`PythonOperator`), as the scheduler gave it; `GET …/breadcrumbs` reports it. */
  @Property({ type: 'string', length: 1000, nullable: true })
  operator?: string | null;

  /** The assets the task declares as inlets and outlets (`[{name, uri}]`), as the scheduler gave them. */
  @Property({ type: 'json', nullable: true })
  inlets?: AssetRef[] | null;

  @Property({ type: 'json', nullable: true })
  outlets?: AssetRef[] | null;

  @Property({ type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
