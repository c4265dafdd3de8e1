import { AsyncLocalStorage } from 'node:async_hooks';
import { IsolationLevel, MikroORM, TransactionContext } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type DatabaseIsolation } from '../../config/app-config';
import { DomainError } from '../problem/domain-error';
import { fullJitterDelayMs, sleep } from './backoff';
import { translateDbError } from './db-error.translate';
import type { UnitOfWorkPolicy } from './unit-of-work.policy';
import { RetryBudget } from './retry-budget';
import { TransactionWatch } from './transaction-watch';
import { classifyDbError, TRANSIENT_KINDS, unavailableCause, type DbErrorClass } from './sqlstate';
import { UnitOfWorkStats, type ReplicaFallbackReason } from './unit-of-work.stats';
import { ReplicaMonitor, type ReplicaState } from './replica-monitor';
import { withoutRequestFork } from './request-context';

export type AttemptDecision = { action: 'retry'; failure: DbErrorClass } | { action: 'throw'; error: unknown };

/**
 * What to do after an attempt failed, from the error and the route's policy alone.
 * Transient failures (40001, 40P01, 55P03) are retried on every route; a unique violation follows
 * the policy; everything else is translated (or rethrown as is) and never retried.
 */
export function decideAfterFailure(error: unknown, policy: UnitOfWorkPolicy): AttemptDecision {
  // The handler's own verdicts (a DomainError, a validation or HTTP error) are final: rerunning
  // the unit of work would only repeat them. Checked first so that no code or message on such an
  // error can ever be mistaken for a SQLSTATE or a connection failure.
  if (error instanceof DomainError || error instanceof HttpException) return { action: 'throw', error };
  const failure = classifyDbError(error);
  if (failure === undefined) return { action: 'throw', error };
  if (TRANSIENT_KINDS.has(failure.kind)) return { action: 'retry', failure };
  if (failure.kind === 'unique_violation') {
    const action = failure.constraint !== undefined ? policy.constraints?.[failure.constraint] : undefined;
    if (action === 'retry' || (action === undefined && policy.idempotent)) return { action: 'retry', failure };
    const reason = action?.conflict ?? 'unique_violation';
    const detail =
      reason === 'unique_violation'
        ? `The request conflicts with an existing row (constraint ${failure.constraint ?? 'unknown'}).`
        : `The request conflicts with an existing resource (${reason}).`;
    return { action: 'throw', error: new DomainError('unique_conflict', detail, reason, { constraint: failure.constraint }) };
  }
  return { action: 'throw', error: translateDbError(failure) ?? error };
}

/** How every `lockTimeoutSetting` begins: what the transaction watch looks for in a first statement. */
const LOCK_TIMEOUT_SETTING_START = "set_config('lock_timeout', '";

/**
 * The select-list item that sets `lock_timeout` for the rest of the transaction (`is_local`), for a
 * route whose policy says `lockTimeout: 'first-statement'`. The value is an integer from validated
 * configuration, so it is written into the SQL text.
 */
export function lockTimeoutSetting(lockTimeoutMs: number): string {
  return `${LOCK_TIMEOUT_SETTING_START}${Math.trunc(lockTimeoutMs)}', true)`;
}

/**
 * The select-list item that sets `statement_timeout` for the rest of the transaction, next to
 * `lockTimeoutSetting` in a `'first-statement'` lookup. It bounds the statements after the lookup;
 * the lookup itself is a primary-key probe whose only wait, the row lock, `lock_timeout` bounds.
 */
export function statementTimeoutSetting(statementTimeoutMs: number): string {
  return `set_config('statement_timeout', '${Math.trunc(statementTimeoutMs)}', true)`;
}

/**
 * The runner's first statement in a unit of work: both bounds, transaction-local (they end with
 * COMMIT or ROLLBACK, so nothing leaks to the next transaction of a pooled or PgBouncer session).
 * Two `SET LOCAL`s in one simple-protocol round trip; `SET` is a utility command that takes no
 * snapshot, so a handler may still change the isolation level after it. The values are integers
 * from validated configuration.
 */
export function statementBoundsSql(lockTimeoutMs: number, statementTimeoutMs: number): string {
  return `set local lock_timeout = ${Math.trunc(lockTimeoutMs)}; set local statement_timeout = ${Math.trunc(statementTimeoutMs)}`;
}

/**
 * Runs a unit of work: one transaction on a fresh EntityManager fork per attempt, so nothing a
 * failed attempt loaded or flushed leaks into the next (a failed flush poisons an EntityManager).
 * While `work` runs, the injected global `EntityManager` resolves to that attempt's fork.
 */
@Injectable()
export class UnitOfWorkRunner {
  private static readonly active = new AsyncLocalStorage<true>();
  private readonly logger = new Logger('UnitOfWork');
  /** `statementBoundsSql` of the configured bounds: fixed at boot, so written once. */
  private readonly bounds: string;

