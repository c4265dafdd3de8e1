import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../problem/problem';
import { ProblemDto } from '../problem/problem.dto';

export interface ProblemExample {
  reason: string;
  detail: string;
  [extension: string]: unknown;
}

/** Documents one error response as `application/problem+json` with `ProblemDto`, with examples per reason. */
export function ApiProblemResponse(status: number, description: string, examples: ProblemExample[] = []): MethodDecorator & ClassDecorator {
  const content = {
    [PROBLEM_CONTENT_TYPE]: {
      schema: { $ref: getSchemaPath(ProblemDto) },
      ...(examples.length > 0
        ? {
            examples: Object.fromEntries(
              examples.map((e) => [
                e.reason,
                {
                  summary: e.reason,
                  value: { type: `urn:task-execution-api:problem:${e.reason}`, title: '', status, instance: '/…', correlation_id: '0193…', ...e },
                },
              ]),
            ),
          }
        : {}),
    },
  };
  return applyDecorators(ApiExtraModels(ProblemDto), ApiResponse({ status, description, content }));
}
