import { onStatement } from '../../src/database/pg-adapter';
import { expectedProblem } from '../support/problem';
import { createTaskInstance, http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { executionToken } from '../support/tokens';
import { withDirect } from '../support/test-database';

/**
 * Finding task instances without knowing their ids (issue 14): the filtered, keyset-paginated list;
 * the tries of a task instance from its live or any archived id; rendered fields by key; and proof
 * with EXPLAIN that no filter combination scans the table.
 */
describe('task-instance search', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const list = (query: string) => http(t.baseUrl, 'GET', `/api/v1/task-instances${query}`);

  it('filters by every key column and state, newest first, and pages with a stable cursor', async () => {
    const dagId = uniqueId('search');
    const created = [];
    for (let i = 0; i < 7; i++)
      created.push(await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: `run_${i % 2}`, task_id: `task_${i}`, map_index: i % 3 === 0 ? 0 : -1 }));
    const newestFirst = [...created].reverse().map((ti) => ti.id);

    const all = await list(`?dag_id=${dagId}`);
    expect(all.status).toBe(200);
    expect(all.body.task_instances.map((ti: { id: string }) => ti.id)).toEqual(newestFirst);
    expect(all.body.next_cursor).toBeNull();

    // Pages of 3: the same rows, in the same order, none twice, then a null cursor.
    const seen: string[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null && pages < 10; pages++) {
      const page = await list(`?dag_id=${dagId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.task_instances.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.task_instances.map((ti: { id: string }) => ti.id));
      cursor = page.body.next_cursor;
    }
    expect(seen).toEqual(newestFirst);

    const ids = async (query: string) => (await list(query)).body.task_instances.map((ti: { id: string }) => ti.id);
    expect(await ids(`?dag_id=${dagId}&run_id=run_1`)).toEqual(
      newestFirst.filter((_, i) => created.length - 1 - i !== 0 && (created.length - 1 - i) % 2 === 1),
    );
    expect(await ids(`?dag_id=${dagId}&task_id=task_4`)).toEqual([created[4].id]);
    expect(await ids(`?dag_id=${dagId}&map_index=0`)).toEqual([created[6].id, created[3].id, created[0].id]);
    expect(await ids(`?dag_id=${dagId}&state=queued&run_id=run_0&map_index=-1`)).toEqual([created[4].id, created[2].id]);
    expect(await ids(`?dag_id=${dagId}&state=running`)).toEqual([]);
    expect(all.body.task_instances[0]).toEqual(
      expect.objectContaining({ id: created[6].id, dag_id: dagId, run_id: 'run_0', task_id: 'task_6', map_index: 0, state: 'queued' }),
    );
  });

  it.each<[string, string, string, string]>([
    ['a malformed cursor', '?cursor=not*a*cursor', 'cursor', 'is not a cursor this service issued'],
    ['a cursor of something else', `?cursor=${Buffer.from('ti:robert; drop table').toString('base64url')}`, 'cursor', 'is not a cursor this service issued'],
    ['a map_index that is no integer', '?map_index=1.5', 'map_index', 'must be an integer'],
    ['a map_index below -1', '?map_index=-2', 'map_index', 'must be -1 or more'],
    ['an unknown state', '?state=bogus', 'state', expect.stringContaining('must be one of')],
    ['a limit above the maximum', '?limit=201', 'limit', 'must be at most 200'],
    ['a limit of 0', '?limit=0', 'limit', 'must be 1 or more'],
    ['a repeated filter', '?dag_id=a&dag_id=b', 'dag_id', expect.any(String)],
    ['an empty filter', '?dag_id=', 'dag_id', 'must not be empty'],
    ['a control character', '?task_id=a%01b', 'task_id', 'must not contain control characters'],
    ['an unknown parameter', '?dag=x', 'dag', 'is not a parameter of this route'],
  ])('%s is a 422 problem', async (_, query, path, message) => {
    const res = await list(query);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(
      expectedProblem(422, 'validation_error', 'The query parameters are not valid.', '/api/v1/task-instances', { errors: [{ path, message }] }),
    );
  });

  it('is admin only', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('search'), run_id: 'r', task_id: 't' });
    const res = await http(t.baseUrl, 'GET', '/api/v1/task-instances', undefined, { authorization: `Bearer ${await executionToken(ti.id)}` });
    expect(res.status).toBe(403);
  });

  it('lists the tries of a retried task instance, newest first, from the live id and from the archived one; rendered fields by key', async () => {
    const dagId = uniqueId('tries');
    const ti = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'r', task_id: 't', max_tries: 2 });
    const workload = (await http(t.baseUrl, 'POST', `/api/v1/task-instances/${ti.id}/token`, {})).body.access_token as string;
    const run = await http(
      t.baseUrl,
      'PATCH',
      `/execution/task-instances/${ti.id}/run`,
      { state: 'running', hostname: 'worker-1', unixname: 'airflow', pid: 1, start_date: '2026-11-25T10:00:00Z' },
      { authorization: `Bearer ${workload}` },
    );
    expect(run.status).toBe(200);
    expect((await http(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { cmd: 'echo 1', n: 1 })).status).toBe(201);
    const retry = await http(t.baseUrl, 'PATCH', `/execution/task-instances/${ti.id}/state`, { state: 'up_for_retry', end_date: '2026-11-25T10:01:00Z' });
    expect(retry.status).toBe(204);

    // The old id is archived: the list by key finds the new live one.
    const live = (await list(`?dag_id=${dagId}&task_id=t&run_id=r`)).body.task_instances;
    expect(live).toHaveLength(1);
    expect(live[0].id).not.toBe(ti.id);
    expect(live[0]).toEqual(expect.objectContaining({ try_number: 2, state: 'up_for_retry' }));

    const expected = {
      dag_id: dagId,
      run_id: 'r',
      task_id: 't',
      map_index: -1,
      live_task_instance_id: live[0].id,
      tries: [
        // The live row keeps the last try's host and dates until it runs again (as in Airflow).
        expect.objectContaining({ id: live[0].id, try_number: 2, state: 'up_for_retry', live: true }),
        {
          id: ti.id,
          try_number: 1,
          state: 'up_for_retry',
          live: false,
          hostname: 'worker-1',
          start_date: '2026-11-25T10:00:00.000Z',
          end_date: '2026-11-25T10:01:00.000Z',
        },
      ],
    };
    const fromArchived = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/tries`);
    expect(fromArchived.status).toBe(200);
    expect(fromArchived.body).toEqual(expected);
    expect((await http(t.baseUrl, 'GET', `/api/v1/task-instances/${live[0].id}/tries`)).body).toEqual(expected);

    const unknown = '0193a1b2-0000-7000-8000-00000000dead';
    const missing = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${unknown}/tries`);
    expect(missing.status).toBe(404);
    expect(missing.body.reason).toBe('not_found');

    const byKey = await http(t.baseUrl, 'GET', `/api/v1/rendered-fields?dag_id=${dagId}&run_id=r&task_id=t`);
    expect(byKey.status).toBe(200);
    expect(byKey.body).toEqual({
      dag_id: dagId,
      run_id: 'r',
      task_id: 't',
      map_index: -1,
      rendered_fields: { cmd: 'echo 1', n: 1 },
      updated_at: expect.any(String),
    });
    const none = await http(t.baseUrl, 'GET', `/api/v1/rendered-fields?dag_id=${dagId}&run_id=r&task_id=t&map_index=3`);
    expect(none.status).toBe(404);
    expect(none.body).toEqual(
      expectedProblem(404, 'rendered_fields_not_found', 'No rendered fields are stored for this task instance key.', '/api/v1/rendered-fields'),
    );
    const noKey = await http(t.baseUrl, 'GET', `/api/v1/rendered-fields?dag_id=${dagId}&run_id=r`);
    expect(noKey.status).toBe(422);
    expect(noKey.body.errors).toEqual([{ path: 'task_id', message: expect.any(String) }]);
  });

  describe('EXPLAIN over a few thousand rows: no filter combination scans the table', () => {
    const FILTERS = ['dag_id', 'run_id', 'task_id', 'map_index', 'state'] as const;
    const VALUES: Record<(typeof FILTERS)[number], string> = {
      dag_id: 'plan_dag_7',
      run_id: 'plan_run_3',
      task_id: 'plan_task_11',
      map_index: '2',
      state: 'running',
    };

    beforeAll(async () => {
      // 4,000 task instances over 20 dags x 10 runs x 20 tasks, some mapped, mixed states.
      await withDirect(async (c) => {
        await c.query(`insert into dag_run (dag_id, run_id, run_after, state, run_type, conf)
          select 'plan_dag_' || d, 'plan_run_' || r, now(), 'running', 'manual', '{}'::jsonb
            from generate_series(0, 19) d, generate_series(0, 9) r
          on conflict do nothing`);
        await c.query(`insert into task_instance (id, dag_id, run_id, task_id, map_index, try_number, max_tries, state, updated_at)
          select gen_random_uuid(), 'plan_dag_' || d, 'plan_run_' || r, 'plan_task_' || k, (k % 4) - 1, 1, 0,
                 (array['queued','running','success','failed'])[1 + (d + r + k) % 4], now()
            from generate_series(0, 19) d, generate_series(0, 9) r, generate_series(0, 19) k
          on conflict do nothing`);
        await c.query('analyze task_instance');
      });
    });

    /** Every subset of the filters (32, the empty one included), each with and without a cursor. */
    const combinations: (typeof FILTERS)[number][][] = [];
    for (let mask = 0; mask < 1 << FILTERS.length; mask++) combinations.push(FILTERS.filter((_, i) => mask & (1 << i)));

    it.each(combinations.flatMap((c) => [[c.join('+') || '(none)', c, false] as const, [`${c.join('+') || '(none)'} with a cursor`, c, true] as const]))(
      '%s',
      async (_, filters, withCursor) => {
        const seen: string[] = [];
        const stop = onStatement((sql) => {
          if (/from "task_instance"/.test(sql)) seen.push(sql);
        });
        const query = new URLSearchParams(filters.map((f): [string, string] => [f, VALUES[f]]));
        query.set('limit', '20');
        if (withCursor) query.set('cursor', Buffer.from('ti:ffffffff-ffff-7fff-bfff-ffffffffffff').toString('base64url'));
        const res = await list(`?${query.toString()}`);
        stop();
        expect(res.status).toBe(200);
        expect(seen).toHaveLength(1);
        const plan = await withDirect(async (c) => (await c.query(`explain ${seen[0]}`)).rows.map((r) => r['QUERY PLAN'] as string).join('\n'));
        expect(plan).not.toMatch(/Seq Scan/);
        // The table is reached through an index whose condition holds a filter (several filters:
        // the planner may pick any such index and sort the few rows it finds, a bounded read); with
        // no filter, the primary key in order.
        const conditions = [...plan.matchAll(/Index Cond: (.*)/g)].map((m) => m[1]);
        if (filters.length === 0) {
          expect(plan).toMatch(/Index Scan (Backward )?using task_instance_pkey/);
        } else {
          expect(conditions.some((c) => filters.some((f) => c.includes(`(${f})`) || c.includes(`${f} =`)))).toBe(true);
        }
      },
    );
  });
});
