import { UnprocessableEntityException, ValidationError, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { plainToInstance, type ClassTransformOptions } from 'class-transformer';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { findNul, jsonDepth } from '../json/json-inspection';
import { isExactNumber } from '../json/exact-json';
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

/**
 * What a rule may add to its issue through class-validator's `context` option: Pydantic's error
 * `type` (Airflow's wire format shows it) and the problem's `detail` when this rule alone fails.
 */
export interface RuleContext {
  type?: string;
  detail?: string;
}

/** A flattened issue and the context of the rule that speaks for it. */
type Located = { issue: ValidationIssue; context?: RuleContext };

/** The rule that speaks for a property (one message per mistake), or none for a parent without its own. */
function ruleFor(e: ValidationError): string | undefined {
  const constraints = e.constraints ?? {};
  const names = Object.keys(constraints);
  if (names.length === 0) return undefined;
  if (names.includes('whitelistValidation')) return 'whitelistValidation';
  return TYPE_RULES.find((rule) => rule in constraints) ?? names[0];
}

/** One message per mistake: an unknown field, a missing field, or the first rule a value breaks. */
function issueFor(e: ValidationError, path: string): Located | undefined {
  const rule = ruleFor(e);
  if (rule === undefined) return undefined;
  // Pydantic's type for an unknown field, as the Airflow format derives it from the message anyway;
  // set here so `@RefusalWording` can find these issues without reading their words.
  if (rule === 'whitelistValidation') return { issue: { path, message: `${path} ${UNKNOWN_FIELD}`, type: 'extra_forbidden' } };
  if (e.value === undefined) return { issue: { path, message: `${path} is required` } };
  const context = e.contexts?.[rule] as RuleContext | undefined;
  return { issue: { path, message: e.constraints![rule], ...(context?.type ? { type: context.type } : {}) }, context };
}

function flatten(errors: ValidationError[], parent = ''): Located[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const located = issueFor(e, path);
    return [...(located ? [located] : []), ...flatten(e.children ?? [], path)];
  });
}

/** The refusal of `errors`: the `detail` their rules' contexts agree on, else the default one. */
function refusalOf(errors: ValidationError[]): RequestValidationException {
  const located = flatten(errors);
  const details = new Set(located.map((l) => l.context?.detail));
  const [detail] = details;
  return new RequestValidationException(
    located.map((l) => l.issue),
    details.size === 1 && detail !== undefined ? detail : undefined,
  );
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

const TRANSFORM_OPTIONS: ClassTransformOptions = { enableImplicitConversion: false };
const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  // The value is read to tell a missing field from a wrong one; no message repeats it.
  validationError: { target: false, value: true },
} satisfies ValidatorOptions;

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
    if (metadata.type === 'param' && this.toValidate(metadata)) return this.validatePath(value, metadata.metatype!);
    const shape = metadata.type === 'body' ? jsonBodyOf(metadata.metatype) : undefined;
    if (shape !== undefined) {
      // Nest resolves a handler's arguments concurrently (the body's first) and answers the first
      // refusal: yielding once lets a bad path, refused synchronously (`validatePath`), speak first.
      await undefined;
      const checked = checkedBody(value, shape, metadata.metatype!);
      if (typeof checked !== 'function') return checked.body;
      metadata = { ...metadata, metatype: checked };
    }
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

  /**
   * Path parameters are validated synchronously, before this call yields: Nest resolves a
   * handler's arguments concurrently and answers the first refusal, so an asynchronous check here
   * would let a bad body's refusal overtake a bad path's, and which one a client saw would depend
   * on each pipe's microtask count. Settled first, the path is answered on every route (FastAPI
   * reads the path first too). Path DTOs must therefore hold synchronous rules only.
   */
  private validatePath(value: unknown, metatype: new () => object): object {
    return validatePathParams(metatype, value);
  }
}

const JSON_BODY = Symbol('json body');

