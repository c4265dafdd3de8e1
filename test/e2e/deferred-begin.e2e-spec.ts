import { Pool, type PoolClient } from 'pg';
import { onRoundTrip, pgClientClass, watchPool } from '../../src/database/pg-client';
import { testDatabaseUrl } from '../support/test-database';

/**
 * The service's node-postgres client defers BEGIN to the transaction's first statement and sends
 * both in one message. These tests drive the client class directly, on a real PostgreSQL, with
 * a one-connection pool so that every checkout is the same server session.
 */
describe('deferred BEGIN (service pg client, real PostgreSQL)', () => {
  let pool: Pool;
  let sent: string[] = [];
  let stop: () => void;
  beforeAll(() => {
    pool = new Pool({ connectionString: testDatabaseUrl(), max: 1, Client: pgClientClass(5000) as never });
    watchPool(pool);
    stop = onRoundTrip((text) => sent.push(text.replace(/\s+/g, ' ').trim().toLowerCase()));
  });
  afterAll(async () => {
    stop();
    await pool.end();
  });
  const withClient = async <T>(fn: (c: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      // A test that failed half-way must not hand the next one a connection inside its transaction.
      if (client.getTransactionStatus() !== 'I' || (client as unknown as { pendingBegin?: string }).pendingBegin !== undefined) {
        await client.query('rollback').catch(() => undefined);
      }
      client.release();
    }
  };
  const take = () => {
    const out = sent;
    sent = [];
    return out;
  };
  const backendXid = (c: PoolClient) => c.query<{ xid: string | null }>('select txid_current_if_assigned()::text as xid').then((r) => r.rows[0].xid);

  it('sends BEGIN with the first statement and hands back that statement’s own result', async () => {
    await withClient(async (c) => {
      take();
      expect((await c.query('begin')).command).toBe('BEGIN');
      expect(take()).toEqual([]);
      const r = await c.query('select 41 + 1 as answer');
      expect(r.rows).toEqual([{ answer: 42 }]);
      expect(c.getTransactionStatus()).toBe('T');
      await c.query('create temp table deferred_begin_probe (v int) on commit drop');
      await c.query('insert into deferred_begin_probe values (1)');
      expect((await c.query('select count(*)::int as n from deferred_begin_probe')).rows).toEqual([{ n: 1 }]);
      await c.query('commit');
      expect(c.getTransactionStatus()).toBe('I');
      expect(take()).toEqual([
        'begin; select 41 + 1 as answer',
        'create temp table deferred_begin_probe (v int) on commit drop',
        'insert into deferred_begin_probe values (1)',
        'select count(*)::int as n from deferred_begin_probe',
        'commit',
      ]);
    });
  });

  it('answers a first statement of several statements with their results only, as without the BEGIN', async () => {
    await withClient(async (c) => {
      await c.query('begin');
      const results = (await c.query('select 1 as a; select 2 as b')) as unknown as { rows: unknown[] }[];
      expect(results.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
      await c.query('rollback');
      // The same text outside a transaction, for comparison: node-postgres's own shape.
      const plain = (await c.query('select 1 as a; select 2 as b')) as unknown as { rows: unknown[] }[];
      expect(plain.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    });
  });

  it('really opens the transaction: a ROLLBACK undoes what the first statement did', async () => {
    await withClient(async (c) => {
      await c.query('create table if not exists deferred_begin_rows (v int)');
      await c.query('truncate deferred_begin_rows');
      await c.query('begin');
      await c.query('insert into deferred_begin_rows values (1)');
      await c.query('rollback');
      expect((await c.query('select count(*)::int as n from deferred_begin_rows')).rows).toEqual([{ n: 0 }]);
      await c.query('drop table deferred_begin_rows');
    });
  });

  it('sends neither BEGIN nor its COMMIT or ROLLBACK when nothing ran between them', async () => {
    await withClient(async (c) => {
      take();
      await c.query('start transaction isolation level read committed');
      expect((await c.query('rollback')).command).toBe('ROLLBACK');
      await c.query('begin');
      expect((await c.query('commit')).command).toBe('COMMIT');
      expect(take()).toEqual([]);
      expect(c.getTransactionStatus()).toBe('I');
    });
  });

  it('sends BEGIN on its own before a statement with bound parameters, inside the same transaction', async () => {
    await withClient(async (c) => {
      take();
      await c.query('begin');
      expect((await c.query('select $1::int + 1 as n', [1])).rows).toEqual([{ n: 2 }]);
      expect(await backendXid(c)).toBeNull(); // no write yet, but in a transaction:
      expect(c.getTransactionStatus()).toBe('T');
      await c.query('rollback');
      expect(take()).toEqual(['begin', 'select $1::int + 1 as n', 'select txid_current_if_assigned()::text as xid', 'rollback']);
    });
  });

  it('reports a failing first statement as its own error and leaves the transaction aborted until ROLLBACK', async () => {
    await withClient(async (c) => {
      await c.query('begin');
      await expect(c.query('select 1 / 0')).rejects.toMatchObject({ code: '22012' });
      // node-postgres rejects at the ErrorResponse, before the ReadyForQuery that carries the
      // status, so the status is not read here: the next statement shows the transaction aborted.
      await expect(c.query('select 1')).rejects.toMatchObject({ code: '25P02' });
      expect(c.getTransactionStatus()).not.toBe('I');
      await c.query('rollback');
      expect(c.getTransactionStatus()).toBe('I');
      expect((await c.query('select 2 as n')).rows).toEqual([{ n: 2 }]);
    });
  });

  it('defers only a text that is a BEGIN alone: a whole transaction in one text runs as sent', async () => {
    await withClient(async (c) => {
      await c.query('create table if not exists deferred_begin_whole (v int)');
      await c.query('truncate deferred_begin_whole');
      take();
      await c.query('begin; insert into deferred_begin_whole values (7); commit');
      expect(take()).toEqual(['begin; insert into deferred_begin_whole values (7); commit']);
      expect(c.getTransactionStatus()).toBe('I');
      expect((await c.query('select v from deferred_begin_whole')).rows).toEqual([{ v: 7 }]);
      await c.query('drop table deferred_begin_whole');
    });
  });

  it('drops only a plain COMMIT or ROLLBACK right after the BEGIN: one followed by more, or AND CHAIN, is sent', async () => {
    await withClient(async (c) => {
      take();
      await c.query('begin');
      const [, after] = (await c.query('rollback; select 5 as n')) as unknown as { rows: unknown[] }[];
      expect(after.rows).toEqual([{ n: 5 }]);
      expect(take()).toEqual(['begin; rollback; select 5 as n']);
      expect(c.getTransactionStatus()).toBe('I');

      await c.query('begin');
      await c.query('commit and chain');
      // AND CHAIN opened the next transaction at once: the connection is in it.
      expect(c.getTransactionStatus()).toBe('T');
      await c.query('rollback');
      expect(take()).toEqual(['begin; commit and chain', 'rollback']);
    });
  });

  it('does not carry a BEGIN that was never followed by a statement to the next user of the connection', async () => {
    const leaked = await pool.connect();
    await leaked.query('begin');
    leaked.release();
    await withClient(async (c) => {
      take();
      await c.query('select 1');
      expect(take()).toEqual(['select 1']);
      expect(c.getTransactionStatus()).toBe('I');
    });
  });
});
