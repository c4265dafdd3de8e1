import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsByteLength, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import type { JsonObject } from '../../common/json/json-value';
import { IsAwareDateTime } from '../../common/http/aware-date-time';
import { ASSET_KEY_MAX_BYTES } from '../../task-instances/task-instance.entity';
import { PARTITION_KEY_MAX_LENGTH } from '../asset-event.entity';
import { MAX_REGEX_PATTERN_LENGTH } from '../assets.problems';
import { NO_CONTROL } from './asset.dto';
import { toList } from '../../common/http/query-values';

/** Pydantic's spellings of a boolean query value. */
const TRUE = ['true', '1', 'yes', 'on', 't', 'y'];
const FALSE = ['false', '0', 'no', 'off', 'f', 'n'];
const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.toLowerCase();
  return TRUE.includes(v) ? true : FALSE.includes(v) ? false : value;
};
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value);
/** Airflow treats an empty `name` or `uri` as not given (`if name and uri`). */
const emptyAsAbsent = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);
/** `k=v`, the key non-empty; the value may be empty or contain `=`; no U+0000 (PostgreSQL text cannot hold it). */
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point
const EXTRA_FILTER = /^[^=\u0000]+=[^\u0000]*$/;

/** Airflow's `AssetResponse` (execution API): an asset as a task sees it. */
@ApiSchema({ name: 'AssetResponse' })
export class AssetResponse {
  @ApiProperty({ example: 'orders' }) name: string;
  @ApiProperty({ example: 's3://warehouse/orders' }) uri: string;
  @ApiProperty({ example: 'asset' }) group: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: {} }) extra: JsonObject | null;
}

/** Airflow's `AssetEventResponse`. */
@ApiSchema({ name: 'AssetEventResponse' })
export class AssetEventDto {
  @ApiProperty({ example: 1 }) id: number;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-06T10:05:00.000Z' }) timestamp: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { rows: 42 } }) extra: JsonObject | null;
  @ApiProperty({ type: AssetResponse }) asset: AssetResponse;
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    example: [],
    description: 'Dag runs the event triggered: always empty here (this service runs no scheduler).',
  })
  created_dagruns: JsonObject[];
  @ApiProperty({ type: String, nullable: true, example: 'load' }) source_task_id: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'etl' }) source_dag_id: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'manual__2026-12-06T10:00:00+00:00' }) source_run_id: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: -1 }) source_map_index: number | null;
  @ApiProperty({ type: String, nullable: true, example: null }) partition_key: string | null;
}

/** Airflow's `AssetEventsResponse`. */
@ApiSchema({ name: 'AssetEventsResponse' })
export class AssetEventsResponse {
  @ApiProperty({ type: [AssetEventDto] }) asset_events: AssetEventDto[];
}

/** The filters `by-asset` and `by-asset-alias` share. */
class AssetEventFilterQuery {
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Events at or after this instant (time zone required).' })
  @IsOptional()
  @IsAwareDateTime()
  after?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Events at or before this instant (time zone required).' })
  @IsOptional()
  @IsAwareDateTime()
  before?: string;

  @ApiPropertyOptional({ type: Boolean, default: true, description: 'Oldest first (default); false: newest first.' })
  @IsOptional()
  @Transform(toBoolean)
  @IsIn([true, false], { message: 'ascending must be a boolean' })
  ascending?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'At most this many events (the first ones in the chosen order). Unset: all.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  limit?: number;

  @ApiPropertyOptional({ maxLength: PARTITION_KEY_MAX_LENGTH, description: 'Only events with exactly this partition key.' })
  @IsOptional()
  @IsString()
  @MaxLength(PARTITION_KEY_MAX_LENGTH)
  @Matches(NO_CONTROL, { message: 'partition_key must not contain control characters' })
  partition_key?: string;

