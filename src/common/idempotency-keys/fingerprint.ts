import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** What identifies "the same request" for a key (draft §2.4, idempotency fingerprint). */
export interface RequestShape {
  method: string;
  /** Route template, e.g. `/api/v1/task-instances/:task_instance_id/token`. */
  route: string;
  params: Record<string, string>;
  query: unknown;
  /** The parsed JSON body (`undefined` when there is none). */
  body: unknown;
}

/**
 * SHA-256 of the request's canonical JSON (RFC 8785, JSON Canonicalization Scheme): key order and
 * whitespace in the body do not matter, every value does. Headers are left out on purpose: a
 * retry may carry a refreshed token or another correlation id and is still the same request.
 */
export function requestFingerprint(request: RequestShape): string {
  const { method, route, params, query, body } = request;
  return sha256(canonicalize({ method, route, params: { ...params }, query: query ?? {}, body: body ?? null })!);
}

/**
 * Where a key lives: one caller (token scope and subject), one route, one key. Hashed, so that the
 * primary key stays 64 characters whatever the subject's length (a btree entry has a size limit).
 */
export function keyScopeId(caller: string, route: string, key: string): string {
  return sha256(canonicalize([caller, route, key])!);
}

/**
 * The 64-bit transaction-level advisory lock that marks a key in flight: the scope id's first
 * 8 bytes, as a signed bigint in decimal (it is written into the SQL text, so it is a number we
 * made, never input). Two different keys share a lock only by a 64-bit hash collision, whose
 * only effect would be a spurious 409 `idempotency_key_in_use` while both are in flight.
 */
export function advisoryLockKey(scopeId: string): string {
  return BigInt.asIntN(64, BigInt(`0x${scopeId.slice(0, 16)}`)).toString();
}
