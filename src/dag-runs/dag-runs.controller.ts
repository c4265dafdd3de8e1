import { applyDecorators, Body, Controller, Get, Header, Param, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiOkResponse, ApiParam, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { resolvedApiVersion } from '../common/api-version/api-version.header';
import { VersionedResponse } from '../common/api-version/versioned-response';
import { TaskInstanceFrom } from '../common/auth/task-instance-source';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { ProblemDto } from '../common/problem/problem.dto';
import { createValidationPipe } from '../common/problem/validation';
import { UnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { IdempotencyKey } from '../common/idempotency-keys/idempotency-key.decorator';
import { AnyTaskInstanceToken } from '../task-instances/any-task-instance-token';
import { DagRunContext } from './dag-run-context.dto';
import { DagRunsService } from './dag-runs.service';
import { servesPreviousByPath } from './dag-runs.versions';
import { DagIdParams } from '../dags/dag-id.params';
import { ClearDagRunPayload, TriggerDAGRunPayload } from './dto/dag-run-payloads.dto';
import { DagRunParams } from './dag-run.params';
import { DagRunCountQuery, PreviousDagRunByPathQuery, PreviousDagRunQuery } from './dto/dag-run-queries.dto';
import { DAG_RUN_STATES } from '../task-instances/task-instance-state';
import { DagRunStateResponse } from './dto/dag-run-responses.dto';
import { JsonNullInterceptor } from './json-null.interceptor';

/** The older route's query is validated only for the versions that have that route (see `servesPreviousByPath`). */
const PREVIOUS_BY_PATH_PIPE = createValidationPipe();

function RunParams(): MethodDecorator {
  return applyDecorators(
    ApiParam({ name: 'dag_id', schema: { type: 'string', maxLength: 250, example: 'example_dag' } }),
    ApiParam({ name: 'run_id', schema: { type: 'string', maxLength: 250, example: 'manual__2026-12-06' } }),
  );
}

const DAG_NOT_FOUND = { reason: 'not_found', detail: "Dag with dag_id: 'example_dag' not found" };
const RUN_NOT_FOUND = { reason: 'not_found', detail: "Dag run with dag_id 'example_dag' and run_id 'manual__2026-12-06' was not found" };
const IMPORT_ERRORS = {
  status: 400,
  description: 'The control plane marked the dag as failing to import.',
  examples: [{ reason: 'import_errors', detail: "Dag with dag_id 'example_dag' has import errors and cannot be triggered" }],
};
const INVALID = (what: string) => ({
  status: 422,
  description: `${what} is not valid.`,
  examples: [
    {
      reason: 'validation_error',
      detail: 'The request is not valid.',
      errors: [{ path: 'logical_date', message: 'logical_date must be an ISO-8601 date-time with a time zone (e.g. 2026-11-25T10:00:00Z)' }],
    },
  ],
});
const previousSchema = { nullable: true, allOf: [{ $ref: getSchemaPath(DagRunContext) }] };

/**
 * Airflow's dag-run routes of the execution API (`routes/dag_runs.py`). They name no task instance
 * (Airflow's plain router): any execution token may call them (`AnyTaskInstanceToken`). Reads run in
 * a unit of work (transient failures retried, lock waits bounded). Registration order matters:
 * `count`, `previous` and `{dag_id}/previous` come before `{dag_id}/{run_id}`, as in Airflow.
 */
@ApiTags('Execution API: dag runs')
@ApiBearerAuth()
@ApiExtraModels(DagRunContext)
@Controller('execution/dag-runs')
@TaskInstanceFrom({ resolver: AnyTaskInstanceToken })
@UnitOfWork({ idempotent: true })
export class DagRunsController {
  constructor(private readonly dagRuns: DagRunsService) {}

  @Get('count')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @Endpoint({
    problem: ProblemDto,
    operationId: 'get_dr_count',
    summary: 'Count dag runs',
    description: 'How many runs of the dag match every filter given (`logical_dates`, `run_ids`, `states`, each repeatable). Any execution token may call it.',
    success: { status: 200, description: 'The count, a bare JSON integer.' },
    errors: [INVALID('A query parameter')],
  })
  @ApiOkResponse({ description: 'The count.', schema: { type: 'integer', example: 1 } })
  // A bare integer: serialised here, since Nest sends a returned number as text/html.
  @Header('Content-Type', 'application/json; charset=utf-8')
  async count(@Query() query: DagRunCountQuery): Promise<string> {
    return JSON.stringify(await this.dagRuns.count(query));
  }

  @Get('previous')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @Endpoint({
    problem: ProblemDto,
    operationId: 'get_previous_dagrun',
    summary: 'Get the previous dag run',
    description:
      'The run of the dag with the latest logical date strictly before `logical_date`, in `state` when given; null when there is none (also for an unknown dag). API 2026-04-06; older callers use `GET /execution/dag-runs/{dag_id}/previous`.',
    success: { status: 200, description: 'The dag run, or null.' },
    errors: [INVALID('A query parameter (e.g. an unknown state)')],
  })
  @ApiOkResponse({ description: 'The previous dag run, or null.', schema: previousSchema })
  @Header('Content-Type', 'application/json; charset=utf-8')
  @VersionedResponse('DagRun')
  @UseInterceptors(JsonNullInterceptor)
  async previous(@Query() query: PreviousDagRunQuery): Promise<DagRunContext | null> {
    return this.dagRuns.previous(query.dag_id, query.logical_date, query.state);
  }

  @Get(':dag_id/previous')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @ApiParam({ name: 'dag_id', schema: { type: 'string', maxLength: 250, example: 'example_dag' } })
  // The query is validated in the handler (only the older versions have it), so it is documented here.
  @ApiQuery({
    name: 'logical_date',
    required: true,
    schema: { type: 'string', format: 'date-time', example: '2026-12-06T14:00:00Z' },
    description: 'Runs strictly before this logical date.',
  })
  @ApiQuery({ name: 'state', required: false, schema: { type: 'string', enum: [...DAG_RUN_STATES] }, description: 'Only a run in this state.' })
  @Endpoint({
    problem: ProblemDto,
    operationId: 'get_previous_dagrun_compat',
    summary: 'Get the previous dag run (before API 2026-04-06)',
    description:
      'Callers of API versions before 2026-04-06: as `GET /execution/dag-runs/previous` with the dag in the path. Callers of 2026-04-06 or later get the dag run whose id is `previous` (404 when there is none), as Airflow routes them.',
    success: { status: 200, description: 'The dag run, or null.' },
    errors: [
      {
        status: 404,
        description: 'API 2026-04-06 or later: no run has the id `previous`.',
        examples: [{ ...RUN_NOT_FOUND, detail: "Dag run with dag_id 'example_dag' and run_id 'previous' was not found" }],
      },
      INVALID('A query parameter'),
    ],
  })
  @ApiOkResponse({ description: 'The previous dag run, or null.', schema: previousSchema })
  @Header('Content-Type', 'application/json; charset=utf-8')
  @VersionedResponse('DagRun')
  @UseInterceptors(JsonNullInterceptor)
  async previousByPath(@Param() { dag_id: dagId }: DagIdParams, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<DagRunContext | null> {
    if (!servesPreviousByPath(resolvedApiVersion(res))) return this.dagRuns.detail(dagId, 'previous');
    const query = (await PREVIOUS_BY_PATH_PIPE.transform(req.query, { type: 'query', metatype: PreviousDagRunByPathQuery })) as PreviousDagRunByPathQuery;
    return this.dagRuns.previous(dagId, query.logical_date, query.state);
  }

  @Get(':dag_id/:run_id/state')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @RunParams()
  @Endpoint({
    problem: ProblemDto,
    operationId: 'get_dagrun_state',
    summary: 'Get the state of a dag run',
    success: { status: 200, type: DagRunStateResponse, description: 'The state.' },
    errors: [{ status: 404, description: 'No such dag run.', examples: [RUN_NOT_FOUND] }, INVALID('A path parameter')],
  })
  async state(@Param() { dag_id: dagId, run_id: runId }: DagRunParams): Promise<DagRunStateResponse> {
    return { state: await this.dagRuns.state(dagId, runId) };
  }

  @Get(':dag_id/:run_id')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @RunParams()
  @Endpoint({
    problem: ProblemDto,
    operationId: 'get_dag_run',
    summary: 'Get a dag run',
    description: "The dag run, in the caller's API version's shape (API 2026-04-06).",
    success: { status: 200, type: DagRunContext, description: 'The dag run.' },
    errors: [{ status: 404, description: 'No such dag run.', examples: [RUN_NOT_FOUND] }, INVALID('A path parameter')],
  })
  @VersionedResponse('DagRun')
  async detail(@Param() { dag_id: dagId, run_id: runId }: DagRunParams): Promise<DagRunContext> {
    return this.dagRuns.detail(dagId, runId);
  }

  @Post(':dag_id/:run_id')
  @RunParams()
  // Not idempotent: a second trigger of one run id is a real conflict (409 already_exists). A client
  // retrying after a timeout sends the same Idempotency-Key and gets the stored 204 instead.
  @UnitOfWork({ idempotent: false })
  @IdempotencyKey('optional')
  @Endpoint({
    problem: ProblemDto,
    operationId: 'trigger_dag_run',
    summary: 'Trigger a dag run',
    description:
      "Creates the run, queued, of run type `operator_triggered`, with the conf (numbers stored as written), logical date, partition key and note given, and the triggering user of the caller's own run. `reset_dag_run` is the Task SDK's business: on a 409 it clears the run.",
    success: { status: 204, description: 'Triggered.' },
    errors: [
      IMPORT_ERRORS,
      { status: 404, description: 'The dag is not known: neither registered (`PUT /api/v1/dags/{dag_id}`) nor with any run.', examples: [DAG_NOT_FOUND] },
      {
        status: 409,
        description: 'A run with this id already exists (a second trigger).',
        examples: [{ reason: 'already_exists', detail: "A run already exists for Dag 'example_dag' with run_id 'manual__2026-12-06'" }],
      },
      INVALID('The body or a path parameter'),
    ],
  })
  @ApiBody({ type: TriggerDAGRunPayload, examples: { trigger: { value: { logical_date: '2026-12-06T14:00:00Z', conf: { target: 'prod' } } } } })
  async trigger(@Param() { dag_id: dagId, run_id: runId }: DagRunParams, @Body() payload: TriggerDAGRunPayload, @Req() req: Request): Promise<void> {
    await this.dagRuns.trigger(req.token!.sub, dagId, runId, payload);
  }

  @Post(':dag_id/:run_id/clear')
  @RunParams()
  @Endpoint({
    problem: ProblemDto,
    operationId: 'clear_dag_run',
    summary: 'Clear a dag run',
    description:
      'The run goes back to queued and its task instances (only the failed and upstream-failed ones with `only_failed`) back to no state for a new try; a running one becomes `restarting`. Older SDKs send no body.',
    success: { status: 204, description: 'Cleared.' },
    errors: [
      IMPORT_ERRORS,
      {
        status: 404,
        description: 'The dag is not known, or has no such run.',
        examples: [DAG_NOT_FOUND, { reason: 'not_found', detail: "Dag run with run_id: 'manual__2026-12-06' not found" }],
      },
      INVALID('The body or a path parameter'),
    ],
  })
  @ApiBody({ type: ClearDagRunPayload, required: false, examples: { only_failed: { value: { only_failed: true } } } })
  async clear(@Param() { dag_id: dagId, run_id: runId }: DagRunParams, @Body() payload: ClearDagRunPayload): Promise<void> {
    await this.dagRuns.clear(dagId, runId, payload.only_failed ?? false);
  }
}
