import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { JsonObject } from '../common/json/json-value';
import { Asset } from './asset.entity';

/** Name of the unique key that makes an emission idempotent: (source try, asset, emission). */
export const ASSET_EVENT_EMISSION_CONSTRAINT = 'asset_event_emission_key';
/** Airflow's `ID_LEN`: the longest `partition_key` an event may carry. */
export const PARTITION_KEY_MAX_LENGTH = 250;

/**
 * An asset event (Airflow's `AssetEvent`): an asset changed, emitted by a successful task's
 * outlets or seeded by an operator. Written and read with SQL of the assets module
 * (`asset-events.service.ts`); the entity declares the table for the ORM and the drift test.
 * Relations here are `mapToPk`: the ids are what the service reads and writes, never a loaded entity.
 */
@Entity({ tableName: 'asset_event' })
@Unique({ name: ASSET_EVENT_EMISSION_CONSTRAINT, properties: ['sourceTaskInstanceId', 'assetId', 'emission'] })
@Index({ name: 'asset_event_asset_id_timestamp_idx', properties: ['assetId', 'timestamp'] })
export class AssetEvent {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Asset, { fieldName: 'asset_id', mapToPk: true, deleteRule: 'cascade', foreignKeyName: 'asset_event_asset_fkey' })
  assetId!: number;

  @Property({ type: 'json', default: '{}' })
  extra: JsonObject = {};

  @Property({ type: 'string', length: PARTITION_KEY_MAX_LENGTH, nullable: true })
  partitionKey?: string | null;

  /** The try that emitted it (null when seeded); with the asset and `emission`, what makes a repeat the same event. */
  @Property({ type: 'uuid', nullable: true })
  sourceTaskInstanceId?: string | null;

  @Property({ type: 'string', length: 250, nullable: true })
  sourceDagId?: string | null;

  @Property({ type: 'string', length: 250, nullable: true })
  sourceTaskId?: string | null;

  @Property({ type: 'string', length: 250, nullable: true })
  sourceRunId?: string | null;

  @Property({ type: 'integer', default: -1 })
  sourceMapIndex: number = -1;

  /**
   * Which of the try's emissions for this asset the row is: `asset`, `name_ref`, `uri_ref` (the
   * outlet that named it) or `alias:<digest>` (through aliases, one per distinct extra and
   * partition key), as Airflow's `register_asset_changes_in_db` emits them. Empty when seeded.
   */
  @Property({ type: 'string', length: 100, default: '' })
  emission: string = '';

  @Property({ type: 'Date', columnType: 'timestamptz' })
  timestamp!: Date;
}

/** An asset alias (Airflow's `AssetAliasModel`): a name a task emits events through, resolved to assets at run time. */
@Entity({ tableName: 'asset_alias' })
@Unique({ name: 'asset_alias_name_key', properties: ['name'] })
export class AssetAlias {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 1500 })
  name!: string;

  @Property({ type: 'string', length: 1500, fieldName: 'group', default: '' })
  group: string = '';
}

/** The assets an alias has resolved to (Airflow's `asset_alias_asset`). */
@Entity({ tableName: 'asset_alias_asset' })
export class AssetAliasAsset {
  [PrimaryKeyProp]?: ['aliasId', 'assetId'];

  @ManyToOne(() => AssetAlias, {
    primary: true,
    fieldName: 'alias_id',
    mapToPk: true,
    deleteRule: 'cascade',
    // A primary-key relation defaults to `on update cascade`; the migration keeps PostgreSQL's default.
    updateRule: 'no action',
    foreignKeyName: 'asset_alias_asset_alias_fkey',
  })
  aliasId!: number;

  @ManyToOne(() => Asset, {
    primary: true,
    fieldName: 'asset_id',
    mapToPk: true,
    deleteRule: 'cascade',
    // A primary-key relation defaults to `on update cascade`; the migration keeps PostgreSQL's default.
    updateRule: 'no action',
    foreignKeyName: 'asset_alias_asset_asset_fkey',
  })
  assetId!: number;
}

/** The aliases an event was emitted through (Airflow's `asset_alias_asset_event`). */
@Entity({ tableName: 'asset_alias_asset_event' })
export class AssetAliasAssetEvent {
  [PrimaryKeyProp]?: ['aliasId', 'eventId'];

  @ManyToOne(() => AssetAlias, {
    primary: true,
    fieldName: 'alias_id',
    mapToPk: true,
    deleteRule: 'cascade',
    // A primary-key relation defaults to `on update cascade`; the migration keeps PostgreSQL's default.
    updateRule: 'no action',
    foreignKeyName: 'asset_alias_asset_event_alias_fkey',
  })
  aliasId!: number;

  @ManyToOne(() => AssetEvent, {
    primary: true,
    fieldName: 'event_id',
    mapToPk: true,
    deleteRule: 'cascade',
    // A primary-key relation defaults to `on update cascade`; the migration keeps PostgreSQL's default.
    updateRule: 'no action',
    foreignKeyName: 'asset_alias_asset_event_event_fkey',
  })
  eventId!: number;
}
