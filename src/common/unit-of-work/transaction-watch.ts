/**
 * PostgreSQL's transaction status, sent in every ReadyForQuery message: `I` idle, `T` in a
 * transaction, `E` in a failed transaction (every statement until ROLLBACK fails with 25P02, and
 * COMMIT quietly rolls back).
 */
type TransactionStatus = 'I' | 'T' | 'E';

const STATUS = Symbol('task-execution-api.transactionStatus');
const WATCH = Symbol('task-execution-api.transactionWatch');

/** Longest wait for the ReadyForQuery that follows an error; PostgreSQL sends it right after. */
const READY_WAIT_MS = 10_000;

/** The parts of node-postgres's `Client` used here. */
interface PgClient {
  /** False from sending a statement until its ReadyForQuery has been read. */
  readyForQuery?: boolean;
  connection?: {
    on(event: 'readyForQuery', listener: (message: { status?: string }) => void): unknown;
    once(event: 'readyForQuery' | 'end' | 'error', listener: () => void): unknown;
    off(event: 'readyForQuery' | 'end' | 'error', listener: () => void): unknown;
  };
  [STATUS]?: TransactionStatus;
  [WATCH]?: TransactionWatch;
}

/** The parts of a knex transaction (MikroORM's transaction context) used here. */
interface KnexTransaction {
  client: { acquireConnection(): Promise<unknown> };
  on(event: 'query-error', listener: (error: unknown) => void): unknown;
  off(event: 'query-error', listener: (error: unknown) => void): unknown;
}

/** A transaction PostgreSQL reports failed although no error reached the unit of work. */
export class AbortedTransactionError extends Error {
  constructor() {
    super('The transaction was aborted by an earlier error that the handler did not let through.');
    this.name = 'AbortedTransactionError';
  }
}

/**
 * Watches one unit of work's transaction so that a handler which catches a database error and
 * carries on cannot turn it into a success. After any error PostgreSQL aborts the transaction,
 * and a later COMMIT is answered with ROLLBACK, not an error: without this watch the route would
 * answer 2xx for writes that never happened. The status comes from the driver's ReadyForQuery
 * messages, so it costs no round trip, and an error a savepoint rolled back (a nested
 * `em.transactional` whose failure the handler handled) leaves the status healthy and is not
 * reported.
 */
export class TransactionWatch {
  /** The first error since the transaction was last healthy: the cause of an abort. */
  private cause: unknown;
  private readonly onQueryError = (error: unknown): void => {
    if (this.cause === undefined) this.cause = error;
  };

  private constructor(
    private readonly trx: KnexTransaction,
    private readonly connection: PgClient,
  ) {}

  /** Starts watching; call right after BEGIN, before the handler's first statement. */
  static async start(trx: unknown): Promise<TransactionWatch> {
    const knexTrx = trx as KnexTransaction;
    const connection = (await knexTrx.client.acquireConnection()) as PgClient;
    if (connection[STATUS] === undefined) {
      // Once per pooled connection: every later ReadyForQuery updates the status. A healthy
      // status (a statement succeeded, or ROLLBACK TO SAVEPOINT undid a failure) clears the cause:
      // what failed before it no longer matters.
      connection.connection?.on('readyForQuery', (message) => {
        connection[STATUS] = message.status as TransactionStatus;
        if (message.status !== 'E') connection[WATCH]?.healthy();
      });
    }
    connection[STATUS] = 'T';
    const watch = new TransactionWatch(knexTrx, connection);
    connection[WATCH] = watch;
    // knex emits query-error before the query's promise rejects, so the cause is recorded before
    // the handler can see (and swallow) the error.
    knexTrx.on('query-error', watch.onQueryError);
    return watch;
  }

  /**
   * When the transaction has failed, the error that made it fail (or an `AbortedTransactionError`
   * when none was seen); `undefined` while it is healthy.
   */
  async failure(): Promise<unknown> {
    // node-postgres rejects a failed statement as soon as the ErrorResponse arrives; PostgreSQL
    // flushes that message at once and sends ReadyForQuery (with the status) after it, often in
    // a later TCP read. A handler that swallowed the error can return in between: wait for it.
    if (this.connection.readyForQuery === false) await this.nextReadyForQuery();
    if (this.connection[STATUS] !== 'E') return undefined;
    return this.cause ?? new AbortedTransactionError();
  }

  private nextReadyForQuery(): Promise<void> {
    const events = this.connection.connection;
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

  /** The transaction is healthy again: an earlier error no longer matters. */
  healthy(): void {
    this.cause = undefined;
  }

  stop(): void {
    this.trx.off('query-error', this.onQueryError);
    if (this.connection[WATCH] === this) delete this.connection[WATCH];
  }
}
