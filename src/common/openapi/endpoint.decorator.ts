import { applyDecorators, HttpCode, type Type } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { ProblemDto } from '../problem/problem.dto';
import { ApiProblemResponse, type ProblemExample } from './api-problem-response';

export interface EndpointOptions {
  operationId: string;
  summary: string;
  description?: string;
  /** Success status and body type (omit `type` for an empty body). */
  success: {
    status: number;
    type?: Type<unknown>;
    description: string;
    headers?: Record<string, { description: string; schema: { type: 'string'; format?: string } }>;
  };
  /** Every error this route can return (besides those `@UnitOfWork()` documents). */
  errors?: { status: number; description: string; examples?: ProblemExample[] }[];
  /** The problem schema of `errors`: a module's `ProblemDto` subclass with its extension members (default `ProblemDto`). */
  problem?: Type<ProblemDto>;
}

/** One decorator for a route's OpenAPI metadata, so every route documents the same things. */
export function Endpoint(options: EndpointOptions): MethodDecorator {
  return applyDecorators(
    ApiOperation({ operationId: options.operationId, summary: options.summary, description: options.description }),
    HttpCode(options.success.status),
    ApiResponse({
      status: options.success.status,
      type: options.success.type,
      description: options.success.description,
      ...(options.success.headers ? { headers: options.success.headers } : {}),
    }),
    ...(options.errors ?? []).map((e) => ApiProblemResponse(e.status, e.description, e.examples, options.problem)),
  );
}
