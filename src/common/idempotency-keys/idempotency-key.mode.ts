import type { UnitOfWorkPolicy } from '../unit-of-work/unit-of-work.policy';

/** Metadata key under which `@IdempotencyKey()` stores a route's key mode. */
export const IDEMPOTENCY_KEY_MODE = 'task-execution-api:idempotency-key-mode';

/**
 * Whether a route honours an `Idempotency-Key` request header (IETF draft
 * `draft-ietf-httpapi-idempotency-key-header`). `'optional'`: a request with a key is executed at
 * most once per key and caller, and a repeat gets the stored response; a request without one is
 * executed as usual. `'required'`: a request without a key is refused (400).
 */
export type IdempotencyKeyMode = 'optional' | 'required';

/**
 * Throws when a key meets a policy it cannot serve, so the mistake fails when the module is loaded,
 * whichever of `@UnitOfWork()` and `@IdempotencyKey()` is applied second.
 */
export function assertKeyFitsPolicy(mode: IdempotencyKeyMode | undefined, policy: UnitOfWorkPolicy | undefined, where: string): void {
  if (mode === undefined || policy === undefined) return;
  // Repeating an idempotent request is already harmless; a key there would only add a stored
  // response that can go stale, and a 422 for a client that legitimately changes its body.
  if (policy.idempotent) throw new TypeError(`${where}: @IdempotencyKey() is for routes with @UnitOfWork({ idempotent: false })`);
  // The key's record is written in the unit of work's transaction; a read-only one cannot hold it.
  if (policy.readOnly === true) throw new TypeError(`${where}: @IdempotencyKey() cannot go on a read-only unit of work`);
}
