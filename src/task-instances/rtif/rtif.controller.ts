import { Body, Controller, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { TaskInstanceFrom } from '../../common/auth/task-instance-source';
import { TaskInstanceIdParams } from '../task-instance-id.params';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { UnitOfWork } from '../../common/unit-of-work/unit-of-work.decorator';
import { JSON_VALUE_SCHEMA } from '../../common/json/json-value.schema';
import { RenderedFieldsBody, RTIF_BODY_EXAMPLE, RtifWrittenDto } from './dto/rendered-fields.dto';
import { RtifService } from './rtif.service';
import { MOVED_TO_HISTORY_MESSAGE } from '../task-instances.errors';
import { TaskInstanceProblemDto } from '../task-instance-problem.dto';

export const RTIF_WRITTEN_MESSAGE = 'Rendered task instance fields successfully set';

/** Execution API: what a running task calls to record its rendered template fields. */
@ApiTags('Execution API: task instances')
@ApiBearerAuth()
@Controller('execution/task-instances')
@TaskInstanceFrom({ param: 'task_instance_id' })
export class RtifController {
  constructor(private readonly rtif: RtifService) {}

  @Put(':task_instance_id/rtif')
  // One unit of work: BEGIN, the lookup (which also sets the transaction's lock_timeout, saving the
  // runner's SET LOCAL round trip), em.upsert, retention after a first write only, COMMIT
  // (docs/performance.md).
  @UnitOfWork({ idempotent: true, lockTimeout: 'first-statement' })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'put_rtif',
    summary: 'Set Rendered Task Instance Fields',
    description:
      'Stores the rendered template fields of a task instance (last writer wins; the whole object is replaced). Values under sensitive keys are redacted to "***". Idempotent: overlapping or repeated writes all answer 201.',
    success: { status: 201, type: RtifWrittenDto, description: 'Stored (first write and overwrite alike).' },
    errors: [
      { status: 404, description: 'Unknown task instance.', examples: [{ reason: 'not_found', detail: 'Task instance 0193… not found.' }] },
      {
        status: 410,
        description: 'The id belonged to a try that was archived (up_for_retry): a late write from a stale try. Nothing is written; the worker may skip it.',
        examples: [{ reason: 'not_found', detail: MOVED_TO_HISTORY_MESSAGE }],
      },
      {
        status: 413,
        description: 'Body larger than HTTP_MAX_BODY_BYTES.',
        examples: [{ reason: 'payload_too_large', detail: 'The request body is larger than the limit of 1048576 bytes.' }],
      },
      { status: 415, description: 'Body is not JSON.' },
      {
        status: 422,
        description: 'Path id not a UUID; body not a JSON object, malformed, or too deep; a value PostgreSQL rejects.',
        examples: [
          {
            reason: 'validation_error',
            detail: 'The request body must be a JSON object.',
            errors: [{ path: '', message: 'must be a JSON object, got an array' }],
          },
          { reason: 'invalid_json', detail: 'The request body is not valid JSON.' },
          { reason: 'value_rejected', detail: 'The database rejected a value in the request.' },
        ],
      },
    ],
  })
  @ApiBody({
    description: 'Template field name → rendered value (any JSON).',
    schema: { type: 'object', additionalProperties: JSON_VALUE_SCHEMA, example: RTIF_BODY_EXAMPLE },
  })
  async putRtif(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() { fields }: RenderedFieldsBody): Promise<RtifWrittenDto> {
    await this.rtif.write(id, fields);
    return { message: RTIF_WRITTEN_MESSAGE };
  }
}
