/**
 * Cadwyn-style declarations of how response schemas changed between API versions. A module says,
 * once per change, what an older caller saw instead (`field('DagRun', 'partition_key').didntExist`);
 * the bundle (`version-bundle.ts`) turns the declarations into one migration per (schema, version),
 * applied by `@VersionedResponse` on the routes that declare a schema. Handlers never compare
 * versions themselves.
 */

/** A JSON object as a response body holds it (the serializer's input and output). */
export type JsonRecord = Record<string, unknown>;

/** One step back from a version to the one before it, on one object of `schema`. */
export interface SchemaInstruction {
  readonly schema: string;
  readonly field: string;
  /** What the previous version had, for docs and logs (`did not exist`, `was never null: …`). */
  readonly summary: string;
  /** Rewrites `body` (an object of `schema`, already a private copy) into the previous version's shape. */
  readonly toPrevious: (body: JsonRecord) => void;
}

/** One change of one version, as Cadwyn's `VersionChange`: a name, why, and its instructions. */
export interface VersionChange {
  /** The version that introduced the change (older callers get it undone). */
  readonly version: string;
  /** Airflow's `VersionChange` class name where there is one, so the sources can be found. */
  readonly name: string;
  readonly description: string;
  readonly instructions: readonly SchemaInstruction[];
}

/** The schemas a module's responses are made of, and which fields hold another declared schema. */
export type SchemaNesting = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** What a module declares: its schemas (with their nesting) and the changes to them, in any order. */
export interface ModuleVersionChanges {
  readonly owner: string;
  readonly schemas: SchemaNesting;
  readonly changes: readonly VersionChange[];
}

/** A module's declaration; checked when the bundle is built (unknown schema or version: start-up fails). */
export function defineVersionChanges(owner: string, schemas: SchemaNesting, changes: readonly VersionChange[]): ModuleVersionChanges {
  return Object.freeze({ owner, schemas, changes });
}

/**
 * Instructions on one field of a schema, named after Cadwyn's
 * (`schema(X).field(f).didnt_exist`, `.existed_as(...)`, `.had(type=...)`).
 */
export function field(schema: string, name: string) {
  return {
    /** The field did not exist before the change: older callers never see it. */
    didntExist: instruction(schema, name, 'did not exist', (body) => {
      delete body[name];
    }),
    /** The field was removed by the change: older callers get it back with `value`. */
    existedAs: (value: unknown, summary = `existed (${JSON.stringify(value)})`) =>
      instruction(schema, name, summary, (body) => {
        if (!(name in body)) body[name] = structuredClone(value);
      }),
    /** The field was never null before the change: a null becomes `fill(body)` for older callers. */
    wasNeverNull: (fill: (body: JsonRecord) => unknown, summary: string) =>
      instruction(schema, name, `was never null: ${summary}`, (body) => {
        if (body[name] === null) body[name] = fill(body);
      }),
    /** The field had another format: `convert` rewrites a present value into it. */
    hadFormat: (convert: (value: unknown) => unknown, summary: string) =>
      instruction(schema, name, `had another format: ${summary}`, (body) => {
        if (name in body) body[name] = convert(body[name]);
      }),
  };
}

function instruction(schema: string, fieldName: string, summary: string, toPrevious: (body: JsonRecord) => void): SchemaInstruction {
  return Object.freeze({ schema, field: fieldName, summary, toPrevious });
}
