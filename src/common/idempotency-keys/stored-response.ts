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
