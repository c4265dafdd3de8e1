import type { ProblemInput } from '../problem/problem';
import { REPLAYED_HEADER } from './idempotency-key.header';

/** The outcome of a request as stored for its key, and sent from that record every time. */
export interface StoredResponse {
  status: number;
  /** Lower-case names. Only headers a client needs to read the outcome: never a token. */
  headers: Record<string, string>;
  /** The exact body bytes (UTF-8 JSON text), empty for a response without a body. */
  body: string;
}

/**
 * Response headers worth replaying besides `content-type`. A whitelist, not "whatever was set":
 * `Refreshed-API-Token` carries a bearer token (never stored), and the correlation id, `Date`,
 * `Cache-Control` and security headers belong to the request that receives the response.
 */
export const REPLAYED_RESPONSE_HEADERS = ['location', 'content-location'] as const;

/**
 * The stored `content-type` of a 4xx verdict kept as a neutral error, not as bytes: which wire
 * format it gets (Airflow's JSON or problem details) is the replaying request's to choose, like
 * any other error's. Never sent as such (see `StoredErrorReplay`).
 */
export const STORED_ERROR_TYPE = 'application/vnd.task-execution-api.stored-error+json';

/** What a stored error keeps: the neutral error and the first request's `instance` and correlation id. */
interface StoredError {
  problem: ProblemInput;
  instance: string;
  correlation_id: string;
}

/** A verdict to store: the neutral error, rendered per request when sent. */
export function storedError(problem: ProblemInput, instance: string, correlationId: string): StoredResponse {
  const kept: StoredError = { problem, instance, correlation_id: correlationId };
  return { status: problem.status, headers: { 'content-type': STORED_ERROR_TYPE }, body: JSON.stringify(kept) };
}

/**
 * A stored error on its way out, thrown so that the exception filter sends it like every other
 * error, in the format the request negotiates (a web `Response` cannot: Nest sets its headers with
 * Express's `res.set`, which appends `; charset=utf-8` to `application/json`). It carries the first
 * request's `instance` and correlation id, so a problem replay is the first answer's bytes.
 */
export class StoredErrorReplay extends Error {
  constructor(
    readonly problem: ProblemInput,
    readonly instance: string,
    readonly correlationId: string,
    readonly replayed: boolean,
  ) {
    super('stored error response');
    this.name = 'StoredErrorReplay';
  }
}

/** A web `Response` for the stored outcome, or, for a stored error, the `StoredErrorReplay` to throw. */
export function respondWith(stored: StoredResponse, replayed: boolean): Response {
  if (stored.headers['content-type'] === STORED_ERROR_TYPE) {
    const kept = JSON.parse(stored.body) as StoredError;
    throw new StoredErrorReplay(kept.problem, kept.instance, kept.correlation_id, replayed);
  }
  return toWebResponse(stored, replayed);
}

/**
 * A web `Response` for Nest to send as it is: its status and headers win over the route's
 * `@HttpCode` (a stored 409 is replayed as a 409). The first answer is sent this way too, so the
 * original and every replay are the same bytes by construction.
 */
export function toWebResponse(stored: StoredResponse, replayed: boolean): Response {
  const headers = new Headers(stored.headers);
  if (stored.body !== '') headers.set('content-length', String(Buffer.byteLength(stored.body, 'utf8')));
  if (replayed) headers.set(REPLAYED_HEADER, 'true');
  const bodyless = stored.status === 204 || stored.status === 304 || stored.body === '';
  return new Response(bodyless ? null : stored.body, { status: stored.status, headers });
}
