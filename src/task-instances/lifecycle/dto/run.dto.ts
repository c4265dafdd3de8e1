import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { DagRunContext } from '../../../dag-runs/dag-run-context.dto';
import type { JsonObject } from '../../../common/json/json-value';
import { IsAwareDateTime } from '../../../common/http/aware-date-time';
import { JsonBody } from '../../../common/problem/validation';
import { LIFECYCLE_BODY_MAX_DEPTH } from '../lifecycle.limits';

/** `PATCH /run` body (Airflow's `TIEnterRunningPayload`). */
@ApiSchema({ name: 'TIEnterRunningPayload' })
@JsonBody({ json: 'object', maxDepth: LIFECYCLE_BODY_MAX_DEPTH })
export class TIEnterRunningPayload {
  @ApiProperty({ enum: ['running'], default: 'running' })
  @IsIn(['running'])
  state: 'running';

  @ApiProperty({ example: 'worker-1.example.com', maxLength: 1000, description: 'Host where this task has started.' })
  @IsString()
  @MaxLength(1000)
  hostname: string;

  @ApiProperty({ example: 'airflow', maxLength: 1000, description: 'Local user name of the process where this task has started.' })
  @IsString()
  @MaxLength(1000)
  unixname: string;

  @ApiProperty({ example: 4242, minimum: 0, maximum: 2_147_483_647, description: 'Process id on `hostname`.' })
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  pid: number;

  @ApiProperty({
    format: 'date-time',
    example: '2026-11-25T10:00:00Z',
    description: 'When the task started executing (time zone required). Kept unchanged when resuming a deferred task.',
  })
  @IsAwareDateTime()
  start_date: string;
}

/**
 * `PATCH /run` response (Airflow's `TIRunContext`), in the newest API version's shape; older
 * callers get it as their version had it (`run-context.versions.ts`).
 */
@ApiSchema({ name: 'TIRunContext' })
export class TIRunContext {
  @ApiProperty({ type: DagRunContext }) dag_run: DagRunContext;
  @ApiProperty({ example: 0, description: 'How many times the current try was rescheduled (up_for_reschedule).' }) task_reschedule_count: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'When the current try was first rescheduled (up_for_reschedule), or null (API 2026-06-30).',
  })
  first_task_reschedule_start_date: string | null;
  @ApiProperty({ example: 0 }) max_tries: number;
  @ApiProperty({ type: 'array', items: { type: 'object' }, example: [], description: 'Always empty: this service keeps no variables.' }) variables: never[];
  @ApiProperty({ type: 'array', items: { type: 'object' }, example: [], description: 'Always empty: this service keeps no connections.' }) connections: never[];
  @ApiPropertyOptional({ example: 'execute_complete', description: 'Only when resuming a deferred task: the method to call.' }) next_method?: string;
  @ApiPropertyOptional({
    oneOf: [{ type: 'object', additionalProperties: true }, { type: 'string' }],
    description: 'Only when resuming a deferred task: the arguments of `next_method` (an object, or the string the worker encrypted).',
  })
  next_kwargs?: JsonObject | string | null;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Only when resuming a deferred task: when its try started (kept across the deferral).',
  })
  start_date?: string | null;
  @ApiProperty({
    type: [String],
    example: ['return_value'],
    description:
      'The XCom keys this task instance already holds when a new try starts (empty when resuming from deferral); the worker deletes them before running.',
  })
  xcom_keys_to_clear: string[];
  @ApiProperty({ example: false, description: 'true when the task was restarting, else max_tries != 0 and try_number <= max_tries.' }) should_retry: boolean;
}