  constructor(
    private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly budget: RetryBudget,
    private readonly stats: UnitOfWorkStats,
    private readonly replicas: ReplicaMonitor,
  ) {
    this.bounds = statementBoundsSql(config.database.lockTimeoutMs, config.database.statementTimeoutMs);
  }

  /** True inside a unit of work: nested decorators and interceptors then join the outer one. */
  static isActive(): boolean {
    return UnitOfWorkRunner.active.getStore() === true;
  }

  async run<T>(policy: UnitOfWorkPolicy, route: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    // Inside a unit of work, join it: forking here would open a second transaction on a second
    // connection, invisible to the first (it could wait on the first's locks until lock_timeout),
    // and a retry of the inner part alone could not undo what the outer part already did.
    if (UnitOfWorkRunner.isActive()) return work(this.orm.em.getContext() as EntityManager);
    if (policy.reads === 'replica' && this.replicas.replicas.length > 0) {
      const served = await this.runOnReplica(route, work);
      if (served.ok) return served.value;
    }
    const maxAttempts = policy.maxAttempts ?? this.config.retry.maxAttempts;
    const bounds = this.bounds;
    for (let attempt = 1; ; attempt++) {
      // `transactional` makes the attempt's fork itself, from the global EntityManager
      // (`withoutRequestFork`: the request's lazy context is not forked for it); `clear: true`
      // keeps it empty, as a fork of its own did, one EntityManager fewer per request.
      const em = this.orm.em as EntityManager;
      try {
        const watch = new TransactionWatch(policy.lockTimeout === 'first-statement' ? LOCK_TIMEOUT_SETTING_START : undefined);
        return await UnitOfWorkRunner.active.run(true, () =>
          watch.run(() =>
            withoutRequestFork(() =>
              em.transactional(
                async (tx) => {
                  if (policy.lockTimeout !== 'first-statement') await tx.execute(bounds);
                  const result = await work(tx);
                  // A handler that caught a database error and carried on would otherwise commit an
                  // aborted transaction (PostgreSQL rolls it back silently) and answer 2xx.
                  const failure = watch.failure();
                  if (failure !== undefined) {
                    this.logger.error({
                      msg: 'the handler caught a database error and carried on; the transaction was aborted, so the unit of work fails with that error',
                      route,
                      sqlstate: classifyDbError(failure)?.code,
                    });
                    throw failure;
                  }
                  return result;
                },
                { isolationLevel: ISOLATION_LEVELS[this.config.database.isolation], clear: true, ...(policy.readOnly ? { readOnly: true } : {}) },
              ),
            ),
          ),
        );
      } catch (error) {
        this.recordDatabaseFailure(error, route);
        const decision = decideAfterFailure(error, policy);
        if (decision.action === 'throw') {
          if (decision.error instanceof DomainError && decision.error.code === 'unique_conflict') {
            this.stats.record({
              type: 'conflict',
              route,
              reason: decision.error.reason,
              constraint: decision.error.extensions.constraint as string | undefined,
            });
          }
          throw decision.error;
        }
        const { failure } = decision;
        // A lock wait on a route that never retries (the reads): say which bound was hit.
        if (maxAttempts === 1 && failure.kind === 'lock_timeout') throw lockTimeoutError(failure);
        if (attempt >= maxAttempts) {
          this.stats.record({ type: 'retries_exhausted', route, sqlstate: failure.code });
          this.logger.warn({ msg: 'unit of work failed after all attempts', route, sqlstate: failure.code, constraint: failure.constraint, attempts: attempt });
          throw new DomainError(
            'retries_exhausted',
            'A transient database conflict persisted after all retries. Retry later.',
            'retries_exhausted',
            { attempts: attempt, sqlstate: failure.code },
            1,
          );
        }
        if (!this.budget.tryAcquire()) {
          this.stats.record({ type: 'budget_refused', route, sqlstate: failure.code });
          throw new DomainError(
            'retry_budget_exhausted',
            'The service is shedding retries because of many database conflicts. Retry later.',
            'retry_budget_exhausted',
            { sqlstate: failure.code },
            this.budget.secondsUntilAvailable(),
          );
        }
        const delayMs = fullJitterDelayMs(attempt, this.config.retry.baseDelayMs, this.config.retry.maxDelayMs);
        this.stats.record({ type: 'retry', route, sqlstate: failure.code, constraint: failure.constraint, attempt });
        this.logger.warn({ msg: 'retrying unit of work', route, sqlstate: failure.code, constraint: failure.constraint, attempt, delay_ms: delayMs });
        await sleep(delayMs);
      }
    }
  }

