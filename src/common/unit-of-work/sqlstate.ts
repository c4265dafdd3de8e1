/**
 * Classifies a database error by its SQLSTATE `code` (never by exception class or message:
 * MikroORM maps 40001 and 40P01 to one class, and its messages start with the SQL and its values).
 */
export type DbErrorKind =
  | 'unique_violation'
  | 'serialization_failure'
  | 'deadlock'
  | 'lock_timeout'
  | 'foreign_key_violation'
  | 'not_null_violation'
  | 'check_violation'
  | 'data_exception'
  | 'statement_timeout'
  | 'unavailable'
  | 'pool_exhausted'
  | 'other';

export interface DbErrorClass {
  kind: DbErrorKind;
  /** SQLSTATE, or the Node.js error code for connection failures. */
  code: string;
  /** Name of the violated constraint, when PostgreSQL reports one. */
  constraint?: string;
}

/** Kinds after which the database has rolled the whole transaction back and a rerun may succeed. */
export const TRANSIENT_KINDS: ReadonlySet<DbErrorKind> = new Set(['serialization_failure', 'deadlock', 'lock_timeout']);

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'EAI_AGAIN',
  // Writing to the socket of a connection the server has just closed (a restart, a failover):
  // node-postgres passes the stream's error through as is.
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_SOCKET_CLOSED',
]);

/**
 * Set on a driver error by the service's database adapter (`src/database/pg-adapter.ts`) when the
 * statement failed because its connection died: whatever the error's message or code, the cause
 * is the database going away. MikroORM's `DriverException` copies own properties, so the mark
 * survives its wrapping.
 */
export const CONNECTION_LOST_MARK = 'connectionLost';

const CONNECTION_MESSAGES = [
  // Includes 'Connection terminated due to connection timeout' (DB_CONNECT_TIMEOUT_MS passed).
  'Connection terminated',
  // node-postgres when DB_CONNECT_TIMEOUT_MS passes before the server answers (host up, PostgreSQL hung).
  'timeout expired',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  // The client's connection failed or was closed before the statement could be sent.
  'is not queryable',
];

interface ErrorLike {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
  name?: unknown;
  [CONNECTION_LOST_MARK]?: unknown;
}

/** Returns `undefined` when `error` does not come from the database or its driver. */
export function classifyDbError(error: unknown): DbErrorClass | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const constraint = typeof e.constraint === 'string' && e.constraint !== '' ? e.constraint : undefined;

  // Before the SQLSTATE test: 'EPIPE' also has the shape of a SQLSTATE (five of [0-9A-Z]).
  if (code && CONNECTION_CODES.has(code)) return { kind: 'unavailable', code };
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const kind = kindOfSqlState(code);
    if (kind !== undefined) return { kind, code, ...(constraint ? { constraint } : {}) };
  }
  // After the SQLSTATE test: an error the server reported (even a unique violation) keeps its meaning.
  if (e[CONNECTION_LOST_MARK] === true) return { kind: 'unavailable', code: 'CONNECTION' };
  const message = typeof e.message === 'string' ? e.message : '';
  // node-postgres's pool: no pooled connection came free within its wait (DB_CONNECT_TIMEOUT_MS +
  // 1 s). A connection attempt has the shorter connect timeout and fails with its own message (or
  // ECONNREFUSED, above) while the database is down, so this is overload: every connection busy,
  // usually with long transactions or lock waits.
  if (message === 'timeout exceeded when trying to connect') return { kind: 'pool_exhausted', code: 'POOL_TIMEOUT' };
  // node-postgres signals connection trouble with plain Errors and no code.
  if (CONNECTION_MESSAGES.some((m) => message.includes(m))) return { kind: 'unavailable', code: 'CONNECTION' };
  return undefined;
}

function kindOfSqlState(code: string): DbErrorKind | undefined {
  switch (code) {
    case '23505':
      return 'unique_violation';
    case '40001':
      return 'serialization_failure';
    case '40P01':
      return 'deadlock';
    case '55P03':
      return 'lock_timeout';
    case '23503':
      return 'foreign_key_violation';
    case '23502':
      return 'not_null_violation';
    case '23514':
      return 'check_violation';
    case '57014':
      return 'statement_timeout';
    case '57P01': // admin_shutdown
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now
    case '53300': // too_many_connections
      return 'unavailable';
  }
  switch (code.slice(0, 2)) {
    case '22':
      return 'data_exception';
    case '08':
      return 'unavailable';
    // Insufficient resources (53100 disk_full, 53200 out_of_memory, 53400 e.g. temp_file_limit):
    // the statement was refused and rolled back, nothing of the request is wrong, and it may pass
    // once an operator has freed space: a 503 to retry, never a 500 (found by the chaos suite).
    case '53':
      return 'unavailable';
    default:
      // Any other SQLSTATE (syntax errors, missing tables, ...) is a bug on our side.
      return 'other';
  }
}

/**
 * Why the database was unavailable, as a bounded metrics label: PostgreSQL's shutdown and start-up
 * answers, refused or lost connections, timeouts. Only for `kind: 'unavailable'`.
 */
export type UnavailableCause =
  | 'admin_shutdown'
  | 'crash_shutdown'
  | 'cannot_connect_now'
  | 'too_many_connections'
  | 'disk_full'
  | 'out_of_memory'
  | 'insufficient_resources'
  | 'connection_exception'
  | 'connection_refused'
  | 'connect_timeout'
  | 'connection_lost';

export function unavailableCause(c: DbErrorClass): UnavailableCause {
  switch (c.code) {
    case '57P01':
      return 'admin_shutdown';
    case '57P02':
      return 'crash_shutdown';
    case '57P03':
      return 'cannot_connect_now';
    case '53300':
      return 'too_many_connections';
    case '53100':
      return 'disk_full';
    case '53200':
      return 'out_of_memory';
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EAI_AGAIN':
      return 'connection_refused';
    case 'ETIMEDOUT':
      return 'connect_timeout';
  }
  if (c.code.startsWith('53')) return 'insufficient_resources';
  return c.code.startsWith('08') ? 'connection_exception' : 'connection_lost';
}
