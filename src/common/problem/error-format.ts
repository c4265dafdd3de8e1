import type { Request, Response } from 'express';
import { routeArea } from '../auth/route-area';
import { correlationIdOf } from '../http/correlation-id';
import { AIRFLOW_ERROR_CONTENT_TYPE, buildAirflowError } from './airflow-error';
import { buildProblem, PROBLEM_CONTENT_TYPE, type ProblemInput } from './problem';

/**
 * The two wire formats of an error:
 * - `airflow`: Airflow's execution API, `application/json` exactly, `{"detail": …}`;
 * - `problem`: RFC 9457 problem details, `application/problem+json; charset=utf-8`.
 */
export type ErrorFormat = 'airflow' | 'problem';

/** The problem format's header, as Express wrote it before the format was negotiated (unchanged bytes). */
export const PROBLEM_CONTENT_TYPE_HEADER = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;

/** Offered on execution routes, in order of preference when `Accept` does not choose. */
const EXECUTION_OFFERS = [AIRFLOW_ERROR_CONTENT_TYPE, PROBLEM_CONTENT_TYPE];

/**
 * Which format an error to this request gets; the one place that decides it. Execution routes
 * (`/execution/…`, which Airflow's Task SDK calls) answer Airflow's format unless `Accept`
 * prefers `application/problem+json` (q-values weighed by Express's `req.accepts`, i.e. the
 * `negotiator` package: `*\/*`, `application/*`, no `Accept` and an `Accept` naming neither give
 * Airflow's). Everything else (control plane, health, metrics, docs) answers problem details.
 * Decided only when an error is rendered, so a successful request never pays for it.
 */
export function errorFormatOf(req: Request): ErrorFormat {
  if (routeArea(req.path) !== 'execution') return 'problem';
  return req.accepts(EXECUTION_OFFERS) === PROBLEM_CONTENT_TYPE ? 'problem' : 'airflow';
}

export interface RenderedError {
  /** The exact `Content-Type` header. */
  contentType: string;
  /** UTF-8 JSON text. */
  body: string;
}

/**
 * An error in the format `errorFormatOf` picks for `req`. `instance` and `correlationId` default to
 * this request's; the idempotency-key store passes the first request's, so a replayed problem is
 * the same bytes as the first answer.
 */
export function renderError(req: Request, input: ProblemInput, instance: string = req.path, correlationId: string = correlationIdOf(req)): RenderedError {
  if (errorFormatOf(req) === 'airflow') {
    return { contentType: AIRFLOW_ERROR_CONTENT_TYPE, body: JSON.stringify(buildAirflowError(input, correlationId)) };
  }
  return { contentType: PROBLEM_CONTENT_TYPE_HEADER, body: JSON.stringify(buildProblem(input, instance, correlationId)) };
}

/**
 * Sends an error: every path that answers one (the exception filter, the middleware that refuses
 * a request before Nest's router) ends here. The header is set and the body handed to `res.send`
 * as a Buffer: Express appends `; charset=utf-8` to a string body's type (and `res.type`/`res.json`
 * do too), which the Task SDK would not recognise, but leaves a Buffer's type as it was set.
 */
export function sendError(req: Request, res: Response, input: ProblemInput, instance?: string, correlationId?: string): void {
  if (res.headersSent) return;
  const rendered = renderError(req, input, instance, correlationId);
  res.status(input.status);
  res.setHeader('Content-Type', rendered.contentType);
  res.send(Buffer.from(rendered.body, 'utf8'));
}
