import {
  createQueryId,
  IdentifierNode,
  RawNode,
  type CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { Client, Pool, types, TypeOverrides, type ClientConfig, type PoolClient, type PoolConfig, type QueryResult as PgResult } from 'pg';
import { CONNECTION_LOST_MARK } from '../common/unit-of-work/sqlstate';
import { currentStatementObserver } from '../common/unit-of-work/statement-observer';
import type { PoolStats, PoolStatsSource } from '../common/metrics/pool-stats';

/**
 * The service's database adapter: a kysely `Dialect` handed to MikroORM as `driverOptions` (its
 * documented way to bring one's own dialect), over a node-postgres `Pool` it creates itself.
 * Everything here goes through public interfaces: kysely's `Driver` and `DatabaseConnection`,
 * node-postgres's `Pool`/`PoolClient` methods, its `Client` constructor options and its events.
 *
 * - **Deferred BEGIN**: kysely calls `beginTransaction` when MikroORM opens a transaction; the
 *   BEGIN goes out with the transaction's first statement, in one simple-query message
 *   (`BEGIN …;\n<statement>`), a round trip saved per transaction (Npgsql does the same).
 *   PostgreSQL runs the rest of such a message inside the transaction the BEGIN opened. A
 *   transaction that ends before its first statement (a pipe refused the request inside the unit of
 *   work) sends nothing at all.
 * - **Timeout split**: a connection attempt has the connect timeout, the pool's wait is longer (see
 *   `PoolTimeouts`).
 * - **Transaction watch**: BEGIN, each statement and its outcome, and ROLLBACK TO SAVEPOINT are
 *   reported to the unit of work's `StatementObserver`, classified by the driver call that issued
 *   them, never by their SQL text.
 */

/** Process-wide listeners, for tests and tools that record the statements handed over (BEGIN and COMMIT included). */
const statementListeners = new Set<(sql: string) => void>();

/**
 * Calls `listener` with the text of every statement any adapter of this process is handed, in
 * order (a deferred BEGIN included, even one that ends up never sent: `onRoundTrip` sees the
 * messages); returns the unsubscribe.
 */
export function onStatement(listener: (sql: string) => void): () => void {
  statementListeners.add(listener);
  return () => statementListeners.delete(listener);
}

/** Process-wide listeners for each query message actually sent (a deferred BEGIN shares its statement's). */
const roundTripListeners = new Set<(sql: string) => void>();

/** Calls `listener` with the text of every query message any adapter of this process sends; returns the unsubscribe. */
export function onRoundTrip(listener: (sql: string) => void): () => void {
  roundTripListeners.add(listener);
  return () => roundTripListeners.delete(listener);
}

function tellStatement(sql: string): void {
  for (const listener of statementListeners) listener(sql);
}

/** The two waits of the pool, kept apart so that their failures mean different things. */
export interface PoolTimeouts {
  /**
   * A connection attempt's own timeout (DB_CONNECT_TIMEOUT_MS): an unreachable database fails
   * with it and is reported `database_unavailable`.
   */
  connectTimeoutMs: number;
  /**
   * The wait for a free pooled connection, longer than the connect timeout: only a pool whose
   * connections all stay busy runs into it (`pool_exhausted`). node-postgres's pool uses its one
   * `connectionTimeoutMillis` for both, so with one value the two raced.
   */
  acquireTimeoutMs: number;
}

export interface PgAdapterOptions extends PoolTimeouts {
  /** The database URL (a PgBouncer URL works: nothing relies on session state across transactions). */
  url: string;
  max: number;
  idleTimeoutMillis: number;
  /** Where the driver's own warnings go (connections that failed while idle or checked out). */
  warn?: (message: string) => void;
}

/**
 * node-postgres's `Client` with the connect timeout in place of the pool's wait. The pool hands its
 * whole configuration to the client it creates (`PoolConfig.Client`, typed by node-postgres): only
 * the constructor is overridden, nothing else of the client.
 */
function clientWithConnectTimeout(connectTimeoutMs: number): new (config?: string | ClientConfig) => Client {
  return class extends Client {
    constructor(config?: string | ClientConfig) {
      if (config === undefined || typeof config === 'string') {
        super(config);
        return;
      }
      const own: ClientConfig = { ...config, connectionTimeoutMillis: connectTimeoutMs };
      // node-postgres keeps the password non-enumerable (out of logs and inspection): a spread drops it.
      Object.defineProperty(own, 'password', { value: config.password, enumerable: false, writable: true, configurable: true });
      super(own);
    }
  };
}

/**
 * The result parsers MikroORM's own PostgreSQL dialect installs: date and time types (and arrays
 * of them) stay strings, which MikroORM converts itself (`forceUtcTimezone`).
 */
function mikroOrmTypes(): TypeOverrides {
  const overrides = new TypeOverrides();
  const asText = (value: string) => value;
  // text[]'s parser: an array literal into an array of strings (NULL elements stay null). Array
  // types have no name among node-postgres's builtins, hence the plain number.
  const textArrayOid: number = 1009;
  const textArray: (value: string) => unknown = types.getTypeParser(textArrayOid as Parameters<typeof types.getTypeParser>[0]);
  // date, timestamp, timestamptz, interval
  for (const oid of [1082, 1114, 1184, 1186]) overrides.setTypeParser(oid, asText);
  // date[], timestamp[], timestamptz[], interval[]
  for (const oid of [1182, 1115, 1185, 1187]) overrides.setTypeParser(oid, textArray);
  return overrides;
}

/**
 * The service's kysely dialect (PostgreSQL's compiler, adapter and introspector, and the driver
 * below), set as MikroORM's `driverOptions`. One dialect per ORM; each `createDriver` makes a pool.
 */
export class PgAdapterDialect implements Dialect, PoolStatsSource {
  private driver: PgAdapterDriver | undefined;

  constructor(private readonly options: PgAdapterOptions) {}

  createDriver(): Driver {
    this.driver = new PgAdapterDriver(this.options);
    return this.driver;
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }

  /** The pool's state, once the ORM has connected. */
  poolStats(): PoolStats | undefined {
    return this.driver?.poolStats();
  }
}

/** A kysely `Driver` on a node-postgres pool, with deferred BEGIN and the statement observer. */
export class PgAdapterDriver implements Driver {
  private pool: Pool | undefined;
  private readonly connections = new WeakMap<PoolClient, PgAdapterConnection>();
  /** Connections lent and not given back (the pool counts only idle and total). */
  private lent = 0;

  constructor(private readonly options: PgAdapterOptions) {}

  async init(): Promise<void> {
    const { url, max, idleTimeoutMillis, connectTimeoutMs, acquireTimeoutMs, warn } = this.options;
    const config: PoolConfig = {
      connectionString: url,
      max,
      idleTimeoutMillis,
      keepAlive: true,
      types: mikroOrmTypes(),
      Client: clientWithConnectTimeout(connectTimeoutMs),
      // The pool uses this both for its own connection attempts and as the wait for a busy pool;
      // the client class above gives the connection attempt itself the shorter connect timeout.
      connectionTimeoutMillis: acquireTimeoutMs,
    };
    const pool = new Pool(config);
    // An 'error' event without a listener is a fatal uncaught exception: the pool re-emits idle
    // clients' errors on itself, and leaves a checked-out client's to whoever holds it.
    // Only first lines: driver errors name the failure ("Connection terminated unexpectedly"), never SQL or values.
    const firstLine = (e: Error) => String(e.message).split('\n')[0];
    pool.on('error', (e) => warn?.(`idle database connection failed: ${firstLine(e)}`));
    pool.on('connect', (client) => client.on('error', (e) => warn?.(`database connection failed: ${firstLine(e)}`)));
    pool.on('acquire', () => this.lent++);
    pool.on('release', () => this.lent--);
    this.pool = pool;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.requirePool().connect();
    let connection = this.connections.get(client);
    if (!connection) {
      connection = new PgAdapterConnection(client);
      this.connections.set(client, connection);
    }
    connection.lend();
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = own(connection);
    let sql = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      sql = 'start transaction';
      if (settings.isolationLevel) sql += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) sql += ` ${settings.accessMode}`;
    }
    c.deferBegin(sql);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await own(connection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await own(connection).end('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(savepointNode('savepoint', name), createQueryId()));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    const c = own(connection);
    await c.executeQuery(compileQuery(savepointNode('rollback to', name), createQueryId()));
    c.savepointRolledBack();
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(savepointNode('release', name), createQueryId()));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    own(connection).giveBack();
  }

  async destroy(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  poolStats(): PoolStats | undefined {
    const pool = this.pool;
    if (!pool) return undefined;
    return {
      used: pool.totalCount - pool.idleCount,
      free: pool.idleCount,
      pendingAcquires: pool.waitingCount,
      // The pool counts a connection being opened among its total, neither idle nor lent.
      pendingCreates: Math.max(0, pool.totalCount - pool.idleCount - this.lent),
    };
  }

  private requirePool(): Pool {
    if (!this.pool) throw new Error('the database adapter was used before init() or after destroy()');
    return this.pool;
  }
}

function own(connection: DatabaseConnection): PgAdapterConnection {
  if (connection instanceof PgAdapterConnection) return connection;
  throw new Error('the database adapter was handed a connection it did not make');
}

/** The savepoint statements as kysely's own driver builds them (the identifier quoted by the compiler). */
function savepointNode(command: 'savepoint' | 'rollback to' | 'release', name: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
}

/** The error a statement on a connection given back broken (its COMMIT or ROLLBACK failed) gets. */
class ConnectionReleasedError extends Error {
  constructor() {
    super('Connection terminated: the connection was given back to its pool after its transaction control statement failed');
    this.name = 'ConnectionReleasedError';
  }
}

/** One pooled connection as kysely sees it. */
export class PgAdapterConnection implements DatabaseConnection {
  /** A BEGIN not sent yet: it goes out with the transaction's first statement. */
  private pendingBegin: string | undefined;
  /** Lent to kysely right now (false once given back, broken or not). */
  private lentOut = false;
  /** The server or the socket closed the connection ('end' or 'error' on the client, node-postgres's documented events). */
  private lost = false;

  constructor(private readonly client: PoolClient) {
    const markLost = () => {
      this.lost = true;
    };
    client.on('end', markLost);
    client.on('error', markLost);
  }

  lend(): void {
    this.lentOut = true;
    // A connection given back with a BEGIN still deferred must not carry it to its next user.
    this.pendingBegin = undefined;
  }

  deferBegin(sql: string): void {
    tellStatement(sql);
    this.pendingBegin = sql;
    currentStatementObserver()?.onBegin(this);
  }

  savepointRolledBack(): void {
    currentStatementObserver()?.onRollbackToSavepoint(this);
  }

  /** Gives the connection back to its pool, unless it already went back as broken. */
  giveBack(): void {
    if (!this.lentOut) return;
    this.lentOut = false;
    this.pendingBegin = undefined;
    this.client.release();
  }

  /**
   * COMMIT or ROLLBACK; neither is sent when nothing ran since the deferred BEGIN. When it fails,
   * typically because the server went away mid-transaction, the connection goes back to its pool
   * as broken (the pool closes it): kysely releases a transaction's connection only after a
   * successful COMMIT or ROLLBACK, so a database restart under load leaked most of the pool.
   */
  async end(sql: 'commit' | 'rollback'): Promise<void> {
    tellStatement(sql);
    if (this.pendingBegin !== undefined) {
      this.pendingBegin = undefined;
      return;
    }
    if (!this.lentOut) throw new ConnectionReleasedError();
    try {
      await this.send(sql, []);
    } catch (error) {
      this.releaseBroken(error);
      throw error;
    }
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.query(compiledQuery.sql, compiledQuery.parameters);
    // kysely's own mapping of node-postgres's result (several statements: an array, no rows).
    const { command, rowCount, rows } = result as Partial<PgResult>;
    const counted = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return { numAffectedRows: counted && rowCount !== null && rowCount !== undefined ? BigInt(rowCount) : undefined, rows: (rows ?? []) as R[] };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // MikroORM streams nothing the service uses; one chunk keeps the contract without a cursor.
    yield await this.executeQuery<R>(compiledQuery);
  }

  private async query(sql: string, parameters: readonly unknown[]): Promise<PgResult | PgResult[]> {
    const observer = currentStatementObserver();
    const refused = observer?.onStatement(this, sql);
    if (refused) {
      observer!.onStatementError(this, refused);
      throw refused;
    }
    tellStatement(sql);
    if (!this.lentOut) throw new ConnectionReleasedError();
    try {
      const begin = this.pendingBegin;
      if (begin === undefined) return await this.send(sql, parameters);
      this.pendingBegin = undefined;
      // Bound parameters cannot share a simple-query message: BEGIN goes first, on its own.
      if (parameters.length > 0) {
        await this.send(begin, []);
        return await this.send(sql, parameters);
      }
      // Several statements in one message answer with one result each: drop the BEGIN's.
      const results = (await this.send(`${begin};\n${sql}`, [])) as PgResult[];
      return results.length === 2 ? results[1] : results.slice(1);
    } catch (error) {
      observer?.onStatementError(this, error);
      throw error;
    }
  }

  private async send(text: string, parameters: readonly unknown[]): Promise<PgResult | PgResult[]> {
    for (const listener of roundTripListeners) listener(text);
    try {
      return await this.client.query(text, parameters.length > 0 ? [...parameters] : undefined);
    } catch (error) {
      this.markIfConnectionLost(error);
      throw error;
    }
  }

  /**
   * Marks `error` as a lost connection when the statement failed without a SQLSTATE after the
   * client reported its connection ended or failed: the server closed the socket (a restart's fast
   * shutdown, a failover), whatever the stream error or message says. The classifier then answers 503.
   */
  private markIfConnectionLost(error: unknown): void {
    if (!this.lost || error === null || typeof error !== 'object') return;
    const code: unknown = Reflect.get(error, 'code');
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return;
    Object.defineProperty(error, CONNECTION_LOST_MARK, { value: true, enumerable: true, configurable: true, writable: true });
  }

  /** Gives the connection back to its pool as broken (the pool closes it); later statements on it fail at once. */
  private releaseBroken(error: unknown): void {
    if (!this.lentOut) return;
    this.lentOut = false;
    this.pendingBegin = undefined;
    this.client.release(error instanceof Error ? error : new Error('transaction control statement failed'));
  }
}
