import { applyDecorators, SetMetadata, UseInterceptors, type Type } from '@nestjs/common';
import { ApiProblemResponse } from '../openapi/api-problem-response';
import { canConflict, IDEMPOTENCY_POLICY, validateIdempotencyOptions, type IdempotencyOptions, type IdempotencyPolicy } from './idempotency.policy';
import { UnitOfWorkInterceptor } from './unit-of-work.interceptor';

export type { ConstraintAction, IdempotencyOptions, IdempotencyPolicy } from './idempotency.policy';

/**
 * Runs the route in a unit of work (one transaction on a fresh EntityManager fork, READ COMMITTED,
 * bounded `lock_timeout`, set by the runner or, with `lockTimeout: 'first-statement'`, by the handler's
 * first statement) and declares what a database conflict means for it. Use on a handler or
 * a controller; the handler's policy wins. Also documents the 409 (only where the policy can give
 * one) and the 503 (retries exhausted) in OpenAPI.
 *
 * @example
 * \@Idempotency({ idempotent: true })                     // PUT rtif: retry on unique violations
 * \@Idempotency({ idempotent: false, constraints: {     // POST: a duplicate key is a real conflict
 *   dag_run_pkey: 'retry', task_instance_composite_key: { conflict: 'already_exists' } } })
 */
export function Idempotency(options: IdempotencyOptions): MethodDecorator & ClassDecorator {
  const policy = validateIdempotencyOptions(options);
  const runtime = applyDecorators(SetMetadata(IDEMPOTENCY_POLICY, policy), UseInterceptors(UnitOfWorkInterceptor));
  const docs = applyDecorators(...openApiResponses(policy));
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor !== undefined) {
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
      if (Reflect.getMetadata(IDEMPOTENCY_POLICY, method.value) !== undefined) continue;
      docs(prototype, name, method);
    }
    return target;
  }) as MethodDecorator & ClassDecorator;
}

const READ_POLICY = validateIdempotencyOptions({ idempotent: true, readOnly: true, maxAttempts: 1 });

/**
 * Runs a read route in a read-only unit of work: `BEGIN READ ONLY`, the transaction-local
 * `lock_timeout` and `statement_timeout`, the handler's reads, `COMMIT`. Without it a read sent in
 * autocommit mode had no bound at all (a read queued behind a migration's lock waited until the
 * client gave up). Not retried: a read that hit a bound answers 503 at once with `Retry-After`
 * (`lock_timeout`, `statement_timeout`), as does one that lost the database.
 */
export function ReadUnitOfWork(): MethodDecorator {
  return applyDecorators(
    SetMetadata(IDEMPOTENCY_POLICY, READ_POLICY),
    UseInterceptors(UnitOfWorkInterceptor),
    ApiProblemResponse(503, 'The database did not answer within its bounds, is unreachable, or every pooled connection stayed busy. Safe to retry after `Retry-After` seconds.', [
      { reason: 'statement_timeout', detail: 'A database statement ran past the statement timeout. Retry later.', sqlstate: '57014' },
      { reason: 'lock_timeout', detail: 'A lock the request needed stayed held by another transaction past the lock timeout. Retry later.', sqlstate: '55P03' },
      { reason: 'database_unavailable', detail: 'The database is unavailable. Retry later.' },
      { reason: 'pool_exhausted', detail: 'Every database connection of this instance is busy. Retry later.' },
    ]),
  );
}

/** The 503 every unit of work can give, and the 409 only where the policy can give one. */
function openApiResponses(policy: IdempotencyPolicy): MethodDecorator[] {
  const docs = [
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
    docs.push(
      ApiProblemResponse(
        409,
        `A real conflict; do not retry. Reasons: ${[...reasons.keys()].join(', ')}.`,
        [...reasons].map(([reason, constraint]) =>
          reason === 'unique_violation'
            ? { reason, detail: 'The request conflicts with an existing row (constraint some_constraint_name).', constraint: 'some_constraint_name' }
            : { reason, detail: `The request conflicts with an existing resource (${reason}).`, constraint },
        ),
      ),
    );
  }
  return docs;
}
