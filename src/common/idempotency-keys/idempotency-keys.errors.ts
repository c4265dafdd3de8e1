import { DomainError } from '../problem/domain-error';

/** Seconds a client waits before repeating a request whose key is still in use. */
export const IN_USE_RETRY_AFTER_SECONDS = 1;

export class IdempotencyKeyMissingError extends DomainError {
  constructor() {
    super(
      'idempotency_key_missing',
      'This operation requires an Idempotency-Key header (a unique value per operation, e.g. a UUID).',
      'idempotency_key_missing',
    );
  }
}

export class IdempotencyKeyInvalidError extends DomainError {
  constructor() {
    // Never echoes the value: it is the client's, and could be anything.
    super(
      'idempotency_key_invalid',
      'The Idempotency-Key header must be 1 to 255 characters from A-Z a-z 0-9 and - _ . ~ : + / =, bare or in double quotes.',
      'idempotency_key_invalid',
    );
  }
}

/** The draft's 422: the key was used for another request (method, route, path, query or body differ). */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'idempotency_key_reused',
      'This Idempotency-Key was already used for a different request. Use a new key for a new request.',
      'idempotency_key_reused',
    );
  }
}

/** The draft's 409: the first request with this key has not finished; repeating it later is safe. */
export class IdempotencyKeyInUseError extends DomainError {
  constructor() {
    super(
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is still being processed. Repeat it after Retry-After seconds to get its response.',
      'idempotency_key_in_use',
      {},
      IN_USE_RETRY_AFTER_SECONDS,
    );
  }
}

/** Codes about the key itself: answers to this request, never a stored outcome of the operation. */
export const KEY_ERROR_CODES: ReadonlySet<string> = new Set([
  'idempotency_key_missing',
  'idempotency_key_invalid',
  'idempotency_key_reused',
  'idempotency_key_in_use',
]);
