import { PrimaryKeyProp } from '@mikro-orm/core';
import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { JsonTextType } from '../common/json/json-text.type';

export const TASK_MAP_KEY_FIELDS = ['dagId', 'taskId', 'runId', 'mapIndex'] as const;

/**
 * How many mapped task instances a task's return value expands into downstream (Airflow's
 * `task_map`), written by `POST …/xcoms/…?mapped_length=N` in the same unit of work as the XCom.
 * `keys` is Airflow's list of dict keys for a mapped dict; the execution API always writes null.
 */
@Entity({ tableName: 'task_map' })
@Check({ name: 'task_map_length_not_negative', expression: 'length >= 0' })
export class TaskMap {
  [PrimaryKeyProp]?: ['dagId', 'taskId', 'runId', 'mapIndex'];

  @PrimaryKey({ type: 'string', length: 250 })
  dagId!: string;

  @PrimaryKey({ type: 'string', length: 250 })
  taskId!: string;

  @PrimaryKey({ type: 'string', length: 250 })
  runId!: string;

  @PrimaryKey({ type: 'integer' })
  mapIndex!: number;

  @Property({ type: 'integer' })
  length!: number;

  /** JSON text; always null from the execution API. */
  @Property({ type: JsonTextType, columnType: 'jsonb', nullable: true })
  keys?: string | null;
}
