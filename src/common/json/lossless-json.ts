declare global {
  // Node 24 (V8 12) ships TC39 "JSON.parse source text access"; TypeScript's ES2024 lib predates it.
  interface JSON {
    rawJSON(text: string): RawJson;
    isRawJSON(value: unknown): boolean;
  }
}

/** A JSON value as parsed by `parseJsonLossless`: numbers a double cannot hold are `RawJson` leaves. */
export type LosslessJson = string | number | boolean | null | RawJson | LosslessJson[] | { [key: string]: LosslessJson };

/** What `JSON.rawJSON` returns: a frozen null-prototype object that `JSON.stringify` writes verbatim. */
export interface RawJson {
  readonly rawJSON: string;
}

/**
 * `JSON.parse` reviver that keeps every number whose double does not print back as its source text
 * (`12345678901234567890`, `0.1000000000000000055511151231257827`, `1.0`, `-0`, `1e400`) as
 * `JSON.rawJSON(source)`, which `JSON.stringify` writes back unchanged. Plain `JSON.parse` would
 * round them (or make `1e400` Infinity, which `JSON.stringify` turns into `null`). Node 24 passes
 * the source text of each primitive in `context.source` (TC39 "JSON.parse source text access").
 */
export function losslessReviver(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  const source = context.source;
  if (String(value) === source) return value;
  const exponent = /[eE]([+-]?\d+)$/.exec(source);
  if (exponent !== null && Math.abs(Number(exponent[1])) > MAX_EXPONENT) throw new NumberTooLargeError();
  return JSON.rawJSON(source);
}

/**
 * The largest exponent kept: PostgreSQL stores a number as `numeric` and prints every digit, so
 * `1e131071` (8 bytes in a body) would be 131,072 digits in every read of it.
 */
export const MAX_EXPONENT = 1000;

/** A number whose exponent is beyond `MAX_EXPONENT`. */
export class NumberTooLargeError extends Error {
  constructor() {
    super(`numbers must have an exponent of at most ${MAX_EXPONENT} in absolute value`);
    this.name = 'NumberTooLargeError';
  }
}

/** `JSON.parse(text)` with numbers kept exact (see `losslessReviver`). Throws `SyntaxError` like `JSON.parse`. */
export function parseJsonLossless(text: string): LosslessJson {
  return JSON.parse(text, losslessReviver as (this: unknown, key: string, value: unknown) => unknown) as LosslessJson;
}

/** Whether `value` is a `JSON.rawJSON` leaf (an exact number), not an object of the document. */
export function isRawJson(value: unknown): value is RawJson {
  return JSON.isRawJSON(value);
}
