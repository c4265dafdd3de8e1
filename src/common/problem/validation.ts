import { UnprocessableEntityException, ValidationError, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { findNul } from '../json/json-inspection';

export interface ValidationIssue {
  path: string;
  message: string;
}

/** A request that failed validation; the filter renders `issues` as the problem's `errors`. */
export class RequestValidationException extends UnprocessableEntityException {
  constructor(
    readonly issues: ValidationIssue[],
    detail = 'The request is not valid.',
  ) {
    super(detail);
  }
}

function flatten(errors: ValidationError[], parent = ''): ValidationIssue[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ path, message }));
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/** Keys class-transformer skips without a word (prototype-pollution guard), so whitelisting never sees them. */
const DROPPED_KEYS = ['constructor', '__proto__'];

/**
 * Two checks before the DTO rules, on bodies validated against a class:
 * - `forbidNonWhitelisted` only sees what class-transformer copied onto the DTO; a `constructor`
 *   key is dropped before that, so a strict schema would accept it silently. Refuse it like any
 *   other unknown field.
 * - U+0000 in any string: DTO fields end up as SQL parameters, which PostgreSQL text refuses and
 *   MikroORM inlines into the statement (see `findNul`).
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && this.toValidate(metadata) && value !== null && typeof value === 'object') {
      const dropped = Array.isArray(value) ? [] : DROPPED_KEYS.filter((key) => Object.prototype.hasOwnProperty.call(value, key));
      if (dropped.length > 0) throw new RequestValidationException(dropped.map((key) => ({ path: key, message: `property ${key} should not exist` })));
      const nul = findNul(value);
      if (nul !== undefined) throw new RequestValidationException([{ path: nul, message: 'must not contain U+0000 (NUL)' }]);
    }
    return super.transform(value, metadata);
  }
}

/**
 * The global pipe: strict DTOs (unknown fields are rejected, not silently dropped) and 422
 * problems that list every failing path. Messages never echo the rejected value.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationException(flatten(errors)),
  });
}