/** What a body DTO declares about its request body as a whole (`@JsonBody`); see `JsonBody`. */
export interface JsonBodyShape {
  /**
   * The body's JSON kind, checked first: a JSON object (anything else, a missing body included, is
   * "must be a JSON object, got …"), or any JSON value (only a missing body is refused). Omitted, the
   * `whole` property's rules decide alone (a missing body reaches them as null).
   */
  json?: 'object' | 'value';
  /** Nesting allowed, checked before class-transformer (it recurses: a deep body would be a 500). */
  maxDepth?: number;
  /** The payload class is chosen by this property's value (a union like Airflow's `TIStateUpdate`). */
  discriminator?: { property: string; classes: Readonly<Record<string, BodyClass>> };
  /**
   * A body that is not an object of fields (a bare string, any JSON value, a free-form object) is
   * handed to the handler as this property of an instance of the class; its rules' issues are
   * answered at path `''`, the whole body.
   */
  whole?: string;
  /**
   * Free-form JSON in `whole` (RTIF fields, an XCom value): passed on exactly as parsed, never
   * through class-transformer (it copies exact numbers, `JSON.rawJSON`, into plain objects, and
   * costs CPU on the hot path), checked for its kind and, if `refuseNul`, U+0000 only.
   */
  freeForm?: { refuseNul: boolean };
}

/** A body DTO class (the pipe instantiates a `whole` one itself, without class-transformer). */
type BodyClass = new () => object;

/**
 * Class decorator of a body DTO: what class-validator cannot say on properties (the body's JSON
 * kind, its depth bound, a discriminated union, a bare or free-form body). Read by the global pipe
 * only, so that a route reads `@Body() body: SomeDto` whatever its body is. A contradictory shape
 * fails when the class is declared.
 */
export function JsonBody(shape: JsonBodyShape): ClassDecorator {
  if (shape.freeForm && shape.whole === undefined) throw new Error('@JsonBody: freeForm needs the whole property that carries the body');
  if (shape.discriminator && (shape.whole !== undefined || shape.json !== 'object'))
    throw new Error('@JsonBody: a discriminator selects among JSON object bodies');
  if (shape.maxDepth !== undefined && !(Number.isInteger(shape.maxDepth) && shape.maxDepth > 0))
    throw new Error('@JsonBody: maxDepth must be a positive integer');
  return (target) => {
    Reflect.defineMetadata(JSON_BODY, shape, target);
  };
}

function jsonBodyOf(metatype: unknown): JsonBodyShape | undefined {
  return typeof metatype === 'function' ? (Reflect.getOwnMetadata(JSON_BODY, metatype) as JsonBodyShape | undefined) : undefined;
}

