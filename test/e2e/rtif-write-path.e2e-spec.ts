import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { onRoundTrip, onStatement } from '../../src/database/pg-adapter';
import { ServicePostgreSqlPlatform } from '../../src/database/postgresql-driver';
import { createTaskInstance, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { connectDirect, withDirect } from '../support/test-database';

/**
 * The statements one RTIF write sends, as the driver sees them (the service's node-postgres client
 * reports every statement sent to PostgreSQL, BEGIN and COMMIT included). Statements are reduced to
 * their first words so that the assertions name the shape, not the formatting.
 */
function recordStatements(): { take(): string[] } {
  let seen: string[] = [];
  onStatement((text) => {
    const sql = text.replace(/\s+/g, ' ').trim().toLowerCase();
    seen.push(sql.split(' ').slice(0, 3).join(' '));
  });
  return {
    take() {
      const out = seen;
      seen = [];
      return out;
    },
  };
}

/**
 * The query messages actually sent: a deferred BEGIN travels with the transaction's first
 * statement, so one message may hold two statements (shown as `a + b`, each reduced as above).
 */
function recordRoundTrips(): { take(): string[] } {
  let seen: string[] = [];
  onRoundTrip((text) => {
    const parts = text.split(';\n').map((part) => part.replace(/\s+/g, ' ').trim().toLowerCase().split(' ').slice(0, 3).join(' '));
    seen.push(parts.join(' + '));
  });
  return {
    take() {
      const out = seen;
      seen = [];
      return out;
    },
  };
}

describe('RTIF write path', () => {
  let t: TestApp;
  let statements: { take(): string[] };
  let roundTrips: { take(): string[] };
  beforeAll(async () => {
    t = await startTestApp({ env: { RTIF_RETENTION_DAG_RUNS: '2' } });
    statements = recordStatements();
    roundTrips = recordRoundTrips();
  });
  afterAll(() => t.close());

  it('runs lookup (which also sets lock_timeout), MikroORM upsert and (on a first write only) retention in one READ COMMITTED transaction', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('path'), run_id: 'r1', task_id: 't' });
    statements.take();

    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 1 })).status).toBe(201);
    expect(statements.take()).toEqual([
      'start transaction isolation',
      'select ti.dag_id, ti.task_id,',
      'insert into "rendered_task_instance_fields"',
      'delete from rendered_task_instance_fields',
      'commit',
    ]);

    // An overwrite cannot change which dag runs are newest: no retention delete.
    roundTrips.take();
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 2 })).status).toBe(201);
    expect(statements.take()).toEqual([
      'start transaction isolation',
      'select ti.dag_id, ti.task_id,',
      'insert into "rendered_task_instance_fields"',
      'commit',
    ]);
    // Three round trips: BEGIN goes out with the lookup, in one message.
    expect(roundTrips.take()).toEqual(['start transaction isolation + select ti.dag_id, ti.task_id,', 'insert into "rendered_task_instance_fields"', 'commit']);
    const [row] = await withDirect(
      async (c) => (await c.query('select rendered_fields from rendered_task_instance_fields where dag_id = $1', [ti.dag_id])).rows,
    );
    expect(row.rendered_fields).toEqual({ v: 2 });
  });

  it('makes two EntityManager forks per write (the transaction and the upsert), none for the request context', async () => {
    const orm = t.app.get(MikroORM);
    // Every EntityManager takes the next number of one process-wide counter (its public `id`), so
    // the forks made between two probes are the difference, less the second probe itself.
    const probe = (): number => orm.em.fork().id;
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('forks'), run_id: 'r1', task_id: 't' });
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 0 })).status).toBe(201);
    const before = probe();
    for (let v = 1; v <= 5; v++) {
      expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v })).status).toBe(201);
    }
    // MikroORM's own request context forked once more per request (3 per write).
    expect(probe() - before - 1).toBe(5 * 2);
  });

  it("runs on the service's PostgreSQL platform (MikroORM's, with the faster literal escaping)", () => {
    expect(t.app.get(MikroORM).em.getPlatform()).toBeInstanceOf(ServicePostgreSqlPlatform);
  });

  it('sends nothing at all for a request refused inside the unit of work before its first statement', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('path_refused'), run_id: 'r1', task_id: 't' });
    statements.take();
    roundTrips.take();
    const res = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, [1, 2]);
    expect(res.status).toBe(422);
    // MikroORM still opens and ends its transaction; neither BEGIN nor ROLLBACK reaches the database.
    expect(roundTrips.take()).toEqual([]);
    // The connection went back to the pool clean: the next write on it is an ordinary transaction.
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 1 })).status).toBe(201);
    expect(roundTrips.take()).toEqual([
      'start transaction isolation + select ti.dag_id, ti.task_id,',
      'insert into "rendered_task_instance_fields"',
      'delete from rendered_task_instance_fields',
      'commit',
    ]);
  });

  it('answers 404 for an unknown id after the lookup found no live task instance and the history lookup none, writing nothing', async () => {
    const id = '0193a1b2-0000-7000-8000-000000000abc';
    statements.take();
    const res = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${id}/rtif`, { v: 1 });
    expect(res.status).toBe(404);
    expect(res.body.reason).toBe('not_found');
    // The lookup found no live row; the history lookup then tells 404 from 410; nothing is inserted.
    expect(statements.take()).toEqual(['start transaction isolation', 'select ti.dag_id, ti.task_id,', 'select 1 from', 'rollback']);
  });

  it('applies retention at the next write that creates a row, not at an overwrite', async () => {
    const dagId = uniqueId('path_ret');
    const ti = async (run: number) =>
      createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: `run_${run}`, task_id: 'task', run_after: new Date(Date.UTC(2026, 0, run)).toISOString() });
    const put = async (id: string, v: number) => expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${id}/rtif`, { v })).status).toBe(201);
    const runs = async () =>
      withDirect(async (c) =>
        (await c.query('select run_id from rendered_task_instance_fields where dag_id = $1 order by run_id', [dagId])).rows.map((r) => r.run_id as string),
      );

    const r1 = await ti(1);
    const r2 = await ti(2);
    await put(r1.id, 1);
    await put(r2.id, 1);
    const r3 = await ti(3);
    // run_1 is no longer among the 2 newest runs, but an overwrite adds no row: nothing to trim yet.
    await put(r2.id, 2);
    expect(await runs()).toEqual(['run_1', 'run_2']);
    // The first write of the new run creates a row and trims the run that fell out.
    await put(r3.id, 1);
    expect(await runs()).toEqual(['run_2', 'run_3']);
    // A late first write for a run older than the newest 2 is trimmed by its own retention delete.
    await put(r1.id, 2);
    expect(await runs()).toEqual(['run_2', 'run_3']);
  });
});

