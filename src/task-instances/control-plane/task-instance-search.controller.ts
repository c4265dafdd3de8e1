import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { TaskInstanceIdParams } from '../task-instance-id.params';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { ReadUnitOfWork } from '../../common/unit-of-work/unit-of-work.decorator';
import { RenderedFieldsDto } from '../rtif/dto/rendered-fields.dto';
import { TASK_INSTANCE_STATES } from '../task-instance-state';
import { TaskInstanceDto } from './dto/task-instance.dto';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  keyOf,
  listQueryOf,
  TaskInstanceKeyQueryDto,
  TaskInstanceListQueryDto,
  TaskInstancePageDto,
  TaskInstanceTriesDto,
} from './dto/task-instance-search.dto';
import { TaskInstanceSearchService } from './task-instance-search.service';

const BAD_QUERY = {
  status: 422,
  description: 'A malformed, repeated or unknown query parameter, or a cursor this service did not issue.',
  examples: [
    { reason: 'validation_error', detail: 'The query parameters are not valid.', errors: [{ path: 'map_index', message: 'must be an integer' }] },
    { reason: 'validation_error', detail: 'The query parameters are not valid.', errors: [{ path: 'cursor', message: 'is not a cursor this service issued' }] },
  ],
};
const DAG_ID = { name: 'dag_id', type: String, example: 'example_dag', description: 'Exact dag id.' };
const RUN_ID = { name: 'run_id', type: String, example: 'manual__2026-11-25', description: 'Exact dag run id.' };
const TASK_ID = { name: 'task_id', type: String, example: 'extract', description: 'Exact task id.' };

/** Control plane: finding task instances by key, listing them, and the tries of one (issue 14). */
@ApiTags('Control plane: task instances')
@ApiBearerAuth()
@Controller('api/v1')
export class TaskInstanceSearchController {
  constructor(private readonly search: TaskInstanceSearchService) {}

  @Get('task-instances')
  @ReadUnitOfWork({ reads: 'replica' })
  @Endpoint({
    operationId: 'list_task_instances',
    summary: 'List task instances',
    description: `Task instances matching every filter given, newest first, in pages of \`limit\` (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}). The order is stable: follow \`next_cursor\` (with the same filters) until it is null. Every filter combination is served by an index.`,
    success: { status: 200, type: TaskInstancePageDto, description: 'One page.' },
    errors: [BAD_QUERY],
  })
  @ApiQuery({ ...DAG_ID, required: false })
  @ApiQuery({ ...RUN_ID, required: false })
  @ApiQuery({ ...TASK_ID, required: false })
  @ApiQuery({ name: 'map_index', required: false, type: 'integer', example: -1, description: 'Exact map index (-1: not mapped).' })
  @ApiQuery({ name: 'state', required: false, enum: TASK_INSTANCE_STATES, enumName: 'TaskInstanceState', example: 'running', description: 'Exact state.' })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: 'integer',
    example: DEFAULT_PAGE_SIZE,
    description: `Page size, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).`,
  })
  @ApiQuery({
    name: 'cursor',
    required: false,
    type: String,
    example: 'dGk6MDE5M2ExZjItN2MzZS03YjdhLTliMWUtMWYyZTNkNGM1YjZh',
    description: '`next_cursor` of the previous page.',
  })
  async list(@Query() query: TaskInstanceListQueryDto): Promise<TaskInstancePageDto> {
    const page = await this.search.list(listQueryOf(query));
    return { task_instances: page.rows.map((ti) => TaskInstanceDto.from(ti)), next_cursor: page.nextCursor };
  }

  @Get('task-instances/:task_instance_id/tries')
  @ReadUnitOfWork({ reads: 'replica' })
  @Endpoint({
    operationId: 'get_task_instance_tries',
    summary: 'Get the tries of a task instance',
    description:
      "Every try of the task instance with this id, newest first: the live one and those archived to the task-instance history by a retry. The id may be the live one or any archived one, so a worker's old id leads to the live task instance (`live_task_instance_id`).",
    success: { status: 200, type: TaskInstanceTriesDto, description: 'The tries.' },
    errors: [
      {
        status: 404,
        description: 'No task instance, live or archived, ever had this id.',
        examples: [{ reason: 'not_found', detail: 'Task instance 0193… not found.' }],
      },
      { status: 422, description: 'The path id is not a UUID.', examples: [{ reason: 'validation_error', detail: 'The path parameter is not a valid UUID.' }] },
    ],
  })
  async tries(@Param() { task_instance_id: id }: TaskInstanceIdParams): Promise<TaskInstanceTriesDto> {
    return this.search.tries(id);
  }

  @Get('rendered-fields')
  @ReadUnitOfWork({ reads: 'replica' })
  @Endpoint({
    operationId: 'get_rendered_fields_by_key',
    summary: 'Get rendered fields by task instance key',
    description: "The rendered fields of (dag_id, run_id, task_id, map_index), the key Airflow's UI reads them by; every try of a task instance shares them.",
    success: { status: 200, type: RenderedFieldsDto, description: 'The stored (redacted) rendered fields.' },
    errors: [
      {
        status: 404,
        description: 'None stored for this key.',
        examples: [{ reason: 'rendered_fields_not_found', detail: 'No rendered fields are stored for this task instance key.' }],
      },
      BAD_QUERY,
    ],
  })
  @ApiQuery({ ...DAG_ID, required: true })
  @ApiQuery({ ...RUN_ID, required: true })
  @ApiQuery({ ...TASK_ID, required: true })
  @ApiQuery({ name: 'map_index', required: false, type: 'integer', example: -1, description: 'Map index (default -1: not mapped).' })
  async renderedFields(@Query() query: TaskInstanceKeyQueryDto): Promise<RenderedFieldsDto> {
    return RenderedFieldsDto.from(await this.search.renderedFields(keyOf(query)));
  }
}
