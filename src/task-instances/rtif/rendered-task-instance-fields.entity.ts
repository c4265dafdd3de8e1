import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { JsonTextType } from '../../common/json/json-text.type';

export const RTIF_KEY_FIELDS = ['dagId', 'taskId', 'runId', 'mapIndex'] as const;

/**
 * The rendered template fields of one task instance, one row per (`dag_id`, `task_id`, `run_id`,
 * `map_index`) as in Airflow 3.x: every try of a task instance writes the same row. The key keeps
 * `dag_id` first so that the table can be distributed by it on a distributed PostgreSQL.
 */
@Entity({ tableName: 'rendered_task_instance_fields' })
export class RenderedTaskInstanceFields {
  [PrimaryKeyProp]?: ['dagId', 'taskId', 'runId', 'mapIndex'];

  @PrimaryKey({ type: 'string', length: 250 })
  dagId!: string;

  @PrimaryKey({ type: 'string', length: 250 })
  taskId!: string;

  @PrimaryKey({ type: 'string', length: 250 })
  runId!: string;

  @PrimaryKey({ type: 'integer', default: -1 })
  mapIndex!: number;

  /** The document as JSON text, numbers exactly as sent (see `JsonTextType`, `parseExactJson`). */
  @Property({ type: JsonTextType, columnType: 'jsonb' })
  renderedFields!: string;

  /** JSON text; always null here (no Kubernetes executor pod to render). */
  @Property({ type: JsonTextType, columnType: 'jsonb', nullable: true })
  k8sPodYaml?: string | null;

  /** Set explicitly on every write: `em.upsert` skips `onUpdate` hooks. */
  @Property({ type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date;
}
