import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { JsonObject } from '../common/json/json-value';

/** Name of the unique key (`name`, `uri`): an asset is known by both, as in Airflow. */
export const ASSET_KEY_CONSTRAINT = 'asset_name_uri_key';

/**
 * An asset a scheduler registered (Airflow's `AssetModel` with its `AssetActive` row folded into
 * `active`). Minimal on purpose: what `validate-inlets-and-outlets` needs; asset events come later.
 */
@Entity({ tableName: 'asset' })
@Unique({ name: ASSET_KEY_CONSTRAINT, properties: ['name', 'uri'] })
export class Asset {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 1500 })
  name!: string;

  @Property({ type: 'string', length: 1500 })
  uri!: string;

  @Property({ type: 'string', length: 1500, fieldName: 'group', default: '' })
  group: string = '';

  @Property({ type: 'json', default: '{}' })
  extra: JsonObject = {};

  /** Whether the asset is in a dag the scheduler currently knows; an inactive one fails a task's validation. */
  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt!: Date;
}
