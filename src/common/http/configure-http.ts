import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppConfig } from '../../config/app-config';
import { buildProblem, PROBLEM_CONTENT_TYPE, type ProblemInput } from '../problem/problem';
import { correlationIdMiddleware, correlationIdOf } from './correlation-id';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Express-level set-up shared by `main.ts` and the tests: correlation ids, the JSON body parser
 * with the configured size limit, and problem details for what fails before Nest's router
 * (malformed JSON, oversized bodies, wrong content types). `observers` (request logger, metrics,
 * draining) run right after the correlation id is set. Nest must be created with
 * `{ bodyParser: false }` so that this parser is the only one.
 */
export function configureHttp(app: INestApplication, config: AppConfig, observers: RequestHandler[] = []): void {
  const express_ = app as NestExpressApplication;
  express_.disable('x-powered-by');
  express_.use(correlationIdMiddleware);
  // Request logging, metrics and draining see every request, including those refused below.
  for (const observer of observers) express_.use(observer);
  express_.use(requireJsonContentType);
  express_.use(
    express.json({
      limit: config.rtif.maxBodyBytes,
      // Non-strict: a top-level string, number or null parses, and the route answers 422 with a
      // validation problem (as Airflow does) instead of the parser's generic 400.
      strict: false,
      type: ['application/json', 'application/*+json'],
    }),
  );
  express_.use(bodyParserErrorHandler);
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Without this, a body sent as text/plain would be ignored and the route would see no body. */
function requireJsonContentType(req: Request, res: Response, next: NextFunction): void {
  if (!BODY_METHODS.has(req.method) || !hasBody(req)) return next();
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
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
        errors: [{ path: '', message: 'malformed JSON' }],
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

export function sendProblem(req: Request, res: Response, problem: ProblemInput): void {
  if (res.headersSent) return;
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(buildProblem(problem, req.path, correlationIdOf(req))));
}
