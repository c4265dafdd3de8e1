import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, type ClientConfig } from 'pg';
import { CONNECTION_LOST_MARK } from '../common/unit-of-work/sqlstate';

/**
 * Sees the statements a unit of work sends, on whichever pooled connection they run. MikroORM 7
 * talks to node-postgres through kysely, which keeps the connection of a transaction private; the
 * client class below is the one place where a statement, its connection and its outcome meet.
 */
export interface QueryObserver {
  /**
   * A statement was handed to `client` (called before it is sent). An `Error` returned here is
   * the statement's outcome instead: it is not sent, and the caller's promise rejects with it.
   */
  onQuery(client: Client, sql: string): Error | void;
  /** The statement failed; called before the caller's own rejection handlers run. */
  onQueryError(client: Client, error: unknown): void;
  /** The statement succeeded; the client's transaction status is already up to date. */
  onQuerySuccess(client: Client): void;
}

const observers = new AsyncLocalStorage<QueryObserver>();

/**
 * Runs `fn` with `observer` seeing every statement sent in its asynchronous context (kysely sends a
 * statement in the context of the code that awaits it, so this is the unit of work's own context).
 */
export function observeQueries<T>(observer: QueryObserver, fn: () => T): T {
  return observers.run(observer, fn);
}

/** Process-wide listeners, for tests and tools that record the statements sent (e.g. their shape). */
const statementListeners = new Set<(sql: string) => void>();

/**
 * Calls `listener` with the text of every statement any pool of this process is handed, in order
 * (a deferred BEGIN included, even one that ends up never sent: `onRoundTrip` sees the messages);
 * returns the unsubscribe.
 */
export function onStatement(listener: (sql: string) => void): () => void {
  statementListeners.add(listener);
  return () => statementListeners.delete(listener);
}

