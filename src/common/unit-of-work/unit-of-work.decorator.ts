import { applyDecorators, SetMetadata, UseInterceptors, type Type } from '@nestjs/common';
import { assertKeyFitsPolicy, IDEMPOTENCY_KEY_MODE, type IdempotencyKeyMode } from '../idempotency-keys/idempotency-key.mode';
import { ApiProblemResponse } from '../openapi/api-problem-response';
import { UnitOfWorkInterceptor } from './unit-of-work.interceptor';
import { canConflict, UNIT_OF_WORK_POLICY, validateUnitOfWorkOptions, type UnitOfWorkOptions, type UnitOfWorkPolicy } from './unit-of-work.policy';

export type { ConstraintAction, UnitOfWorkOptions, UnitOfWorkPolicy } from './unit-of-work.policy';

/**
 * Runs the route in a unit of work (one transaction on a fresh EntityManager fork, READ COMMITTED,
 * bounded `lock_timeout`, set by the runner or, with `lockTimeout: 'first-statement'`, by the handler's
 * first statement) and declares what a database conflict means for it. The runner alone sets the
 * statement and lock bounds and retries. Use on a handler or a controller; the handler's policy
 * wins. Also documents the 409 (only where the policy can give one) and the 503 (retries exhausted)
 * in OpenAPI. Whether a route honours an `Idempotency-Key` is `@IdempotencyKey()`'s business.
 *
 * @example
 * \@UnitOfWork({ idempotent: true })                     // PUT rtif: retry on unique violations
 * \@UnitOfWork({ idempotent: false, constraints: {     // POST: a duplicate key is a real conflict
 *   dag_run_pkey: 'retry', task_instance_composite_key: { conflict: 'already_exists' } } })
 */
export function UnitOfWork(options: UnitOfWorkOptions): MethodDecorator & ClassDecorator {
  const policy = validateUnitOfWorkOptions(options);
  const runtime = applyDecorators(SetMetadata(UNIT_OF_WORK_POLICY, policy), UseInterceptors(UnitOfWorkInterceptor));
  const docs = applyDecorators(...openApiResponses(policy));
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor !== undefined) {
      assertKeyFitsPolicy(keyModeOf(descriptor.value), policy, String(key));
      runtime(target, key!, descriptor);
      docs(target, key!, descriptor);
      return descriptor;
    }
    runtime(target as Type<unknown>);
    // Swagger merges class-level responses into every operation, so a handler that overrides
    // the class policy (say idempotent: true under a conflict-policy controller) would still show
    // the class's 409. Document each handler that has no policy of its own instead: method
    // decorators run before class decorators, so a handler's own policy is already recorded.
    const prototype = (target as Type<unknown>).prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name);
      if (name === 'constructor' || typeof method?.value !== 'function') continue;
      if (Reflect.getMetadata(UNIT_OF_WORK_POLICY, method.value) !== undefined) continue;
      assertKeyFitsPolicy(keyModeOf(method.value), policy, `${(target as Type<unknown>).name}.${name}`);
      docs(prototype, name, method);
    }
    return target;
  }) as MethodDecorator & ClassDecorator;
}

function keyModeOf(handler: unknown): IdempotencyKeyMode | undefined {
  return typeof handler === 'function' ? (Reflect.getMetadata(IDEMPOTENCY_KEY_MODE, handler) as IdempotencyKeyMode | undefined) : undefined;
}

const READ_POLICIES = {
  primary: validateUnitOfWorkOptions({ idempotent: true, readOnly: true, maxAttempts: 1 }),
  replica: validateUnitOfWorkOptions({ idempotent: true, readOnly: true, maxAttempts: 1, reads: 'replica' }),
};

/**
 * Runs a read route in a read-only unit of work: `BEGIN READ ONLY`, the transaction-local
 * `lock_timeout` and `statement_timeout`, the handler's reads, `COMMIT`. Without it a read sent in
 * autocommit mode had no bound at all (a read queued behind a migration's lock waited until the
 * client gave up). Not retried: a read that hit a bound answers 503 at once with `Retry-After`
 * (`lock_timeout`, `statement_timeout`), as does one that lost the database.
 *
 * `{ reads: 'replica' }`: the read may be answered from a read replica within
 * `DB_REPLICA_MAX_LAG_MS` (see `UnitOfWorkOptions.reads`); a refusal or failure there is read again
 * on the primary.
 */
