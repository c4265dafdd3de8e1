import { Body, Controller, Get, Param, Patch, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AcceptTokenScopes } from '../../common/auth/auth.decorators';
import { TaskInstanceFrom } from '../../common/auth/task-instance-source';
import { TaskInstanceIdParams } from '../task-instance-id.params';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import type { ProblemExample } from '../../common/openapi/api-problem-response';
import { UnitOfWork } from '../../common/unit-of-work/unit-of-work.decorator';
import { VersionedResponse } from '../../common/api-version/versioned-response';
import { TIHeartbeatInfo } from './dto/heartbeat.dto';
import { PrevSuccessfulDagRunResponse } from './dto/previous-successful-dag-run.dto';
import { TIEnterRunningPayload, TIRunContext } from './dto/run.dto';
import { TISkippedDownstreamTasksStatePayload } from './dto/skip-downstream.dto';
import { STATE_PAYLOAD_MODELS, StateUpdateBody, stateUpdateSchema, type TIStateUpdate } from './dto/state-update.dto';
import { LifecycleService } from './lifecycle.service';
import { MOVED_TO_HISTORY_MESSAGE } from '../task-instances.errors';
import { TaskInstanceProblemDto } from '../task-instance-problem.dto';

const ID = '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a';
const NOT_FOUND = {
  status: 404,
  description: 'The id never belonged to a task instance.',
  examples: [{ reason: 'not_found', detail: `Task instance ${ID} not found.`, task_instance_id: ID, airflow: { message: 'Task Instance not found' } }],
};
const GONE = {
  status: 410,
  description: 'The id belonged to a try that was archived to the task-instance history (after up_for_retry): the caller is a stale try and should stop.',
  examples: [{ reason: 'not_found', detail: MOVED_TO_HISTORY_MESSAGE, task_instance_id: ID }],
};
// The examples Swagger UI pre-fills: one worker (hostname, pid) from /run to /heartbeat, so trying
// the routes in order with no edit succeeds (test/e2e/openapi-examples.e2e-spec.ts).
const WORKER = { hostname: 'worker-1.example.com', pid: 4242 };
const RUN_EXAMPLE = { state: 'running', ...WORKER, unixname: 'airflow', start_date: '2026-11-25T10:00:00Z' };

const invalidBody = (examples: ProblemExample[]) => ({
  status: 422,
  description: 'The path id is not a UUID, or the body is not valid (unknown field, missing field, wrong type, naive date-time, nested too deeply).',
  examples: [
    { reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'pid', message: 'pid must be an integer number' }] },
    ...examples,
  ],
});

/**
 * Execution API: a worker moves its task instance from queued to running, keeps it alive and
 * finishes it. Every route runs in a unit of work; the typed 409s come from the state machine
 * (under a row lock), never from a unique key.
 */
@ApiTags('Execution API: task instances')
@ApiBearerAuth()
@Controller('execution/task-instances')
@TaskInstanceFrom({ param: 'task_instance_id' })
export class LifecycleController {
  constructor(private readonly lifecycle: LifecycleService) {}

