import { OptionalProps } from '@mikro-orm/core';
import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Airflow's `ID_LEN`: the longest variable key. */
export const VARIABLE_KEY_MAX_LENGTH = 250;

/** The primary key every upsert resolves its conflict on. */
export const VARIABLE_KEY_CONSTRAINT = 'variable_pkey';

/**
 * Airflow's `variable` table: a key (which may contain `/`), its value as text (a Fernet token of
 * FERNET_KEY's first key when one is configured, `is_encrypted` then true) and a description.
 * The migration is `Migration20261206120000_variables_connections`.
 */
@Entity({ tableName: 'variable' })
@Check({ name: 'variable_key_check', expression: 'length((key)::text) >= 1' })
export class Variable {
  [OptionalProps]?: 'isEncrypted' | 'updatedAt';

  @PrimaryKey({ type: 'string', length: VARIABLE_KEY_MAX_LENGTH })
  key!: string;

  /** The value (or its Fernet token); NULL when the task set `None`. */
  @Property({ type: 'text', nullable: true })
  val?: string | null;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'boolean', default: false })
  isEncrypted: boolean = false;

  @Property({ type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date;
}