/** How a body that is not a JSON object is named in "must be a JSON object, got …". */
function kindOf(value: unknown): string {
  // An exact number (a body such as 12345678901234567890, see exact-json.ts) is an object to typeof.
  if (value === undefined) return 'no body';
  if (isExactNumber(value)) return 'a number';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * The body's checks as `shape` declares them, in the order the answers always had: kind, depth,
 * discriminator. Answers the value the handler receives (`{ body }`), or the class whose property
 * rules come next (the DTO itself, or the one the discriminator chose).
 */
function checkedBody(value: unknown, shape: JsonBodyShape, metatype: BodyClass): { body: unknown } | BodyClass {
  if (shape.json === 'object' && (value === null || typeof value !== 'object' || Array.isArray(value) || isExactNumber(value)))
    throw new RequestValidationException([{ path: '', message: `must be a JSON object, got ${kindOf(value)}` }], 'The request body must be a JSON object.');
  if (shape.json === 'value' && value === undefined)
    throw new RequestValidationException([{ path: '', message: 'must be a JSON value, got no body' }], 'The request body must be a JSON value.');
  if (shape.maxDepth !== undefined && jsonDepth(value, shape.maxDepth) > shape.maxDepth)
    throw new RequestValidationException(
      [{ path: '', message: `must not be nested deeper than ${shape.maxDepth} levels` }],
      'The request body is nested too deeply.',
    );
  if (shape.discriminator) {
    const { property, classes } = shape.discriminator;
    const selector = (value as Record<string, unknown>)[property];
    if (typeof selector !== 'string' || !Object.hasOwn(classes, selector))
      throw new RequestValidationException([{ path: property, message: `${property} must be one of: ${Object.keys(classes).join(', ')}` }]);
    return classes[selector];
  }
  if (shape.whole === undefined) return metatype;
  if (shape.freeForm) {
    const nul = shape.freeForm.refuseNul ? findNul(value) : undefined;
    if (nul !== undefined) throw new RequestValidationException([{ path: nul, message: 'must not contain U+0000 (NUL)' }]);
    return { body: Object.assign(new metatype(), { [shape.whole]: value }) };
  }
  const whole = Object.assign(new metatype(), { [shape.whole]: value ?? null });
  const errors = validateSync(whole, VALIDATOR_OPTIONS);
  if (errors.length > 0) {
    const refusal = refusalOf(errors);
    throw new RequestValidationException(
      refusal.issues.map((issue) => ({ ...issue, path: issue.path === shape.whole ? '' : issue.path })),
      refusal.message,
    );
  }
  return { body: whole };
}

/**
 * Validates a route's path parameters against the path DTO `metatype`, synchronously: what the
 * global pipe does for `@Param() p: SomeParams`, and what a guard-time resolver calls on
 * `req.params` (it runs before any pipe). Only the first bad parameter is answered, in the DTO's
 * declaration order, as the per-parameter checks before it did: each parameter's refusal has its
 * own `detail`, and two would fall back to the generic one.
 */
export function validatePathParams<T extends object>(metatype: new () => T, value: unknown): T {
  return validateRequestPart(metatype, value, 'path');
}

/**
 * Where a part of the request validated outside the global pipe sits: a guard reads the path and
 * the query (guards run before any pipe), a middleware the headers.
 */
export type RequestPart = 'path' | 'query' | 'header';

/**
 * `validatePathParams` for any part of the request, the query string's and headers' too: the same
 * DTO rules, synchronously, the first bad value answered. Pass only the values the DTO declares
 * (`{ map_index: req.query.map_index }`): the DTO is strict, so any other is refused as unknown.
 * A header's issue is named `header <name>` (the DTO's property is the header's name) and carries
 * no `location`, as the version middleware's refusal always did.
 */
export function validateRequestPart<T extends object>(metatype: new () => T, value: unknown, part: RequestPart): T {
  const { instance, refusal } = checkPart(metatype, value, part, false);
  if (refusal) throw refusal;
  return instance;
}

/** One part of a request for `validateRequestParts`: its DTO, its values, where they sit. */
export interface RequestPartCheck<T extends object = object> {
  metatype: new () => T;
  value: unknown;
  part: RequestPart;
}

/**
 * Validates several parts of a request at once and refuses every issue of all of them in one 422
 * under one `detail` (a task-instance key: three path ids and a `map_index` from the path or the
 * query, answered together as one key). Returns each part's DTO, in order.
 */
export function validateRequestParts<const C extends readonly RequestPartCheck[]>(
  checks: C,
  detail: string,
): { [K in keyof C]: C[K] extends RequestPartCheck<infer T> ? T : never } {
  const results = checks.map((c) => checkPart(c.metatype, c.value, c.part, true));
  const issues = results.flatMap((r) => r.refusal?.issues ?? []);
  if (issues.length > 0) throw new RequestValidationException(issues, detail);
  return results.map((r) => r.instance) as { [K in keyof C]: C[K] extends RequestPartCheck<infer T> ? T : never };
}

/** The DTO of `value` and, when a rule fails, its refusal (the first issue, or `all`), each issue placed in `part`. */
function checkPart<T extends object>(
  metatype: new () => T,
  value: unknown,
  part: RequestPart,
  all: boolean,
): { instance: T; refusal?: RequestValidationException } {
  const instance = plainToInstance(metatype, value ?? {}, TRANSFORM_OPTIONS);
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  if (errors.length === 0) return { instance };
  const refusal = refusalOf(all ? errors : errors.slice(0, 1));
  // `location` after `message`, before `type`: the key order the path pipes answered with
  // (problem-details bodies serialize issues as they are).
  const issues = refusal.issues.map(({ path, message, type }) =>
    part === 'header' ? { path: `header ${path}`, message, ...(type ? { type } : {}) } : { path, message, location: part, ...(type ? { type } : {}) },
  );
  return { instance, refusal: worded(new RequestValidationException(issues, refusal.message), metatype) };
}

/**
 * The global pipe: strict DTOs (unknown fields are rejected, not silently dropped) and 422
 * problems with one message per failing path. Messages never echo the rejected value.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({ ...VALIDATOR_OPTIONS, transform: true, transformOptions: TRANSFORM_OPTIONS, exceptionFactory: refusalOf });
}
