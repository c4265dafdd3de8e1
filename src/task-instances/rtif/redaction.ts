import type { JsonValue } from '../../common/json/json-value';

export const REDACTED = '***';

/**
 * Replaces the value under any key whose name contains a sensitive word (case-insensitive) with
 * `"***"`, at any depth, like Airflow's secrets masker does for key names. Returns a new value;
 * the input is not modified.
 */
export function redactSensitive(value: JsonValue, sensitiveWords: readonly string[]): JsonValue {
  if (Array.isArray(value)) return value.map((v) => redactSensitive(v, sensitiveWords));
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties: a "__proto__" key stays a key instead of becoming the prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const lower = key.toLowerCase();
      return [key, sensitiveWords.some((w) => lower.includes(w)) ? REDACTED : redactSensitive(v, sensitiveWords)];
    }),
  );
}
