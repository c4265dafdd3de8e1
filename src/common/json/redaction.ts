import { isExactNumber, type ExactJsonValue } from './exact-json';

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
