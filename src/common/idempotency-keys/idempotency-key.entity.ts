import { Check, Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A stored outcome of a request sent with an `Idempotency-Key` (the core's
 * `Migration20261128120000_idempotency_key`). Declared so that the schema-drift test compares the
 * table like any other and the store's reads name their columns through the metadata; the store
 * keeps its own SQL where an entity operation cannot say it (the conditional upsert, the purge's
 * `for update skip locked`, server-side `now()`).
 */
@Entity({ tableName: 'idempotency_key' })
@Check({ name: 'idempotency_key_status_check', expression: '(status >= 100) AND (status <= 499)' })
@Index({ name: 'idempotency_key_expires_at_idx', properties: ['expiresAt'] })
export class IdempotencyKey {
  /** SHA-256 of (caller, route, key): a fixed-size btree entry whatever the token subject's length. */
  @PrimaryKey({ type: 'text' })
  id!: string;

  /** "METHOD /template". */
  @Property({ type: 'text' })
  route!: string;

  @Property({ type: 'text' })
  caller!: string;

  @Property({ type: 'text' })
  key!: string;

  @Property({ type: 'text' })
  fingerprint!: string;

  /** Never 5xx: a retry of a failed request must execute again. */
  @Property({ type: 'smallint' })
  status!: number;

  @Property({ type: 'json', columnType: 'jsonb' })
  headers!: Record<string, string>;

  @Property({ type: 'text' })
  body!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;
}
