import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, type ClientConfig } from 'pg';

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

/** Calls `listener` with the text of every statement any pool of this process sends; returns the unsubscribe. */
export function onStatement(listener: (sql: string) => void): () => void {
  statementListeners.add(listener);
  return () => statementListeners.delete(listener);
}

function sqlOf(config: unknown): string {
  if (typeof config === 'string') return config;
  const text = (config as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
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

    // node-postgres's overloads (callback, submittable, promise) all pass through; only the promise
    // form is observed, which is the one kysely uses.
    override query(...args: unknown[]): unknown {
      const self = this as unknown as Client;
      const observer = observers.getStore();
      const sql = statementListeners.size > 0 || observer ? sqlOf(args[0]) : '';
      const refused = observer?.onQuery(self, sql);
      if (refused) {
        observer!.onQueryError(self, refused);
        return Promise.reject(refused);
      }
      for (const listener of statementListeners) listener(sql);
      const result = super.query(...args);
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

/** node-postgres's `Client` with its overloaded methods seen as plain variadic ones, to override them. */
const UntypedClient = Client as unknown as new (config?: string | ClientConfig) => {
  connect(...args: unknown[]): unknown;
  query(...args: unknown[]): unknown;
};