describe('RTIF write: lock_timeout set by its first statement', () => {
  let t: TestApp;
  beforeAll(async () => {
    // One pooled connection, so the session check below sees the connection the write used.
    t = await startTestApp({
      env: { DB_LOCK_TIMEOUT_MS: '150', DB_RETRY_MAX_ATTEMPTS: '2', DB_RETRY_BASE_DELAY_MS: '0', DB_RETRY_MAX_DELAY_MS: '0', DB_POOL_MAX: '1' },
    });
  });
  afterAll(() => t.close());

  // FOR UPDATE on the task instance conflicts with the lookup's FOR KEY SHARE, so the lookup's own
  // wait is bounded by the lock_timeout that the same statement sets; on the RTIF row, the upsert waits.
  it.each([
    ['its lookup waits on the task instance row', 'select 1 from task_instance where id = $1 for update', (ti: { id: string }) => ti.id],
    ['its upsert waits on the RTIF row', 'select 1 from rendered_task_instance_fields where dag_id = $1 for update', (ti: { dag_id: string }) => ti.dag_id],
  ])('times out a write when %s (55P03), retries, then answers 503 and leaves the row as it was', async (_, lockSql, lockKey) => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('lockwait'), run_id: 'r1', task_id: 't' });
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 1 })).status).toBe(201);
    const holder = await connectDirect();
    const correlationId = uniqueId('lock-wait');
    try {
      await holder.query('begin');
      await holder.query(lockSql, [lockKey(ti)]);
      const res = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 2 }, { 'correlation-id': correlationId });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        type: 'urn:task-execution-api:problem:retries_exhausted',
        title: 'Service Unavailable',
        status: 503,
        detail: 'A transient database conflict persisted after all retries. Retry later.',
        instance: `/execution/task-instances/${ti.id}/rtif`,
        reason: 'retries_exhausted',
        correlation_id: correlationId,
        attempts: 2,
        sqlstate: '55P03',
      });
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    const stored = await withDirect(
      async (c) => (await c.query('select rendered_fields from rendered_task_instance_fields where dag_id = $1', [ti.dag_id])).rows,
    );
    expect(stored).toEqual([{ rendered_fields: { v: 1 } }]);
  });

  it('leaves no lock_timeout on the pooled session after the write (safe behind PgBouncer in transaction mode)', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('nosession'), run_id: 'r1', task_id: 't' });
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 1 })).status).toBe(201);
    const em = t.app.get(MikroORM).em.fork() as EntityManager;
    const [row] = await em.execute<{ lock_timeout: string }[]>('show lock_timeout');
    expect(row.lock_timeout).toBe('0');
  });
});

