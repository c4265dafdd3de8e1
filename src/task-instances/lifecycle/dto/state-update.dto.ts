import { ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';
import { IsIn, IsNumber, IsObject, IsOptional, IsString, Length, MaxLength, Min, ValidateIf } from 'class-validator';
import { Transform } from 'class-transformer';
import type { JsonObject } from '../../../common/json/json-value';
import { IsAwareDateTime } from '../../../common/http/aware-date-time';
import { IsArrayOfObjects, IsIsoDuration, IsObjectOrString } from './lifecycle.validators';
import { JsonBody } from '../../../common/problem/validation';
import { LIFECYCLE_BODY_MAX_DEPTH } from '../lifecycle.limits';

export const TERMINAL_NON_SUCCESS_STATES = ['failed', 'skipped', 'removed', 'upstream_failed'] as const;
export type TerminalNonSuccessState = (typeof TERMINAL_NON_SUCCESS_STATES)[number];

const RENDERED_MAP_INDEX = {
  type: String,
  nullable: true,
  maxLength: 250,
  example: 'file=a.csv',
  description: 'Label of this map index, shown instead of the number.',
} as const;

/** `state: "success"` (Airflow's `TISuccessStatePayload`). */
@ApiSchema({ name: 'TISuccessStatePayload' })
export class TISuccessStatePayload {
  @ApiProperty({ enum: ['success'], default: 'success' })
  @IsIn(['success'])
  state: 'success';

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:05:00Z', description: 'When the task completed executing.' })
  @IsAwareDateTime()
  end_date: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object' },
    description: 'Defaults to []. The AssetProfiles ({name, uri, type}) the task declares as outlets; each active one gets an asset event.',
  })
  @IsOptional()
  @IsArrayOfObjects()
  task_outlets?: JsonObject[];

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object' },
    description:
      'Defaults to []. Per asset: {dest_asset_key: {name, uri}, extra, partition_key?, source_alias_name?}; a partition_key blank or longer than 250 is 422 invalid_partition_key.',
  })
  @IsOptional()
  @IsArrayOfObjects()
  outlet_events?: JsonObject[];

  @ApiPropertyOptional(RENDERED_MAP_INDEX)
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(250)
  rendered_map_index?: string | null;
}

/** `state: "failed" | "skipped" | "removed" | "upstream_failed"` (Airflow's `TITerminalStatePayload`). */
@ApiSchema({ name: 'TITerminalStatePayload' })
export class TITerminalStatePayload {
  @ApiProperty({ enum: TERMINAL_NON_SUCCESS_STATES, enumName: 'TerminalStateNonSuccess' })
  @IsIn(TERMINAL_NON_SUCCESS_STATES)
  state: TerminalNonSuccessState;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:05:00Z', description: 'When the task completed executing.' })
  @IsAwareDateTime()
  end_date: string;

  @ApiPropertyOptional(RENDERED_MAP_INDEX)
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(250)
  rendered_map_index?: string | null;
}

/** Airflow stores the first 500 characters of a retry reason (`retry_reason[:500]`). */
export const RETRY_REASON_MAX_LENGTH = 500;

/** `state: "up_for_retry"` (Airflow's `TIRetryStatePayload`): archives the try. */
@ApiSchema({ name: 'TIRetryStatePayload' })
export class TIRetryStatePayload {
  @ApiProperty({ enum: ['up_for_retry'], default: 'up_for_retry' })
  @IsIn(['up_for_retry'])
  state: 'up_for_retry';

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:05:00Z' })
  @IsAwareDateTime()
  end_date: string;

  @ApiPropertyOptional(RENDERED_MAP_INDEX)
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(250)
  rendered_map_index?: string | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    example: 300,
    description:
      'Seconds before the next try, chosen by the task (Task SDK 1.3+; older SDKs omit it, newer ones send null when unset). Stored as `retry_delay_override` for whatever schedules the next try; cleared when a try starts running.',
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  retry_delay_seconds?: number | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'rate limited by the upstream API',
    description: `Why the task asked for a retry (Task SDK 1.3+; null when unset). The first ${RETRY_REASON_MAX_LENGTH} characters are stored, as Airflow does; cleared when a try starts running.`,
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  retry_reason?: string | null;
}

/** `state: "up_for_reschedule"` (Airflow's `TIRescheduleStatePayload`). */
@ApiSchema({ name: 'TIRescheduleStatePayload' })
export class TIRescheduleStatePayload {
  @ApiProperty({ enum: ['up_for_reschedule'], default: 'up_for_reschedule' })
  @IsIn(['up_for_reschedule'])
  state: 'up_for_reschedule';

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:10:00Z', description: 'When the task should be tried again.' })
  @IsAwareDateTime()
  reschedule_date: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:05:00Z' })
  @IsAwareDateTime()
  end_date: string;
}

/** `state: "deferred"` (Airflow's `TIDeferredStatePayload`): the task waits on a trigger. */
@ApiSchema({ name: 'TIDeferredStatePayload' })
export class TIDeferredStatePayload {
  @ApiProperty({ enum: ['deferred'], default: 'deferred' })
  @IsIn(['deferred'])
  state: 'deferred';

  @ApiProperty({ example: 'airflow.providers.standard.triggers.temporal.DateTimeTrigger', maxLength: 1000 })
  @IsString()
  @Length(1, 1000)
  classpath: string;

