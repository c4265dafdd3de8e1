/** Metadata key under which `@UnitOfWork()` stores a route's policy. */
export const UNIT_OF_WORK_POLICY = 'task-execution-api:unit-of-work-policy';

/** What a unique violation on one named constraint means for a route. */
export type ConstraintAction =
  /** Transient: another request just wrote the same key; rerun the unit of work. */
  | 'retry'
  /** A real conflict: answer 409 with this `reason` word. */
  | { conflict: string };

export interface UnitOfWorkOptions {
  /**
   * `true`: repeating the request has the same effect as sending it once (PUT of RTIF, heartbeat),
   * so a unique violation means "someone else just wrote the same thing" and the unit of work is
   * retried. `false`: a unique violation is a real conflict and becomes a 409.
   */
  idempotent: boolean;
  /** Per-constraint refinements, keyed by constraint name; they win over `idempotent`. */
  constraints?: Record<string, ConstraintAction>;
  /** Attempts for this route (default: `DB_RETRY_MAX_ATTEMPTS`). */
  maxAttempts?: number;
  /**
   * Who bounds lock waits in the transaction. `'runner'` (the default): the runner sends
   * `set local lock_timeout = DB_LOCK_TIMEOUT_MS` right after BEGIN, a round trip of its own.
   * `'first-statement'`: the handler's first statement selects `lockTimeoutSetting(ms)` (a
   * transaction-local `set_config`), which saves that round trip on a hot path. Only for a handler
   * whose first statement is a single-table `SELECT … FOR …`: PostgreSQL evaluates its select list
   * in the scan, before the row lock is taken, so the setting is in force for that lock too.
   * Enforced: a first statement without the setting is refused unsent and the request fails with
   * a 500 (`LockTimeoutNotSetError`, logged), even if the handler catches the error.
   */
  lockTimeout?: 'runner' | 'first-statement';
  /**
   * A read-only unit of work (`@ReadUnitOfWork()`): `BEGIN READ ONLY`, so that its statements run
   * under the transaction-local `statement_timeout` and `lock_timeout` like every write.
   */
  readOnly?: boolean;
  /**
   * Where the route may read. `'primary'` (the default): every statement goes to `DATABASE_URL`.
   * `'replica'`: a read route that tolerates data up to `DB_REPLICA_MAX_LAG_MS` old runs on a fresh
   * read replica when one is configured and eligible, in a `READ ONLY` transaction; anything but a
   * success there (a refusal such as a 404, a database error, a replica that went away) is
   * answered by running the unit of work again on the primary, so a replica can make an answer
   * older, never a miss and never a failure. Only for GET routes (the route inventory checks it)
   * and not with `lockTimeout: 'first-statement'` (a locking write's optimisation). Which routes
   * say so, and why: docs/operations.md, "Read replicas".
   */
  reads?: 'primary' | 'replica';
}

export type UnitOfWorkPolicy = Readonly<UnitOfWorkOptions>;

const NAME = /^[a-z_][a-z0-9_$]{0,62}$/;
const REASON = /^[a-z][a-z0-9_]{0,62}$/;

/** Throws when the options are malformed, so a typo fails when the module is loaded. */
export function validateUnitOfWorkOptions(options: UnitOfWorkOptions): UnitOfWorkPolicy {
  const where = '@UnitOfWork()';
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be an object`);
  const known = new Set(['idempotent', 'constraints', 'maxAttempts', 'lockTimeout', 'readOnly', 'reads']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`${where}: unknown option "${key}"`);
  }
  if (typeof options.idempotent !== 'boolean') throw new TypeError(`${where}: "idempotent" must be true or false`);
  if (options.maxAttempts !== undefined && (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1 || options.maxAttempts > 20)) {
    throw new TypeError(`${where}: "maxAttempts" must be an integer from 1 to 20`);
  }
  if (options.lockTimeout !== undefined && options.lockTimeout !== 'runner' && options.lockTimeout !== 'first-statement') {
    throw new TypeError(`${where}: "lockTimeout" must be 'runner' or 'first-statement'`);
  }
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') throw new TypeError(`${where}: "readOnly" must be true or false`);
  if (options.reads !== undefined && options.reads !== 'primary' && options.reads !== 'replica') {
    throw new TypeError(`${where}: "reads" must be 'primary' or 'replica'`);
  }
  if (options.reads === 'replica' && options.lockTimeout === 'first-statement') {
    throw new TypeError(`${where}: "reads: 'replica'" is for reads; "lockTimeout: 'first-statement'" is for a locking write`);
  }
  if (options.reads === 'replica' && !options.idempotent) {
    throw new TypeError(`${where}: "reads: 'replica'" needs "idempotent: true" (a read is run again on the primary when the replica cannot answer)`);
  }
  for (const [constraint, action] of Object.entries(options.constraints ?? {})) {
    if (!NAME.test(constraint)) throw new TypeError(`${where}: "${constraint}" is not a PostgreSQL constraint name`);
    const isRetry = action === 'retry';
    const isConflict =
      typeof action === 'object' && action !== null && Object.keys(action).length === 1 && typeof action.conflict === 'string' && REASON.test(action.conflict);
    if (!isRetry && !isConflict) {
      throw new TypeError(`${where}: constraint "${constraint}" must map to 'retry' or { conflict: '<snake_case_reason>' }`);
    }
  }
  return Object.freeze({ ...options, constraints: Object.freeze({ ...(options.constraints ?? {}) }) });
}

/** Whether a route with this policy can answer 409. */
export function canConflict(policy: UnitOfWorkPolicy): boolean {
  return !policy.idempotent || Object.values(policy.constraints ?? {}).some((a) => a !== 'retry');
}
