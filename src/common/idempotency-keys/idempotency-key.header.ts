import type { IncomingHttpHeaders } from 'node:http';
import { IdempotencyKeyInvalidError, IdempotencyKeyMissingError } from './idempotency-keys.errors';

/** The request header (IETF draft `draft-ietf-httpapi-idempotency-key-header`). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Response header on a replayed response (the name Stripe's API uses; the draft names none). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

export const KEY_MAX_LENGTH = 255;

/** What a key may contain: enough for UUIDs, ULIDs, base64 (standard and URL-safe) and `prefix:…` keys. */
const KEY_CHARS = `[A-Za-z0-9._~:+/=-]{1,${KEY_MAX_LENGTH}}`;
const BARE = new RegExp(`^${KEY_CHARS}$`);
/** The draft makes the field a Structured Field String (RFC 8941 §3.3.3): the key in double quotes. */
const QUOTED = new RegExp(`^"(${KEY_CHARS})"$`);

/** The published key format, for error details and the OpenAPI document. */
export const KEY_FORMAT =
  '1 to 255 characters from A-Z a-z 0-9 and - _ . ~ : + / =, either bare or as a Structured Field String in double quotes (the draft\'s form): `"8e03978e-40d5-43e8-bc93-6894a57f9324"` and `8e03978e-40d5-43e8-bc93-6894a57f9324` are the same key';

/**
 * The key a request carries, or `undefined` when it carries none. A key that does not follow the
 * published format is refused before anything is looked up (the draft's security considerations:
 * "always validate the key as per its published specification before processing any request").
 * Node.js joins repeated headers with ", ", which no valid key contains: two keys are refused too.
 */
export function idempotencyKeyOf(headers: IncomingHttpHeaders, mode: 'optional' | 'required'): string | undefined {
  const raw = headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (raw === undefined) {
    if (mode === 'required') throw new IdempotencyKeyMissingError();
    return undefined;
  }
  const value = (Array.isArray(raw) ? raw.join(', ') : raw).trim();
  const key = QUOTED.exec(value)?.[1] ?? (BARE.test(value) ? value : undefined);
  if (key === undefined) throw new IdempotencyKeyInvalidError();
  return key;
}
