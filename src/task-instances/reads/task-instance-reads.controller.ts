import { Body, Controller, Get, Header, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiOkResponse, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { TaskInstanceFrom } from '../../common/auth/task-instance-source';
import { TaskInstanceIdParams } from '../task-instance-id.params';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { UnitOfWork } from '../../common/unit-of-work/unit-of-work.decorator';
import { MOVED_TO_HISTORY_MESSAGE } from '../task-instances.errors';
import { TaskInstanceProblemDto } from '../task-instance-problem.dto';
import { AnyTaskInstanceToken } from '../any-task-instance-token';
import { DagTaskParams } from './dto/dag-task.params';
import { BreadcrumbsQuery, PreviousTaskInstanceQuery, RescheduleStartDateQuery, TaskInstanceCountQuery, TaskInstanceStatesQuery } from './dto/reads-query.dto';
import { PreviousTIResponse, TaskBreadcrumbsResponse, TaskStatesResponse } from './dto/reads-response.dto';
import { EMPTY_RENDERED_MAP_INDEX, RenderedMapIndexBody } from './dto/rendered-map-index.dto';
import { TaskInstanceReadsService } from './task-instance-reads.service';

const ID = '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a';

const INVALID_QUERY = {
  status: 422,
  description: 'A query parameter is missing or not valid.',
  examples: [{ reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'dag_id', message: 'dag_id is required' }] }],
};
const GROUP_NOT_FOUND = {
  status: 404,
  description:
    'task_group_id names a group no task of the dag is in (a group is the tasks whose id starts with `<group>.`), or the dag has no task instance at all.',
  examples: [
    { reason: 'not_found', detail: 'Task group group1 not found in DAG example_dag' },
    { reason: 'not_found', detail: 'The Dag with ID: `example_dag` was not found' },
  ],
};
const NOT_FOUND = {
  status: 404,
  description: 'The id never belonged to a task instance.',
  examples: [{ reason: 'not_found', detail: `Task instance ${ID} not found.`, task_instance_id: ID }],
};
const GONE = {
  status: 410,
  description: 'The id belonged to a try that was archived to the task-instance history.',
  examples: [{ reason: 'not_found', detail: MOVED_TO_HISTORY_MESSAGE, task_instance_id: ID }],
};

/**
 * Execution API: what a running task asks about task instances, Airflow's routes of
 * `routes/task_instances.py` a sensor or an operator calls (ExternalTaskSensor, `get_ti_count`,
 * `get_previous_ti`, breadcrumbs), and the label a mapped task sets on itself. The four reads across
 * task instances name none: Airflow serves them without the `ti:self` scope, so any execution
 * token may call them (`AnyTaskInstanceToken`). Reads run in a unit of work (transient failures
 * retried, lock waits bounded).
 */
@ApiTags('Execution API: task instances')
@ApiBearerAuth()
@Controller('execution/task-instances')
@UnitOfWork({ idempotent: true })
export class TaskInstanceReadsController {
  constructor(private readonly reads: TaskInstanceReadsService) {}

