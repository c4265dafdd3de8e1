import { Check, Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { JsonTextType } from '../common/json/json-text.type';
import { TASK_INSTANCE_STATE_CHECK } from './task-instance.entity';
import type { TaskInstanceState } from './task-instance-state';

/**
 * One archived try of a task instance, keyed by the id that try had. When a try ends in
 * `up_for_retry` it is copied here and the live row gets a new id, so a late call with the old id
 * can be told apart from an id that never existed (410 instead of 404).
 */
@Entity({ tableName: 'task_instance_history' })
@Check({ name: 'task_instance_history_state_check', expression: TASK_INSTANCE_STATE_CHECK })
@Unique({ name: 'task_instance_history_dtrt_uq', properties: ['dagId', 'taskId', 'runId', 'mapIndex', 'tryNumber'] })
export class TaskInstanceHistory {
  @PrimaryKey({ type: 'uuid' })
  taskInstanceId!: string;

  @Property({ type: 'string', length: 250 })
  dagId!: string;

  @Property({ type: 'string', length: 250 })
  runId!: string;

  @Property({ type: 'string', length: 250 })
  taskId!: string;

  @Property({ type: 'integer', default: -1 })
  mapIndex!: number;

  @Property({ type: 'integer' })
  tryNumber!: number;

  @Property({ type: 'integer' })
  maxTries!: number;

  @Property({ type: 'string', length: 20 })
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

  @Property({ type: 'double', nullable: true })
  duration?: number | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastHeartbeatAt?: Date | null;

  @Property({ type: 'string', length: 250, nullable: true })
  renderedMapIndex?: string | null;

  @Property({ type: 'string', length: 1000, nullable: true })
  nextMethod?: string | null;

  /** JSON text (`JsonTextType`): an object, or the JSON string the worker encrypted. */
  @Property({ type: JsonTextType, columnType: 'jsonb', nullable: true })
  nextKwargs?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date;
}
