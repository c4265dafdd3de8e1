import type { AirflowWording } from './problem';

/**
 * Stable, machine-readable error codes of the core. Services throw `DomainError`s with one of these
 * or with a code a feature module defined (`defineProblemCodes`); only the exception filter
 * (`problem-details.filter.ts`) knows which HTTP status a core code gets, through an exhaustive
 * switch, so adding a core code without deciding its status is a compile error.
 */
export type CoreErrorCode =
  /** An addressed resource (a task instance, an XCom, a variable …) does not exist. */
  | 'not_found'
  /** A unique key conflict on a non-idempotent route; `reason` comes from the route's policy. */
  | 'unique_conflict'
  /** A transient database failure was retried until the attempts ran out. */
  | 'retries_exhausted'
  /** The process-wide retry budget was empty, so a transient failure was not retried. */
  | 'retry_budget_exhausted'
  /** The database could not be reached or refused the connection. */
  | 'database_unavailable'
  /** Every connection of this process's pool stayed busy past DB_CONNECT_TIMEOUT_MS + 1 s: overload, not an outage. */
  | 'pool_exhausted'
  /** A statement ran past the database's statement timeout. */
  | 'database_timeout'
  /** The request refers to a row that does not exist (SQLSTATE 23503). */
  | 'foreign_key_violation'
  /** A required value was missing (SQLSTATE 23502). */
  | 'not_null_violation'
  /** A value broke a check constraint (SQLSTATE 23514). */
  | 'check_violation'
  /** PostgreSQL rejected a value (SQLSTATE class 22). */
  | 'value_rejected'
  /** An `Idempotency-Key` header is required on this route and was not sent. */
  | 'idempotency_key_missing'
  /** The `Idempotency-Key` header does not follow the published key format. */
  | 'idempotency_key_invalid'
  /** The `Idempotency-Key` was already used by this caller on this route for a different request. */
  | 'idempotency_key_reused'
  /** A request with the same `Idempotency-Key` is still being processed (`Retry-After`). */
  | 'idempotency_key_in_use'
  /** A readiness check failed (database unreachable, migrations pending, or draining). */
  | 'not_ready'
  /** No usable bearer token: missing, malformed, badly signed, expired, … (`reason` says which). */
  | 'unauthenticated'
  /** A valid token that does not grant this route: another task instance, or the wrong scope. */
  | 'forbidden';

declare const moduleProblemCode: unique symbol;

/**
 * A code a feature module owns. Only `defineProblemCodes` makes one, together with its status, so
 * a module code without a status cannot exist either (see `module-problems.ts`).
 */
export type ModuleProblemCode<C extends string = string> = C & { readonly [moduleProblemCode]: true };

export type DomainErrorCode = CoreErrorCode | ModuleProblemCode;

/** Extension members added to the problem body; never SQL, parameter values or stack traces. */
export type ProblemExtensions = Record<string, string | number | boolean | null | undefined>;

export class DomainError extends Error {
  /**
   * How Airflow words this error where it differs from `detail` (Airflow's wire format only, see
   * `AirflowWording`). Subclasses set it; it never changes the status or the `reason`.
   */
  readonly airflow?: AirflowWording;

  constructor(
    readonly code: DomainErrorCode,
    /** Human-readable, safe to show to a client. */
    readonly detail: string,
    /** The `reason` word clients act on; defaults to `code`. */
    readonly reason: string = code,
    readonly extensions: ProblemExtensions = {},
    /** Seconds a client should wait before retrying (503s). */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}
