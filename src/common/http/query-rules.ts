import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import type { RuleContext } from '../problem/validation';

/**
 * class-validator rules for query and path values that answer one message per mistake. A stack of
 * built-in decorators reports every rule a value breaks, in an order the stack does not control;
 * these check in order and say the first thing wrong, in words that never echo the value.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why `value` is not a single printable text of 1 to `maxLength` characters, or `undefined`. */
export function textProblem(value: unknown, maxLength: number): string | undefined {
  if (typeof value !== 'string') return 'must be a single value';
  if (value.length === 0) return 'must not be empty';
  if (value.length > maxLength) return `must be at most ${maxLength} characters`;
  if (CONTROL.test(value)) return 'must not contain control characters';
  return undefined;
}

/**
 * A single printable text of 1 to `maxLength` characters (an Airflow id or key: no control
 * characters, and U+0000 could not reach PostgreSQL text). A repeated query parameter arrives as an
 * array and is refused too.
 */
export function IsKeyText(maxLength: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isKeyText',
      constraints: [maxLength],
      validator: {
        validate: (value: unknown) => textProblem(value, maxLength) === undefined,
        defaultMessage: (args) => textProblem(args?.value, maxLength) ?? 'is not valid',
      },
    },
    options,
  );
}

/** Messages of `IsIntegerIn`, for a value that is no integer, below `min` or above `max`. */
export interface IntegerMessages {
  notInteger?: string;
  below?: string;
  above?: string;
}

/**
 * An integer from `min` to `max`. Query values arrive as strings: pair it with a `@Transform` that
 * turns a well-formed integer into its number and leaves anything else as it came (refused here).
 */
export function IsIntegerIn(min: number, max: number, messages: IntegerMessages = {}, options?: ValidationOptions): PropertyDecorator {
  const problem = (value: unknown): string | undefined => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return messages.notInteger ?? 'must be an integer';
    if (value < min) return messages.below ?? `must be ${min} or more`;
    if (value > max) return messages.above ?? `must be at most ${max}`;
    return undefined;
  };
  return ValidateBy(
    {
      name: 'isIntegerIn',
      constraints: [min, max],
      validator: { validate: (value: unknown) => problem(value) === undefined, defaultMessage: (args) => problem(args?.value) ?? 'is not valid' },
    },
    options,
  );
}

/**
 * `@Transform(integerText(pattern))`: a string matching `pattern` (digits, bounded so `Number` is
 * exact) becomes its number; anything else stays as it came, for the validator to refuse.
 */
export const integerText =
  (pattern: RegExp) =>
  ({ value }: { value: unknown }): unknown =>
    typeof value === 'string' && pattern.test(value) ? Number(value) : value;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A UUID path parameter (any version), answered in lower case: 422 "must be a UUID" with
 * Pydantic's `uuid_parsing` type (what FastAPI answers for Airflow's `UUID` path parameters),
 * never echoing the value. class-validator's `IsUUID` would check a version and say more.
 */
export function IsUuidParam(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : value)),
    ValidateBy(
      {
        name: 'isUuidParam',
        validator: { validate: (value: unknown) => typeof value === 'string' && UUID.test(value), defaultMessage: () => 'must be a UUID' },
      },
      { context: { type: 'uuid_parsing', detail: 'The path parameter is not a valid UUID.' } satisfies RuleContext },
    ),
  ) as PropertyDecorator;
}

/** Why `text` is no path text of 1 to `maxLength` characters (the words the hand-written path checks answered, kept on the wire). */
function pathTextProblem(text: unknown, maxLength: number): string | undefined {
  if (typeof text !== 'string' || text.length === 0) return 'must not be empty';
  if (text.length > maxLength) return `must be at most ${maxLength} characters`;
  if (CONTROL.test(text)) return 'must not contain control characters';
  return undefined;
}

/** How `IsPathText` words a refusal where a route's answers predate the rule. */
export interface PathTextWording {
  /** Start the message with the parameter's name (`dag_id must not be empty`), as the task-instance key's did. */
  named?: boolean;
}

/**
 * A text path parameter (an Airflow id or key): 1 to `maxLength` characters, no control
 * characters; 422 "The path parameter <name> is not valid." naming it, never echoing it. A wildcard
 * parameter (`*key`, which Express 5 gives as its segments) is joined back with `/`, so a key may
 * contain slashes, as Airflow's `{key:path}` does.
 */
export function IsPathText(maxLength: number, wording: PathTextWording = {}): PropertyDecorator {
  return (target, propertyKey) => {
    const name = String(propertyKey);
    const said = (problem: string) => (wording.named ? `${name} ${problem}` : problem);
    applyDecorators(
      Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.join('/') : value)),
      ValidateBy(
        {
          name: 'isPathText',
          constraints: [maxLength],
          validator: {
            validate: (value: unknown) => pathTextProblem(value, maxLength) === undefined,
            defaultMessage: (args) => said(pathTextProblem(args?.value, maxLength) ?? 'is not valid'),
          },
        },
        { context: { detail: `The path parameter ${name} is not valid.` } satisfies RuleContext },
      ),
    )(target, propertyKey);
  };
}
