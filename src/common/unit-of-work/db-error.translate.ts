import { DomainError } from '../problem/domain-error';
import type { DbErrorClass } from './sqlstate';

/**
 * Turns a classified database error that no policy retries into a domain error with a stable
 * code, citing only the constraint name and SQLSTATE (never the message, which holds SQL and
 * values). Returns `undefined` for errors that are bugs on our side (the filter answers 500).
 */
export function translateDbError(c: DbErrorClass): DomainError | undefined {
  const constraint = c.constraint;
  switch (c.kind) {
    case 'foreign_key_violation':
      return new DomainError(
        'foreign_key_violation',
        'The request refers to a row that does not exist (it may have just been deleted).',
        'foreign_key_violation',
        { constraint },
      );
    case 'not_null_violation':
      return new DomainError('not_null_violation', 'A required value is missing.', 'not_null_violation', { constraint });
    case 'check_violation':
      return new DomainError('check_violation', 'A value is outside the range the database allows.', 'check_violation', { constraint });
    case 'data_exception':
      return new DomainError('value_rejected', 'The database rejected a value in the request.', 'value_rejected', { sqlstate: c.code });
    case 'unavailable':
      return new DomainError('database_unavailable', 'The database is unavailable. Retry later.', 'database_unavailable', {}, 5);
    case 'pool_exhausted':
      return new DomainError('pool_exhausted', 'Every database connection of this instance is busy. Retry later.', 'pool_exhausted', {}, 1);
    case 'statement_timeout':
      // 57014 is also a cancel request; the service sends none, so it is the statement_timeout.
      return new DomainError(
        'database_timeout',
        'A database statement ran past the statement timeout. Retry later.',
        'statement_timeout',
        { sqlstate: c.code },
        1,
      );
    case 'serialization_failure':
    case 'deadlock':
    case 'lock_timeout':
      // Reached only outside a unit of work (a read route): nothing retried it here.
      return new DomainError(
        'retries_exhausted',
        'A transient database conflict could not be resolved. Retry later.',
        'retries_exhausted',
        { sqlstate: c.code, attempts: 1 },
        1,
      );
    case 'unique_violation':
      // Outside a unit of work nobody declared what this means for the route: a bug, not a 409.
      return undefined;
    case 'other':
      return undefined;
    default: {
      const never: never = c.kind;
      throw new Error(`unhandled database error kind ${String(never)}`);
    }
  }
}
