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
  return String(value) === source ? value : JSON.rawJSON(source);
}

/** `JSON.parse(text)` with numbers kept exact (see `losslessReviver`). Throws `SyntaxError` like `JSON.parse`. */
export function parseJsonLossless(text: string): LosslessJson {
  return JSON.parse(text, losslessReviver as (this: unknown, key: string, value: unknown) => unknown) as LosslessJson;
}

/** Whether `value` is a `JSON.rawJSON` leaf (an exact number), not an object of the document. */
export function isRawJson(value: unknown): value is RawJson {
  return JSON.isRawJSON(value);
}
