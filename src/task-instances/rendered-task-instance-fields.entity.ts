import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export const RTIF_KEY_FIELDS = ['dagId', 'taskId', 'runId', 'mapIndex'] as const;

/** A JSON value as stored in a jsonb column. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Hands a JSON document to MikroORM as one opaque value. `em.upsert` walks plain-object data as if
 * it were query parameters, reading `constructor.name`, `__entity`, `__reference` and calling
 * methods on what it finds, so client keys such as `"constructor"` or `"__entity"` would crash the
 * write (500) or be misread. The driver serialises values with `JSON.stringify`, which uses
 * `toJSON`, so the stored document is `value` exactly.
 */
class OpaqueJson {
  constructor(private readonly value: JsonValue) {}
  toJSON(): JsonValue {
    return this.value;
  }
}

/** Wraps a document for a `json` property of `em.upsert` data (see `OpaqueJson`). */
export function opaqueJson<T extends JsonValue>(value: T): T {
  return new OpaqueJson(value) as unknown as T;
}

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

  @PrimaryKey({ type: 'integer' })
  mapIndex!: number;

  @Property({ type: 'json' })
  renderedFields!: JsonObject;

  @Property({ type: 'json', nullable: true })
  k8sPodYaml?: JsonObject | null;

  /** Set explicitly on every write: `em.upsert` skips `onUpdate` hooks. */
  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt!: Date;
}
