import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { findNul } from './json-inspection';
import { RequestValidationException } from '../problem/validation';
import { parseJsonLossless, type LosslessJson } from './lossless-json';

declare module 'express-serve-static-core' {
  interface Request {
    /** The JSON body's bytes, kept by the body parser (`configureHttp`) for routes that re-read them. */
    rawBody?: Buffer;
  }
}

/**
 * The request body as any JSON value, numbers exactly as sent (`parseJsonLossless`). The HTTP
 * layer has already refused what no route may see (size, depth, malformed JSON or UTF-8, lone
 * surrogates, `__proto__`); this re-reads the same bytes losslessly and refuses a missing body and
 * U+0000 (PostgreSQL text and jsonb cannot hold it).
 */
export const LosslessJsonBody = createParamDecorator((_data: unknown, context: ExecutionContext): LosslessJson => {
  const req = context.switchToHttp().getRequest<Request>();
  const text = req.rawBody?.toString('utf8') ?? '';
  // body-parser turns an empty chunked body into {}: what was sent is nothing, so refuse it.
  if (req.body === undefined || text.trim().length === 0) {
    throw new RequestValidationException([{ path: '', message: 'must be a JSON value, got no body' }], 'The request body must be a JSON value.');
  }
  let value: LosslessJson;
  try {
    value = parseJsonLossless(text);
  } catch {
    // The body parser accepted these bytes, so this cannot happen; never a 500 if it does.
    throw new RequestValidationException([{ path: '', message: 'malformed JSON', type: 'json_invalid' }], 'The request body is not valid JSON.');
  }
  const nul = findNul(value);
  if (nul !== undefined) throw new RequestValidationException([{ path: nul, message: 'must not contain U+0000 (NUL)' }]);
  return value;
});
