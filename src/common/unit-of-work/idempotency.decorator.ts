import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiProblemResponse } from '../openapi/api-problem-response';
import { canConflict, IDEMPOTENCY_POLICY, validateIdempotencyOptions, type IdempotencyOptions } from './idempotency.policy';
import { UnitOfWorkInterceptor } from './unit-of-work.interceptor';

export type { ConstraintAction, IdempotencyOptions, IdempotencyPolicy } from './idempotency.policy';

/**
 * Runs the route in a unit of work (one transaction on a fresh EntityManager fork, READ COMMITTED,
 * bounded `lock_timeout`; with `autocommit`, statements that commit alone) and declares what a
 * database conflict means for it. Use on a handler or
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
  const docs = [
    ApiProblemResponse(
      503,
      'A transient database failure (serialization failure, deadlock, lock timeout) persisted after the retries, the retry budget is empty, or the database is unreachable. Safe to retry after `Retry-After` seconds.',
      [
        { reason: 'retries_exhausted', detail: 'A transient database conflict persisted after all retries. Retry later.', attempts: 3, sqlstate: '40P01' },
        { reason: 'retry_budget_exhausted', detail: 'The service is shedding retries because of many database conflicts. Retry later.' },
        { reason: 'database_unavailable', detail: 'The database is unavailable. Retry later.' },
      ],
    ),
  ];
  if (canConflict(policy)) {
    const reasons = Object.values(policy.constraints ?? {})
      .filter((a): a is { conflict: string } => a !== 'retry')
      .map((a) => a.conflict);
    if (!policy.idempotent) reasons.push('unique_violation');
    docs.push(
      ApiProblemResponse(
        409,
        `A real conflict; do not retry. Reasons: ${[...new Set(reasons)].join(', ')}.`,
        [...new Set(reasons)].map((reason) => ({ reason, detail: `The request conflicts with an existing resource (${reason}).` })),
      ),
    );
  }
  return applyDecorators(SetMetadata(IDEMPOTENCY_POLICY, policy), UseInterceptors(UnitOfWorkInterceptor), ...docs);
}