function sqlOf(config: unknown): string {
  if (typeof config === 'string') return config;
  const text = (config as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
}

/** Process-wide listeners for each message actually sent (a deferred BEGIN shares its statement's). */
const roundTripListeners = new Set<(sql: string) => void>();

/** Calls `listener` with the text of every query message any pool of this process sends; returns the unsubscribe. */
export function onRoundTrip(listener: (sql: string) => void): () => void {
  roundTripListeners.add(listener);
  return () => roundTripListeners.delete(listener);
}

/** A plain-text statement without bound parameters: it can share a simple-query message. */
function isPlainText(args: unknown[]): boolean {
  if (typeof args[0] !== 'string' || args.length > 2) return false;
  const values = args[1];
  return values === undefined || (Array.isArray(values) && values.length === 0);
}

/** A statement that opens a transaction: BEGIN or START TRANSACTION, whatever follows. */
export const OPENS_TRANSACTION = /^\s*(begin|start\s+transaction)\b/i;
/** A statement that ends the whole transaction: COMMIT, END, ROLLBACK or ABORT (not ROLLBACK TO SAVEPOINT). */
export const ENDS_TRANSACTION = /^\s*(commit|end|abort|rollback(?!\s+to\b))\b/i;

/** BEGIN, COMMIT and ROLLBACK as kysely sends them (not ROLLBACK TO SAVEPOINT, which stays in the transaction). */
function isTransactionControl(sql: string): boolean {
  return OPENS_TRANSACTION.test(sql) || ENDS_TRANSACTION.test(sql);
}

/** A text that is one BEGIN (any transaction modes) and nothing else: only that is deferred. */
const BEGIN_ONLY = /^\s*(begin|start\s+transaction)\b[^;]*;?\s*$/i;
/**
 * A text that is one plain COMMIT or ROLLBACK of the whole transaction and nothing else (not
 * ROLLBACK TO SAVEPOINT, not AND CHAIN, which opens the next transaction): only that is dropped
 * when it directly follows a deferred BEGIN.
 */
const END_ONLY = /^\s*(commit|end|abort|rollback)(\s+(work|transaction))?\s*;?\s*$/i;

function emptyResult(command: string): object {
  return { command, rowCount: null, oid: null, rows: [], fields: [] };
}

/**
 * The caller's result of a message that starts with a deferred BEGIN: what its own text alone
 * would have answered (one result, or one per statement when it held several).
 */
function withoutBeginResult(result: unknown): unknown {
  if (!Array.isArray(result)) return result;
  return result.length === 2 ? result[1] : result.slice(1);
}

/** A client class made by `pgClientClass`. */
export type ServicePgClientClass = typeof Client & { connecting: number };

/**
 * The node-postgres client class of the service's pools (`PoolConfig.Client`).
 *
 * - Its own connect timeout is `connectTimeoutMs`, while the pool's `connectionTimeoutMillis`
 *   (which node-postgres also uses as the wait for a busy pool) is longer: an unreachable database is
 *   reported by the connect timeout (`database_unavailable`), a pool whose connections are all busy
 *   by the pool's wait (`pool_exhausted`). With one timeout for both, the two raced.
 * - It tells the `QueryObserver` of the current unit of work about each statement and its outcome.
 */
export function pgClientClass(connectTimeoutMs: number): ServicePgClientClass {
  class ServicePgClient extends UntypedClient {
    /** Connections of this class being opened right now (the pool does not count them apart). */
    static connecting = 0;

    constructor(config?: string | ClientConfig) {
      if (config !== undefined && typeof config === 'object') {
        const own: ClientConfig = { ...config, connectionTimeoutMillis: connectTimeoutMs };
        // node-postgres keeps the password non-enumerable (out of logs and inspection): a spread drops it.
        Object.defineProperty(own, 'password', { value: config.password, enumerable: false, writable: true, configurable: true });
        super(own);
      } else {
        super(config);
      }
    }

    override connect(...args: unknown[]): unknown {
      ServicePgClient.connecting++;
      let settled = false;
      const settle = () => {
        if (!settled) ServicePgClient.connecting--;
        settled = true;
      };
      const callback = args[0];
      if (typeof callback === 'function') {
        return super.connect((error: unknown) => {
          settle();
          callback(error);
        });
      }
      return (super.connect() as Promise<unknown>).finally(settle);
    }

    /**
     * A BEGIN not sent yet: it goes out with the transaction's first statement, as one message
     * (`BEGIN …;\n<statement>`), which saves a round trip per transaction (Npgsql does the same).
     * PostgreSQL runs the rest of such a message inside the transaction the BEGIN opened, so
     * nothing changes but the count of messages. A transaction that ends before its first statement
     * (a pipe refused the request inside the unit of work) sends nothing at all.
     */
    pendingBegin: string | undefined;

    // node-postgres's overloads (callback, submittable, promise) all pass through; only the promise
    // form is observed, which is the one kysely uses.
    override query(...args: unknown[]): unknown {
      const self = this as unknown as Client;
      const observer = observers.getStore();
      const sql = sqlOf(args[0]);
      const refused = observer?.onQuery(self, sql);
      if (refused) {
        observer!.onQueryError(self, refused);
        // A refused BEGIN, COMMIT or ROLLBACK would leave the connection checked out (see releaseBroken).
        if (isTransactionControl(sql)) releaseBroken(self, refused);
        return Promise.reject(refused);
      }
      for (const listener of statementListeners) listener(sql);

      const plain = isPlainText(args);
      const begin = this.pendingBegin;
      if (begin === undefined) {
        if (plain && BEGIN_ONLY.test(sql) && self.getTransactionStatus() === 'I') {
          this.pendingBegin = sql;
          observer?.onQuerySuccess(self);
          return Promise.resolve(emptyResult('BEGIN'));
        }
        return this.send(args, sql, observer);
      }
      this.pendingBegin = undefined;
      if (plain && END_ONLY.test(sql)) {
        // Nothing ran between BEGIN and its end: neither is sent.
        observer?.onQuerySuccess(self);
        return Promise.resolve(emptyResult(/^\s*(commit|end)\b/i.test(sql) ? 'COMMIT' : 'ROLLBACK'));
      }
      if (plain) return this.send([`${begin};\n${sql}`, ...args.slice(1)], sql, observer, true);
      // Bound parameters, a callback or a submittable cannot share a message: BEGIN goes first, on
      // its own (node-postgres sends queued statements in order).
      this.send([begin], begin, undefined);
      return this.send(args, sql, observer);
    }

    /** Drops a BEGIN never followed by a statement (the pool calls this when the connection comes back). */
    discardPendingBegin(): void {
      this.pendingBegin = undefined;
    }

    /**
     * Sends `args` as one message; `sql` is the statement the caller handed over (after the
     * deferred BEGIN when `merged`, whose result is then left out).
     */
    private send(args: unknown[], sql: string, observer: QueryObserver | undefined, merged = false): unknown {
      const self = this as unknown as Client;
      if (roundTripListeners.size > 0) {
        const text = sqlOf(args[0]);
        for (const listener of roundTripListeners) listener(text);
      }
      let result = super.query(...args);
      if (result instanceof Promise) {
        // Registered before anyone else's handlers: the mark is on the error before MikroORM wraps
        // it, and a failed transaction-control statement gives its connection back before kysely
        // moves on.
        result.catch((error: unknown) => {
          markIfConnectionLost(self, error);
          if (isTransactionControl(sql)) releaseBroken(self, error);
        });
        // Several statements in one message answer with one result each: drop the BEGIN's.
        if (merged) result = result.then(withoutBeginResult);
      }
      if (observer && result instanceof Promise) {
        // Registered before the caller's handlers, so the observer sees a failure first, even when
        // the caller catches and swallows it.
        result.then(
          () => observer.onQuerySuccess(self),
          (error: unknown) => observer.onQueryError(self, error),
        );
      }
      return result;
    }
  }
  return ServicePgClient as unknown as ServicePgClientClass;
}

/**
 * Hooks a pool of `pgClientClass` clients: a connection given back with a BEGIN still deferred
 * (opened, then released without COMMIT or ROLLBACK) must not carry it to its next user.
 */
export function watchPool(pool: { on(event: 'release', listener: (error: Error | undefined, client: unknown) => void): unknown }): void {
  pool.on('release', (_error, released) => (released as { discardPendingBegin?: () => void }).discardPendingBegin?.());
}

/** The parts of node-postgres's `Client` that say whether its connection still works. */
interface ClientHealth {
  _queryable?: boolean;
  _ending?: boolean;
}

/**
 * Marks `error` as a lost connection when the statement failed without a SQLSTATE and its client
 * can no longer send statements: the server closed the socket (a restart's fast shutdown, a
 * failover), whatever the stream error or message says. The classifier then answers 503.
 */
function markIfConnectionLost(client: Client, error: unknown): void {
  if (error === null || typeof error !== 'object') return;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return;
  const health = client as unknown as ClientHealth;
  if (health._queryable === false || health._ending === true) {
    Object.defineProperty(error, CONNECTION_LOST_MARK, { value: true, enumerable: true, configurable: true, writable: true });
  }
}

/**
 * Gives a pooled connection whose BEGIN, COMMIT or ROLLBACK failed back to its pool as broken (the
 * pool closes it and opens a fresh one when needed). kysely releases a transaction's connection
 * only when that statement succeeds: when it fails, typically because the server went away (a
 * restart, a failover) mid-transaction, the connection stayed checked out for ever. A database
 * restart under load leaked most of the pool that way, and the pool could not be closed. After this
 * release the connection is ended, so anything kysely still sends on it fails at once (never on a
 * connection lent to someone else), and its own release, which only follows a success, never runs.
 */
function releaseBroken(client: Client, error: unknown): void {
  const release = (client as unknown as { release?: unknown }).release;
  if (typeof release !== 'function') return;
  try {
    (release as (error: Error) => void).call(client, error instanceof Error ? error : new Error('transaction control statement failed'));
  } catch {
    // Already released: nothing is leaked.
  }
}

/** node-postgres's `Client` with its overloaded methods seen as plain variadic ones, to override them. */
const UntypedClient = Client as unknown as new (config?: string | ClientConfig) => {
  connect(...args: unknown[]): unknown;
  query(...args: unknown[]): unknown;
};
