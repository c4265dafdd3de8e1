import { EntityManagerType, type Configuration, type Connection } from '@mikro-orm/core';
import type { ReplicaSource } from '../common/unit-of-work/replica-monitor';
import { AbstractSqlDriver, EntityManager, MikroORM, PostgreSqlConnection, PostgreSqlPlatform } from '@mikro-orm/postgresql';

/**
 * MikroORM's PostgreSQL platform with a faster `escapeLiteral`, same output.
 *
 * MikroORM writes every parameter into the SQL text as an escaped literal (docs/security.md), so
 * escaping is both the injection guard and on the hot path: the RTIF upsert carries the whole
 * rendered-fields document (~1 KB) as one literal. MikroORM 7.2's `escapeLiteral` (a port of
 * libpq's, reached through the public `escape`) appends one character at a time; for a 1 KB document that made ~28 KiB of intermediate
 * strings per write, a tenth of everything the request allocated (sampled heap profile,
 * docs/performance.md). The rule is unchanged and simple: wrap in single quotes, double every `'`
 * and every `\`, and prefix ` E` when the text had a backslash. The two replacements cannot
 * interfere (neither writes the other's character). `test/unit/escape-literal.spec.ts` checks the
 * output equals node-postgres's `escapeLiteral` and MikroORM's own on generated strings.
 */
export class ServicePostgreSqlPlatform extends PostgreSqlPlatform {
  override escape(value: unknown): string {
    // Strings only (a bigint becomes a string in the base class first); everything else as before.
    return typeof value === 'string' ? escapeLiteral(value) : super.escape(value);
  }
}

/** A PostgreSQL string literal of `text`, as libpq's `PQescapeLiteral` and node-postgres's `escapeLiteral` write it. */
export function escapeLiteral(text: string): string {
  const hasBackslash = text.includes('\\');
  let escaped = text.includes("'") ? text.replaceAll("'", "''") : text;
  if (hasBackslash) escaped = escaped.replaceAll('\\', '\\\\');
  return hasBackslash ? ` E'${escaped}'` : `'${escaped}'`;
}

/**
 * MikroORM's PostgreSQL driver on `ServicePostgreSqlPlatform`; set as `driver` in the ORM options.
 * `PostgreSqlDriver` fixes its platform in its constructor, so this is its three members again on
 * their public base class, which takes the platform as an argument (no write to a protected field).
 */
export class ServicePostgreSqlDriver extends AbstractSqlDriver<PostgreSqlConnection, PostgreSqlPlatform> implements ReplicaSource {
  declare [EntityManagerType]: EntityManager<this>;

  constructor(config: Configuration) {
    super(config, new ServicePostgreSqlPlatform(), PostgreSqlConnection, ['kysely', 'pg']);
  }

  override createEntityManager(useContext?: boolean): this[typeof EntityManagerType] {
    const EntityManagerClass = this.config.get('entityManager', EntityManager);
    return new EntityManagerClass(this.config, this, this.metadata, useContext);
  }

  override getORMClass(): typeof MikroORM {
    return MikroORM;
  }

  /**
   * The read replicas' connections (MikroORM's `replicas` option), in `DB_READ_REPLICA_URLS`
   * order. `getConnection('read')` picks one at random whatever its state; the replica monitor
   * needs each one by position to sample it and to pick a fresh one.
   */
  readReplicas(): readonly Connection[] {
    return this.replicas;
  }
}
