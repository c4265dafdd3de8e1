import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, ValidateBy } from 'class-validator';
import { integerText, IsIntegerIn, IsKeyText } from '../../../common/http/query-rules';
import { RefusalWording } from '../../../common/problem/validation';
import { TASK_INSTANCE_STATES, type TaskInstanceState } from '../../task-instance-state';
import type { TaskInstance } from '../../task-instance.entity';
import type { TaskInstanceHistory } from '../../task-instance-history.entity';
import { TaskInstanceDto } from './task-instance.dto';

/** Page size of `GET /api/v1/task-instances` when `limit` is absent, and its largest value. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The column's 250 characters, printable (as the create route accepts). */
const KEY_LENGTH = 250;
const INT32_MAX = 2_147_483_647;
const MAP_INDEX_MESSAGES = { below: 'must be -1 or more', above: 'must fit a 32-bit integer' };

/** The answers these routes gave before the global pipe ran them: kept, so clients see the same body. */
const SEARCH_WORDING = { detail: 'The query parameters are not valid.', unknownFields: 'is not a parameter of this route' };

const CURSOR_PREFIX = 'ti:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The opaque cursor of the page after the one ending with task instance `id`. */
export function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`, 'utf8').toString('base64url');
}

/** The task-instance id `cursor` holds, or `undefined` when this service did not issue it. */
export function decodeCursor(cursor: unknown): string | undefined {
  if (typeof cursor !== 'string' || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  return UUID.test(id) ? id : undefined;
}

/** A `next_cursor` this service issued (`encodeCursor`); anything else is refused without a word about why. */
function IsIssuedCursor(): PropertyDecorator {
  return ValidateBy({
    name: 'isIssuedCursor',
    validator: { validate: (value: unknown) => decodeCursor(value) !== undefined, defaultMessage: () => 'is not a cursor this service issued' },
  });
}

/**
 * The query of `GET /api/v1/task-instances`: every filter optional; a repeated or unknown
 * parameter is a 422 too. Documented by the route's `@ApiQuery` list.
 */
@RefusalWording(SEARCH_WORDING)
export class TaskInstanceListQueryDto {
  @IsOptional() @IsKeyText(KEY_LENGTH) dag_id?: string;
  @IsOptional() @IsKeyText(KEY_LENGTH) run_id?: string;
  @IsOptional() @IsKeyText(KEY_LENGTH) task_id?: string;
  @IsOptional() @Transform(integerText(/^-?\d{1,10}$/)) @IsIntegerIn(-1, INT32_MAX, MAP_INDEX_MESSAGES) map_index?: number;
  @IsOptional() @IsIn(TASK_INSTANCE_STATES, { message: `must be one of ${TASK_INSTANCE_STATES.join(', ')}` }) state?: TaskInstanceState;
  // Four digits at most: a longer number is no page size, whatever its value.
  @IsOptional() @Transform(integerText(/^\d{1,4}$/)) @IsIntegerIn(1, MAX_PAGE_SIZE) limit?: number;
  @IsOptional() @IsIssuedCursor() cursor?: string;
}

/** `dag_id`, `run_id`, `task_id` (required) and `map_index` (default -1): one task instance's key. */
@RefusalWording(SEARCH_WORDING)
export class TaskInstanceKeyQueryDto {
  @IsKeyText(KEY_LENGTH) dag_id: string;
  @IsKeyText(KEY_LENGTH) run_id: string;
  @IsKeyText(KEY_LENGTH) task_id: string;
  @IsOptional() @Transform(integerText(/^-?\d{1,10}$/)) @IsIntegerIn(-1, INT32_MAX, MAP_INDEX_MESSAGES) map_index?: number;
}

export interface TaskInstanceFilter {
  dagId?: string;
  runId?: string;
  taskId?: string;
  mapIndex?: number;
  state?: TaskInstanceState;
}

export interface TaskInstanceListQuery {
  filter: TaskInstanceFilter;
  limit: number;
  /** Only task instances with a smaller id (older) than this one: the keyset position. */
  before?: string;
}

export interface TaskInstanceKey {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
}

/** The service's view of a validated list query. */
export function listQueryOf(q: TaskInstanceListQueryDto): TaskInstanceListQuery {
  const before = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
  return {
    filter: { dagId: q.dag_id, runId: q.run_id, taskId: q.task_id, mapIndex: q.map_index, state: q.state },
    limit: q.limit ?? DEFAULT_PAGE_SIZE,
    ...(before !== undefined ? { before } : {}),
  };
}

/** The service's view of a validated key query (`map_index` default -1). */
export function keyOf(q: TaskInstanceKeyQueryDto): TaskInstanceKey {
  return { dagId: q.dag_id, runId: q.run_id, taskId: q.task_id, mapIndex: q.map_index ?? -1 };
}

export class TaskInstancePageDto {
  @ApiProperty({ type: [TaskInstanceDto], description: 'Newest first (by id: UUID v7, so by creation time).' })
  task_instances: TaskInstanceDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'dGk6MDE5M2ExZjItN2MzZS03YjdhLTliMWUtMWYyZTNkNGM1YjZh',
    description: 'Pass as `cursor` for the next page (with the same filters); null on the last page.',
  })
  next_cursor: string | null;
}

export class TaskInstanceTryDto {
  @ApiProperty({
    format: 'uuid',
    example: '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a',
    description: 'The id this try had (and still has, when it is the live one).',
  })
  id: string;
  @ApiProperty({ example: 1 }) try_number: number;
  @ApiProperty({ enum: TASK_INSTANCE_STATES, enumName: 'TaskInstanceState' }) state: TaskInstanceState;
  @ApiProperty({ description: 'True for the live task instance (GET /api/v1/task-instances/{id}); false for an archived try.' }) live: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'worker-1' }) hostname: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) start_date: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) end_date: string | null;

  static from(row: TaskInstance | TaskInstanceHistory, live: boolean): TaskInstanceTryDto {
    const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
    return {
      id: 'id' in row ? row.id : row.taskInstanceId,
      try_number: row.tryNumber,
      state: row.state,
      live,
      hostname: row.hostname ?? null,
      start_date: iso(row.startDate),
      end_date: iso(row.endDate),
    };
  }
}

export class TaskInstanceTriesDto {
  @ApiProperty({ example: 'example_dag' }) dag_id: string;
  @ApiProperty({ example: 'manual__2026-11-25' }) run_id: string;
  @ApiProperty({ example: 'extract' }) task_id: string;
  @ApiProperty({ example: -1 }) map_index: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Id of the live task instance of this key (null if it was deleted).' })
  live_task_instance_id: string | null;
  @ApiProperty({ type: [TaskInstanceTryDto], description: 'Every try, newest first.' })
  tries: TaskInstanceTryDto[];
}
