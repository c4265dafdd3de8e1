import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the database adapter (`src/database/pg-adapter.ts`) tells the unit of work about the
 * statements sent in its asynchronous context. The adapter learns BEGIN, ROLLBACK TO SAVEPOINT and
 * the end of a transaction from the ORM's driver calls (kysely's `Driver` interface), never from
 * SQL text. A connection is an opaque token: the same object for every statement on one pooled
 * connection, and nothing else about it is promised.
 */
export interface StatementObserver {
  /** A transaction was opened on `connection` (its BEGIN may still be deferred). */
  onBegin(connection: object): void;
  /**
   * A statement is about to be sent on `connection`. An `Error` returned here is the statement's
   * outcome instead: it is not sent, and the caller's promise rejects with it.
   */
  onStatement(connection: object, sql: string): Error | void;
  /** The statement failed, before the caller's own rejection handlers run. */
  onStatementError(connection: object, error: unknown): void;
  /** A ROLLBACK TO SAVEPOINT succeeded: what failed since that savepoint no longer aborts the transaction. */
  onRollbackToSavepoint(connection: object): void;
}

const observers = new AsyncLocalStorage<StatementObserver>();

/**
 * Runs `fn` with `observer` seeing every statement sent in its asynchronous context (kysely sends a
 * statement in the context of the code that awaits it, so this is the unit of work's own context).
 */
export function observeStatements<T>(observer: StatementObserver, fn: () => T): T {
  return observers.run(observer, fn);
}

/** The observer of the current asynchronous context, if any. */
export function currentStatementObserver(): StatementObserver | undefined {
  return observers.getStore();
}
