import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { findNul } from './json-inspection';
import { RequestValidationException } from '../problem/validation';
import type { ExactJsonValue } from './exact-json';

declare module 'express-serve-static-core' {
  interface Request {
    /** The JSON body's bytes, kept by the body parser (`configureHttp`) for routes that bound their own size. */
    rawBody?: Buffer;
  }
}

/**
 * The request body as any JSON value, as the HTTP layer parsed it (once, numbers kept as written:
 * `parseExactJson`). That layer has already refused what no route may see (size, depth, malformed
 * JSON or UTF-8, lone surrogates, `__proto__`); this refuses a missing body and U+0000 (PostgreSQL
 * text and jsonb cannot hold it).
 */
export const ExactJsonBody = createParamDecorator((_data: unknown, context: ExecutionContext): ExactJsonValue => {
  const req = context.switchToHttp().getRequest<Request>();
  if (req.body === undefined) {
    throw new RequestValidationException([{ path: '', message: 'must be a JSON value, got no body' }], 'The request body must be a JSON value.');
  }
  const value = req.body as ExactJsonValue;
  const nul = findNul(value);
  if (nul !== undefined) throw new RequestValidationException([{ path: nul, message: 'must not contain U+0000 (NUL)' }]);
  return value;
});