  /**
   * One attempt of a read on a fresh replica: a `READ ONLY` transaction on the replica's own pool,
   * with the same statement bounds, on a fork whose transaction context is that transaction (so the
   * injected EntityManager resolves to it, as in `em.transactional`). Only a success is kept:
   * a refusal (a `DomainError`: a 404 may only mean the replica has not replayed the row yet), a
   * database error (the replica went away, a recovery conflict's 40001, a timeout, a write on a
   * read-only standby) or no fresh replica at all is answered by the caller on the primary, with the
   * primary's retries. A request error (`HttpException`: a pipe refused the input) is final.
   */
  private async runOnReplica<T>(route: string, work: (em: EntityManager) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    const choice = this.replicas.pick();
    if ('skipped' in choice) {
      this.stats.record({ type: 'replica_fallback', route, reason: choice.skipped });
      return { ok: false };
    }
    const { replica } = choice;
    const fork = withoutRequestFork(() => this.orm.em.fork({ clear: true, useContext: false })) as EntityManager;
    const watch = new TransactionWatch();
    const bounds = this.bounds;
    try {
      const value = await UnitOfWorkRunner.active.run(true, () =>
        watch.run(() =>
          TransactionContext.create(fork, () =>
            replica.connection.transactional(
              async (trx) => {
                fork.setTransactionContext(trx);
                try {
                  await fork.execute(bounds);
                  const result = await work(fork);
                  const failure = watch.failure();
                  if (failure !== undefined) throw failure;
                  return result;
                } finally {
                  fork.resetTransactionContext();
                }
              },
              { isolationLevel: REPLICA_ISOLATION_LEVELS[this.config.database.isolation], readOnly: true },
            ),
          ),
        ),
      );
      this.stats.record({ type: 'replica_read', route, replica: replica.name });
      return { ok: true, value };
    } catch (error) {
      if (error instanceof HttpException) throw error;
      const reason = this.replicaFailure(error, replica);
      this.stats.record({ type: 'replica_fallback', route, reason });
      if (reason !== 'refusal')
        this.logger.warn({
          msg: 'read on a replica failed; answered from the primary',
          route,
          replica: replica.name,
          reason,
          sqlstate: classifyDbError(error)?.code,
        });
      return { ok: false };
    }
  }

  /** Why a replica read failed, for the metrics; a lost replica is skipped until a sample reaches it again. */
  private replicaFailure(error: unknown, replica: ReplicaState): ReplicaFallbackReason {
    if (error instanceof DomainError) return 'refusal';
    const failure = classifyDbError(error);
    if (failure === undefined) return 'error';
    if (failure.kind === 'unavailable' || failure.kind === 'pool_exhausted') {
      this.replicas.markDown(replica);
      return 'unavailable';
    }
    // A hot standby cancels a query that holds back WAL replay ("conflict with recovery") with 40001
    // (40P01 for a buffer-pin deadlock): on the primary the same read has no such conflict.
    if (failure.kind === 'serialization_failure' || failure.kind === 'deadlock') return 'recovery_conflict';
    if (failure.kind === 'statement_timeout' || failure.kind === 'lock_timeout') return 'timeout';
    return 'error';
  }

  /** Counts the database going away and the statement bounds firing, by cause, for the metrics. */
  private recordDatabaseFailure(error: unknown, route: string): void {
    if (error instanceof DomainError || error instanceof HttpException) return;
    const failure = classifyDbError(error);
    if (failure === undefined) return;
    if (failure.kind === 'unavailable') this.stats.record({ type: 'unavailable', route, cause: unavailableCause(failure) });
    else if (failure.kind === 'pool_exhausted') this.stats.record({ type: 'unavailable', route, cause: 'pool_exhausted' });
    else if (failure.kind === 'statement_timeout' || failure.kind === 'lock_timeout') this.stats.record({ type: 'timeout', route, reason: failure.kind });
  }
}

const ISOLATION_LEVELS: Record<DatabaseIsolation, IsolationLevel> = {
  read_committed: IsolationLevel.READ_COMMITTED,
  repeatable_read: IsolationLevel.REPEATABLE_READ,
  serializable: IsolationLevel.SERIALIZABLE,
};

/**
 * Isolation on a replica: a hot standby refuses SERIALIZABLE ("cannot use serializable mode in a hot
 * standby"); REPEATABLE READ is its strongest, one snapshot for the whole read, which is what a
 * read-only unit of work needs. A serializable deployment's replica reads are therefore snapshot
 * reads (docs/operations.md, "Read replicas").
 */
const REPLICA_ISOLATION_LEVELS: Record<DatabaseIsolation, IsolationLevel> = {
  read_committed: IsolationLevel.READ_COMMITTED,
  repeatable_read: IsolationLevel.REPEATABLE_READ,
  serializable: IsolationLevel.REPEATABLE_READ,
};

function lockTimeoutError(failure: DbErrorClass): DomainError {
  return new DomainError(
    'database_timeout',
    'A lock the request needed stayed held by another transaction past the lock timeout. Retry later.',
    'lock_timeout',
    { sqlstate: failure.code },
    1,
  );
}
