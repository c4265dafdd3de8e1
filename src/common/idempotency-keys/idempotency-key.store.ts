import { MikroORM, raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { advisoryLockKey } from './fingerprint';
import { IdempotencyKey } from './idempotency-key.entity';
import type { StoredResponse } from './stored-response';

/** Where one key lives and what request it stands for. */
export interface KeyScope {
  /** `keyScopeId(caller, route, key)`: the primary key. */
  id: string;
  caller: string;
  /** "METHOD /template", as the unit of work names routes. */
  route: string;
  key: string;
  fingerprint: string;
}

export interface StoredKey extends StoredResponse {
  fingerprint: string;
}

/** Rows deleted per purge statement: short transactions that never hold many row locks. */
const PURGE_BATCH = 500;

/**
 * The `idempotency_key` table. Every method but `purgeExpired` runs on the EntityManager it is
 * given, i.e. inside the caller's transaction. Values are passed as parameters (MikroORM writes
 * them into the SQL text, escaped); the SQL itself is constant.
 */
@Injectable()
export class IdempotencyKeyStore {
  constructor(
    private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Marks the key in flight for the rest of `tx`: a transaction-level advisory lock, taken without
   * waiting (`pg_try_`). False when another transaction holds it, i.e. a request with this key is
   * being processed right now. The lock goes with the transaction, on commit, rollback, or the
   * connection dropping when a process dies, so a crash never leaves a key stuck "in flight".
   */
  async tryMarkInFlight(tx: EntityManager, scope: KeyScope): Promise<boolean> {
    const [row] = await tx.execute<{ locked: boolean }[]>(`select pg_try_advisory_xact_lock(${advisoryLockKey(scope.id)}) as locked`);
    return row.locked === true;
  }

  /**
   * The live (unexpired) stored outcome of the key. Read after `tryMarkInFlight` succeeded, in a
   * statement of its own: under READ COMMITTED it then sees every outcome committed before the
   * lock was free (PostgreSQL makes a commit visible before it releases the transaction's locks).
   */
  async find(tx: EntityManager, scope: KeyScope): Promise<StoredKey | undefined> {
    // Through the entity's metadata, not loaded into the unit of work's identity map (the route's
    // flush must not see it); expiry is judged by the database's clock, as the purge judges it.
    const rows = await tx
      .createQueryBuilder(IdempotencyKey)
      .select(['fingerprint', 'status', 'headers', 'body'])
      .where({ id: scope.id, expiresAt: { $gt: raw('now()') } })
      .execute<StoredKey[]>('all');
    return rows[0];
  }

  /**
   * Stores the outcome under the key, in `tx`: with the route's write, so both commit or neither
   * does. An expired row left by a key used before is replaced. Must hold `tryMarkInFlight`.
   */
  async save(tx: EntityManager, scope: KeyScope, response: StoredResponse): Promise<void> {
    const rows = await tx.execute<unknown[]>(
      `insert into idempotency_key (id, route, caller, key, fingerprint, status, headers, body, created_at, expires_at)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, now(), now() + make_interval(secs => ?))
       on conflict (id) do update set
         route = excluded.route, caller = excluded.caller, key = excluded.key, fingerprint = excluded.fingerprint,
         status = excluded.status, headers = excluded.headers, body = excluded.body,
         created_at = excluded.created_at, expires_at = excluded.expires_at
       where idempotency_key.expires_at <= now()
       returning 1 as saved`,
      [
        scope.id,
        scope.route,
        scope.caller,
        scope.key,
        scope.fingerprint,
        response.status,
        JSON.stringify(response.headers),
        response.body,
        this.config.idempotency.keyTtlSeconds,
      ],
    );
    // A live row under a lock we hold cannot appear; if it did, committing would break the promise.
    if (rows.length !== 1) throw new Error('idempotency key already has a live stored response although its lock was held');
  }

  /**
   * Deletes expired keys in short batches, skipping rows another transaction has locked (a request
   * replacing an expired key), so the purge never waits for a request and a request waits at most
   * for one batch. Returns how many rows it deleted.
   */
  async purgeExpired(): Promise<number> {
    const em = this.orm.em.fork() as EntityManager;
    let total = 0;
    for (;;) {
      const [row] = await em.execute<{ deleted: number }[]>(
        `with doomed as (
           delete from idempotency_key where id in (
             select id from idempotency_key where expires_at <= now() order by expires_at limit ${PURGE_BATCH} for update skip locked)
           returning 1)
         select count(*)::int as deleted from doomed`,
      );
      total += row.deleted;
      if (row.deleted < PURGE_BATCH) return total;
    }
  }
}
