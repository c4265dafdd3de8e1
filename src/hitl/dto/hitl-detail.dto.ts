import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsObject, IsString, IsUUID, Length, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import type { JsonObject } from '../../common/json/json-value';

/** At most this many options, chosen options, defaults and assigned users: a form, not a data set. */
export const HITL_MAX_LIST = 1000;
const OPTION = { type: 'string', maxLength: 1000 };
const EXAMPLE_TI = '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a';

/** Airflow's `HITLUser`: someone who may answer, or who answered. */
@ApiSchema({ name: 'HITLUser' })
export class HITLUser {
  @ApiProperty({ example: 'jane', maxLength: 250 })
  @IsString()
  @Length(1, 250)
  id: string;

  @ApiProperty({ example: 'Jane Doe', maxLength: 250 })
  @IsString()
  @Length(1, 250)
  name: string;
}

/** The free-form JSON object of a field, taken as parsed (exact numbers kept, see exact-json.ts). */
const rawField = (name: string) => Transform(({ obj }) => (obj as Record<string, unknown>)[name], { toClassOnly: true });

/** `POST hitlDetails/{ti_id}` body, and its 201 echo (Airflow's `HITLDetailRequest`). */
@ApiSchema({ name: 'HITLDetailRequest' })
export class HITLDetailRequest {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_TI, description: 'The task instance; the path names it, this copy is not used.' })
  @IsUUID('all')
  ti_id: string;

  @ApiProperty({ type: 'array', minItems: 1, maxItems: HITL_MAX_LIST, example: ['Approve', 'Reject'], items: OPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(HITL_MAX_LIST)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  options: string[];

  @ApiProperty({ example: 'Publish the quarterly report?', maxLength: 10000 })
  @IsString()
  @MaxLength(10000)
  subject: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100000, example: 'Revenue is up 4 %.' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(100000)
  body?: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true, example: ['Approve'], description: 'The options chosen when nobody answers in time.' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsArray()
  @ArrayMaxSize(HITL_MAX_LIST)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  defaults?: string[] | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true, default: false, description: 'Whether several options may be chosen.' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsBoolean()
  multiple?: boolean | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { comment: { value: '', description: null, schema: { type: 'string' } } },
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsObject()
  @rawField('params')
  params?: JsonObject | null;

  @ApiPropertyOptional({ type: [HITLUser], nullable: true, description: 'Who may answer (empty: anyone).' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsArray()
  @ArrayMaxSize(HITL_MAX_LIST)
  @ValidateNested({ each: true })
  @Type(() => HITLUser)
  assigned_users?: HITLUser[] | null;
}

/** The 201 answer of `POST hitlDetails/{ti_id}`: the stored question (Airflow echoes `HITLDetailRequest`). */
@ApiSchema({ name: 'HITLDetailRequestEcho' })
export class HITLDetailEcho {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_TI })
  ti_id: string;

  @ApiProperty({ type: [String], example: ['Approve', 'Reject'] })
  options: string[];

  @ApiProperty({ example: 'Publish the quarterly report?' })
  subject: string;

  @ApiProperty({ type: String, nullable: true, example: 'Revenue is up 4 %.' })
  body: string | null;

  @ApiProperty({ type: [String], nullable: true, example: ['Approve'] })
  defaults: string[] | null;

  @ApiProperty({ example: false })
  multiple: boolean;

  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  params: JsonObject;

  @ApiProperty({ type: [HITLUser] })
  assigned_users: HITLUser[];
}

/** `PATCH hitlDetails/{ti_id}` body (Airflow's `UpdateHITLDetailPayload`): the task records an answer itself. */
@ApiSchema({ name: 'UpdateHITLDetailPayload' })
export class UpdateHITLDetailPayload {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_TI, description: 'The task instance; the path names it, this copy is not used.' })
  @IsUUID('all')
  ti_id: string;

  @ApiProperty({ type: 'array', minItems: 1, maxItems: HITL_MAX_LIST, example: ['Approve'], items: OPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(HITL_MAX_LIST)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  chosen_options: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, example: { comment: 'looks good' } })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsObject()
  @rawField('params_input')
  params_input?: JsonObject | null;
}

/** The human's answer through the control plane: who answered is the admin token's subject. */
@ApiSchema({ name: 'HITLAnswer' })
export class HITLAnswer {
  @ApiProperty({ type: 'array', minItems: 1, maxItems: HITL_MAX_LIST, example: ['Approve'], items: OPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(HITL_MAX_LIST)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  chosen_options: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, example: { comment: 'looks good' } })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsObject()
  @rawField('params_input')
  params_input?: JsonObject | null;
}

/** Airflow's `HITLDetailResponse` (newest names; older API versions: `hitl.versions.ts`). */
@ApiSchema({ name: 'HITLDetailResponse' })
export class HITLDetailResponse {
  @ApiProperty({ example: true })
  response_received: boolean;

  @ApiProperty({ type: HITLUser, nullable: true, description: 'Who answered; null when the task recorded the answer itself (defaults after a timeout).' })
  responded_by_user: HITLUser | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-12-06T15:00:00.000Z' })
  responded_at: string | null;

  @ApiProperty({ type: [String], nullable: true, example: ['Approve'] })
  chosen_options: string[] | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { comment: 'looks good' } })
  params_input: JsonObject;
}

/** The whole detail, question and answer, as the control plane shows it. */
@ApiSchema({ name: 'HITLDetail' })
export class HITLDetailDto extends HITLDetailEcho {
  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-06T14:00:00.000Z' })
  created_at: string;

  @ApiProperty({ example: true })
  response_received: boolean;

  @ApiProperty({ type: HITLUser, nullable: true })
  responded_by_user: HITLUser | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-12-06T15:00:00.000Z' })
  responded_at: string | null;

  @ApiProperty({ type: [String], nullable: true, example: ['Approve'] })
  chosen_options: string[] | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { comment: 'looks good' } })
  params_input: JsonObject;

  @ApiProperty({ type: String, nullable: true, example: 'scheduled', description: 'The task instance state after the answer (null when it is gone).' })
  task_instance_state: string | null;
}
