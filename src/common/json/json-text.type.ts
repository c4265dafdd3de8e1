import { Type } from '@mikro-orm/core';

/**
 * A `jsonb` column whose JavaScript value is the JSON **text**, serialised once by the caller
 * (`stringifyExactJson`) and read back as text (`parseExactJson` it when a value is needed).
 *
 * MikroORM's own `json` type re-serialises objects on the way in, and node-postgres parses `jsonb`
 * with plain `JSON.parse` on the way out, which rounds numbers beyond a double. Here neither
 * happens: the text goes to PostgreSQL as a literal that `jsonb` parses (exactly), and reads select
 * `column::text`, which node-postgres passes through as a string. A document is also one opaque
 * value to MikroORM, so keys such as `"constructor"` or `"__entity"` cannot be misread by
 * `em.upsert`'s data walk. The column type of every stored JSON document (RTIF, XCom, `dag_run.conf`,
 * `next_kwargs`, trigger arguments): MikroORM's insert, update and upsert walk (and write into)
 * object data, which exact numbers (frozen `JSON.rawJSON` leaves) do not survive, while text
 * passes untouched. A raw `select *` returns the parsed `jsonb`: select `column::text` there too.
 *
 * @example
 * \@Property({ type: JsonTextType, columnType: 'jsonb' })
 * renderedFields!: string;
 */
export class JsonTextType extends Type<string | null | undefined, string | null | undefined> {
  override convertToDatabaseValue(value: string | null | undefined): string | null | undefined {
    if (value === null || value === undefined) return value;
    if (typeof value !== 'string') throw new TypeError('JsonTextType stores JSON text: serialise the document first (stringifyExactJson)');
    return value;
  }

  override convertToJSValue(value: string | null | undefined): string | null | undefined {
    // Always text: every read selects column::text (convertToJSValueSQL).
    return value;
  }

  override convertToJSValueSQL(key: string): string {
    return `${key}::text`;
  }

  override convertToDatabaseValueSQL(key: string): string {
    return `${key}::jsonb`;
  }

  override getColumnType(): string {
    return 'jsonb';
  }

  override compareAsType(): string {
    return 'string';
  }

  override get runtimeType(): string {
    return 'string';
  }

  override ensureComparable(): boolean {
    return true;
  }
}
