import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import { routeArea } from '../auth/route-area';
import { AIRFLOW_ERROR_CONTENT_TYPE, buildAirflowError } from '../problem/airflow-error';
import { PROBLEM_CONTENT_TYPE, problemTitle, problemType, type AirflowWording, type ProblemInput, type ProblemIssue } from '../problem/problem';
import { ProblemDto } from '../problem/problem.dto';

export interface ProblemExample {
  reason: string;
  detail: string;
  /** How Airflow words it where that differs from `detail` (the `application/json` example only). */
  airflow?: AirflowWording;
  [extension: string]: unknown;
}

/**
 * Where an example's Airflow wording waits, on the problem example, for
 * `applyErrorFormatsToDocument` (an OpenAPI specification extension: Swagger UI ignores it).
 */
const AIRFLOW_WORDING_EXTENSION = 'x-airflow-wording';

/** The example object of a problem example: the problem body, and the Airflow wording aside. */
export function problemExampleObject(status: number, example: ProblemExample): Record<string, unknown> {
  const { airflow, ...members } = example;
  return {
    summary: example.reason,
    value: {
      type: problemType(example.reason),
      title: problemTitle(status),
      status,
      instance: '/…',
      correlation_id: '0193…',
      ...members,
    },
    ...(airflow !== undefined ? { [AIRFLOW_WORDING_EXTENSION]: airflow } : {}),
  };
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
 * The 503 of a route that reads without `@UnitOfWork` (which documents its own): the pool could not
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
            examples: Object.fromEntries(examples.map((e) => [e.reason, problemExampleObject(status, e)])),
          }
        : {}),
    },
  };
  return applyDecorators(ApiExtraModels(ProblemDto, dto), ApiResponse({ status, description, content }));
}

/** FastAPI's error schemas, named as Airflow's execution API document names them. */
const AIRFLOW_SCHEMAS = {
  HTTPExceptionResponse: {
    type: 'object',
    description:
      "Airflow's error body: `detail` is an object (`reason`, `message` and the members of the reason, e.g. `previous_state`) or, for auth refusals and unknown routes, a string.",
    required: ['detail'],
    properties: {
      detail: {
        oneOf: [
          { type: 'string' },
          {
            type: 'object',
            required: ['reason', 'message'],
            properties: { reason: { type: 'string', example: 'not_found' }, message: { type: 'string', example: 'Task Instance not found' } },
            additionalProperties: true,
          },
        ],
      },
    },
  },
  ValidationError: {
    type: 'object',
    required: ['loc', 'msg', 'type'],
    properties: {
      loc: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] }, example: ['body', 'pid'] },
      msg: { type: 'string', example: 'pid must be an integer number' },
      type: { type: 'string', example: 'value_error' },
    },
  },
  HTTPValidationError: {
    type: 'object',
    required: ['detail'],
    properties: { detail: { type: 'array', items: { $ref: '#/components/schemas/ValidationError' } } },
  },
} as const;

interface ExampleObject {
  summary?: string;
  value?: Record<string, unknown>;
  [AIRFLOW_WORDING_EXTENSION]?: AirflowWording;
}

/** The neutral error a documented problem example stands for. */
function exampleInput(status: number, example: ExampleObject): ProblemInput {
  const { type: _type, title: _title, status: _status, instance: _instance, correlation_id: _id, reason, detail, errors, ...extensions } = example.value ?? {};
  return {
    status,
    reason: String(reason),
    detail: String(detail),
    extensions: extensions as ProblemInput['extensions'],
    errors: errors as ProblemIssue[] | undefined,
    airflow: example[AIRFLOW_WORDING_EXTENSION],
  };
}

/**
 * Documents both wire formats of the errors of execution routes, after every other document
 * step (auth, idempotency) has added its responses: Airflow's `application/json` first (FastAPI's
 * `HTTPExceptionResponse` / `HTTPValidationError`, examples rendered by the same code as the
 * responses), then the problem details a client gets by asking for `application/problem+json`.
 * Control-plane operations keep `application/problem+json` only. Done on the document, once,
 * because a route decorator cannot see the path it ends up on.
 */
export function applyErrorFormatsToDocument(document: OpenAPIObject): OpenAPIObject {
  const schemas = ((document.components ??= {}).schemas ??= {});
  let used = false;
  for (const [path, item] of Object.entries(document.paths)) {
    const execution = routeArea(path) === 'execution';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document's operations are walked as untyped JSON
    for (const operation of Object.values(item) as Record<string, any>[]) {
      if (typeof operation !== 'object' || operation === null || typeof operation.responses !== 'object') continue;
      const responses = operation.responses as Record<string, { content?: Record<string, { examples?: Record<string, ExampleObject> }> }>;
      for (const [status, response] of Object.entries(responses)) {
        const problem = response.content?.[PROBLEM_CONTENT_TYPE];
        if (problem === undefined) continue;
        const examples = Object.entries(problem.examples ?? {});
        // Response objects may be shared between operations (auth's 401): replaced, never mutated.
        const cleaned = {
          ...problem,
          ...(problem.examples !== undefined
            ? { examples: Object.fromEntries(examples.map(([name, { [AIRFLOW_WORDING_EXTENSION]: _wording, ...example }]) => [name, example])) }
            : {}),
        };
        responses[status] = { ...response, content: { ...response.content, [PROBLEM_CONTENT_TYPE]: cleaned } };
        if (!execution || !/^[45]/.test(status)) continue;
        const code = Number(status);
        const schema =
          code === 422
            ? { oneOf: [{ $ref: '#/components/schemas/HTTPValidationError' }, { $ref: '#/components/schemas/HTTPExceptionResponse' }] }
            : { $ref: '#/components/schemas/HTTPExceptionResponse' };
        const airflow = {
          schema,
          ...(examples.length > 0
            ? {
                examples: Object.fromEntries(
                  examples.map(([name, example]) => [name, { summary: example.summary, value: buildAirflowError(exampleInput(code, example), '0193…') }]),
                ),
              }
            : {}),
        };
        responses[status] = { ...response, content: { [AIRFLOW_ERROR_CONTENT_TYPE]: airflow, ...response.content, [PROBLEM_CONTENT_TYPE]: cleaned } };
        used = true;
      }
    }
  }
  if (used) Object.assign(schemas, AIRFLOW_SCHEMAS);
  return document;
}
