import { Body, Controller, Get, Param, Patch, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { TaskInstanceIdParams } from '../task-instances/task-instance-id.params';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { UnitOfWork, ReadUnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { HITLAnswer, HITLDetailDto } from './dto/hitl-detail.dto';
import { HITL_NOT_FOUND_MESSAGE, HitlProblemDto } from './hitl.problems';
import { HitlService } from './hitl.service';

const ID = '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a';
const NOT_FOUND = {
  status: 404,
  description: 'The task instance has no human-in-the-loop detail.',
  examples: [{ reason: 'not_found', detail: HITL_NOT_FOUND_MESSAGE, task_instance_id: ID }],
};

/**
 * Control plane: a person reads a task's human-in-the-loop question and answers it (Airflow's core
 * API `PATCH …/hitlDetails`). Who answered is the admin token's subject. The answer is recorded once:
 * a second answer, concurrent or late, is a 409 `already_responded` and the first one is kept.
 */
@ApiTags('Control plane: human in the loop')
@ApiBearerAuth()
@Controller('api/v1/task-instances')
@ApiParam({ name: 'task_instance_id', schema: { type: 'string', format: 'uuid', example: ID } })
export class HitlAnswersController {
  constructor(private readonly hitl: HitlService) {}

  @Get(':task_instance_id/hitl-detail')
  @ReadUnitOfWork()
  @Endpoint({
    problem: HitlProblemDto,
    operationId: 'get_hitl_detail_for_answer',
    summary: "Get a task instance's human-in-the-loop question and answer",
    description: 'The whole detail: the question the task asked, the answer if one was given, and the task instance state.',
    success: { status: 200, type: HITLDetailDto, description: 'The detail.' },
    errors: [NOT_FOUND, { status: 422, description: 'Path id not a UUID.' }],
  })
  async detail(@Param() { task_instance_id: id }: TaskInstanceIdParams): Promise<HITLDetailDto> {
    return this.hitl.detail(id);
  }

  @Patch(':task_instance_id/hitl-detail')
  // One conditional UPDATE decides between concurrent answers (row lock, re-checked condition):
  // the loser gets 409 already_responded, never a lost update; transient failures are retried.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: HitlProblemDto,
    operationId: 'answer_hitl_detail',
    summary: "Answer a task instance's human-in-the-loop question",
    description:
      'Records the answer, who gave it (the token subject) and when. The chosen options must be among the question’s (one unless it allows several). ' +
      'A task parked in `awaiting_input` goes to `scheduled` in the same transaction: the scheduler queues it and the resumed try reads the answer (`GET /execution/hitlDetails/{id}`). ' +
      'Once only: a second answer is a 409 `already_responded` and the first is kept.',
    success: { status: 200, type: HITLDetailDto, description: 'The detail with the recorded answer.' },
    errors: [
      NOT_FOUND,
      {
        status: 409,
        description: 'Somebody (or the task itself) already answered; that answer is kept.',
        examples: [
          {
            reason: 'already_responded',
            detail: `Human-in-the-loop detail for Task Instance with id ${ID} already exists.`,
            task_instance_id: ID,
            responded_at: '2026-12-06T15:00:00.000Z',
          },
        ],
      },
      { status: 413, description: 'Body larger than HTTP_MAX_BODY_BYTES.' },
      { status: 415, description: 'Body is not JSON.' },
      {
        status: 422,
        description: 'Path id not a UUID, an invalid body, or options the question does not offer.',
        examples: [
          {
            reason: 'invalid_chosen_options',
            detail: 'chosen_options must be among the options of the question: 2 given.',
            task_instance_id: ID,
          },
        ],
      },
    ],
  })
  @ApiBody({
    type: HITLAnswer,
    examples: { approve: { summary: 'Approve, with a comment', value: { chosen_options: ['Approve'], params_input: { comment: 'looks good' } } } },
  })
  async answer(@Req() req: Request, @Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() body: HITLAnswer): Promise<HITLDetailDto> {
    const who = req.token!.sub;
    return this.hitl.answer(
      id,
      { chosenOptions: body.chosen_options, paramsInput: body.params_input, respondedBy: { id: who, name: who } },
      { validate: true, requeue: true },
    );
  }
}
