import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { isUtf8 } from 'node:buffer';
import type { AppConfig } from '../../config/app-config';
import { routeArea } from '../auth/route-area';
import { REFRESHED_TOKEN_HEADER } from '../auth/token-claims';
import { IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER } from '../idempotency-keys/idempotency-key.header';
import { sendError } from '../problem/error-format';
import type { ProblemInput } from '../problem/problem';
import { correlationIdMiddleware, CORRELATION_ID_HEADER } from './correlation-id';
import { parseExactJson } from '../json/exact-json';
import { inspectJsonBody } from '../json/json-inspection';

declare module 'express-serve-static-core' {
  interface Request {
    /** The JSON body's bytes, kept by the body parser (`configureHttp`) for routes that bound their own size. */
    rawBody?: Buffer;
  }
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Thrown from the body parser's `verify` hook; body-parser wraps it as `entity.verify.failed`. */
class InvalidUtf8Error extends Error {}

/**
 * Express-level set-up shared by `main.ts` and the tests: security headers (helmet), CORS when
 * configured, correlation ids, the JSON body parser with the configured size limit, a hostile-JSON
 * check, and errors (in the request's wire format, `error-format.ts`) for what fails before Nest's
 * router (malformed JSON or UTF-8, oversized or too deep bodies, wrong content types). `observers` (request logger, metrics,
 * draining) run right after the correlation id is set. Nest must be created with
 * `{ bodyParser: false }` so that this parser is the only one.
 */
export function configureHttp(app: INestApplication, config: AppConfig, observers: RequestHandler[] = []): void {
  const express_ = app as NestExpressApplication;
  express_.disable('x-powered-by');
  // API responses are `no-store` (below), so an ETag could never be used: skip hashing every body.
  express_.set('etag', false);
  express_.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          // Swagger UI at /docs loads its scripts from /docs (no inline script), uses inline styles
          // and data: images; everything else here is JSON, for which any CSP is moot.
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          // Local use is plain HTTP: upgrading Swagger UI's requests to https would break it.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  if (config.http.corsOrigins.length > 0) {
    express_.enableCors({
      origin: config.http.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', CORRELATION_ID_HEADER, IDEMPOTENCY_KEY_HEADER],
      exposedHeaders: [REFRESHED_TOKEN_HEADER, CORRELATION_ID_HEADER, 'Retry-After', 'WWW-Authenticate', 'Location', REPLAYED_HEADER],
      maxAge: 600,
    });
  }
  express_.use(noStoreForApiResponses);
  express_.use(correlationIdMiddleware);
  // Request logging, metrics and draining see every request, including those refused below.
  for (const observer of observers) express_.use(observer);
  express_.use(requireJsonContentType);
  express_.use(
    // The bytes only: `exactJsonBody` parses them (express.json would round numbers beyond a
    // double, and turns an empty body into {}).
    express.raw({
      limit: config.http.maxBodyBytes,
      type: ['application/json', 'application/*+json'],
      // JSON text is UTF-8 (RFC 8259 §8.1); the decoder would otherwise turn bad bytes into U+FFFD
      // and store them silently.
      verify: (req, _res, buffer) => {
        if (!isUtf8(buffer)) throw new InvalidUtf8Error();
        // Kept (not copied) for routes that bound their own body size (XCom values); never re-parsed.
        (req as Request).rawBody = buffer;
      },
    }),
  );
  express_.use(bodyParserErrorHandler);
  express_.use(exactJsonBody);
  express_.use(hostileJsonGuard(config.http.maxJsonDepth));
}

const UTF8_BOM = '\uFEFF';

/**
 * Parses the JSON body, once per request, with every number kept as written (`parseExactJson`,
 * the rule every stored document follows; no route parses the bytes again). Any JSON value parses
 * (a top-level string, number or null reaches the route, which answers 422 with a validation
 * problem, as Airflow does); an empty body leaves `req.body` undefined (the route says "an empty
 * body", it never becomes `{}`); whitespace alone is malformed JSON. One leading byte-order mark is
 * ignored, as RFC 8259 §8.1 allows (the previous parser did the same).
 */
