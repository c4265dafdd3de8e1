import { observeStatements, type StatementObserver } from './statement-observer';

/**
 * A route whose policy says `lockTimeout: 'first-statement'` sent, as its transaction's first
 * statement, one that does not select `lockTimeoutSetting(...)`: a programming error. Without the
 * check it would run with no lock timeout at all, and nothing would notice until a lock wait hung.
 */
export class LockTimeoutNotSetError extends Error {
  constructor() {
    super(
      "lockTimeout: 'first-statement': the transaction's first statement must select lockTimeoutSetting(...) (set_config('lock_timeout', …, true)); it was refused unsent",
    );
    this.name = 'LockTimeoutNotSetError';
  }
}

/**
 * Watches one unit of work's transaction so that a handler which catches a database error and
 * carries on cannot turn it into a success. After any error inside a transaction block PostgreSQL
 * aborts the transaction, and a later COMMIT is answered with ROLLBACK, not an error: without this
 * watch the route would answer 2xx for writes that never happened. The rule is PostgreSQL's own
 * and needs no round trip: a failed statement aborts the transaction, a successful ROLLBACK TO
 * SAVEPOINT (a nested `em.transactional` whose failure the handler handled) undoes the abort, and
 * nothing else does (a savepoint cannot be taken in an aborted transaction, so every savepoint
 * predates the failure it undoes).
 *
 * The transaction's connection is the one the unit of work's BEGIN was issued on; statements the
 * handler sends on other connections are not part of it and are ignored.
 */
export class TransactionWatch implements StatementObserver {
  private connection: object | undefined;
  /** The first error since the transaction was last healthy: the cause of an abort. */
  private cause: unknown;
  private firstChecked = false;
  /** A misuse found by the watch itself; reported by `failure()` even if the handler swallowed it. */
  private misuse: Error | undefined;

  /**
   * @param firstStatementSetting when the route's policy says `lockTimeout: 'first-statement'`, the
   *   `lockTimeoutSetting(...)` text the transaction's first statement must contain; a first
   *   statement without it is refused unsent (no extra round trip: the text is at hand anyway).
   */
  constructor(private readonly firstStatementSetting?: string) {}

  /** Runs `fn` (which opens the transaction) with this watch seeing its statements. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return observeStatements(this, fn);
  }

  onBegin(connection: object): void {
    this.connection ??= connection;
  }

  onStatement(connection: object, sql: string): Error | void {
    if (connection !== this.connection || this.firstStatementSetting === undefined || this.firstChecked) return;
    this.firstChecked = true;
    if (!sql.includes(this.firstStatementSetting)) {
      this.misuse = new LockTimeoutNotSetError();
      return this.misuse;
    }
  }

  onStatementError(connection: object, error: unknown): void {
    if (connection === this.connection && this.cause === undefined) this.cause = error;
  }

  onRollbackToSavepoint(connection: object): void {
    if (connection === this.connection) this.cause = undefined;
  }

  /**
   * When the transaction has failed, the error that made it fail, or the misuse the watch
   * refused; `undefined` while it is healthy.
   */
  failure(): unknown {
    return this.misuse ?? this.cause;
  }
}
