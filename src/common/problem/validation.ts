import { UnprocessableEntityException, ValidationError, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { findNul } from '../json/json-inspection';
import type { IssueLocation, ProblemIssue } from './problem';

export type ValidationIssue = ProblemIssue;

/** A request that failed validation; the filter renders `issues` as the problem's `errors`. */
export class RequestValidationException extends UnprocessableEntityException {
  constructor(
    readonly issues: ValidationIssue[],
    detail = 'The request is not valid.',
  ) {
    super(detail);
  }
}

/** The issue location of a pipe's argument: Nest's `param` is FastAPI's `path`. */
export function issueLocationOf(type: ArgumentMetadata['type']): IssueLocation {
  return type === 'param' ? 'path' : type === 'query' ? 'query' : 'body';
}

/** The same refusal with every issue that names no location placed at `location`. */
function locatedAt(error: RequestValidationException, location: IssueLocation): RequestValidationException {
  if (location === 'body') return error;
  return new RequestValidationException(
    error.issues.map((issue) => ({ location, ...issue })),
    error.message,
  );
}

/**
 * Which failed rule speaks for a property when several do: the one about its type (a string
 * `"0"` for an integer is "must be an integer", not "must not be greater than 2147483647"), then
 * its size (an empty id is too short before it is a bad pattern).
 */
const TYPE_RULES = ['isString', 'isInt', 'isNumber', 'isBoolean', 'isObject', 'isArray', 'isIn', 'isEnum', 'isUUID', 'isISO8601', 'isLength', 'min', 'max'];

const UNKNOWN_FIELD = 'is not allowed';

/** One message per mistake: an unknown field, a missing field, or the first rule a value breaks. */
function messageFor(e: ValidationError, path: string): string | undefined {
  const constraints = e.constraints ?? {};
  const names = Object.keys(constraints);
  if (names.length === 0) return undefined;
  if (names.includes('whitelistValidation')) return `${path} ${UNKNOWN_FIELD}`;
  if (e.value === undefined) return `${path} is required`;
  return constraints[TYPE_RULES.find((rule) => rule in constraints) ?? names[0]];
}

function flatten(errors: ValidationError[], parent = ''): ValidationIssue[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const message = messageFor(e, path);
    // Pydantic's type for an unknown field, as the Airflow format derives it from the message anyway;
    // set here so `@RefusalWording` can find these issues without reading their words.
    const type = e.constraints && 'whitelistValidation' in e.constraints ? { type: 'extra_forbidden' } : {};
    return [...(message !== undefined ? [{ path, message, ...type }] : []), ...flatten(e.children ?? [], path)];
  });
}

const WORDING = Symbol('refusal wording');

/** How a DTO's refusals are worded where they differ from the global default (`@RefusalWording`). */
export interface RefusalWording {
  /** The problem's `detail` (default "The request is not valid."). */
  detail: string;
  /** One issue naming every unknown field, with this message (default: one `<name> is not allowed` each). */
  unknownFields?: string;
}

/**
 * Class decorator: the wording of this DTO's refusals, for a route whose answers predate the
 * global pipe (the task-instance search's query parameters). Read by the global pipe only.
 */
export function RefusalWording(wording: RefusalWording): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(WORDING, wording, target);
  };
}

/** `error` reworded as `metatype` asks (`@RefusalWording`), or unchanged. */
function worded(error: RequestValidationException, metatype: unknown): RequestValidationException {
  const wording = typeof metatype === 'function' ? (Reflect.getMetadata(WORDING, metatype) as RefusalWording | undefined) : undefined;
  if (!wording) return error;
  let issues = error.issues;
  if (wording.unknownFields !== undefined) {
    const unknown = issues.filter((i) => i.type === 'extra_forbidden');
    issues = issues.filter((i) => !unknown.includes(i));
    if (unknown.length > 0) issues.push({ path: unknown.map((i) => i.path).join(', '), message: wording.unknownFields });
  }
  return new RequestValidationException(issues, wording.detail);
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
      if (dropped.length > 0) throw new RequestValidationException(dropped.map((key) => ({ path: key, message: `${key} is not allowed` })));
      const nul = findNul(value);
      if (nul !== undefined) throw new RequestValidationException([{ path: nul, message: 'must not contain U+0000 (NUL)' }]);
    }
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      throw error instanceof RequestValidationException ? worded(locatedAt(error, issueLocationOf(metadata.type)), metadata.metatype) : error;
    }
  }
}

/**
 * The global pipe: strict DTOs (unknown fields are rejected, not silently dropped) and 422
 * problems with one message per failing path. Messages never echo the rejected value.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    // The value is read to tell a missing field from a wrong one; no message repeats it.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new RequestValidationException(flatten(errors)),
  });
}