  @Patch(':task_instance_id/run')
  // The exchange point: the workload token a scheduler queued is accepted here, and a successful
  // answer carries a fresh execution token in Refreshed-API-Token.
  @AcceptTokenScopes('execution', 'workload')
  // Idempotent: a repeat from the same host, unixname and pid answers 200 with the same context
  // and changes nothing. No insert happens here, so no unique key can conflict.
  @UnitOfWork({ idempotent: true })
  // The answer follows the caller's Airflow-API-Version (docs/api-versions.md).
  @VersionedResponse('TIRunContext')
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'ti_run',
    summary: 'Mark a task instance as running',
    description:
      'queued or restarting → running: records hostname, unixname, pid, start_date (kept when resuming a deferred task) and last_heartbeat_at, and returns the run context. A repeat from the same hostname, unixname and pid answers 200 with the same context. `variables` and `connections` are always empty (this service keeps neither); `xcom_keys_to_clear` lists the XCom keys the task instance holds when a new try starts. The shape follows `Airflow-API-Version` (older versions get `upstream_map_indexes: null`, no `partition_key`, …; see docs/api-versions.md); this document shows the newest.',
    success: { status: 200, type: TIRunContext, description: 'Running; the run context.' },
    errors: [
      {
        ...NOT_FOUND,
        description: `${NOT_FOUND.description} Or the Airflow-API-Version is older than the oldest version served (as Cadwyn, no route serves it).`,
      },
      GONE,
      {
        status: 409,
        description: 'The task instance is not queued or restarting (including running under another pid). Do not retry; the worker must not run the task.',
        examples: [{ reason: 'invalid_state', detail: 'TI was not in a state where it could be marked as running', previous_state: 'running' }],
      },
      {
        ...invalidBody([]),
        description: `${invalidBody([]).description} Or the Airflow-API-Version header is not a date (YYYY-MM-DD).`,
      },
    ],
  })
  @ApiBody({ type: TIEnterRunningPayload, examples: { running: { summary: 'worker-1.example.com starts the task', value: RUN_EXAMPLE } } })
  async run(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() body: TIEnterRunningPayload): Promise<TIRunContext> {
    return this.lifecycle.run(id, body);
  }

  @Patch(':task_instance_id/state')
  // Idempotent in effect: the same state again is a no-op (200), and a repeated up_for_retry finds
  // the try already archived (410) instead of archiving it twice.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'ti_update_state',
    summary: 'Update the state of a running task instance',
    description:
      'running → success, failed, skipped, removed, upstream_failed (end_date, duration), up_for_retry (the try is archived to task_instance_history; the live task instance gets a new id and the next try number), up_for_reschedule (a task_reschedule row), deferred (a trigger row; trigger_timeout = now + the ISO-8601 duration) or awaiting_input (human-in-the-loop: no trigger, the deadline of the answer in trigger_timeout; a scheduler requeues it). Fields the Task SDK sends as null when unset are accepted; unknown fields are 422. The body is chosen by `state`. Sending the state the task instance is already in answers 200 with an empty body and changes nothing.',
    success: { status: 204, description: 'Updated.' },
    errors: [
      NOT_FOUND,
      GONE,
      {
        status: 409,
        description: 'The task instance is not running (and not already in the requested state).',
        examples: [{ reason: 'invalid_state', detail: 'TI was not in the running state so it cannot be updated', previous_state: 'success' }],
      },
      invalidBody([
        {
          reason: 'validation_error',
          detail: 'The request is not valid.',
          errors: [
            {
              path: 'state',
              message: 'state must be one of: success, failed, skipped, removed, upstream_failed, up_for_retry, up_for_reschedule, deferred, awaiting_input',
            },
          ],
        },
      ]),
    ],
  })
  @ApiResponse({ status: 200, description: 'The task instance was already in the requested state: nothing changed, empty body.' })
  @ApiExtraModels(...STATE_PAYLOAD_MODELS)
  @ApiBody({
    schema: stateUpdateSchema(),
    examples: {
      success: { value: { state: 'success', end_date: '2026-11-25T10:05:00Z' } },
      failed: { value: { state: 'failed', end_date: '2026-11-25T10:05:00Z' } },
      up_for_retry: {
        value: { state: 'up_for_retry', end_date: '2026-11-25T10:05:00Z', rendered_map_index: null, retry_delay_seconds: 300, retry_reason: 'rate limited' },
      },
      up_for_reschedule: { value: { state: 'up_for_reschedule', reschedule_date: '2026-11-25T10:10:00Z', end_date: '2026-11-25T10:05:00Z' } },
      deferred: {
        value: {
          state: 'deferred',
          classpath: 'airflow.providers.standard.triggers.temporal.DateTimeTrigger',
          trigger_kwargs: { moment: '2026-11-25T11:00:00Z' },
          trigger_timeout: 'P1D',
          next_method: 'execute_complete',
          next_kwargs: {},
        },
      },
      awaiting_input: {
        value: { state: 'awaiting_input', timeout: 'PT3600S', next_method: 'execute_complete', next_kwargs: null, rendered_map_index: null },
      },
    },
  })
  async updateState(
    @Param() { task_instance_id: id }: TaskInstanceIdParams,
    @Body() body: StateUpdateBody,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    // The global pipe answers an instance of the payload class `state` selected (`@JsonBody`).
    const outcome = await this.lifecycle.updateState(id, body as TIStateUpdate);
    // Set on every attempt: a unit of work that is retried must not keep an earlier attempt's status.
    res.status(outcome === 'unchanged' ? 200 : 204);
  }

  @Put(':task_instance_id/heartbeat')
  // Idempotent: it only moves last_heartbeat_at forward.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'ti_heartbeat',
    summary: 'Heartbeat a running task instance',
    description:
      'Sets last_heartbeat_at in one conditional UPDATE when the task instance is running on this hostname and pid. Otherwise explains why: running_elsewhere (checked first) or not_running; on either 409 the worker should stop the task.',
    success: { status: 204, description: 'Heartbeat recorded.' },
    errors: [
      NOT_FOUND,
      GONE,
      {
        status: 409,
        description: 'The task instance runs on another host or pid (`running_elsewhere`), or is no longer running (`not_running`). The task should terminate.',
        examples: [
          { reason: 'running_elsewhere', detail: 'TI is already running elsewhere', current_hostname: 'worker-2.example.com', current_pid: 5151 },
          { reason: 'not_running', detail: 'TI is no longer in the running state and task should terminate', current_state: 'success' },
        ],
      },
      invalidBody([]),
    ],
  })
  @ApiBody({ type: TIHeartbeatInfo, examples: { alive: { summary: 'The worker that ran /run', value: WORKER } } })
  async heartbeat(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() body: TIHeartbeatInfo): Promise<void> {
    await this.lifecycle.heartbeat(id, body);
  }

  @Patch(':task_instance_id/skip-downstream')
  // Idempotent: skipping already-skipped tasks changes nothing.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'ti_skip_downstream',
    summary: 'Skip tasks of the same dag run',
    description:
      "The listed tasks of this task instance's dag run become skipped (start_date = end_date = now) unless they are running, success or failed. A bare task id means map index -1; unknown task ids are ignored.",
    success: { status: 204, description: 'Done (also when nothing matched).' },
    errors: [
      NOT_FOUND,
      GONE,
      invalidBody([
        {
          reason: 'validation_error',
          detail: 'The request is not valid.',
          errors: [{ path: 'tasks', message: 'tasks must be a list of task ids or [task_id, map_index] pairs' }],
        },
      ]),
    ],
  })
  @ApiBody({
    type: TISkippedDownstreamTasksStatePayload,
    examples: { skip: { summary: 'A task id, and a [task_id, map_index] pair', value: { tasks: ['load', ['transform', 2]] } } },
  })
  async skipDownstream(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() body: TISkippedDownstreamTasksStatePayload): Promise<void> {
    await this.lifecycle.skipDownstream(id, body);
  }

  @Get(':task_instance_id/previous-successful-dagrun')
  // A read; it runs in a unit of work so a transient failure is retried like on the other routes.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'get_previous_successful_dagrun',
    summary: 'Get the previous successful dag run',
    description:
      "The data interval and dates of the latest successful run of the same dag whose logical date is before this run's. All four fields are null when there is none, or when this run has no logical date.",
    success: { status: 200, type: PrevSuccessfulDagRunResponse, description: 'The previous successful dag run, or all nulls.' },
    errors: [
      NOT_FOUND,
      GONE,
      { status: 422, description: 'The path id is not a UUID.', examples: [{ reason: 'validation_error', detail: 'The path parameter is not a valid UUID.' }] },
    ],
  })
  async previousSuccessfulDagRun(@Param() { task_instance_id: id }: TaskInstanceIdParams): Promise<PrevSuccessfulDagRunResponse> {
    return this.lifecycle.previousSuccessfulDagRun(id);
  }
}
