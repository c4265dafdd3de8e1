import { z } from 'zod';

/**
 * zod stand-ins for the pydantic types the Task SDK's generated models use
 * (`task-sdk/src/airflow/sdk/api/datamodels/_generated.py`, pydantic v2, datamodel-codegen).
 *
 * Mapping used by every model file here:
 * - `model_config = ConfigDict(extra="forbid")` → `z.strictObject` (an unknown key fails the parse);
 *   no `model_config` → pydantic's default `extra="ignore"` → `z.object` (unknown keys dropped).
 * - `name: T` (no default) → required; `name: T = default` → `.optional()`;
 *   `T | None` → `.nullable()`. A required `T | None` (no default) is required but may be null.
 */

/**
 * pydantic `AwareDatetime` in JSON mode: an RFC 3339 / ISO 8601 date-time with a time zone
 * (`Z` or an offset). pydantic also accepts a space for `T`; a naive date-time fails the parse.
 */
export const awareDatetime = z
  .string()
  .regex(/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|z|[+-]\d\d:?\d\d)$/, 'AwareDatetime: a date-time with a time zone');

/** pydantic `JsonValue`: any JSON value (null included). */
export const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

/** pydantic `int`: a JSON integer (pydantic's lax mode also takes `1.0`; the service never sends that). */
export const int = z.number().int();

/** `dict[str, Any]` */
export const dict = z.record(z.string(), z.unknown());

/**
 * pydantic serialises `timedelta` as an ISO 8601 duration in JSON mode (`PT3600S`, `P1DT5S`,
 * `PT0.5S`, negative as `-PT5S`); this is what the SDK sends for `trigger_timeout` / `timeout`.
 */
export function pydanticDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(seconds);
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const text = Number.isInteger(rest) ? String(rest) : String(Number(rest.toFixed(6)));
  return `${sign}P${days > 0 ? `${days}D` : ''}${rest > 0 || days === 0 ? `T${text}S` : ''}`;
}

/**
 * pydantic's JSON form of an aware `datetime` in UTC: `2026-11-25T10:00:00Z`, with microseconds
 * only when they are not zero (`…T10:00:00.123000Z`).
 */
export function pydanticDatetime(date: Date): string {
  const iso = date.toISOString();
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? iso.replace(/\.\d{3}Z$/, 'Z') : iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}