describe('a pool whose every connection stays busy', () => {
  let t: TestApp;
  beforeAll(async () => {
    // One connection, a short acquire timeout, and a lock timeout long enough to keep it busy.
    t = await startTestApp({ env: { DB_POOL_MAX: '1', DB_CONNECT_TIMEOUT_MS: '300', DB_LOCK_TIMEOUT_MS: '15000' } });
  });
  afterAll(() => t.close());

  it('answers 503 pool_exhausted with Retry-After (not database_unavailable), and the write holding the connection still lands', async () => {
    const busy = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('pool_busy'), run_id: 'r1', task_id: 't' });
    const other = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('pool_other'), run_id: 'r1', task_id: 't' });
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${busy.id}/rtif`, { v: 1 })).status).toBe(201);
    const holder = await connectDirect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from rendered_task_instance_fields where dag_id = $1 for update', [busy.dag_id]);
      const first = problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${busy.id}/rtif`, { v: 2 });
      // Wait until the first write's backend is waiting on the held lock: the pool's one connection
      // is busy. Asked on another connection: inside the holder's transaction pg_stat_activity is a
      // snapshot taken at its first read.
      let waiting = 0;
      for (let i = 0; i < 400 && waiting === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        waiting = await withDirect(async (c) => {
          const { rows } = await c.query(
            `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into "rendered_task_instance_fields"%'`,
          );
          return rows[0].n as number;
        });
      }
      expect(waiting).toBe(1);
      const second = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${other.id}/rtif`, { v: 1 }, { 'correlation-id': 'pool-busy-1' });
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(second.body).toEqual({
        type: 'urn:task-execution-api:problem:pool_exhausted',
        title: 'Service Unavailable',
        status: 503,
        detail: 'Every database connection of this instance is busy. Retry later.',
        instance: `/execution/task-instances/${other.id}/rtif`,
        reason: 'pool_exhausted',
        correlation_id: 'pool-busy-1',
      });
      await holder.query('commit');
      expect((await first).status).toBe(201);
    } finally {
      await holder.end();
    }
    const stored = await withDirect(
      async (c) =>
        (await c.query('select dag_id, rendered_fields from rendered_task_instance_fields where dag_id = any($1)', [[busy.dag_id, other.dag_id]])).rows,
    );
    expect(stored).toEqual([{ dag_id: busy.dag_id, rendered_fields: { v: 2 } }]);
  });
});
