import { MikroORM } from '@mikro-orm/postgresql';
import { CompiledQuery, Kysely, sql, type DatabaseConnection, type Driver } from 'kysely';
import { classifyDbError } from '../../src/common/unit-of-work/sqlstate';
import { TransactionWatch } from '../../src/common/unit-of-work/transaction-watch';
import { lockTimeoutSetting } from '../../src/common/unit-of-work/unit-of-work.runner';
import { loadAppConfig } from '../../src/settings';
import { buildOrmOptions } from '../../src/database/orm-options';
import { onRoundTrip, onStatement, PgAdapterDialect, type PgAdapterOptions } from '../../src/database/pg-adapter';
import { testDatabaseUrl, withDirect } from '../support/test-database';

/**
 * The contract the database adapter (src/database/pg-adapter.ts) keeps with the libraries under it
 * (kysely's Driver interface as MikroORM drives it, node-postgres's pool and client). A new
 * release of MikroORM, kysely or node-postgres must keep every case green: they pin the messages
 * sent (deferred BEGIN), the timeout split and the transaction watch, on a real PostgreSQL. The
 * messages of one RTIF write through the whole service (three for an overwrite: BEGIN with the
 * lookup, the upsert, COMMIT) are pinned by the same round-trip listener in rtif-write-path.e2e-spec.ts.
 */
const options = (over: Partial<PgAdapterOptions> = {}): PgAdapterOptions => ({
  url: testDatabaseUrl(),
  max: 1,
  idleTimeoutMillis: 30_000,
  connectTimeoutMs: 5000,
  acquireTimeoutMs: 6000,
  ...over,
});

/** A text reduced to compare: whitespace folded, lower case. */
const fold = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();

