import { UnitOfWorkStats, type UnitOfWorkStatsSnapshot } from '../../src/common/unit-of-work/unit-of-work.stats';
import { createTaskInstance, http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';

/**
 * DB_ISOLATION=serializable, with its default retry settings: the stand-in for the distributed
 * PostgreSQL-compatible engines, which run serializable only. Concurrent writes to one row then
 * fail with 40001 instead of waiting for the row lock; the runner retries each on a fresh unit of
 * work, so no client ever sees one.
 */
describe('DB_ISOLATION=serializable (real requests, real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { DB_ISOLATION: 'serializable', DB_POOL_MAX: '20' } });
  });
  afterAll(() => t.close());

  const retries40001 = (before: UnitOfWorkStatsSnapshot, after: UnitOfWorkStatsSnapshot, route: string): number => {
    const count = (s: UnitOfWorkStatsSnapshot) => s.retries.filter((r) => r.route === route && r.sqlstate === '40001').reduce((n, r) => n + r.count, 0);
    return count(after) - count(before);
  };

  it('20 concurrent PUTs of RTIF on one task instance: all 201, one row equal to one body, and the 40001s were retried', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('ser_rtif'), run_id: 'run', task_id: 'task' });
    const stats = t.app.get(UnitOfWorkStats);
    const before = stats.snapshot();
    const bodies = Array.from({ length: 20 }, (_, i) => ({ writer: i }));
    const results = await Promise.all(bodies.map((b) => http(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, b)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const rows = await withDirect(
      async (c) => (await c.query('select rendered_fields from rendered_task_instance_fields where dag_id = $1', [ti.dag_id])).rows,
    );
    expect(rows).toHaveLength(1);
    expect(bodies).toContainEqual(rows[0].rendered_fields);
    // Under read committed the upserts queue on the row lock and none fails: 40001 retries here
    // show the units of work really ran serializable.
    expect(retries40001(before, stats.snapshot(), 'PUT /execution/task-instances/:task_instance_id/rtif')).toBeGreaterThan(0);
  });

  it('30 concurrent heartbeats of one running task instance: all 204', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('ser_hb'), run_id: 'run', task_id: 'task' });
    const run = await http(t.baseUrl, 'PATCH', `/execution/task-instances/${ti.id}/run`, {
      state: 'running',
      hostname: 'worker-1',
      unixname: 'airflow',
      pid: 4242,
      start_date: '2026-12-06T00:00:00Z',
    });
    expect(run.status).toBe(200);
    const results = await Promise.all(
      Array.from({ length: 30 }, () => http(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/heartbeat`, { hostname: 'worker-1', pid: 4242 })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(204));
  });
});
