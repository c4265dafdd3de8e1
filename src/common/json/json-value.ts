import type { ExactJsonObject, ExactJsonValue } from './exact-json';

/**
 * A JSON value as stored in a jsonb column and as the service parses it: numbers kept as written
 * (`JSON.rawJSON` leaves where `JSON.stringify` would respell them, see `exact-json.ts`).
 */
export type JsonValue = ExactJsonValue;
export type JsonObject = ExactJsonObject;