  @Get('count')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @TaskInstanceFrom({ resolver: AnyTaskInstanceToken })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'get_task_instance_count',
    summary: 'Count task instances',
    description:
      'How many task instances of the dag match every filter given. `map_index` unset counts every map index; `states=null` counts task instances with no state yet (ORed with the other states); `task_group_id` keeps the tasks of the group (and the other filters). Any execution token may call it.',
    success: { status: 200, description: 'The count, a bare JSON integer.' },
    errors: [GROUP_NOT_FOUND, INVALID_QUERY],
  })
  @ApiOkResponse({ description: 'The count.', schema: { type: 'integer', example: 3 } })
  // A bare integer: serialised here, since Nest sends a returned number as text/html.
  @Header('Content-Type', 'application/json; charset=utf-8')
  async count(@Query() query: TaskInstanceCountQuery): Promise<string> {
    return JSON.stringify(await this.reads.count(query));
  }

  @Get('states')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @TaskInstanceFrom({ resolver: AnyTaskInstanceToken })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'get_task_instance_states',
    summary: 'Get the states of task instances',
    description:
      'The state of every task instance of the dag that matches, by run id and task id (`task_id_{map_index}` for a mapped one; null for no state yet). `task_ids` and `task_group_id` add up. Any execution token may call it.',
    success: { status: 200, type: TaskStatesResponse, description: 'The states.' },
    errors: [GROUP_NOT_FOUND, INVALID_QUERY],
  })
  async states(@Query() query: TaskInstanceStatesQuery): Promise<TaskStatesResponse> {
    return this.reads.states(query);
  }

  @Get('previous/:dag_id/:task_id')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @TaskInstanceFrom({ resolver: AnyTaskInstanceToken })
  @ApiParam({ name: 'dag_id', schema: { type: 'string', maxLength: 250, example: 'example_dag' } })
  @ApiParam({ name: 'task_id', schema: { type: 'string', maxLength: 250, example: 'extract' } })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'get_previous_task_instance',
    summary: 'Get the previous task instance',
    description:
      'The task instance of this task and map index (default -1) in the latest dag run by logical date, strictly before `logical_date` when given, in `state` when given; null when there is none. Runs without a logical date come last. Any execution token may call it.',
    success: { status: 200, description: 'The task instance, or null.' },
    errors: [{ ...INVALID_QUERY, description: 'A path or query parameter is not valid.' }],
  })
  @ApiExtraModels(PreviousTIResponse)
  @ApiOkResponse({ description: 'The previous task instance, or null.', schema: { nullable: true, allOf: [{ $ref: getSchemaPath(PreviousTIResponse) }] } })
  // null is a body here: serialised, since Nest sends a returned null as an empty body.
  @Header('Content-Type', 'application/json; charset=utf-8')
  async previous(@Param() { dag_id: dagId, task_id: taskId }: DagTaskParams, @Query() query: PreviousTaskInstanceQuery): Promise<string> {
    const found = await this.reads.previous(dagId, taskId, query);
    return JSON.stringify(found);
  }

  @Get('breadcrumbs')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @TaskInstanceFrom({ resolver: AnyTaskInstanceToken })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'get_task_instance_breadcrumbs',
    summary: 'Get the breadcrumbs of a dag run',
    description:
      'The finished task instances (success, failed, skipped, upstream_failed, removed) of the dag run, ordered by task id and map index, with their operator (as given when created) and duration. Any execution token may call it.',
    success: { status: 200, type: TaskBreadcrumbsResponse, description: 'The breadcrumbs (none when nothing has finished).' },
    errors: [INVALID_QUERY],
  })
  async breadcrumbs(@Query() query: BreadcrumbsQuery): Promise<TaskBreadcrumbsResponse> {
    return { breadcrumbs: await this.reads.breadcrumbs(query.dag_id, query.run_id) };
  }

  @Patch(':task_instance_id/rendered-map-index')
  @TaskInstanceFrom({ param: 'task_instance_id' })
  // Idempotent: setting the same label twice leaves it as setting it once.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'ti_patch_rendered_map_index',
    summary: 'Set the rendered map index of a task instance',
    description: 'Stores the label a mapped task rendered for its map index (a bare JSON string, at most 250 characters), whatever the state.',
    success: { status: 204, description: 'Stored.' },
    errors: [
      NOT_FOUND,
      GONE,
      {
        status: 422,
        description: 'The body is not a non-empty JSON string of at most 250 characters without control characters, or the path id is not a UUID.',
        examples: [
          { reason: 'validation_error', detail: EMPTY_RENDERED_MAP_INDEX, errors: [{ path: '', message: 'must not be empty' }] },
          { reason: 'validation_error', detail: 'The request body must be a non-empty JSON string.', errors: [{ path: '', message: 'must be a JSON string' }] },
        ],
      },
    ],
  })
  @ApiBody({
    schema: { type: 'string', minLength: 1, maxLength: 250, example: 'order 42' },
    examples: { label: { summary: 'The label of this map index', value: 'order 42' } },
  })
  async setRenderedMapIndex(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() { label }: RenderedMapIndexBody): Promise<void> {
    await this.reads.setRenderedMapIndex(id, label);
  }
}

/** Execution API: Airflow's `routes/task_reschedules.py`, what a reschedule-mode sensor asks on its second poke. */
@ApiTags('Execution API: task reschedules')
@ApiBearerAuth()
@Controller('execution/task-reschedules')
@TaskInstanceFrom({ param: 'task_instance_id' })
export class TaskReschedulesController {
  constructor(private readonly reads: TaskInstanceReadsService) {}

  @Get(':task_instance_id/start_date')
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'get_reschedule_start_date',
    summary: 'Get the start date of the first reschedule',
    description:
      "When the try first went up_for_reschedule (a reschedule-mode sensor's timeout counts from it), as a JSON date-time string; null when it never did, when `try_number` is not the task instance's current try, or when the id is unknown or archived (as the newest Airflow answers).",
    success: { status: 200, description: 'The date-time, or null.' },
    errors: [
      {
        status: 422,
        description: 'The path id is not a UUID, or try_number is not an integer.',
        examples: [{ reason: 'validation_error', detail: 'The path parameter is not a valid UUID.' }],
      },
    ],
  })
  @ApiOkResponse({
    description: 'The start date, or null.',
    schema: { type: 'string', format: 'date-time', nullable: true, example: '2026-11-25T10:00:00.000Z' },
  })
  // A bare string or null is the body: serialised here (Nest would send text/html, or nothing).
  @Header('Content-Type', 'application/json; charset=utf-8')
  async startDate(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Query() query: RescheduleStartDateQuery): Promise<string> {
    return JSON.stringify(await this.reads.rescheduleStartDate(id, query.try_number));
  }
}
