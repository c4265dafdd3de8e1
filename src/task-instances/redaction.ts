import type { JsonValue } from './rendered-task-instance-fields.entity';

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

/** Nesting depth of a JSON value (a scalar is 0), computed without recursion. */
export function jsonDepth(value: unknown, stopAbove = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const d = depth + 1;
    if (d > max) max = d;
    if (max > stopAbove) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d]);
  }
  return max;
}
