/** A JSON value as stored in a jsonb column. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Hands a JSON document to MikroORM as one opaque value. `em.upsert` walks plain-object data as if
 * it were query parameters, reading `constructor.name`, `__entity`, `__reference` and calling
 * methods on what it finds, so client keys such as `"constructor"` or `"__entity"` would crash the
 * write (500) or be misread. The driver serialises values with `JSON.stringify`, which uses
 * `toJSON`, so the stored document is `value` exactly.
 */
class OpaqueJson {
  constructor(private readonly value: JsonValue) {}
  toJSON(): JsonValue {
    return this.value;
  }
}

/** Wraps a document for a `json` property of `em.upsert` data (see `OpaqueJson`). */
export function opaqueJson<T extends JsonValue>(value: T): T {
  return new OpaqueJson(value) as unknown as T;
}
