import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parseMetrics, sampleValue } from '../support/metrics-text';
import { createTaskInstance, http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { connectDirect } from '../support/test-database';

/**
 * Every statement a request sends is bounded, the reads and the control plane included (issue 14):
 * a lock held from outside, as a migration's `ACCESS EXCLUSIVE` lock would be, makes the route
 * answer 503 with `Retry-After` and the bound that fired, instead of waiting until the client
 * gives up. Two apps: one whose lock_timeout fires first, one whose statement_timeout does.
 */
async function holdingTableLock<T>(table: string, fn: () => Promise<T>): Promise<T> {
  const holder = await connectDirect();
  try {
    await holder.query('begin');
    await holder.query(`lock table ${table} in access exclusive mode`);
    return await fn();
  } finally {
    await holder.query('rollback');
    await holder.end();
  }
}

function expectBoundProblem(res: { status: number; headers: Headers; body: unknown }, path: string, reason: string, sqlstate: string, detail: string) {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('1');
  expect(res.body).toEqual({
    type: `urn:task-execution-api:problem:${reason}`,
    title: 'Service Unavailable',
    status: 503,
    detail,
    instance: path,
    reason,
    correlation_id: res.headers.get('correlation-id'),
    sqlstate,
  });
}

const LOCK_DETAIL = 'A lock the request needed stayed held by another transaction past the lock timeout. Retry later.';
const STATEMENT_DETAIL = 'A database statement ran past the statement timeout. Retry later.';

describe('statement bounds: lock_timeout on reads and the control plane', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { DB_LOCK_TIMEOUT_MS: '200', DB_STATEMENT_TIMEOUT_MS: '30000' } });
  });
  afterAll(() => t.close());

  it('a read route (GET a task instance) answers 503 lock_timeout while a table lock is held, then 200', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('bound'), run_id: 'r', task_id: 't' });
    const path = `/api/v1/task-instances/${ti.id}`;
    const res = await holdingTableLock('task_instance', () => http(t.baseUrl, 'GET', path));
    expectBoundProblem(res, path, 'lock_timeout', '55P03', LOCK_DETAIL);
    expect((await http(t.baseUrl, 'GET', path)).status).toBe(200);
  });

  it('a control-plane route (POST …/token) answers 503 lock_timeout, and the metrics count it', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('bound'), run_id: 'r', task_id: 't' });
    const path = `/api/v1/task-instances/${ti.id}/token`;
    const count = async () =>
      sampleValue(parseMetrics((await http(t.baseUrl, 'GET', '/metrics')).text), 'db_timeouts_total', {
        route: '/api/v1/task-instances/:task_instance_id/token',
        reason: 'lock_timeout',
      });
    const before = await count();
    const res = await holdingTableLock('task_instance', () => http(t.baseUrl, 'POST', path, {}));
    expectBoundProblem(res, path, 'lock_timeout', '55P03', LOCK_DETAIL);
    expect(await count()).toBe(before + 1);
  });

  it('reads run in a read-only transaction and leave no bound on the pooled session (safe behind PgBouncer in transaction mode)', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('bound'), run_id: 'r', task_id: 't' });
    expect((await http(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}`)).status).toBe(200);
    const em = t.app.get(MikroORM).em.fork() as EntityManager;
    const rows = await em.execute<{ setting: string }[]>(
      `select current_setting('statement_timeout') as setting union all select current_setting('lock_timeout')`,
    );
    expect(rows.map((r) => r.setting)).toEqual(['0', '0']);
  });
});

describe('statement bounds: statement_timeout', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The lock wait outlasts the statement bound, so the statement_timeout is what ends it.
    t = await startTestApp({ env: { DB_LOCK_TIMEOUT_MS: '30000', DB_STATEMENT_TIMEOUT_MS: '200' } });
  });
  afterAll(() => t.close());

  it('a read route answers 503 statement_timeout', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('bound'), run_id: 'r', task_id: 't' });
    const path = `/api/v1/task-instances/${ti.id}/rendered-fields`;
    const res = await holdingTableLock('task_instance', () => http(t.baseUrl, 'GET', path));
    expectBoundProblem(res, path, 'statement_timeout', '57014', STATEMENT_DETAIL);
  });

  it('a control-plane write (POST a task instance) answers 503 statement_timeout, writes nothing, and the metrics count it', async () => {
    const dagId = uniqueId('bound');
    const count = async () =>
      sampleValue(parseMetrics((await http(t.baseUrl, 'GET', '/metrics')).text), 'db_timeouts_total', {
        method: 'POST',
        route: '/api/v1/task-instances',
        reason: 'statement_timeout',
      });
    const before = await count();
    const res = await holdingTableLock('dag_run', () => http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: dagId, run_id: 'r', task_id: 't' }));
    expectBoundProblem(res, '/api/v1/task-instances', 'statement_timeout', '57014', STATEMENT_DETAIL);
    expect(await count()).toBe(before + 1);
    expect((await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: dagId, run_id: 'r', task_id: 't' })).status).toBe(201);
  });
});