describe('database adapter contract (real PostgreSQL)', () => {
  let db: Kysely<unknown>;
  let sent: string[] = [];
  let handed: string[] = [];
  const stops: (() => void)[] = [];
  beforeAll(() => {
    // One connection: every checkout is the same server session.
    db = new Kysely({ dialect: new PgAdapterDialect(options()) });
    stops.push(onRoundTrip((text) => sent.push(fold(text))));
    stops.push(onStatement((text) => handed.push(fold(text))));
  });
  afterAll(async () => {
    for (const stop of stops) stop();
    await db.destroy();
  });
  const take = () => {
    const out = sent;
    sent = [];
    handed = [];
    return out;
  };
  /** Whether the session is inside a transaction block: a temp table `on commit drop` outlives its statement only there. */
  const inTransaction = async (on: Kysely<unknown>) => {
    await sql`create temp table if not exists contract_probe (v int) on commit drop`.execute(on);
    const { rows } = await sql<{ open: boolean }>`select to_regclass('pg_temp.contract_probe') is not null as open`.execute(on);
    return rows[0].open;
  };

  it('sends BEGIN with the first statement, in one message, and hands back that statement’s own result', async () => {
    take();
    const trx = await db.startTransaction().setIsolationLevel('read committed').execute();
    expect(take()).toEqual([]);
    expect((await sql<{ answer: number }>`select 41 + 1 as answer`.execute(trx)).rows).toEqual([{ answer: 42 }]);
    await sql`create temp table deferred_begin_probe (v int) on commit drop`.execute(trx);
    await sql`insert into deferred_begin_probe values (1)`.execute(trx);
    expect((await sql<{ n: number }>`select count(*)::int as n from deferred_begin_probe`.execute(trx)).rows).toEqual([{ n: 1 }]);
    await trx.commit().execute();
    expect(take()).toEqual([
      'start transaction isolation level read committed; select 41 + 1 as answer',
      'create temp table deferred_begin_probe (v int) on commit drop',
      'insert into deferred_begin_probe values (1)',
      'select count(*)::int as n from deferred_begin_probe',
      'commit',
    ]);
    expect(await inTransaction(db)).toBe(false);
  });

  it('answers a first statement of several statements with their results only, as without the BEGIN', async () => {
    const trx = await db.startTransaction().execute();
    const inside = await sql`select 1 as a; select 2 as b`.execute(trx);
    expect((await sql`select 3 as c`.execute(trx)).rows).toEqual([{ c: 3 }]);
    await trx.rollback().execute();
    // The same text outside a transaction, for comparison: kysely's own shape of several results.
    expect(inside).toEqual(await sql`select 1 as a; select 2 as b`.execute(db));
  });

  it('really opens the transaction: a ROLLBACK undoes what the first statement did', async () => {
    await sql`create table if not exists deferred_begin_rows (v int)`.execute(db);
    await sql`truncate deferred_begin_rows`.execute(db);
    const trx = await db.startTransaction().execute();
    await sql`insert into deferred_begin_rows values (1)`.execute(trx);
    expect(await inTransaction(trx)).toBe(true);
    await trx.rollback().execute();
    expect((await sql<{ n: number }>`select count(*)::int as n from deferred_begin_rows`.execute(db)).rows).toEqual([{ n: 0 }]);
    await sql`drop table deferred_begin_rows`.execute(db);
  });

  it('sends neither BEGIN nor its COMMIT or ROLLBACK when nothing ran between them (the statements are still reported)', async () => {
    take();
    await (await db.startTransaction().setIsolationLevel('read committed').execute()).rollback().execute();
    await (await db.startTransaction().execute()).commit().execute();
    expect(handed).toEqual(['start transaction isolation level read committed', 'rollback', 'begin', 'commit']);
    expect(take()).toEqual([]);
    expect(await inTransaction(db)).toBe(false);
  });

  it('sends BEGIN on its own before a statement with bound parameters, inside the same transaction', async () => {
    take();
    const trx = await db.startTransaction().execute();
    expect((await sql<{ n: number }>`select ${1}::int + 1 as n`.execute(trx)).rows).toEqual([{ n: 2 }]);
    expect(await inTransaction(trx)).toBe(true);
    await trx.rollback().execute();
    expect(take()).toEqual([
      'begin',
      'select $1::int + 1 as n',
      'create temp table if not exists contract_probe (v int) on commit drop',
      "select to_regclass('pg_temp.contract_probe') is not null as open",
      'rollback',
    ]);
  });

  it('reports a failing first statement as its own error and leaves the transaction aborted until ROLLBACK', async () => {
    const trx = await db.startTransaction().execute();
    await expect(sql`select 1 / 0`.execute(trx)).rejects.toMatchObject({ code: '22012' });
    await expect(sql`select 1`.execute(trx)).rejects.toMatchObject({ code: '25P02' });
    await trx.rollback().execute();
    expect((await sql<{ n: number }>`select 2 as n`.execute(db)).rows).toEqual([{ n: 2 }]);
  });

  it('runs a whole transaction written in one text as sent: only the driver’s own BEGIN is deferred', async () => {
    await sql`create table if not exists deferred_begin_whole (v int)`.execute(db);
    await sql`truncate deferred_begin_whole`.execute(db);
    take();
    await sql`begin; insert into deferred_begin_whole values (7); commit`.execute(db);
    expect(take()).toEqual(['begin; insert into deferred_begin_whole values (7); commit']);
    expect((await sql<{ v: number }>`select v from deferred_begin_whole`.execute(db)).rows).toEqual([{ v: 7 }]);
    await sql`drop table deferred_begin_whole`.execute(db);
  });

  it('does not carry a BEGIN that was never followed by a statement to the next user of the connection', async () => {
    const dialect = new PgAdapterDialect(options());
    const driver: Driver = dialect.createDriver();
    await driver.init();
    try {
      const leaked = await driver.acquireConnection();
      await driver.beginTransaction(leaked, {});
      await driver.releaseConnection(leaked);
      const next: DatabaseConnection = await driver.acquireConnection();
      take();
      await next.executeQuery(CompiledQuery.raw('create temp table contract_leak (v int) on commit drop'));
      const { rows } = await next.executeQuery<{ open: boolean }>(CompiledQuery.raw(`select to_regclass('pg_temp.contract_leak') is not null as open`));
      expect(rows).toEqual([{ open: false }]);
      expect(take()).toEqual(['create temp table contract_leak (v int) on commit drop', "select to_regclass('pg_temp.contract_leak') is not null as open"]);
      await driver.releaseConnection(next);
    } finally {
      await driver.destroy();
    }
  });

  describe('through MikroORM', () => {
    let orm: MikroORM;
    beforeAll(async () => {
      const config = loadAppConfig({ DATABASE_URL: testDatabaseUrl(), JWT_SECRET: 'a-test-secret-of-at-least-32-characters!', LOG_LEVEL: 'error' });
      orm = await MikroORM.init(buildOrmOptions(config, testDatabaseUrl(), undefined, 2));
      // MikroORM checks the database on its first use: not part of what the cases count.
      await orm.em.fork().execute('select 1');
    });
    afterAll(() => orm.close(true));

    it('a transaction of one statement is two messages; one of none is no message at all', async () => {
      take();
      await orm.em.fork().transactional((em) => em.execute('select 1 as one'));
      expect(take()).toEqual(['begin; select 1 as one', 'commit']);
      await orm.em.fork().transactional(async () => undefined);
      expect(take()).toEqual([]);
      expect(handed).toEqual([]);
    });

    it('the watch refuses, unsent, a first statement without the lock-timeout setting, and lets one with it through', async () => {
      take();
      const wrong = new TransactionWatch("set_config('lock_timeout', '");
      await expect(wrong.run(() => orm.em.fork().transactional((em) => em.execute('select 1 as forgot')))).rejects.toThrow(/first-statement/);
      expect(take()).toEqual([]);
      const right = new TransactionWatch("set_config('lock_timeout', '");
      const rows = await right.run(() =>
        orm.em.fork().transactional((em) => em.execute<{ lock_timeout: string }[]>(`select ${lockTimeoutSetting(1234)} as lock_timeout`)),
      );
      expect(rows).toEqual([{ lock_timeout: '1234ms' }]);
      expect(right.failure()).toBeUndefined();
    });

    it('the watch reports an error the handler swallowed, and forgets one a ROLLBACK TO SAVEPOINT undid', async () => {
      const swallowed = new TransactionWatch();
      await swallowed.run(() =>
        orm.em.fork().transactional(async (em) => {
          await em.execute('select 1 / 0').catch(() => undefined);
          expect(swallowed.failure()).toMatchObject({ code: '22012' });
        }),
      );
      const undone = new TransactionWatch();
      await undone.run(() =>
        orm.em.fork().transactional(async (em) => {
          await em.execute('select 1');
          await em.transactional((inner) => inner.execute('select 1 / 0')).catch(() => undefined);
          expect(undone.failure()).toBeUndefined();
          await em.execute('select 2');
        }),
      );
    });

    it('marks a statement on a connection the server closed as a lost connection (503), whatever its message', async () => {
      const error = await orm.em
        .fork()
        .transactional(async (em) => {
          const [{ pid }] = await em.execute<{ pid: number }[]>('select pg_backend_pid() as pid');
          await withDirect((c) => c.query('select pg_terminate_backend($1)', [pid]));
          // Give the client time to read the server's goodbye.
          await new Promise((resolve) => setTimeout(resolve, 200));
          await em.execute('select 1');
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(classifyDbError(error)?.kind).toBe('unavailable');
      // The pool replaced the connection: the next unit of work runs.
      expect(await orm.em.fork().transactional((em) => em.execute('select 3 as n'))).toEqual([{ n: 3 }]);
    });
  });

  describe('timeouts', () => {
    it('a pool whose connections all stay busy answers pool_exhausted after the acquire wait, not the connect timeout', async () => {
      const busy = new Kysely({ dialect: new PgAdapterDialect(options({ connectTimeoutMs: 200, acquireTimeoutMs: 700 })) });
      try {
        const held = await busy.startTransaction().execute();
        await sql`select 1`.execute(held);
        const started = Date.now();
        const error = await sql`select 2`.execute(busy).then(
          () => undefined,
          (e: unknown) => e,
        );
        const waited = Date.now() - started;
        expect(classifyDbError(error)).toEqual({ kind: 'pool_exhausted', code: 'POOL_TIMEOUT' });
        expect(waited).toBeGreaterThanOrEqual(650);
        await held.rollback().execute();
      } finally {
        await busy.destroy();
      }
    });
  });
});
