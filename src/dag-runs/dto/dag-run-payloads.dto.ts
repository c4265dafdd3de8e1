import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsObject, IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';
import type { JsonObject } from '../../common/json/json-value';
import { IsAwareDateTime } from '../../common/http/aware-date-time';
import { NO_NUL, PRINTABLE } from '../../common/http/query-values';

/**
 * `POST /execution/dag-runs/{dag_id}/{run_id}` body (Airflow's `TriggerDAGRunPayload`, a strict
 * model: unknown fields are refused). The Task SDK sends it with `exclude_defaults`, so every
 * field may be absent.
 */
@ApiSchema({ name: 'TriggerDAGRunPayload' })
export class TriggerDAGRunPayload {
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-12-06T14:00:00Z',
    description: 'Null or absent: a run without a logical date.',
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsAwareDateTime()
  logical_date?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-12-06T14:00:00Z',
    description: 'When the run may start; defaults to now.',
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsAwareDateTime()
  run_after?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { target: 'prod' },
    description: 'The run conf; numbers are stored as written. Defaults to {}.',
  })
  @IsOptional()
  @IsObject()
  // The document as parsed, untouched: class-transformer would copy an exact number (JSON.rawJSON)
  // into a plain {"rawJSON": …} object.
  @Transform(({ obj }) => (obj as { conf?: unknown }).conf, { toClassOnly: true })
  conf?: JsonObject;

  @ApiPropertyOptional({
    example: false,
    description: 'Read by the Task SDK, not the server: on a 409 `already_exists` the SDK clears the existing run when it is true.',
  })
  @IsOptional()
  @IsBoolean()
  reset_dag_run?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 250, example: null })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @Length(1, 250)
  @Matches(PRINTABLE, { message: 'partition_key must not contain control characters' })
  partition_key?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 10000, example: 'triggered by the load task' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @Length(0, 10000)
  @Matches(NO_NUL, { message: 'note must not contain U+0000' })
  note?: string | null;
}

/** `POST /execution/dag-runs/{dag_id}/{run_id}/clear` body (API 2026-11-13; older SDKs send none). */
@ApiSchema({ name: 'ClearDagRunPayload' })
export class ClearDagRunPayload {
  @ApiPropertyOptional({ example: false, description: 'Only the failed and upstream-failed task instances are cleared. Defaults to false.' })
  @IsOptional()
  @IsBoolean()
  only_failed?: boolean;
}