  @ApiPropertyOptional({
    maxLength: MAX_REGEX_PATTERN_LENGTH,
    description:
      "Only events whose partition key matches this regular expression (PostgreSQL's `~`, unanchored). 400 when given with partition_key, or when not a valid pattern.",
  })
  @IsOptional()
  @IsString()
  // eslint-disable-next-line no-control-regex -- matching U+0000 is the point
  @Matches(/^[^\u0000]*$/, { message: 'partition_key_pattern must not contain U+0000' })
  partition_key_pattern?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['source=api'],
    description:
      'Only events whose `extra` has this top-level key with this (text) value, as `key=value`; repeat to AND several. An unknown key matches nothing.',
  })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  @Matches(EXTRA_FILTER, { each: true, message: 'extra must be key=value' })
  extra?: string[];
}

/** `GET /execution/asset-events/by-asset` query. */
export class AssetEventsByAssetQuery extends AssetEventFilterQuery {
  @ApiPropertyOptional({ example: 'orders', description: 'The asset name. With uri: that asset; alone: active assets of that name.' })
  @IsOptional()
  @Transform(emptyAsAbsent)
  @IsString()
  @IsByteLength(0, ASSET_KEY_MAX_BYTES)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name?: string;

  @ApiPropertyOptional({ example: 's3://warehouse/orders', description: 'The asset uri. With name: that asset; alone: active assets with that uri.' })
  @IsOptional()
  @Transform(emptyAsAbsent)
  @IsString()
  @IsByteLength(0, ASSET_KEY_MAX_BYTES)
  @Matches(NO_CONTROL, { message: 'uri must not contain control characters' })
  uri?: string;
}

/** `GET /execution/asset-events/by-asset-alias` query. */
export class AssetEventsByAliasQuery extends AssetEventFilterQuery {
  @ApiProperty({ example: 'daily_exports', description: 'The alias name.' })
  @IsString()
  @MaxLength(1500)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name: string;
}

/** `GET /execution/assets/by-name` query. */
export class AssetByNameQuery {
  @ApiProperty({ example: 'orders' })
  @IsString()
  @MaxLength(1500)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name: string;
}

/** `GET /execution/assets/by-uri` query. */
export class AssetByUriQuery {
  @ApiProperty({ example: 's3://warehouse/orders' })
  @IsString()
  @MaxLength(1500)
  @Matches(NO_CONTROL, { message: 'uri must not contain control characters' })
  uri: string;
}

/** `GET /execution/assets/by-alias` query. */
export class AssetByAliasQuery {
  @ApiProperty({ example: 'daily_exports' })
  @IsString()
  @MaxLength(1500)
  @Matches(NO_CONTROL, { message: 'alias_name must not contain control characters' })
  alias_name: string;
}

/** `POST /api/v1/asset-events` body: seed an event for a registered asset. */
@ApiSchema({ name: 'CreateAssetEventBody' })
export class CreateAssetEventDto {
  @ApiProperty({ example: 'orders' })
  @IsString()
  @IsByteLength(1, ASSET_KEY_MAX_BYTES)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ example: 's3://warehouse/orders' })
  @IsString()
  @IsByteLength(1, ASSET_KEY_MAX_BYTES)
  @Matches(NO_CONTROL, { message: 'uri must not contain control characters' })
  uri: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { source: 'api' }, description: 'Defaults to {}.' })
  @IsOptional()
  @IsObject()
  // The document as parsed: class-transformer would copy an exact number (JSON.rawJSON) into a plain object.
  @Transform(({ obj }) => (obj as { extra?: unknown }).extra, { toClassOnly: true })
  extra?: JsonObject;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: PARTITION_KEY_MAX_LENGTH, example: null })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(PARTITION_KEY_MAX_LENGTH)
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  @Matches(/^(?=.*\S)[^\u0000-\u001f\u007f]*$/, { message: 'partition_key must be non-blank, without control characters' })
  partition_key?: string | null;

  @ApiPropertyOptional({
    type: [String],
    example: [],
    description: 'Aliases the event counts as emitted through (created when missing, linked to the asset): `by-asset-alias` and `assets/by-alias` find it.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @IsByteLength(1, ASSET_KEY_MAX_BYTES, { each: true })
  @Matches(NO_CONTROL, { each: true, message: 'source_alias_names must not contain control characters' })
  source_alias_names?: string[];
}
