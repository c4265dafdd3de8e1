import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiParam, ApiTags } from '@nestjs/swagger';
import { VersionedResponse } from '../common/api-version/versioned-response';
import { TaskInstanceFrom } from '../common/auth/task-instance-source';
import { TaskInstanceIdParams } from '../task-instances/task-instance-id.params';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { UnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { MOVED_TO_HISTORY_MESSAGE } from '../task-instances/task-instances.errors';
import { HITLDetailEcho, HITLDetailRequest, HITLDetailResponse, UpdateHITLDetailPayload } from './dto/hitl-detail.dto';
import { HITL_NOT_FOUND_MESSAGE, HitlProblemDto } from './hitl.problems';
import { HitlService } from './hitl.service';

const ID = '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a';
const DETAIL_NOT_FOUND = {
  status: 404,
  description: 'The task instance has no human-in-the-loop detail (never asked, or cleared before the answer).',
  examples: [{ reason: 'not_found', detail: HITL_NOT_FOUND_MESSAGE, task_instance_id: ID }],
};
const INVALID = {
  status: 422,
  description: 'Path id not a UUID, or an invalid body.',
  examples: [
    { reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'options', message: 'options must contain at least 1 elements' }] },
  ],
};
export const HITL_REQUEST_EXAMPLE = {
  ti_id: ID,
  options: ['Approve', 'Reject'],
  subject: 'Publish the quarterly report?',
  body: 'Revenue is up 4 %.',
  defaults: ['Reject'],
  multiple: false,
  params: { comment: { value: '', description: null, schema: { type: 'string' } } },
  assigned_users: [{ id: 'jane', name: 'Jane Doe' }],
};

/**
 * Airflow's human-in-the-loop routes of the execution API (`routes/hitl.py`, Task SDK
 * `HITLOperations`): the task asks its question, reads the answer, or records one itself (the
 * defaults after a timeout). People answer through the control plane (`hitl-answers.controller.ts`).
 * The path is relative to the execution base, as httpx joins the SDK's `/hitlDetails/…`.
 */
@ApiTags('Execution API: human in the loop')
@ApiBearerAuth()
@Controller('execution/hitlDetails')
@TaskInstanceFrom({ param: 'task_instance_id' })
@ApiParam({ name: 'task_instance_id', schema: { type: 'string', format: 'uuid', example: ID } })
export class HitlController {
  constructor(private readonly hitl: HitlService) {}

  @Post(':task_instance_id')
  // Asking twice has the effect of asking once: one INSERT … ON CONFLICT DO UPDATE, so overlapping
  // or retried calls all answer 201 with the stored question.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: HitlProblemDto,
    operationId: 'upsert_hitl_detail',
    summary: 'Upsert Hitl Detail',
    description:
      "Creates the task instance's human-in-the-loop question. Airflow's upsert: an existing question without an answer is returned as stored (the payload is not applied); " +
      'one with an answer loses the answer (the task instance was cleared or retried after it was given). One atomic statement: overlapping or repeated calls all answer 201.',
    success: { status: 201, type: HITLDetailEcho, description: 'The stored question.' },
    errors: [
      {
        status: 404,
        description: 'Unknown task instance.',
        examples: [{ reason: 'not_found', detail: `Task instance ${ID} not found.`, task_instance_id: ID }],
      },
      {
        status: 410,
        description: 'The id belonged to an archived try: nothing is written.',
        examples: [{ reason: 'not_found', detail: MOVED_TO_HISTORY_MESSAGE }],
      },
      { status: 413, description: 'Body larger than HTTP_MAX_BODY_BYTES.' },
      { status: 415, description: 'Body is not JSON.' },
      INVALID,
    ],
  })
  @ApiBody({ type: HITLDetailRequest, examples: { approval: { summary: 'An approval with a comment field', value: HITL_REQUEST_EXAMPLE } } })
  async upsert(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() payload: HITLDetailRequest): Promise<HITLDetailEcho> {
    return this.hitl.upsert(id, payload);
  }

  @Patch(':task_instance_id')
  // A conditional UPDATE: a repeat or a concurrent second answer finds the answer given and is a
  // real conflict (409 already_responded), never retried into a lost update.
  @UnitOfWork({ idempotent: true })
  @VersionedResponse('HITLDetailResponse')
  @Endpoint({
    problem: HitlProblemDto,
    operationId: 'update_hitl_detail',
    summary: 'Update Hitl Detail',
    description:
      'The task records the answer itself (the HITL trigger does so with the defaults when nobody answers in time); `responded_by_user` stays null. Once only: a question already answered is a 409. ' +
      'API versions before 2025-09-23 get `user_id` and `response_at` instead of `responded_by_user` and `responded_at`.',
    success: { status: 200, type: HITLDetailResponse, description: 'The recorded answer.' },
    errors: [
      DETAIL_NOT_FOUND,
      {
        status: 409,
        description: 'The question was already answered (by a person or by an earlier call); the first answer is kept.',
        examples: [
          {
            reason: 'already_responded',
            detail: `Human-in-the-loop detail for Task Instance with id ${ID} already exists.`,
            task_instance_id: ID,
            responded_at: '2026-12-06T15:00:00.000Z',
            airflow: { detail: `Human-in-the-loop detail for Task Instance with id ${ID} already exists.` },
          },
        ],
      },
      { status: 413, description: 'Body larger than HTTP_MAX_BODY_BYTES.' },
      { status: 415, description: 'Body is not JSON.' },
      INVALID,
    ],
  })
  @ApiBody({
    type: UpdateHITLDetailPayload,
    examples: { approve: { summary: 'Approve', value: { ti_id: ID, chosen_options: ['Approve'], params_input: { comment: 'looks good' } } } },
  })
  async update(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() payload: UpdateHITLDetailPayload): Promise<HITLDetailResponse> {
    const answered = await this.hitl.answer(
      id,
      { chosenOptions: payload.chosen_options, paramsInput: payload.params_input, respondedBy: null },
      { validate: false, requeue: false },
    );
    return {
      response_received: answered.response_received,
      responded_by_user: answered.responded_by_user,
      responded_at: answered.responded_at,
      chosen_options: answered.chosen_options,
      params_input: answered.params_input,
    };
  }

  @Get(':task_instance_id')
  @UnitOfWork({ idempotent: true })
  @VersionedResponse('HITLDetailResponse')
  @Endpoint({
    problem: HitlProblemDto,
    operationId: 'get_hitl_detail',
    summary: 'Get Hitl Detail',
    description:
      'The answer part of the question: `response_received: false` and nulls while nobody answered. API versions before 2025-09-23 get `user_id` and `response_at`.',
    success: { status: 200, type: HITLDetailResponse, description: 'The answer, or its absence.' },
    errors: [DETAIL_NOT_FOUND, { status: 422, description: 'Path id not a UUID.' }],
  })
  async get(@Param() { task_instance_id: id }: TaskInstanceIdParams): Promise<HITLDetailResponse> {
    return this.hitl.response(id);
  }
}
