import { OptionalProps } from '@mikro-orm/core';
import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Airflow's `ID_LEN`: the longest connection id. */
export const CONN_ID_MAX_LENGTH = 250;

/** The primary key every upsert resolves its conflict on. */
export const CONNECTION_KEY_CONSTRAINT = 'connection_pkey';

/**
 * Airflow's `connection` table. `password` and `extra` are Fernet tokens of FERNET_KEY's first key
 * when one is configured (`is_encrypted`, `is_extra_encrypted`), as Airflow stores them. The
 * migration is `Migration20261206120000_variables_connections`.
 */
@Entity({ tableName: 'connection' })
@Check({ name: 'connection_conn_id_check', expression: 'length((conn_id)::text) >= 1' })
export class Connection {
  [OptionalProps]?: 'isEncrypted' | 'isExtraEncrypted' | 'updatedAt';

  @PrimaryKey({ type: 'string', length: CONN_ID_MAX_LENGTH })
  connId!: string;

  @Property({ type: 'string', length: 500 })
  connType!: string;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  host?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  schema?: string | null;

  @Property({ type: 'text', nullable: true })
  login?: string | null;

  @Property({ type: 'text', nullable: true })
  password?: string | null;

  @Property({ type: 'integer', nullable: true })
  port?: number | null;

  /** A JSON object as text (Airflow's `extra`), or its Fernet token. */
  @Property({ type: 'text', nullable: true })
  extra?: string | null;

  @Property({ type: 'boolean', default: false })
  isEncrypted: boolean = false;

  @Property({ type: 'boolean', default: false })
  isExtraEncrypted: boolean = false;

  @Property({ type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date;
}
