import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { TaskInstanceIdParams } from '../task-instance-id.params';
import { DATABASE_UNAVAILABLE } from '../../common/openapi/api-problem-response';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { IdempotencyKey } from '../../common/idempotency-keys/idempotency-key.decorator';
import { ReadUnitOfWork, UnitOfWork } from '../../common/unit-of-work/unit-of-work.decorator';
import { CreateTaskInstanceDto } from './dto/create-task-instance.dto';
import { RenderedFieldsDto } from '../rtif/dto/rendered-fields.dto';
import { TaskInstanceDto } from './dto/task-instance.dto';
import { RtifService } from '../rtif/rtif.service';
import { TASK_INSTANCE_KEY_CONSTRAINT } from '../task-instance.entity';
import { TaskInstancesService } from './task-instances.service';
import { TaskInstanceProblemDto } from '../task-instance-problem.dto';

const CREATE_EXAMPLE = { dag_id: 'example_dag', task_id: 'extract', state: 'queued', run_type: 'manual', conf: {} };
const NOT_FOUND = { status: 404, description: 'Unknown task instance.', examples: [{ reason: 'not_found', detail: 'Task instance 0193… not found.' }] };
const BAD_ID = {
  status: 422,
  description: 'The path id is not a UUID.',
  examples: [{ reason: 'validation_error', detail: 'The path parameter is not a valid UUID.' }],
};

/** Control plane: what schedulers, operators and people in Swagger UI use. */
@ApiTags('Control plane: task instances')
@ApiBearerAuth()
@Controller('api/v1/task-instances')
export class TaskInstancesController {
  constructor(
    private readonly taskInstances: TaskInstancesService,
    private readonly rtif: RtifService,
  ) {}

  @Post()
  @UnitOfWork({
    idempotent: false,
    constraints: {
      // Two creations racing on a new dag run: transient, the loser's rerun finds the run.
      dag_run_pkey: 'retry',
      [TASK_INSTANCE_KEY_CONSTRAINT]: { conflict: 'already_exists' },
    },
  })
  // A client that timed out can repeat the creation with the same key and get its task instance
  // (replayed) instead of a 409 already_exists it cannot tell from a real duplicate.
  @IdempotencyKey('optional')
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'create_task_instance',
    summary: 'Create a task instance',
    description:
      'Creates a task instance, and its dag run when absent. Not idempotent: a second task instance with the same (dag_id, run_id, task_id, map_index) is a 409 `already_exists`. ' +
      'To retry safely after a timeout, send an `Idempotency-Key`: a repeat with the same key gets the first response again (`Idempotent-Replayed: true`) instead of a 409.',
    success: {
      status: 201,
      type: TaskInstanceDto,
      description: 'Created.',
      headers: { Location: { description: 'The new task instance: `/api/v1/task-instances/{id}`.', schema: { type: 'string', format: 'uri-reference' } } },
    },
    errors: [
      { status: 413, description: 'Body too large.' },
      { status: 415, description: 'Body is not JSON.' },
      {
        status: 422,
        description: 'Invalid body.',
        examples: [
          { reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'map_index', message: 'map_index must not be less than -1' }] },
        ],
      },
    ],
  })
  // Swagger UI pre-fills "Try it out" with this: no run_id (a new dag run each time, never a 409)
  // and a queued state, so the next step, PATCH …/run, accepts the task instance.
  @ApiBody({ type: CreateTaskInstanceDto, examples: { queued: { summary: 'A queued task instance in a new manual dag run', value: CREATE_EXAMPLE } } })
  async create(@Body() dto: CreateTaskInstanceDto, @Res({ passthrough: true }) res: Response): Promise<TaskInstanceDto> {
    const created = TaskInstanceDto.from(await this.taskInstances.create(dto));
    res.location(`/api/v1/task-instances/${created.id}`);
    return created;
  }

  @Get(':task_instance_id')
  @ReadUnitOfWork({ reads: 'replica' })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'get_task_instance',
    summary: 'Get a task instance',
    success: { status: 200, type: TaskInstanceDto, description: 'The task instance.' },
    errors: [NOT_FOUND, BAD_ID, DATABASE_UNAVAILABLE],
  })
  async get(@Param() { task_instance_id: id }: TaskInstanceIdParams): Promise<TaskInstanceDto> {
    return TaskInstanceDto.from(await this.taskInstances.get(id));
  }

  @Get(':task_instance_id/rendered-fields')
  @ReadUnitOfWork({ reads: 'replica' })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'get_rendered_fields',
    summary: 'Get the rendered fields of a task instance',
    success: { status: 200, type: RenderedFieldsDto, description: 'The stored (redacted) rendered fields.' },
    errors: [
      {
        status: 404,
        description: 'Unknown task instance (`not_found`), or none written yet (`rendered_fields_not_found`).',
        examples: [
          { reason: 'not_found', detail: 'Task instance 0193… not found.' },
          { reason: 'rendered_fields_not_found', detail: 'Task instance 0193… has no rendered fields yet.' },
        ],
      },
      BAD_ID,
      DATABASE_UNAVAILABLE,
    ],
  })
  async renderedFields(@Param() { task_instance_id: id }: TaskInstanceIdParams): Promise<RenderedFieldsDto> {
    return RenderedFieldsDto.from(await this.rtif.read(id));
  }
}
