import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { TokenIssuer } from '../../common/auth/token-issuer';
import { TaskInstanceIdParams } from '../task-instance-id.params';
import { DATABASE_UNAVAILABLE } from '../../common/openapi/api-problem-response';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { ReadUnitOfWork } from '../../common/unit-of-work/unit-of-work.decorator';
import { IssueTokenDto, TaskInstanceTokenDto } from './dto/task-instance-token.dto';
import { TaskInstancesService } from './task-instances.service';
import { TaskInstanceProblemDto } from '../task-instance-problem.dto';

/** Control plane: issues the token a worker runs a task instance with. */
@ApiTags('Control plane: task instances')
@ApiBearerAuth()
@Controller('api/v1/task-instances')
export class TaskInstanceTokenController {
  constructor(
    private readonly taskInstances: TaskInstancesService,
    private readonly issuer: TokenIssuer,
  ) {}

  @Post(':task_instance_id/token')
  @ReadUnitOfWork()
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'issue_task_instance_token',
    summary: 'Issue a token for a task instance',
    description:
      'Signs a token whose `sub` is the task instance id. The default, a workload token, is what a scheduler hands to a queue: it is accepted only by `PATCH /execution/task-instances/{id}/run`, whose response carries a short-lived execution token in `Refreshed-API-Token`. Stores nothing.',
    success: { status: 201, type: TaskInstanceTokenDto, description: 'The signed token.' },
    errors: [
      { status: 404, description: 'Unknown task instance.', examples: [{ reason: 'not_found', detail: 'Task instance 0193… not found.' }] },
      { status: 413, description: 'Body too large.' },
      { status: 415, description: 'Body is not JSON.' },
      {
        status: 422,
        description: 'Path id not a UUID, or an invalid body.',
        examples: [
          {
            reason: 'validation_error',
            detail: 'The request is not valid.',
            errors: [{ path: 'scope', message: 'scope must be one of the following values: workload, execution' }],
          },
        ],
      },
      DATABASE_UNAVAILABLE,
    ],
  })
  // Swagger UI pre-fills the first example: an execution token, which every execution route takes
  // (a person trying the API in the browser has no worker to exchange a workload token).
  @ApiBody({
    type: IssueTokenDto,
    required: false,
    examples: {
      execution: { summary: 'An execution token: Authorize with it to try every /execution route', value: { scope: 'execution' } },
      workload: { summary: 'A workload token, as a scheduler queues it (accepted by PATCH …/run only)', value: { scope: 'workload' } },
    },
  })
  async issue(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() dto: IssueTokenDto): Promise<TaskInstanceTokenDto> {
    const ti = await this.taskInstances.get(id);
    const issued = dto.scope === 'execution' ? await this.issuer.executionToken(ti.id) : await this.issuer.workloadToken(ti.id);
    return TaskInstanceTokenDto.from(ti.id, issued);
  }
}
