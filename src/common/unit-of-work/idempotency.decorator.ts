import { applyDecorators, SetMetadata, UseInterceptors, type Type } from '@nestjs/common';
import { ApiExtension, ApiHeader } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_HEADER, KEY_FORMAT, KEY_MAX_LENGTH, REPLAYED_HEADER } from '../idempotency-keys/idempotency-key.header';
import { IDEMPOTENCY_KEY_EXTENSION } from '../idempotency-keys/idempotency-keys.openapi';
import { ApiProblemResponse } from '../openapi/api-problem-response';
import { canConflict, IDEMPOTENCY_POLICY, validateIdempotencyOptions, type IdempotencyOptions, type IdempotencyPolicy } from './idempotency.policy';
import { UnitOfWorkInterceptor } from './unit-of-work.interceptor';

export type { ConstraintAction, IdempotencyKeyMode, IdempotencyOptions, IdempotencyPolicy } from './idempotency.policy';

/**
 * Runs the route in a unit of work (one transaction on a fresh EntityManager fork, READ COMMITTED,
 * bounded `lock_timeout`, set by the runner or, with `lockTimeout: 'first-statement'`, by the handler's
 * first statement) and declares what a database conflict means for it, and, with `key`, whether it
 * honours an `Idempotency-Key` header. Use on a handler or a controller; the handler's policy wins.
 * Also documents the 409 (only where the policy can give one), the 503 (retries exhausted) and the
 * key's header and answers in OpenAPI.
 *
 * @example
 * \@Idempotency({ idempotent: true })                     // PUT rtif: retry on unique violations
 * \@Idempotency({ idempotent: false, constraints: {     // POST: a duplicate key is a real conflict
 *   dag_run_pkey: 'retry', task_instance_composite_key: { conflict: 'already_exists' } } })
 * \@Idempotency({ idempotent: false, key: 'optional' })  // POST: a retry with the same key is replayed
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
}

/**
 * The 503 every unit of work can give, the 409 only where the policy can give one, and with `key`
 * the header and its 400. The key's 422 and the replay header on success responses are added to
 * the document afterwards (`applyIdempotencyKeysToDocument`): Swagger's decorators replace, not
 * merge, a status's examples, and the route's own decorators document 2xx and 422.
 */
function openApiResponses(policy: IdempotencyPolicy): MethodDecorator[] {
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
    const inUse =
      policy.key !== undefined
        ? ' `idempotency_key_in_use` (with `Retry-After`) is the exception: the first request with this key is still in flight; repeat it later to get its response.'
        : '';
    if (policy.key !== undefined) {
      examples.push({
        reason: 'idempotency_key_in_use',
        detail: 'A request with this Idempotency-Key is still being processed. Repeat it after Retry-After seconds to get its response.',
        constraint: undefined,
      });
    }
    docs.push(ApiProblemResponse(409, `A real conflict; do not retry. Reasons: ${[...reasons.keys()].join(', ')}.${inUse}`, examples));
  }
  if (policy.key !== undefined) docs.push(...keyDocs(policy.key));
  return docs;
}

function keyDocs(mode: 'optional' | 'required'): MethodDecorator[] {
  return [
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: mode === 'required',
      description:
        `${mode === 'required' ? 'Required' : 'Optional'}. A unique value per operation (a UUID is best), per the IETF draft draft-ietf-httpapi-idempotency-key-header: ${KEY_FORMAT}. ` +
        `The first request with a key is executed and its outcome (2xx, or a 4xx verdict such as 409 already_exists) is kept for IDEMPOTENCY_KEY_TTL_SECONDS (default 24 h); ` +
        `repeating the same request (method, path, query, body) with the key returns that outcome again, byte for byte, with \`${REPLAYED_HEADER}: true\`, and executes nothing. ` +
        'The same key with a different request: 422 idempotency_key_reused. While the first is in flight: 409 idempotency_key_in_use. 5xx outcomes and validation errors are not kept. ' +
        "Keys are scoped to the caller (the token's subject) and the route.",
      schema: {
        type: 'string',
        minLength: 1,
        maxLength: KEY_MAX_LENGTH + 2,
        pattern: '^"?[A-Za-z0-9._~:+/=-]{1,255}"?$',
        example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
      },
    }),
    ApiExtension(IDEMPOTENCY_KEY_EXTENSION, mode),
    ApiProblemResponse(400, mode === 'required' ? 'The Idempotency-Key header is missing or malformed.' : 'The Idempotency-Key header is malformed.', [
      ...(mode === 'required'
        ? [{ reason: 'idempotency_key_missing', detail: 'This operation requires an Idempotency-Key header (a unique value per operation, e.g. a UUID).' }]
        : []),
      {
        reason: 'idempotency_key_invalid',
        detail: 'The Idempotency-Key header must be 1 to 255 characters from A-Z a-z 0-9 and - _ . ~ : + / =, bare or in double quotes.',
      },
    ]),
  ];
}
