/**
 * JSON whose numbers survive JavaScript: a body's numbers reach PostgreSQL (`jsonb`, which keeps
 * any number exactly) and come back out with the value the client sent, even where a double would
 * change it (integers beyond 2^53, 17+ significant digits, 1e400).
 *
 * How: Node 24's `JSON.parse(text, reviver)` hands the reviver each primitive's source text
 * (`context.source`); a number whose value a double would change is kept as `JSON.rawJSON(source)`,
 * which `JSON.stringify` writes back verbatim. Every other number stays a plain `number`, so
 * validators and code that expect numbers see numbers. A regular expression first looks for a
 * number that could be changed at all (16 digits or dots in a row, or an exponent); a body without
 * one, the common case, is parsed by plain `JSON.parse` at no extra cost (bench/json-exact.mjs).
 *
 * What "exactly" means: the numeric value. PostgreSQL's `jsonb` stores a number as `numeric` and
 * prints it in its own spelling (`1E2` → `100`, `1e400` → 401 digits, `-0` → `0`, `1.0` stays
 * `1.0`), as Airflow's PostgreSQL does. Duplicate keys: the last one wins, as in `JSON.parse`,
 * Python's `json` and `jsonb`.
 *
 * Used by the HTTP body parser (src/common/http/configure-http.ts) for every route; a module that
 * stores client JSON (RTIF, XCom) adds: `redactJson`-style walks that treat `isExactNumber` values
 * as leaves, `JsonTextType` for its jsonb column, and `parseExactJson` on what it reads back.
 */

/** A JSON value as parsed here: plain JSON, plus exact numbers (`JSON.rawJSON` objects) as leaves. */
export type ExactJsonValue = string | number | boolean | null | ExactNumber | ExactJsonValue[] | { [key: string]: ExactJsonValue };
export type ExactJsonObject = { [key: string]: ExactJsonValue };

/** A number kept as its source text (`JSON.rawJSON`); `JSON.stringify` writes the text verbatim. */
export interface ExactNumber {
  readonly rawJSON: string;
}

/** Any text in which some number token may have a value a double cannot hold. */
const POSSIBLY_INEXACT = /\d[\d.]{15}|\d[eE]/;

/**
 * At most this many digits in a number as PostgreSQL prints it (1e400: 401). A short spelling can
 * stand for a huge printout: `1e131071` is 8 bytes in a body and 131,072 digits in every read of it
 * (and `numeric` refuses 1e131072 outright).
 */
export const MAX_NUMBER_DIGITS = 1000;

// JSON.parse source text access (ES2026; Node 24's V8 has it, TypeScript 6's lib does not yet).
declare global {
  interface JSON {
    rawJSON(text: string): ExactNumber;
    isRawJSON(value: unknown): value is ExactNumber;
  }
}

interface ReviverContext {
  source?: string;
}

/** True for a number kept as its source text. */
export function isExactNumber(value: unknown): value is ExactNumber {
  return JSON.isRawJSON(value);
}

function reviver(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number') return value;
  const source = context?.source;
  if (source === undefined) return value;
  const text = JSON.stringify(value);
  if (text === source || (text !== 'null' && sameDecimal(text, source))) return value;
  return JSON.rawJSON(source);
}

/**
 * Parses JSON text, keeping every number whose value a double would change as an exact number.
 * Throws `SyntaxError` on malformed text, like `JSON.parse`.
 */
export function parseExactJson(text: string): ExactJsonValue {
  return (POSSIBLY_INEXACT.test(text) ? JSON.parse(text, reviver) : JSON.parse(text)) as ExactJsonValue;
}

/** Serialises a value from `parseExactJson` (exact numbers verbatim). */
export function stringifyExactJson(value: ExactJsonValue): string {
  return JSON.stringify(value);
}

interface Decimal {
  negative: boolean;
  /** Significant digits, no leading or trailing zeros ('' for zero). */
  digits: string;
  /** Power of ten of the last significant digit. */
  exponent: number;
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

function decimalOf(text: string): Decimal | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const fraction = m[3] ?? '';
  const all = (m[2] + fraction).replace(/^0+/, '');
  const digits = all.replace(/0+$/, '');
  // Beyond ±1e15 the exponent is meaningless for any digit count a body can carry.
  const written = Number(m[4] ?? '0');
  if (!Number.isSafeInteger(written)) return { negative: m[1] === '-', digits, exponent: written > 0 ? Infinity : -Infinity };
  return { negative: m[1] === '-', digits, exponent: written - fraction.length + (all.length - digits.length) };
}

/** Whether two JSON number spellings have the same value (-0 and 0 count as equal, as in `numeric`). */
function sameDecimal(a: string, b: string): boolean {
  const x = decimalOf(a);
  const y = decimalOf(b);
  if (!x || !y) return false;
  if (x.digits === '' || y.digits === '') return x.digits === y.digits;
  return x.negative === y.negative && x.digits === y.digits && x.exponent === y.exponent;
}

/**
 * How many digits PostgreSQL prints for this JSON number (`numeric` output: no exponent, the
 * written fraction digits kept), or `Infinity` when it cannot be stored at all.
 */
export function printedDigits(source: string): number {
  const m = NUMBER.exec(source);
  if (!m) return Infinity;
  const exponent = Number(m[4] ?? '0');
  if (!Number.isSafeInteger(exponent)) return Infinity;
  const all = m[2] + (m[3] ?? '');
  // Where the decimal point falls in `all` once the exponent has moved it.
  const point = m[2].length + exponent;
  const leadingZeros = all.length - all.replace(/^0+/, '').length;
  const integerDigits = Math.max(1, point - Math.min(leadingZeros, Math.max(point, 0)));
  const fractionDigits = Math.max(0, all.length - point);
  return integerDigits + fractionDigits;
}