export function ReadUnitOfWork(options: { reads?: 'primary' | 'replica' } = {}): MethodDecorator {
  if (options === null || typeof options !== 'object' || Object.keys(options).some((k) => k !== 'reads')) {
    throw new TypeError('@ReadUnitOfWork(): the only option is "reads"');
  }
  const reads = options.reads ?? 'primary';
  if (reads !== 'primary' && reads !== 'replica') throw new TypeError(`@ReadUnitOfWork(): "reads" must be 'primary' or 'replica'`);
  const policy = READ_POLICIES[reads];
  const decorators = applyDecorators(
    SetMetadata(UNIT_OF_WORK_POLICY, policy),
    UseInterceptors(UnitOfWorkInterceptor),
    ApiProblemResponse(
      503,
      'The database did not answer within its bounds, is unreachable, or every pooled connection stayed busy. Safe to retry after `Retry-After` seconds.',
      [
        { reason: 'statement_timeout', detail: 'A database statement ran past the statement timeout. Retry later.', sqlstate: '57014' },
        {
          reason: 'lock_timeout',
          detail: 'A lock the request needed stayed held by another transaction past the lock timeout. Retry later.',
          sqlstate: '55P03',
        },
        { reason: 'database_unavailable', detail: 'The database is unavailable. Retry later.' },
        { reason: 'pool_exhausted', detail: 'Every database connection of this instance is busy. Retry later.' },
      ],
    ),
  );
  return (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
    assertKeyFitsPolicy(keyModeOf(descriptor.value), policy, String(key));
    decorators(target, key, descriptor);
    return descriptor;
  };
}

/**
 * The 503 every unit of work can give and the 409 only where the policy can give one. A key's 409
 * `idempotency_key_in_use` joins that 409 afterwards (`applyIdempotencyKeysToDocument`): Swagger's
 * decorators replace, not merge, a status's examples.
 */
function openApiResponses(policy: UnitOfWorkPolicy): MethodDecorator[] {
  const docs: MethodDecorator[] = [
    ApiProblemResponse(
      503,
      'A transient database failure (serialization failure, deadlock, lock timeout) persisted after the retries, the retry budget is empty, a statement ran past the statement timeout, the database is unreachable, or every pooled connection stayed busy. Safe to retry after `Retry-After` seconds.',
      [
        { reason: 'retries_exhausted', detail: 'A transient database conflict persisted after all retries. Retry later.', attempts: 3, sqlstate: '40P01' },
        { reason: 'retry_budget_exhausted', detail: 'The service is shedding retries because of many database conflicts. Retry later.', sqlstate: '40001' },
        { reason: 'statement_timeout', detail: 'A database statement ran past the statement timeout. Retry later.', sqlstate: '57014' },
        { reason: 'database_unavailable', detail: 'The database is unavailable. Retry later.' },
        { reason: 'pool_exhausted', detail: 'Every database connection of this instance is busy. Retry later.' },
      ],
    ),
  ];
  if (canConflict(policy)) {
    const reasons = new Map<string, string | undefined>();
    for (const [constraint, action] of Object.entries(policy.constraints ?? {})) {
      if (action !== 'retry') reasons.set(action.conflict, constraint);
    }
    if (!policy.idempotent) reasons.set('unique_violation', undefined);
    const examples = [...reasons].map(([reason, constraint]) =>
      reason === 'unique_violation'
        ? { reason, detail: 'The request conflicts with an existing row (constraint some_constraint_name).', constraint: 'some_constraint_name' }
        : { reason, detail: `The request conflicts with an existing resource (${reason}).`, constraint },
    );
    docs.push(ApiProblemResponse(409, `A real conflict; do not retry. Reasons: ${[...reasons.keys()].join(', ')}.`, examples));
  }
  return docs;
}
