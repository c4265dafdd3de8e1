import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsByteLength,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { JsonObject } from '../../../common/json/json-value';
import { ASSET_KEY_MAX_BYTES } from '../../task-instance.entity';
import { DAG_RUN_TYPES, TASK_INSTANCE_STATES, type DagRunType, type TaskInstanceState } from '../../task-instance-state';

/** Printable, no control characters; what Airflow ids look like in practice. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ID = /^[^\u0000-\u001f\u007f]+$/;

/** An asset a task declares (Airflow's unique key of an asset: name and uri). */
export class AssetRefDto {
  @ApiProperty({ example: 'orders', maxLength: ASSET_KEY_MAX_BYTES, description: `At most ${ASSET_KEY_MAX_BYTES} UTF-8 bytes.` })
  @IsString()
  @IsByteLength(1, ASSET_KEY_MAX_BYTES)
  @Matches(ID, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ example: 's3://warehouse/orders', maxLength: ASSET_KEY_MAX_BYTES, description: `At most ${ASSET_KEY_MAX_BYTES} UTF-8 bytes.` })
  @IsString()
  @IsByteLength(1, ASSET_KEY_MAX_BYTES)
  @Matches(ID, { message: 'uri must not contain control characters' })
  uri: string;
}

/** At most this many inlets, and as many outlets, per task. */
const MAX_DECLARED_ASSETS = 1000;

/**
 * Defaults are stated in descriptions, not as OpenAPI `default`: openapi-typescript (with its
 * default settings) makes every property with a `default` required, so generated clients could not
 * omit them (test/e2e/generated-client.e2e-spec.ts).
 */
export class CreateTaskInstanceDto {
  @ApiProperty({ example: 'example_dag', maxLength: 250 })
  @IsString()
  @Length(1, 250)
  @Matches(ID, { message: 'dag_id must not contain control characters' })
  dag_id: string;

  @ApiPropertyOptional({
    example: 'manual__2026-11-25T00:00:00+00:00',
    maxLength: 250,
    description:
      'The dag run. Defaults to `<run_type>__<run_after>` (as Airflow names a triggered run), so a request without it creates a new dag run each time.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 250)
  @Matches(ID, { message: 'run_id must not contain control characters' })
  run_id?: string;

  @ApiProperty({ example: 'extract', maxLength: 250 })
  @IsString()
  @Length(1, 250)
  @Matches(ID, { message: 'task_id must not contain control characters' })
  task_id: string;

  @ApiPropertyOptional({ minimum: -1, example: -1, description: '-1 for an unmapped task. Defaults to -1.' })
  @IsOptional()
  @IsInt()
  @Min(-1)
  @Max(2_147_483_647)
  map_index?: number;

  @ApiPropertyOptional({
    enum: TASK_INSTANCE_STATES,
    example: 'queued',
    description: 'Defaults to queued, the state `PATCH /execution/task-instances/{id}/run` starts from.',
  })
  @IsOptional()
  @IsIn(TASK_INSTANCE_STATES)
  state?: TaskInstanceState;

  @ApiPropertyOptional({ minimum: 0, example: 0, description: 'Defaults to 0.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  max_tries?: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-25T00:00:00Z',
    description: 'When the dag run may start; defaults to now. Used only when the dag run is created.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  run_after?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: null, description: 'Used only when the dag run is created.' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsISO8601({ strict: true })
  logical_date?: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: null, description: 'Used only when the dag run is created.' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsISO8601({ strict: true })
  data_interval_start?: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: null, description: 'Used only when the dag run is created.' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsISO8601({ strict: true })
  data_interval_end?: string | null;

  @ApiPropertyOptional({ enum: DAG_RUN_TYPES, example: 'manual', description: 'Defaults to manual. Used only when the dag run is created.' })
  @IsOptional()
  @IsIn(DAG_RUN_TYPES)
  run_type?: DagRunType;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: {},
    description: 'The dag run conf (defaults to {}); used only when the dag run is created.',
  })
  @IsOptional()
  @IsObject()
  // The document as parsed, untouched: class-transformer would copy an exact number (JSON.rawJSON,
  // src/common/json/exact-json.ts) into a plain {"rawJSON": …} object.
  @Transform(({ obj }) => (obj as { conf?: unknown }).conf, { toClassOnly: true })
  conf?: JsonObject;

  @ApiPropertyOptional({
    example: 'PythonOperator',
    maxLength: 1000,
    description: "The operator's class name, as the scheduler knows it from the serialized dag; `GET /execution/task-instances/breadcrumbs` reports it.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  @Matches(ID, { message: 'operator must not contain control characters' })
  operator?: string;

  @ApiPropertyOptional({
    type: [AssetRefDto],
    description:
      'The assets the task declares as inlets (as the scheduler knows them from the serialized dag); `GET /execution/task-instances/{id}/validate-inlets-and-outlets` reports those that are not active.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_DECLARED_ASSETS)
  @ValidateNested({ each: true })
  @Type(() => AssetRefDto)
  inlets?: AssetRefDto[];

  @ApiPropertyOptional({ type: [AssetRefDto], description: 'The assets the task declares as outlets; see `inlets`.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_DECLARED_ASSETS)
  @ValidateNested({ each: true })
  @Type(() => AssetRefDto)
  outlets?: AssetRefDto[];
}
