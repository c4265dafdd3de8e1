import { UnprocessableEntityException, ValidationError, ValidationPipe } from '@nestjs/common';

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

/**
 * The global pipe: strict DTOs (unknown fields are rejected, not silently dropped) and 422
 * problems that list every failing path. Messages never echo the rejected value.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationException(flatten(errors)),
  });
}