function exactJsonBody(req: Request, res: Response, next: NextFunction): void {
  if (!Buffer.isBuffer(req.body)) return next();
  const bytes = req.body;
  if (bytes.length === 0) {
    req.body = undefined;
    return next();
  }
  let text = bytes.toString('utf8');
  if (text.startsWith(UTF8_BOM)) text = text.slice(1);
  try {
    req.body = parseExactJson(text);
  } catch {
    // The parser's own message quotes the body; never echo it.
    return sendProblem(req, res, {
      status: 422,
      reason: 'invalid_json',
      detail: 'The request body is not valid JSON.',
      errors: [{ path: '', message: 'malformed JSON', type: 'json_invalid' }],
    });
  }
  next();
}

/**
 * Rejects parsed bodies no route should see: nested deeper than `maxDepth` (recursive code
 * downstream would exhaust the stack), strings or keys with lone surrogates (PostgreSQL text
 * would store U+FFFD in their place), and `__proto__` keys (prototype pollution in any code that
 * copies with assignment).
 */
function hostileJsonGuard(maxDepth: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const issue = req.body === undefined ? undefined : inspectJsonBody(req.body, maxDepth);
    if (!issue) return next();
    sendProblem(req, res, { status: 422, reason: 'validation_error', detail: issue.detail, errors: [{ path: issue.path, message: issue.message }] });
  };
}

/**
 * API responses are per credential and may carry tokens (`Refreshed-API-Token`, the token route)
 * or rendered fields: no shared or browser cache may keep them (RFC 6749 §5.1 asks the same of
 * token responses). Swagger UI's assets stay cacheable.
 */
function noStoreForApiResponses(req: Request, res: Response, next: NextFunction): void {
  if (routeArea(req.path) !== 'public') res.setHeader('Cache-Control', 'no-store');
  next();
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Without this, a body sent as text/plain would be ignored and the route would see no body. */
function requireJsonContentType(req: Request, res: Response, next: NextFunction): void {
  if (!BODY_METHODS.has(req.method) || !hasBody(req)) return next();
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return sendProblem(req, res, { status: 415, reason: 'unsupported_media_type', detail: 'Request bodies must be UTF-8 JSON.' });
  }
  if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return next();
  sendProblem(req, res, {
    status: 415,
    reason: 'unsupported_media_type',
    detail: 'Request bodies must be JSON (Content-Type: application/json).',
  });
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function bodyParserErrorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
  const type = (err as BodyParserError | null)?.type;
  switch (type) {
    case 'entity.too.large':
      return sendProblem(req, res, {
        status: 413,
        reason: 'payload_too_large',
        detail: `The request body is larger than the limit of ${(err as BodyParserError).limit} bytes.`,
        extensions: { limit_bytes: (err as BodyParserError).limit },
      });
    case 'entity.parse.failed':
      // The parser's own message quotes the body; never echo it.
      return sendProblem(req, res, {
        status: 422,
        reason: 'invalid_json',
        detail: 'The request body is not valid JSON.',
        errors: [{ path: '', message: 'malformed JSON', type: 'json_invalid' }],
      });
    case 'entity.verify.failed':
      // http-errors decorates the thrown error itself.
      if (!(err instanceof InvalidUtf8Error)) return next(err);
      return sendProblem(req, res, {
        status: 422,
        reason: 'invalid_json',
        detail: 'The request body is not valid UTF-8.',
        errors: [{ path: '', message: 'invalid UTF-8', type: 'json_invalid' }],
      });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return sendProblem(req, res, {
        status: 415,
        reason: 'unsupported_media_type',
        detail: 'Request bodies must be UTF-8 JSON.',
      });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return sendProblem(req, res, {
        status: 400,
        reason: 'bad_request',
        detail: 'The request body could not be read.',
      });
    default:
      return next(err);
  }
}

/** Sends an error in the wire format this request gets (`errorFormatOf`: Airflow's JSON on execution routes, else problem details). */
export function sendProblem(req: Request, res: Response, problem: ProblemInput): void {
  sendError(req, res, problem);
}
