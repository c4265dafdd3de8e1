import { DeadlockException, ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError } from '../../src/common/problem/domain-error';
import { DriverException } from '@mikro-orm/core';
import { classifyDbError, CONNECTION_LOST_MARK, TRANSIENT_KINDS, unavailableCause, type DbErrorKind } from '../../src/common/unit-of-work/sqlstate';

/** What pg's DatabaseError carries: a SQLSTATE `code`, a `constraint`, and a message with SQL in it. */
function pgError(code: string, constraint?: string): Error & { code: string; constraint?: string } {
  return Object.assign(new Error(`insert into "t" ("a") values ('secret') - ${code}`), { code, ...(constraint ? { constraint } : {}) });
}

describe('classifyDbError', () => {
  it.each<[string, DbErrorKind]>([
    ['40001', 'serialization_failure'],
    ['40P01', 'deadlock'],
    ['55P03', 'lock_timeout'],
    ['23505', 'unique_violation'],
    ['23503', 'foreign_key_violation'],
    ['23502', 'not_null_violation'],
    ['23514', 'check_violation'],
    ['22P02', 'data_exception'], // invalid_text_representation
    ['22P05', 'data_exception'], // untranslatable_character
    ['22003', 'data_exception'], // numeric_value_out_of_range
    ['22001', 'data_exception'], // string_data_right_truncation
    ['57014', 'statement_timeout'], // query_canceled (statement_timeout)
    ['08006', 'unavailable'], // connection_failure
    ['08001', 'unavailable'], // sqlclient_unable_to_establish_sqlconnection
    ['57P01', 'unavailable'], // admin_shutdown (failover, restart)
    ['57P02', 'unavailable'],
    ['57P03', 'unavailable'], // cannot_connect_now (starting up)
    ['53300', 'unavailable'], // too_many_connections
    ['53100', 'unavailable'], // disk_full: refused and rolled back, retry once space is freed
    ['53200', 'unavailable'], // out_of_memory
    ['53400', 'unavailable'], // configuration_limit_exceeded (temp_file_limit)
    ['42P01', 'other'], // undefined_table: a bug, never retried, never a 4xx
    ['42601', 'other'], // syntax_error
    ['25P02', 'other'], // in_failed_sql_transaction: a handler swallowed an error
    ['40002', 'other'], // integrity_constraint_violation under class 40: not a serialization failure
  ])('SQLSTATE %s → %s', (code, kind) => {
    expect(classifyDbError(pgError(code))).toEqual({ kind, code });
  });

  it('keeps the constraint name (and nothing of the message)', () => {
    expect(classifyDbError(pgError('23505', 'task_instance_composite_key'))).toEqual({
      kind: 'unique_violation',
      code: '23505',
      constraint: 'task_instance_composite_key',
    });
    expect(classifyDbError(pgError('23505', ''))).toEqual({ kind: 'unique_violation', code: '23505' });
  });

  it('classifies on the code, not on MikroORM classes: 40001 and 40P01 share DeadlockException', () => {
    expect(classifyDbError(new DeadlockException(pgError('40001')))?.kind).toBe('serialization_failure');
    expect(classifyDbError(new DeadlockException(pgError('40P01')))?.kind).toBe('deadlock');
    expect(classifyDbError(new UniqueConstraintViolationException(pgError('23505', 'dag_run_pkey')))).toEqual({
      kind: 'unique_violation',
      code: '23505',
      constraint: 'dag_run_pkey',
    });
    expect(classifyDbError(new ForeignKeyConstraintViolationException(pgError('23503', 'fk')))?.kind).toBe('foreign_key_violation');
  });

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ECONNABORTED',
    'EAI_AGAIN',
    'ERR_STREAM_DESTROYED',
    'ERR_STREAM_WRITE_AFTER_END',
    'ERR_SOCKET_CLOSED',
  ])('Node.js connection error %s → unavailable', (code) => {
    expect(classifyDbError(Object.assign(new Error('connect failed'), { code }))).toEqual({ kind: 'unavailable', code });
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout expired',
    'Client has encountered a connection error and is not queryable',
    'Connection ended unexpectedly',
  ])('driver and pool failures without a code → unavailable (%s)', (message) => {
    expect(classifyDbError(new Error(message))).toEqual({ kind: 'unavailable', code: 'CONNECTION' });
  });

  it('a statement whose connection died (marked by the pg client class) → unavailable whatever its message, also once MikroORM wrapped it', () => {
    const lost = Object.assign(new Error('some message no list knows'), { [CONNECTION_LOST_MARK]: true });
    expect(classifyDbError(lost)).toEqual({ kind: 'unavailable', code: 'CONNECTION' });
    expect(classifyDbError(new DriverException(lost))).toEqual({ kind: 'unavailable', code: 'CONNECTION' });
    // A SQLSTATE the server sent keeps its meaning even on a connection that died just after.
    expect(classifyDbError(Object.assign(pgError('23505', 'k'), { [CONNECTION_LOST_MARK]: true }))?.kind).toBe('unique_violation');
  });

  it("'Client was closed and is not queryable' → unavailable", () => {
    expect(classifyDbError(new Error('Client was closed and is not queryable'))).toEqual({ kind: 'unavailable', code: 'CONNECTION' });
  });

  it.each([
    ['57P01', 'admin_shutdown'],
    ['57P02', 'crash_shutdown'],
    ['57P03', 'cannot_connect_now'],
    ['53300', 'too_many_connections'],
    ['53100', 'disk_full'],
    ['53200', 'out_of_memory'],
    ['53400', 'insufficient_resources'],
    ['08006', 'connection_exception'],
    ['ECONNREFUSED', 'connection_refused'],
    ['ETIMEDOUT', 'connect_timeout'],
    ['ECONNRESET', 'connection_lost'],
    ['CONNECTION', 'connection_lost'],
  ])('the metrics cause of unavailable %s is %s', (code, cause) => {
    expect(unavailableCause({ kind: 'unavailable', code })).toBe(cause);
  });

  it("node-postgres's pool wait timeout → pool_exhausted (overload, not an outage)", () => {
    // pg-pool's message when no pooled connection came free within connectionTimeoutMillis; the
    // connection attempt itself has the shorter connect timeout (its own message, above).
    expect(classifyDbError(new Error('timeout exceeded when trying to connect'))).toEqual({ kind: 'pool_exhausted', code: 'POOL_TIMEOUT' });
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', '40001'],
    ['a plain Error', new Error('boom')],
    ['a DomainError (lower-case code)', new DomainError('not_found', 'x')],
    ['a numeric code', Object.assign(new Error('x'), { code: 40001 })],
    ['a lower-case five-character code', Object.assign(new Error('x'), { code: 'abcde' })],
    ['an unknown Node.js code', Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' })],
  ])('%s is not a database error', (_, error) => {
    expect(classifyDbError(error)).toBeUndefined();
  });

  it('retries exactly serialization failures, deadlocks and lock timeouts on every route', () => {
    expect([...TRANSIENT_KINDS].sort()).toEqual(['deadlock', 'lock_timeout', 'serialization_failure']);
  });
});
