import { createTaskInstance, http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';

describe('concurrent writes (real requests, real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A pool as large as production's default, so requests really overlap in the database.
    t = await startTestApp({ env: { DB_POOL_MAX: '20' } });
  });
  afterAll(() => t.close());

  it('50 concurrent PUTs with distinct bodies on one task instance: all 201, one row, equal to one body', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('race'), run_id: 'run', task_id: 'task' });
    const bodies = Array.from({ length: 50 }, (_, i) => ({ writer: i, payload: { list: [i, `w${i}`], nested: { i } } }));
    const results = await Promise.all(bodies.map((b) => http(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, b)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const rows = await withDirect(
      async (c) => (await c.query('select rendered_fields from rendered_task_instance_fields where dag_id = $1', [ti.dag_id])).rows,
    );
    expect(rows).toHaveLength(1);
    expect(bodies).toContainEqual(rows[0].rendered_fields);
  });

  it('20 concurrent creations of different task instances in one new dag run: all 201', async () => {
    const dagId = uniqueId('fanout');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: dagId, run_id: 'new_run', task_id: `task_${i}` })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const counts = await withDirect(async (c) => ({
      runs: (await c.query('select count(*)::int as n from dag_run where dag_id = $1', [dagId])).rows[0].n,
      tis: (await c.query('select count(*)::int as n from task_instance where dag_id = $1', [dagId])).rows[0].n,
    }));
    expect(counts).toEqual({ runs: 1, tis: 20 });
  });

  it('20 concurrent identical creations: exactly one 201 and nineteen 409 already_exists', async () => {
    const dagId = uniqueId('dupe');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: dagId, run_id: 'run', task_id: 'task' })),
    );
    const created = results.filter((r) => r.status === 201);
    const conflicts = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    for (const c of conflicts) {
      expect(c.body).toEqual({
        type: 'urn:task-execution-api:problem:already_exists',
        title: 'Conflict',
        status: 409,
        detail: 'The request conflicts with an existing resource (already_exists).',
        instance: '/api/v1/task-instances',
        reason: 'already_exists',
        correlation_id: expect.any(String),
        constraint: 'task_instance_composite_key',
      });
    }
    const n = await withDirect(async (c) => (await c.query('select count(*)::int as n from task_instance where dag_id = $1', [dagId])).rows[0].n);
    expect(n).toBe(1);
  });
});
