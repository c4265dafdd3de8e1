import { isExactNumber, MAX_NUMBER_DIGITS, printedDigits } from '../json/exact-json';

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
 * The first reason a parsed JSON body must be refused, or `undefined`: nesting deeper than
 * `maxDepth` (a scalar is depth 0, `{}` depth 1, as `jsonDepth` counts), a lone surrogate in a
 * string or a key, a `__proto__` key, or a number PostgreSQL would print with more than
 * `MAX_NUMBER_DIGITS` digits or cannot store (only exact numbers can be that large: see
 * `parseExactJson`). Iterative, so a pathological body cannot overflow the stack.
 */
export function inspectJsonBody(body: unknown, maxDepth: number): JsonIssue | undefined {
  const stack: [unknown, number, string][] = [[body, 0, '']];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return { detail: 'The request body contains text that is not valid Unicode.', path, message: 'must not contain lone surrogates (\\ud800-\\udfff)' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (isExactNumber(value)) {
      if (printedDigits(value.rawJSON) > MAX_NUMBER_DIGITS) {
        return { detail: 'The request body contains a number too large or too precise to store.', path, message: `must be a number of at most ${MAX_NUMBER_DIGITS} digits once written out in full` };
      }
      continue;
    }
    if (depth + 1 > maxDepth) return { detail: 'The request body is nested too deeply.', path: '', message: `must not be nested deeper than ${maxDepth} levels` };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], depth + 1, join(path, i)]);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === '__proto__') return { detail: 'The request body contains a forbidden property name.', path: join(path, key), message: 'property name __proto__ is not allowed' };
      if (LONE_SURROGATE.test(key)) return { detail: 'The request body contains text that is not valid Unicode.', path: join(path, key), message: 'property names must not contain lone surrogates (\\ud800-\\udfff)' };
      stack.push([(value as Record<string, unknown>)[key], depth + 1, join(path, key)]);
    }
  }
  return undefined;
}

/**
 * The path of the first string or key holding U+0000, or `undefined`. PostgreSQL text cannot hold
 * it, and MikroORM inlines parameters into the SQL text, where a NUL byte cuts the statement short
 * and the server drops the connection (a 503 instead of a 422).
 */
export function findNul(body: unknown): string | undefined {
  const stack: [unknown, string][] = [[body, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], join(path, i)]);
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        if (key.includes('\u0000')) return join(path, key);
        stack.push([(value as Record<string, unknown>)[key], join(path, key)]);
      }
    }
  }
  return undefined;
}
