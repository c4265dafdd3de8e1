/**
 * The one rule for JSON the service stores (RTIF, XCom, dag-run `conf`, trigger and `next_kwargs`
 * arguments, and what comes later, such as variables), and the one parser that applies it.
 *
 * **The rule: a number is kept as written.** Node 24's `JSON.parse(text, reviver)` hands the
 * reviver each primitive's source text (`context.source`). A number stays a plain JavaScript
 * `number` only when `JSON.stringify` would write it back byte for byte (`42`, `0.5`, `-3`);
 * any other spelling (`1.0`, `1.50`, `-0`, `1E2`, `1e400`, `12345678901234567890`,
 * `0.1000000000000000055511151231257827`) is kept as `JSON.rawJSON(source)`, which
 * `JSON.stringify` writes back verbatim. So a number is never rounded, widened or respelled on its
 * way through the service, and the same text parses the same way wherever it is parsed: the HTTP
 * body parser (`src/common/http/configure-http.ts`, once per request, for every route) and every
 * read of a stored document (`JsonTextType`, `ExactJsonType`).
 *
 * **What PostgreSQL does with it.** Stored documents are `jsonb`, which keeps a number as
 * `numeric`: the value and its written fraction digits survive (`1.0`, `1.50`, `0.1`, integers of
 * any length), but `numeric` has its own spelling for the rest: no exponent (`1E2` → `100`,
 * `1.5e-7` → `0.00000015`, `1e400` → 401 digits) and no negative zero (`-0` → `0`). A read returns
 * what `jsonb` prints, exactly; Airflow on PostgreSQL stores the same `jsonb` and answers the same.
 * Python's `json` writes floats in plain decimal (`1.0`, `0.25`) except beyond 1e16 or below 1e-4,
 * so what a Task SDK sends comes back byte for byte.
 *
 * **Duplicate keys**: the last one wins, as in `JSON.parse`, Python's `json` and `jsonb`; the
 * document is stored and returned without the earlier ones.
 *
 * Code that walks a parsed document treats `isExactNumber` values as leaves (they are frozen
 * null-prototype objects to `typeof`). A document that goes through class-transformer (a DTO
 * field holding free JSON) must be taken from the plain body (`@Transform(({ obj }) => obj.field)`):
 * class-transformer copies a `JSON.rawJSON` leaf into a plain `{"rawJSON": …}` object.
 */

/** A JSON value as parsed here: plain JSON, plus exact numbers (`JSON.rawJSON` objects) as leaves. */
export type ExactJsonValue = string | number | boolean | null | ExactNumber | ExactJsonValue[] | { [key: string]: ExactJsonValue };
export type ExactJsonObject = { [key: string]: ExactJsonValue };

/** A number kept as its source text (`JSON.rawJSON`); `JSON.stringify` writes the text verbatim. */
export interface ExactNumber {
  readonly rawJSON: string;
}

/**
 * Text in which some number token may be spelled otherwise than `JSON.stringify` writes its double.
 * A token without any of these is plain decimal with at most 15 significant digits, no trailing
 * fraction zero, not `-0` and at least 1e-6 in magnitude: its double holds it exactly and
 * prints back the same (15 digits is the precision every double keeps), so plain `JSON.parse`
 * returns the same document as the reviver. The test also fires inside strings; that only costs
 * the reviver, never a wrong value.
 *
 * - `\d[eE]`: an exponent;
 * - `\d[\d.]{15}`: 16 digits or dots in a row (more significant digits than a double keeps, or
 *   an integer beyond 1e21, which JavaScript writes with an exponent);
 * - `\.\d*0(?!\d)`: a fraction ending in zero (`1.0`, `1.50`);
 * - `-0(?![\d.])`: negative zero;
 * - `\.0{6}`: below 1e-6 (JavaScript writes `1e-7`).
 */
const POSSIBLY_RESPELLED = /\d[eE]|\d[\d.]{15}|\.\d*0(?!\d)|-0(?![\d.])|\.0{6}/;

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
  if (source === undefined || String(value) === source) return value;
  return JSON.rawJSON(source);
}

/**
 * Parses JSON text, keeping every number `JSON.stringify` would not write back as sent as an exact
 * number (see the rule above). Throws `SyntaxError` on malformed text, like `JSON.parse`.
 */
export function parseExactJson(text: string): ExactJsonValue {
  return (mayHoldRespelledNumber(text) ? JSON.parse(text, reviver) : JSON.parse(text)) as ExactJsonValue;
}

/** A JSON string token (escapes included), or a number token. */
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*/g;

/**
 * Whether a number token of `text` may be respelled (`POSSIBLY_RESPELLED`). The pre-scan over the
 * whole text fires inside strings too, and rendered fields are mostly strings: `part-0/`, a
 * hexadecimal secret's `8e7`, a timestamp's `.000Z` each sent the whole body through the
 * reviver, several times slower than `JSON.parse` alone. So when it fires, the number tokens alone
 * are tested. For text `JSON.parse` accepts, the tokens are exactly its strings and numbers; for
 * any other text the answer does not matter (`JSON.parse` throws either way).
 */
export function mayHoldRespelledNumber(text: string): boolean {
  if (!POSSIBLY_RESPELLED.test(text)) return false;
  // One shared expression: the loop is synchronous and always starts from 0.
  const tokens = STRING_OR_NUMBER;
  tokens.lastIndex = 0;
  for (let m = tokens.exec(text); m !== null; m = tokens.exec(text)) {
    if (m[0].charCodeAt(0) !== 0x22 && POSSIBLY_RESPELLED.test(m[0])) return true;
  }
  return false;
}

/** Serialises a value from `parseExactJson` (exact numbers verbatim). */
export function stringifyExactJson(value: ExactJsonValue): string {
  return JSON.stringify(value);
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

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
