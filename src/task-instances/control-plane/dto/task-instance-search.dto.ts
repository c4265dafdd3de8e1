import { ApiProperty } from '@nestjs/swagger';
import { z } from 'zod';
import { RequestValidationException } from '../../../common/problem/validation';
import { TASK_INSTANCE_STATES, type TaskInstanceState } from '../../task-instance-state';
import type { TaskInstance } from '../../task-instance.entity';
import type { TaskInstanceHistory } from '../../task-instance-history.entity';
import { TaskInstanceDto } from './task-instance.dto';

/** Page size of `GET /api/v1/task-instances` when `limit` is absent, and its largest value. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Printable, no control characters, at most the column's 250 characters (as the create route accepts). */

const KEY = z
  .string()
  .min(1, 'must not be empty')
  .max(250, 'must be at most 250 characters')
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');
const MAP_INDEX = z
  .string()
  .regex(/^-?\d{1,10}$/, 'must be an integer')
  .transform(Number)
  .pipe(z.number().int().min(-1, 'must be -1 or more').max(2_147_483_647, 'must fit a 32-bit integer'));

/** Everything the key routes accept; a repeated or unknown parameter is a 422 too. */
const keySchema = { dag_id: KEY, run_id: KEY, task_id: KEY, map_index: MAP_INDEX };

const listSchema = z.strictObject({
  dag_id: KEY.optional(),
  run_id: KEY.optional(),
  task_id: KEY.optional(),
  map_index: MAP_INDEX.optional(),
  state: z.enum(TASK_INSTANCE_STATES, { error: `must be one of ${TASK_INSTANCE_STATES.join(', ')}` }).optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be 1 or more').max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`))
    .optional(),
  cursor: z.string().max(200, 'is not a cursor this service issued').optional(),
});

const keyQuerySchema = z.strictObject({ ...keySchema, map_index: MAP_INDEX.optional() });

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

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) =>
    i.code === 'unrecognized_keys' ? { path: i.keys.join(', '), message: 'is not a parameter of this route' } : { path: i.path.join('.'), message: i.message },
  );
}

/** Non-strings (a repeated parameter arrives as an array) fail the string schemas. */
function parse<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query ?? {});
  if (!parsed.success) throw new RequestValidationException(issuesOf(parsed.error), 'The query parameters are not valid.');
  return parsed.data;
}

const CURSOR_PREFIX = 'ti:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The opaque cursor of the page after the one ending with task instance `id`. */
export function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  if (!UUID.test(id))
    throw new RequestValidationException([{ path: 'cursor', message: 'is not a cursor this service issued' }], 'The query parameters are not valid.');
  return id;
}

export function parseListQuery(query: unknown): TaskInstanceListQuery {
  const q = parse(listSchema, query);
  return {
    filter: { dagId: q.dag_id, runId: q.run_id, taskId: q.task_id, mapIndex: q.map_index, state: q.state },
    limit: q.limit ?? DEFAULT_PAGE_SIZE,
    ...(q.cursor !== undefined ? { before: decodeCursor(q.cursor) } : {}),
  };
}

/** `dag_id`, `run_id`, `task_id` (required) and `map_index` (default -1). */
export function parseKeyQuery(query: unknown): TaskInstanceKey {
  const q = parse(keyQuerySchema, query);
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
