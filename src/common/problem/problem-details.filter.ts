import { ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { bearerChallengeHeaders } from '../auth/auth.errors';
import { sendProblem } from '../http/configure-http';
import { REPLAYED_HEADER } from '../idempotency-keys/idempotency-key.header';
import { StoredErrorReplay } from '../idempotency-keys/stored-response';
import { sendError } from './error-format';
import { correlationIdOf } from '../http/correlation-id';
import { translateDbError } from '../unit-of-work/db-error.translate';
import { classifyDbError } from '../unit-of-work/sqlstate';
import { DomainError, type DomainErrorCode } from './domain-error';
import { isModuleProblemCode, moduleProblemStatus } from './module-problems';
import type { ProblemInput } from './problem';
import { RequestValidationException } from './validation';

/**
 * The HTTP status of each domain error code. Exhaustive: a new core code must be given a status
 * here; a module's code got its status where the module defined it (`defineProblemCodes`).
 */
export function statusOf(code: DomainErrorCode): number {
  if (isModuleProblemCode(code)) return moduleProblemStatus(code);
  switch (code) {
    case 'idempotency_key_missing':
    case 'idempotency_key_invalid':
      return 400;
    case 'not_found':
      return 404;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
      return 403;
    case 'unique_conflict':
    case 'idempotency_key_in_use':
      return 409;
    case 'foreign_key_violation':
    case 'not_null_violation':
    case 'check_violation':
    case 'value_rejected':
    case 'idempotency_key_reused':
      return 422;
    case 'retries_exhausted':
    case 'retry_budget_exhausted':
    case 'database_unavailable':
    case 'pool_exhausted':
    case 'database_timeout':
    case 'not_ready':
      return 503;
    default: {
      const never: never = code;
      throw new Error(`no HTTP status for domain error code ${String(never)}`);
    }
  }
}

/**
 * The neutral error a domain error becomes. Shared with the idempotency-key store, which keeps it
 * for a 4xx outcome and renders it as this filter would, per request.
 */
export function domainProblem(error: DomainError): ProblemInput & { retryAfterSeconds?: number } {
  return {
    status: statusOf(error.code),
    reason: error.reason,
    detail: error.detail,
    extensions: error.extensions,
    airflow: error.airflow,
    retryAfterSeconds: error.retryAfterSeconds,
  };
}

const REASON_OF_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_error',
  429: 'too_many_requests',
};

/**
 * The matched route template (`POST /api/v1/task-instances/:id`), as the unit of work logs it:
 * logs then group by route, and path parameters (values from the request) stay out of them.
 */
function routeOf(req: Request): string {
  const template = (req.route as { path?: unknown } | undefined)?.path;
  return `${req.method} ${typeof template === 'string' ? template : '(no route)'}`;
}

type Rendered = ProblemInput & { retryAfterSeconds?: number; headers?: Record<string, string> };

/**
 * Turns every error into the neutral `ProblemInput` and sends it in the request's wire format
 * (`sendProblem` → `error-format.ts`: Airflow's JSON on execution routes unless the client asks
 * for problem details, RFC 9457 problem details elsewhere). Domain errors get their status from
 * `statusOf`; driver errors are classified by SQLSTATE; anything else is a 500 carrying only the
 * correlation id. No SQL, parameter values or stack traces reach a response.
 */
@Catch()
export class ProblemDetailsFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    if (exception instanceof StoredErrorReplay) {
      if (exception.replayed) res.setHeader(REPLAYED_HEADER, 'true');
      return sendError(req, res, exception.problem, exception.instance, exception.correlationId);
    }
    const problem = this.render(exception, req);
    if (problem.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(problem.retryAfterSeconds));
    for (const [name, value] of Object.entries(problem.headers ?? {})) res.setHeader(name, value);
    sendProblem(req, res, problem);
  }

  private render(exception: unknown, req: Request): Rendered {
    if (exception instanceof DomainError) return this.fromDomainError(exception, req);
    if (exception instanceof RequestValidationException) {
      return { status: 422, reason: 'validation_error', detail: exception.message, errors: exception.issues };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const detail = typeof body === 'string' ? body : exception.message;
      const reason =
        typeof body === 'object' && body !== null && typeof (body as { reason?: unknown }).reason === 'string'
          ? (body as { reason: string }).reason
          : (REASON_OF_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'http_error'));
      if (status >= 500) return this.internal(exception, req);
      // Nest's own refusals (an unknown route): FastAPI words them with the status phrase.
      return { status, reason, detail, airflow: { detail: STATUS_CODES[status] ?? 'Error' } };
    }
    const failure = classifyDbError(exception);
    const translated = failure ? translateDbError(failure) : undefined;
    if (translated) return this.fromDomainError(translated, req);
    return this.internal(exception, req);
  }

  private fromDomainError(error: DomainError, req: Request): Rendered {
    const status = statusOf(error.code);
    if (status >= 500) {
      this.logger.warn({ msg: 'request failed', reason: error.reason, correlation_id: correlationIdOf(req), route: routeOf(req), ...error.extensions });
    }
    return { ...domainProblem(error), headers: bearerChallengeHeaders(error) };
  }

  private internal(exception: unknown, req: Request): Rendered {
    const correlationId = correlationIdOf(req);
    const failure = classifyDbError(exception);
    // Driver messages start with the SQL and its values: log only the name, code and frames.
    const e = exception as { name?: unknown; stack?: unknown } | null;
    const frames =
      typeof e?.stack === 'string'
        ? e.stack
            .split('\n')
            .filter((l) => l.trim().startsWith('at '))
            .slice(0, 15)
        : [];
    this.logger.error({
      msg: failure?.kind === 'unique_violation' ? 'unique violation on a route without an @UnitOfWork policy' : 'unhandled error',
      correlation_id: correlationId,
      route: routeOf(req),
      error: typeof e?.name === 'string' ? e.name : typeof exception,
      sqlstate: failure?.code,
      constraint: failure?.constraint,
      frames,
    });
    return {
      status: 500,
      reason: 'internal_error',
      detail: `An internal error occurred. Quote correlation id ${correlationId} when reporting it.`,
      airflow: 'internal_error',
    };
  }
}