  @ApiPropertyOptional({
    oneOf: [{ type: 'object', additionalProperties: true }, { type: 'string' }],
    example: { moment: '2026-11-25T11:00:00Z' },
    description: 'Trigger constructor arguments: an object, or a string the worker encrypted (defaults to {}). Stored as sent.',
  })
  @IsOptional()
  @IsObjectOrString()
  // The document as parsed: class-transformer would copy an exact number (`1.0`, see exact-json.ts)
  // into a plain {"rawJSON": …} object and store that.
  @Transform(({ obj }) => (obj as { trigger_kwargs?: unknown }).trigger_kwargs, { toClassOnly: true })
  trigger_kwargs?: JsonObject | string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'P1D',
    description: 'ISO-8601 duration; `trigger_timeout` = now + this. A year counts 365 days, a month 30 (as Airflow reads a timedelta).',
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsIsoDuration()
  trigger_timeout?: string | null;

  @ApiProperty({ example: 'execute_complete', maxLength: 1000, description: 'The method the worker calls when the trigger fires.' })
  @IsString()
  @Length(1, 1000)
  next_method: string;

  @ApiPropertyOptional({
    oneOf: [{ type: 'object', additionalProperties: true }, { type: 'string' }],
    description: 'Arguments of `next_method`: an object, or a string the worker encrypted (defaults to {}). Returned by /run on resume.',
  })
  @IsOptional()
  @IsObjectOrString()
  // The document as parsed: class-transformer would copy an exact number (`1.0`, see exact-json.ts)
  // into a plain {"rawJSON": …} object and store that.
  @Transform(({ obj }) => (obj as { next_kwargs?: unknown }).next_kwargs, { toClassOnly: true })
  next_kwargs?: JsonObject | string;

  @ApiPropertyOptional(RENDERED_MAP_INDEX)
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(250)
  rendered_map_index?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 256,
    example: 'default',
    description: 'Triggerer queue the trigger should run on (newer Task SDKs send null when unset). Stored on the trigger row.',
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @Length(1, 256)
  queue?: string | null;
}

/**
 * `state: "awaiting_input"` (Airflow's `TIAwaitingInputStatePayload`, Task SDK 1.3+): the task
 * parks until a human answers (human-in-the-loop). No trigger is created; `timeout` is the
 * deadline of the answer, kept where Airflow keeps it (`trigger_timeout`).
 */
@ApiSchema({ name: 'TIAwaitingInputStatePayload' })
export class TIAwaitingInputStatePayload {
  @ApiProperty({ enum: ['awaiting_input'], default: 'awaiting_input' })
  @IsIn(['awaiting_input'])
  state: 'awaiting_input';

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'PT3600S',
    description: 'ISO-8601 duration: how long the task waits for an answer; `trigger_timeout` = now + this. Null: no deadline.',
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsIsoDuration()
  timeout?: string | null;

  @ApiProperty({ example: 'execute_complete', maxLength: 1000, description: 'The method the worker calls when the task resumes.' })
  @IsString()
  @Length(1, 1000)
  next_method: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Arguments of `next_method` (null: none). Returned by /run on resume.',
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsObject()
  // As for a deferral: the document as parsed, exact numbers kept (see exact-json.ts).
  @Transform(({ obj }) => (obj as { next_kwargs?: unknown }).next_kwargs, { toClassOnly: true })
  next_kwargs?: JsonObject | null;

  @ApiPropertyOptional(RENDERED_MAP_INDEX)
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(250)
  rendered_map_index?: string | null;
}

/** The `PATCH /state` body: one payload per target state, chosen by `state` (Airflow's `TIStateUpdate`). */
export type TIStateUpdate =
  TISuccessStatePayload | TITerminalStatePayload | TIRetryStatePayload | TIRescheduleStatePayload | TIDeferredStatePayload | TIAwaitingInputStatePayload;

/** Target state → payload class; the discriminator of `TIStateUpdate`. */
export const STATE_PAYLOADS = {
  success: TISuccessStatePayload,
  failed: TITerminalStatePayload,
  skipped: TITerminalStatePayload,
  removed: TITerminalStatePayload,
  upstream_failed: TITerminalStatePayload,
  up_for_retry: TIRetryStatePayload,
  up_for_reschedule: TIRescheduleStatePayload,
  deferred: TIDeferredStatePayload,
  awaiting_input: TIAwaitingInputStatePayload,
} as const;
export type TargetState = keyof typeof STATE_PAYLOADS;

/**
 * The `PATCH /state` body as the route declares it: `state` selects the payload class, whose rules
 * the global pipe then runs (an unknown or missing state is "state must be one of: …"). `running`
 * and the states a worker never reports (`queued`, `scheduled`, …) are 422: Airflow accepts some of
 * them and then silently fails the task, which this service does not copy. The handler receives an
 * instance of the selected class, one of `TIStateUpdate`.
 */
@JsonBody({ json: 'object', maxDepth: LIFECYCLE_BODY_MAX_DEPTH, discriminator: { property: 'state', classes: STATE_PAYLOADS } })
export abstract class StateUpdateBody {
  declare readonly state: TargetState;
}

export const STATE_PAYLOAD_MODELS = [
  TISuccessStatePayload,
  TITerminalStatePayload,
  TIRetryStatePayload,
  TIRescheduleStatePayload,
  TIDeferredStatePayload,
  TIAwaitingInputStatePayload,
];

/** OpenAPI schema of `TIStateUpdate`: a `oneOf` with a discriminator on `state`. */
export function stateUpdateSchema() {
  return {
    oneOf: STATE_PAYLOAD_MODELS.map((m) => ({ $ref: getSchemaPath(m) })),
    discriminator: {
      propertyName: 'state',
      mapping: Object.fromEntries(Object.entries(STATE_PAYLOADS).map(([state, model]) => [state, getSchemaPath(model)])),
    },
  };
}
