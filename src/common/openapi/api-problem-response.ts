import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, problemTitle } from '../problem/problem';
import { ProblemDto } from '../problem/problem.dto';

export interface ProblemExample {
  reason: string;
  detail: string;
  [extension: string]: unknown;
}

/** The example shown for a status when a route names none (otherwise Swagger UI shows the schema's `not_found`). */
const DEFAULT_EXAMPLES: Record<number, ProblemExample> = {
  400: { reason: 'bad_request', detail: 'The request body could not be read.' },
  404: { reason: 'not_found', detail: 'Task instance 0193… not found.' },
  413: { reason: 'payload_too_large', detail: 'The request body is larger than the limit of 1048576 bytes.' },
  415: { reason: 'unsupported_media_type', detail: 'Request bodies must be JSON (Content-Type: application/json).' },
  422: { reason: 'validation_error', detail: 'The request is not valid.' },
  503: { reason: 'database_unavailable', detail: 'The database is unavailable. Retry later.' },
};

/**
 * The 503 of a route that reads without `@Idempotency` (which documents its own): the pool could not
 * give it a connection.
 */
export const DATABASE_UNAVAILABLE = {
  status: 503,
  description: 'The database is unreachable, or every pooled connection stayed busy. Safe to retry after `Retry-After` seconds.',
  examples: [
    { reason: 'database_unavailable', detail: 'The database is unavailable. Retry later.' },
    { reason: 'pool_exhausted', detail: 'Every database connection of this instance is busy. Retry later.' },
  ],
};

/**
 * Documents one error response as `application/problem+json`, with examples per reason. `dto` is
 * `ProblemDto` or a module's subclass of it that adds the module's extension members.
 */
export function ApiProblemResponse(
  status: number,
  description: string,
  given: ProblemExample[] = [],
  dto: Type<ProblemDto> = ProblemDto,
): MethodDecorator & ClassDecorator {
  const examples = given.length > 0 ? given : DEFAULT_EXAMPLES[status] ? [DEFAULT_EXAMPLES[status]] : [];
  const content = {
    [PROBLEM_CONTENT_TYPE]: {
      schema: { $ref: getSchemaPath(dto) },
      ...(examples.length > 0
        ? {
            examples: Object.fromEntries(
              examples.map((e) => [
                e.reason,
                {
                  summary: e.reason,
                  value: {
                    type: `urn:task-execution-api:problem:${e.reason}`,
                    title: problemTitle(status),
                    status,
                    instance: '/…',
                    correlation_id: '0193…',
                    ...e,
                  },
                },
              ]),
            ),
          }
        : {}),
    },
  };
  return applyDecorators(ApiExtraModels(ProblemDto, dto), ApiResponse({ status, description, content }));
}
