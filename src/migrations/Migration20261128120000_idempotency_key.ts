import { Migration } from '@mikro-orm/migrations';

/**
 * Stored outcomes of requests sent with an `Idempotency-Key` (see src/common/idempotency-keys/).
 * `id` is the SHA-256 of (caller, route, key), so its btree entry has a fixed size whatever the
 * token subject's length. Lookups go by primary key; the index on `expires_at` serves the purge.
 * The check states the rule that 5xx outcomes are never stored (a retry must execute again).
 */
export class Migration20261128120000_idempotency_key extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table idempotency_key (
      id text not null constraint idempotency_key_pkey primary key,
      route text not null,
      caller text not null,
      key text not null,
      fingerprint text not null,
      status smallint not null constraint idempotency_key_status_check check (status between 100 and 499),
      headers jsonb not null,
      body text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null
    );`);
    this.addSql('create index idempotency_key_expires_at_idx on idempotency_key (expires_at);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists idempotency_key;');
  }
}
