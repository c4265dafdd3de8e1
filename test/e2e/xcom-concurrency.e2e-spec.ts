import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { createTaskInstance, startTestApp, uniqueId, type HttpResult, type TestApp } from '../support/test-app';
import { connectDirect } from '../support/test-database';
import { storedXComs, xcoms } from './xcom.helpers';

/**
 * Airflow's XCom write deletes, then inserts: two overlapping sets of one key end in a unique
 * violation and a 409 that fails the task (apache/airflow#69956). Here the same overlaps, with real
 * concurrent requests against real PostgreSQL.
 */
describe('XCom writes under concurrency', () => {
  let t: TestApp;
  let x: ReturnType<typeof xcoms>;
  beforeAll(async () => {
    // A pool big enough that the requests really overlap in the database.
    t = await startTestApp({ env: { DB_POOL_MAX: '20' } });
    x = xcoms(t.baseUrl);
  });
  afterAll(() => t.close());

  const statuses = (results: HttpResult[]) => results.map((r) => r.status).reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

  it('100 concurrent sets of one key: all 201, exactly one row, equal to one of the values sent', async () => {
    const ti = await x.newTi();
    const values = Array.from({ length: 100 }, (_, i) => ({ writer: i, big: `1234567890123456789${i}` }));
    const results = await Promise.all(values.map((v) => x.setText(ti, 'return_value', `{"writer":${v.writer},"big":${v.big}}`)));
    expect(statuses(results)).toEqual({ 201: 100 });
    const rows = await storedXComs(ti, 'return_value');
    expect(rows).toHaveLength(1);
    expect(values.map((v) => `{"big": ${v.big}, "writer": ${v.writer}}`)).toContain(rows[0].value);
  });

  it('concurrent sets of one key with mapped_length: all 201, one XCom row and one task-map row', async () => {
    const ti = await x.newTi();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        x.set(
          ti,
          'return_value',
          Array.from({ length: i % 5 }, () => i),
          `?mapped_length=${i % 5}`,
        ),
      ),
    );
    expect(statuses(results)).toEqual({ 201: 40 });
    expect(await storedXComs(ti, 'return_value')).toHaveLength(1);
  });

  it('concurrent sets and deletes of one key: never a 409 or 5xx, and the row is one of the values or absent', async () => {
    const ti = await x.newTi();
    const requests = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? x.set(ti, 'k/with/slash', { i }) : x.del(ti, 'k/with/slash')));
    const results = await Promise.all(requests);
    expect(statuses(results)).toEqual({ 200: 60, 201: 60 });
    const rows = await storedXComs(ti, 'k/with/slash');
    expect(rows.length).toBeLessThanOrEqual(1);
    for (const row of rows) expect(JSON.parse(row.value).i % 2).toBe(0);
  });

  /** Polls, from its own connection, until `n` backends of this database wait on a lock (bounded). */
  async function waitForLockWaiters(n: number, settled: () => boolean): Promise<number> {
    const watcher = await connectDirect();
    try {
      let waiting = 0;
      for (let i = 0; i < 400 && waiting < n && !settled(); i++) {
        await new Promise((r) => setTimeout(r, 10));
        waiting = (await watcher.query(`select count(*)::int n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0]
          .n;
      }
      return waiting;
    } finally {
      await watcher.end();
    }
  }

  async function holding<T>(work: (c: Client) => Promise<T>): Promise<T> {
    const c = await connectDirect();
    try {
      return await work(c);
    } finally {
      await c.query('rollback').catch(() => undefined);
      await c.end();
    }
  }

  it('writes racing the deletion of their task instance wait for it, then answer 404 and leave nothing (never a false 201)', async () => {
    const ti = await x.newTi();
    await holding(async (deleter) => {
      await deleter.query('begin');
      await deleter.query('delete from task_instance where id = $1', [ti.id]);
      let done = 0;
      const writes = Array.from({ length: 5 }, (_, i) => x.set(ti, `k${i}`, i).finally(() => done++));
      const waiting = await waitForLockWaiters(5, () => done > 0);
      await deleter.query('commit');
      const results = await Promise.all(writes);
      expect(waiting).toBe(5);
      expect(results.map((r) => [r.status, r.body.reason])).toEqual(Array.from({ length: 5 }, () => [404, 'not_found']));
    });
    for (let i = 0; i < 5; i++) expect(await storedXComs(ti, `k${i}`)).toEqual([]);
  });

  it('a write racing the archive of its try waits for it, then answers 410 and writes nothing', async () => {
    const ti = await x.newTi();
    await holding(async (archiver) => {
      // What the service's archive does (PATCH …/state up_for_retry), held open.
      await archiver.query('begin');
      await archiver.query(
        `insert into task_instance_history (task_instance_id, dag_id, run_id, task_id, map_index, try_number, max_tries, state)
         select id, dag_id, run_id, task_id, map_index, try_number, max_tries, 'up_for_retry' from task_instance where id = $1`,
        [ti.id],
      );
      await archiver.query(`update task_instance set id = $2, try_number = try_number + 1, state = 'up_for_retry' where id = $1`, [ti.id, randomUUID()]);
      let settled = false;
      const late = x.set(ti, 'return_value', 'stale').finally(() => (settled = true));
      const waiting = await waitForLockWaiters(1, () => settled);
      await archiver.query('commit');
      const res = await late;
      expect(waiting).toBe(1);
      expect([res.status, res.body.reason]).toEqual([410, 'not_found']);
    });
    expect(await storedXComs(ti, 'return_value')).toEqual([]);
  });

  it('sets from many task instances of one mapped task at once: each its own row', async () => {
    const dagId = uniqueId('fan');
    const tis = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'm', map_index: i })),
    );
    const results = await Promise.all(
      tis.flatMap((ti) => [
        x.set(ti, 'return_value', ti.map_index, `?map_index=${ti.map_index}`),
        x.set(ti, 'return_value', ti.map_index, `?map_index=${ti.map_index}`),
      ]),
    );
    expect(statuses(results)).toEqual({ 201: 60 });
    expect((await storedXComs(tis[0], 'return_value')).map((r) => [r.map_index, Number(r.value)])).toEqual(tis.map((ti) => [ti.map_index, ti.map_index]));
  });
});
