import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiParam, ApiTags } from '@nestjs/swagger';
import { TaskInstanceFrom } from '../common/auth/task-instance-source';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { ProblemDto } from '../common/problem/problem.dto';
import { UnitOfWork, ReadUnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { DagRunsService } from '../dag-runs/dag-runs.service';
import { DagRunContext } from '../dag-runs/dag-run-context.dto';
import { AnyTaskInstanceToken } from '../task-instances/any-task-instance-token';
import { DagRunParams } from '../dag-runs/dag-run.params';
import { DagIdParams } from './dag-id.params';
import { DagDetail, DagResponse, PutDagDto } from './dto/dag.dto';
import { DagsService } from './dags.service';

const DAG_ID = ApiParam({ name: 'dag_id', schema: { type: 'string', maxLength: 250, example: 'example_dag' } });
const DAG_NOT_FOUND = { reason: 'not_found', detail: "Dag with dag_id: 'example_dag' not found" };
const INVALID = {
  status: 422,
  description: 'The body or a path parameter is not valid.',
  examples: [
    { reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'tags.0', message: 'tags must not contain control characters' }] },
  ],
};

/** Airflow's `GET /execution/dags/{dag_id}` (`routes/dags.py`, API 2026-04-06): any execution token may call it. */
@ApiTags('Execution API: dags')
@ApiBearerAuth()
@Controller('execution/dags')
@TaskInstanceFrom({ resolver: AnyTaskInstanceToken })
@UnitOfWork({ idempotent: true })
export class DagsController {
  constructor(private readonly dags: DagsService) {}

  @Get(':dag_id')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @DAG_ID
  @Endpoint({
    problem: ProblemDto,
    operationId: 'get_dag',
    summary: 'Get a dag',
    description: 'The dag as the control plane registered it; a dag known only by its runs answers the defaults (not paused, no bundle, no tags).',
    success: { status: 200, type: DagResponse, description: 'The dag.' },
    errors: [
      { status: 404, description: 'The dag is neither registered nor has any run.', examples: [DAG_NOT_FOUND] },
      { ...INVALID, description: 'The path parameter is not valid.' },
    ],
  })
  async get(@Param() { dag_id: dagId }: DagIdParams): Promise<DagResponse> {
    return this.dags.get(dagId);
  }
}

/** Control plane: what a scheduler registers about dags, and the runs it can look at. */
@ApiTags('Control plane: dags')
@ApiBearerAuth()
@Controller('api/v1')
export class DagsAdminController {
  constructor(
    private readonly dags: DagsService,
    private readonly dagRuns: DagRunsService,
  ) {}

  @Put('dags/:dag_id')
  @DAG_ID
  // Registering a dag twice with the same body leaves it as registering it once: an upsert.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: ProblemDto,
    operationId: 'put_dag',
    summary: 'Register a dag',
    description:
      'Registers the dag, or replaces its registration (absent fields go back to their defaults). A registered dag can be triggered by a task (`POST /execution/dag-runs/{dag_id}/{run_id}`) and read (`GET /execution/dags/{dag_id}`); `has_import_errors` refuses triggers and clears with 400.',
    success: { status: 200, type: DagDetail, description: 'The dag as registered.' },
    errors: [INVALID],
  })
  @ApiBody({
    type: PutDagDto,
    examples: { dag: { value: { owners: 'airflow', tags: ['example'], bundle_name: 'dags-folder', relative_fileloc: 'example_dag.py' } } },
  })
  async put(@Param() { dag_id: dagId }: DagIdParams, @Body() dto: PutDagDto): Promise<DagDetail> {
    return this.dags.put(dagId, dto);
  }

  @Get('dags/:dag_id')
  @DAG_ID
  @ReadUnitOfWork({ reads: 'replica' })
  @Endpoint({
    problem: ProblemDto,
    operationId: 'get_registered_dag',
    summary: 'Get a registered dag',
    success: { status: 200, type: DagDetail, description: 'The dag as registered.' },
    errors: [
      { status: 404, description: 'The dag is not registered.', examples: [DAG_NOT_FOUND] },
      { ...INVALID, description: 'The path parameter is not valid.' },
    ],
  })
  async detail(@Param() { dag_id: dagId }: DagIdParams): Promise<DagDetail> {
    return this.dags.detail(dagId);
  }

  @Get('dag-runs/:dag_id/:run_id')
  @DAG_ID
  @ApiParam({ name: 'run_id', schema: { type: 'string', maxLength: 250, example: 'manual__2026-12-06' } })
  @ReadUnitOfWork({ reads: 'replica' })
  @Endpoint({
    problem: ProblemDto,
    operationId: 'get_dag_run_admin',
    summary: 'Get a dag run',
    description: 'The dag run in the newest shape, with its conf as stored (numbers as written), triggering user, partition key and note.',
    success: { status: 200, type: DagRunContext, description: 'The dag run.' },
    errors: [
      {
        status: 404,
        description: 'No such dag run.',
        examples: [{ reason: 'not_found', detail: "Dag run with dag_id 'example_dag' and run_id 'manual__2026-12-06' was not found" }],
      },
      { ...INVALID, description: 'A path parameter is not valid.' },
    ],
  })
  async dagRun(@Param() { dag_id: dagId, run_id: runId }: DagRunParams): Promise<DagRunContext> {
    return this.dagRuns.detail(dagId, runId);
  }
}
