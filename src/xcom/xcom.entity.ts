import { OptionalProps, PrimaryKeyProp } from '@mikro-orm/core';
import { Check, Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { JsonTextType } from '../common/json/json-text.type';

/** The columns `em.upsert` resolves a conflict on: the primary key `xcom_pkey`. */
export const XCOM_KEY_FIELDS = ['dagId', 'taskId', 'runId', 'key', 'mapIndex'] as const;

/** Airflow's `XCOM_KEY_MAX_LENGTH` (the `key` column is `varchar(512)`). */
export const XCOM_KEY_MAX_LENGTH = 512;

/**
 * One XCom value: what task instance (`dag_id`, `task_id`, `run_id`, `map_index`) pushed under
 * which `key`. Airflow keys its table by the integer id of the dag run; this service keys dag runs
 * by (`dag_id`, `run_id`), so those two columns take its place. `key` comes before `map_index` in
 * the key so that the values of one mapped task under one key are one index range, already in
 * `map_index` order (what `…/slice` and `…/item/{offset}` read). The foreign key to
 * `task_instance` cascades: XComs go with their task instance, as in Airflow (the migration).
 */
@Entity({ tableName: 'xcom' })
// Serves the cascade from task_instance and PATCH …/run's keys to clear (the primary key has "key"
// before map_index). The foreign key itself is in the migration (keys are scalar columns here).
@Index({ name: 'xcom_ti_idx', properties: ['dagId', 'taskId', 'runId', 'mapIndex'] })
@Check({ name: 'xcom_key_check', expression: 'length((key)::text) >= 1' })
@Check({ name: 'xcom_map_index_check', expression: 'map_index >= -1' })
export class XCom {
  [PrimaryKeyProp]?: ['dagId', 'taskId', 'runId', 'key', 'mapIndex'];
  [OptionalProps]?: 'timestamp';

  @PrimaryKey({ type: 'string', length: 250 })
  dagId!: string;

  @PrimaryKey({ type: 'string', length: 250 })
  taskId!: string;

  @PrimaryKey({ type: 'string', length: 250 })
  runId!: string;

  @PrimaryKey({ type: 'string', length: XCOM_KEY_MAX_LENGTH })
  key!: string;

  @PrimaryKey({ type: 'integer', default: -1 })
  mapIndex!: number;

  /**
   * Any JSON value as JSON text (`stringifyExactJson` on write, `parseExactJson` on read): numbers
   * as written. JSON `null` is the jsonb value `null`, not SQL NULL.
   */
  @Property({ type: JsonTextType, columnType: 'jsonb' })
  value!: string;

  /** Set explicitly on every write: `em.upsert` skips `onUpdate` hooks. */
  @Property({ type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' })
  timestamp!: Date;
}
