import type { Client } from 'pg';
import { ENDS_TRANSACTION, observeQueries, OPENS_TRANSACTION, type QueryObserver } from '../../database/pg-client';

/** Longest wait for the ReadyForQuery that follows an error; PostgreSQL sends it right after. */
const READY_WAIT_MS = 10_000;

/** The parts of node-postgres's `Client` used here beyond its typings. */
interface PgClientInternals {
  /** False from sending a statement until its ReadyForQuery has been read. */
  readyForQuery?: boolean;
  connection?: {
    once(event: 'readyForQuery' | 'end' | 'error', listener: () => void): unknown;
    off(event: 'readyForQuery' | 'end' | 'error', listener: () => void): unknown;
  };
}

/** A transaction PostgreSQL reports failed although no error reached the unit of work. */
export class AbortedTransactionError extends Error {
  constructor() {
    super('The transaction was aborted by an earlier error that the handler did not let through.');
    this.name = 'AbortedTransactionError';
  }
}

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

/** What `lockTimeoutSetting` writes into the first statement; matched, not parsed. */
const SETS_LOCK_TIMEOUT = /\bset_config\s*\(\s*'lock_timeout'\s*,[^)]*,\s*true\s*\)/i;

/**
 * Watches one unit of work's transaction so that a handler which catches a database error and
 * carries on cannot turn it into a success. After any error PostgreSQL aborts the transaction,
 * and a later COMMIT is answered with ROLLBACK, not an error: without this watch the route would
 * answer 2xx for writes that never happened. The status is PostgreSQL's own (node-postgres keeps
 * the one each ReadyForQuery carries: `I` idle, `T` in a transaction, `E` failed), so it costs no
 * round trip, and an error a savepoint rolled back (a nested `em.transactional` whose failure the
 * handler handled) leaves the status healthy and is not reported.
 *
 * The transaction's connection is the one that ran the unit of work's first statement (BEGIN);
 * statements the handler sends on other connections are not part of it and are ignored.
 */
export class TransactionWatch implements QueryObserver {
  private client: Client | undefined;
  /** The first error since the transaction was last healthy: the cause of an abort. */
  private cause: unknown;
  /** BEGIN was sent on the transaction's connection, and whether the statement after it was checked. */
  private begun = false;
  private firstChecked = false;
  /** A misuse found by the watch itself; reported by `failure()` even if the handler swallowed it. */
  private misuse: Error | undefined;

  /**
   * @param firstStatementSetsLockTimeout the route's policy says `lockTimeout: 'first-statement'`:
   *   the first statement after BEGIN must select `lockTimeoutSetting(...)`, or it is refused
   *   unsent (no extra round trip: the check reads the SQL text the driver is handed anyway).
   */
  constructor(private readonly firstStatementSetsLockTimeout = false) {}

  /** Runs `fn` (which opens the transaction) with this watch seeing its statements. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return observeQueries(this, fn);
  }

  onQuery(client: Client, sql: string): Error | void {
    this.client ??= client;
    if (client !== this.client || !this.firstStatementSetsLockTimeout || this.firstChecked) return;
    // MikroORM may check its connection before BEGIN: the rule is about the transaction's statements.
    if (!this.begun) {
      this.begun = OPENS_TRANSACTION.test(sql);
      return;
    }
    this.firstChecked = true;
    // A transaction that ends before its first statement (a pipe refused the request after BEGIN)
    // sent nothing that could wait. Refusing its ROLLBACK left the pooled connection checked out for
    // ever (kysely releases it only after a successful ROLLBACK): the hostile-input table leaked
    // the whole pool that way.
    if (ENDS_TRANSACTION.test(sql)) return;
    if (!SETS_LOCK_TIMEOUT.test(sql)) {
      this.misuse = new LockTimeoutNotSetError();
      return this.misuse;
    }
  }

  onQueryError(client: Client, error: unknown): void {
    if (client === this.client && this.cause === undefined) this.cause = error;
  }

  onQuerySuccess(client: Client): void {
    // A healthy status (a statement succeeded, or ROLLBACK TO SAVEPOINT undid a failure) clears the
    // cause: what failed before it no longer matters.
    if (client === this.client && client.getTransactionStatus() !== 'E') this.cause = undefined;
  }

  /**
   * When the transaction has failed, the error that made it fail (or an `AbortedTransactionError`
   * when none was seen), or the misuse the watch refused; `undefined` while it is healthy.
   */
  async failure(): Promise<unknown> {
    if (this.misuse) return this.misuse;
    const client = this.client;
    if (!client) return undefined;
    // node-postgres rejects a failed statement as soon as the ErrorResponse arrives; PostgreSQL
    // flushes that message at once and sends ReadyForQuery (with the status) after it, often in
    // a later TCP read. A handler that swallowed the error can return in between: wait for it.
    if ((client as unknown as PgClientInternals).readyForQuery === false) await nextReadyForQuery(client as unknown as PgClientInternals);
    if (client.getTransactionStatus() !== 'E') return undefined;
    return this.cause ?? new AbortedTransactionError();
  }
}

function nextReadyForQuery(client: PgClientInternals): Promise<void> {
  const events = client.connection;
  if (!events) return Promise.resolve();
  return new Promise((resolve) => {
    // The connection ending or failing ends the wait too: COMMIT will then report it.
    const done = () => {
      clearTimeout(timer);
      for (const event of ['readyForQuery', 'end', 'error'] as const) events.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, READY_WAIT_MS);
    for (const event of ['readyForQuery', 'end', 'error'] as const) events.once(event, done);
  });
}
