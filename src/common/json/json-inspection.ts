import { isExactNumber, MAX_NUMBER_DIGITS, printedDigits } from './exact-json';

/** A lone (unpaired) UTF-16 surrogate: not Unicode text, and not representable in UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Paths echo field names only, bounded, never values. */
const MAX_PATH_LENGTH = 200;

export interface JsonIssue {
  detail: string;
  /** JSON path of the offending value (`""` for the whole body), as in validation problems. */
  path: string;
  message: string;
}

function join(parent: string, key: string | number): string {
  const path = typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
  return path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path;
}

/**
 * Visits a parsed JSON document depth-first, iteratively (a pathological document cannot overflow
 * the stack). The one walker behind every JSON check of the service: `value` sees each value with
 * its nesting (a scalar at the top is depth 0; a container at depth `d` holds values at `d + 1`) and
 * its path; `key` sees each property name, when its object is entered, before any of its values.
 * The first result that is not `undefined` ends the walk and is returned. An exact number
 * (`JSON.rawJSON`, see `exact-json.ts`) is a leaf, like any number.
 */
export function walkJson<R>(
  root: unknown,
  visitor: { value?: (value: unknown, depth: number, path: string) => R | undefined; key?: (key: string, path: string) => R | undefined },
): R | undefined {
  const stack: [unknown, number, string][] = [[root, 0, '']];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    const found = visitor.value?.(value, depth, path);
    if (found !== undefined) return found;
    if (value === null || typeof value !== 'object' || isExactNumber(value)) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], depth + 1, join(path, i)]);
      continue;
    }
    for (const key of Object.keys(value)) {
      const keyPath = join(path, key);
      const atKey = visitor.key?.(key, keyPath);
      if (atKey !== undefined) return atKey;
      stack.push([(value as Record<string, unknown>)[key], depth + 1, keyPath]);
    }
  }
  return undefined;
}

/**
 * The first reason a parsed JSON body must be refused, or `undefined`: nesting deeper than
 * `maxDepth` (a scalar is depth 0, `{}` depth 1, as `jsonDepth` counts), a lone surrogate in a
 * string or a key, a `__proto__` key, or a number PostgreSQL would print with more than
 * `MAX_NUMBER_DIGITS` digits or cannot store (only exact numbers can be that large: see
 * `parseExactJson`).
 */
export function inspectJsonBody(body: unknown, maxDepth: number): JsonIssue | undefined {
  return walkJson<JsonIssue>(body, {
    value: (value, depth, path) => {
      if (typeof value === 'string') {
        if (LONE_SURROGATE.test(value))
          return { detail: 'The request body contains text that is not valid Unicode.', path, message: 'must not contain lone surrogates (\\ud800-\\udfff)' };
        return undefined;
      }
      if (value === null || typeof value !== 'object') return undefined;
      if (isExactNumber(value)) {
        if (printedDigits(value.rawJSON) <= MAX_NUMBER_DIGITS) return undefined;
        return {
          detail: 'The request body contains a number too large or too precise to store.',
          path,
          message: `must be a number of at most ${MAX_NUMBER_DIGITS} digits once written out in full`,
        };
      }
      if (depth + 1 > maxDepth)
        return { detail: 'The request body is nested too deeply.', path: '', message: `must not be nested deeper than ${maxDepth} levels` };
      return undefined;
    },
    key: (key, path) => {
      if (key === '__proto__')
        return { detail: 'The request body contains a forbidden property name.', path, message: 'property name __proto__ is not allowed' };
      if (LONE_SURROGATE.test(key))
        return {
          detail: 'The request body contains text that is not valid Unicode.',
          path,
          message: 'property names must not contain lone surrogates (\\ud800-\\udfff)',
        };
      return undefined;
    },
  });
}

/**
 * The path of the first string or key holding U+0000, or `undefined`. PostgreSQL text cannot hold
 * it, and MikroORM inlines parameters into the SQL text, where a NUL byte cuts the statement short
 * and the server drops the connection (a 503 instead of a 422).
 */
export function findNul(body: unknown): string | undefined {
  return walkJson<string>(body, {
    value: (value, _depth, path) => (typeof value === 'string' && value.includes('\u0000') ? path : undefined),
    key: (key, path) => (key.includes('\u0000') ? path : undefined),
  });
}

/** Nesting depth of a JSON value (a scalar is 0); stops counting once it exceeds `stopAbove`. */
export function jsonDepth(value: unknown, stopAbove = Infinity): number {
  let max = 0;
  walkJson<true>(value, {
    value: (v, depth) => {
      if (v === null || typeof v !== 'object' || isExactNumber(v)) return undefined;
      if (depth + 1 > max) max = depth + 1;
      return max > stopAbove ? true : undefined;
    },
  });
  return max;
}
