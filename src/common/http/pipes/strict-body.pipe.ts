import type { ArgumentMetadata, PipeTransform, Type } from '@nestjs/common';
import { createValidationPipe, RequestValidationException } from '../../problem/validation';
import { isExactNumber } from '../../json/exact-json';
import { jsonDepth } from '../../json/json-inspection';

const validation = createValidationPipe();

/** Rejects anything but a JSON object (a missing body, null, an array, a scalar) with 422. */
export function assertJsonObject(value: unknown): asserts value is Record<string, unknown> {
  // An exact number (a body such as 12345678901234567890, see exact-json.ts) is an object to typeof.
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value) || isExactNumber(value)) {
    const got =
      value === undefined ? 'no body' : isExactNumber(value) ? 'a number' : value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new RequestValidationException([{ path: '', message: `must be a JSON object, got ${got}` }], 'The request body must be a JSON object.');
  }
}

/**
 * Rejects anything but a JSON object nested at most `maxDepth` levels, with 422. The bound is the
 * route's (a feature's limit, e.g. the lifecycle's): checked before class-transformer, which
 * recurses, so a deeply nested body would overflow the stack and end as a 500 instead of a 422.
 */
export function assertBoundedJsonObject(value: unknown, maxDepth: number): asserts value is Record<string, unknown> {
  assertJsonObject(value);
  if (jsonDepth(value, maxDepth) > maxDepth) {
    throw new RequestValidationException(
      [{ path: '', message: `must not be nested deeper than ${maxDepth} levels` }],
      'The request body is nested too deeply.',
    );
  }
}

/** Validates `value` as an instance of `metatype` with the global rules (unknown fields → 422). */
export function validateAs<T>(metatype: Type<T>, value: unknown): Promise<T> {
  return validation.transform(value, { type: 'body', metatype, data: undefined }) as Promise<T>;
}

/**
 * Body pipe for a DTO class: bounded depth first, then the global validation rules. Use it on a
 * parameter typed `Readonly<Dto>`, whose design type is `Object`, so that the global
 * ValidationPipe leaves the parameter alone and cannot run class-transformer before the bound.
 */
export class StrictBodyPipe<T> implements PipeTransform<unknown, Promise<T>> {
  constructor(
    private readonly metatype: Type<T>,
    private readonly maxDepth: number,
  ) {}

  async transform(value: unknown, _metadata: ArgumentMetadata): Promise<T> {
    assertBoundedJsonObject(value, this.maxDepth);
    return validateAs(this.metatype, value);
  }
}
