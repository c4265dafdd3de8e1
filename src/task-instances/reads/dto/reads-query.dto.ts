import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LogicalDatesQuery, RunIdsQuery } from '../../../common/http/run-filters';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsAwareDateTime } from '../../../common/http/aware-date-time';
import { MAX_LIST, PRINTABLE, toList } from '../../../common/http/query-values';

const INT32_MAX = 2_147_483_647;

/** Airflow's task-instance states (the `TaskInstanceState` enum of its API; `none` is its null). */
export const AIRFLOW_TI_STATES = [
  'removed',
  'scheduled',
  'queued',
  'running',
  'success',
  'restarting',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'deferred',
  'awaiting_input',
] as const;

/**
 * Query values arrive as strings, a repeated parameter as an array. A well-formed integer becomes
 * its number; anything else is left as it came, so the validator refuses it with a 422 that names
 * the parameter (and never echoes the value).
 */
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value);

/** `map_index`: unset counts every map index, -1 only unmapped task instances, N only that index. */
class MapIndexFilter {
  @ApiPropertyOptional({ type: 'integer', minimum: -1, description: 'Only this map index (-1: unmapped task instances). Unset: every map index.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(-1)
  @Max(INT32_MAX)
  map_index?: number;
}

/** The filters `GET /execution/task-instances/states` takes (Airflow's `get_task_instance_states`). */
export class TaskInstanceStatesQuery extends MapIndexFilter {
  @ApiProperty({ maxLength: 250, example: 'example_dag' })
  @IsString()
  @Length(1, 250)
  @Matches(PRINTABLE, { message: 'dag_id must not contain control characters' })
  dag_id: string;

  @ApiPropertyOptional({ type: [String], description: 'Repeat the parameter for each task id.' })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(MAX_LIST)
  @IsString({ each: true })
  @Length(1, 250, { each: true })
  @Matches(PRINTABLE, { each: true, message: 'task_ids must not contain control characters' })
  task_ids?: string[];

  @ApiPropertyOptional({
    maxLength: 250,
    description:
      "A task group: the task instances whose task id starts with `<task_group_id>.` (Airflow's default prefix_group_id). 404 when no task of the dag is in it.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 250)
  @Matches(PRINTABLE, { message: 'task_group_id must not contain control characters' })
  task_group_id?: string;

  @LogicalDatesQuery('Dag runs by logical date (time zone required); repeat for each.')
  logical_dates?: string[];

  @RunIdsQuery()
  run_ids?: string[];
}
/** The filters of `GET /execution/task-instances/count`: those of `/states`, and `states`. */
export class TaskInstanceCountQuery extends TaskInstanceStatesQuery {
  @ApiPropertyOptional({
    type: [String],
    enum: [...AIRFLOW_TI_STATES, 'null'],
    description: 'Only these states; `null` matches task instances with no state yet. Repeat for each.',
  })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(MAX_LIST)
  @IsIn([...AIRFLOW_TI_STATES, 'null'], { each: true })
  states?: string[];
}

/** `GET /execution/task-instances/previous/{dag_id}/{task_id}` query. */
export class PreviousTaskInstanceQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: -1, description: 'The map index; defaults to -1 (unmapped).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(-1)
  @Max(INT32_MAX)
  map_index?: number;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Only dag runs whose logical date is strictly before this one (time zone required).' })
  @IsOptional()
  @IsAwareDateTime()
  logical_date?: string;

  @ApiPropertyOptional({ enum: AIRFLOW_TI_STATES, description: 'Only task instances in this state.' })
  @IsOptional()
  @IsIn(AIRFLOW_TI_STATES)
  state?: (typeof AIRFLOW_TI_STATES)[number];
}

/** `GET /execution/task-instances/breadcrumbs` query. */
export class BreadcrumbsQuery {
  @ApiProperty({ maxLength: 250, example: 'example_dag' })
  @IsString()
  @Length(1, 250)
  @Matches(PRINTABLE, { message: 'dag_id must not contain control characters' })
  dag_id: string;

  @ApiProperty({ maxLength: 250, example: 'manual__2026-11-25T00:00:00+00:00' })
  @IsString()
  @Length(1, 250)
  @Matches(PRINTABLE, { message: 'run_id must not contain control characters' })
  run_id: string;
}

/** `GET /execution/task-reschedules/{id}/start_date` query. */
export class RescheduleStartDateQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    example: 1,
    description: "The try; a try number other than the task instance's current one has no reschedules here.",
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  try_number?: number;
}
