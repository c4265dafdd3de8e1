import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray } from 'class-validator';
import { IsTaskRefList } from './lifecycle.validators';
import { JsonBody } from '../../../common/problem/validation';
import { LIFECYCLE_BODY_MAX_DEPTH } from '../lifecycle.limits';

export const SKIP_DOWNSTREAM_MAX_TASKS = 10_000;

/** `PATCH /skip-downstream` body (Airflow's `TISkippedDownstreamTasksStatePayload`). */
@ApiSchema({ name: 'TISkippedDownstreamTasksStatePayload' })
@JsonBody({ json: 'object', maxDepth: LIFECYCLE_BODY_MAX_DEPTH })
export class TISkippedDownstreamTasksStatePayload {
  @ApiProperty({
    type: 'array',
    maxItems: SKIP_DOWNSTREAM_MAX_TASKS,
    items: {
      oneOf: [
        { type: 'string', minLength: 1, maxLength: 250, description: 'A task id (map index -1).' },
        {
          type: 'array',
          minItems: 2,
          maxItems: 2,
          items: { oneOf: [{ type: 'string' }, { type: 'integer', minimum: -1 }] },
          description: '[task_id, map_index]',
        },
      ],
    },
    example: ['load', ['transform', 2]],
  })
  @IsArray()
  @ArrayMaxSize(SKIP_DOWNSTREAM_MAX_TASKS)
  @IsTaskRefList()
  tasks: (string | [string, number])[];
}
