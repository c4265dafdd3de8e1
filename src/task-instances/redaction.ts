import { isExactNumber, type ExactJsonValue } from '../common/json/exact-json';

export const REDACTED = '***';

/**
 * Replaces the value under any key whose name contains a sensitive word (case-insensitive) with
 * `"***"`, at any depth, like Airflow's secrets masker does for key names. Returns a new value;
 * the input is not modified.
 */
export function redactSensitive<T extends ExactJsonValue>(value: T, sensitiveWords: readonly string[]): T;
export function redactSensitive(value: ExactJsonValue, sensitiveWords: readonly string[]): ExactJsonValue {
  if (Array.isArray(value)) return value.map((v) => redactSensitive(v, sensitiveWords));
  // An exact number (JSON.rawJSON) is a leaf: walking it would turn it into {"rawJSON": "…"}.
  if (value === null || typeof value !== 'object' || isExactNumber(value)) return value;
  // fromEntries defines own properties: a "__proto__" key stays a key instead of becoming the prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const lower = key.toLowerCase();
      return [key, sensitiveWords.some((w) => lower.includes(w)) ? REDACTED : redactSensitive(v as ExactJsonValue, sensitiveWords)];
    }),
  );
}

/** Nesting depth of a JSON value (a scalar is 0), computed without recursion. */
export function jsonDepth(value: unknown, stopAbove = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object' || isExactNumber(v)) continue;
    const d = depth + 1;
    if (d > max) max = d;
    if (max > stopAbove) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d]);
  }
  return max;
}
