import { registerDecorator, type ValidationOptions } from 'class-validator';

/** ISO-8601 date-time with a time zone (`Z` or an offset): Airflow's `UtcDateTime` rejects naive ones. */
const AWARE_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Whether `value` is an ISO-8601 date-time with a time zone that names a real instant. */
export function isAwareDateTime(value: unknown): value is string {
  return typeof value === 'string' && AWARE_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * An ISO-8601 date-time with a time zone, e.g. `2026-11-25T10:00:00Z` (every module's DTOs take
 * Airflow's `UtcDateTime` this way).
 */
export const IsAwareDateTime =
  (options?: ValidationOptions): PropertyDecorator =>
  (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAwareDateTime',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an ISO-8601 date-time with a time zone (e.g. 2026-11-25T10:00:00Z)', ...options },
      validator: { validate: (value: unknown) => isAwareDateTime(value) },
    });
