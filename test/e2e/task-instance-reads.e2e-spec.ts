import { v7 as uuidv7 } from 'uuid';
import { createTaskInstance, problemHttp as http, startTestApp, uniqueId, type CreatedTi, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { bearer, executionToken, workloadToken } from '../support/tokens';
import { lifecycle, problem, requeue, runBody, START } from './lifecycle.helpers';

/**
 * The task-instance reads a running task makes (Airflow's count, states, previous, breadcrumbs),
 * the rendered map index it sets, and the reschedule start date a sensor asks for, against one dag
 * with three runs, mapped tasks and a task group (`group1.…`).
 */
describe('task-instance reads', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  const dag = uniqueId('reads');
  const day = (n: number) => `2026-01-0${n}T00:00:00.000Z`;
  let any: { authorization: string };
  let extract1: CreatedTi;

  /** A task instance of `dag` in run `r<run>` (logical date 2026-01-0<run>). */
  const ti = (run: number, task_id: string, extra: Record<string, unknown> = {}) =>
    createTaskInstance(t.baseUrl, { dag_id: dag, run_id: `r${run}`, logical_date: day(run), task_id, ...extra });
  const get = (path: string, auth: Record<string, string | undefined> = any) => http(t.baseUrl, 'GET', path, undefined, auth);
  const count = (query: string) => get(`/execution/task-instances/count?dag_id=${dag}${query}`);
  const states = (query: string) => get(`/execution/task-instances/states?dag_id=${dag}${query}`);

  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
    // r1: extract ran and succeeded through the API (duration 12.5 s); the others are set directly.
    extract1 = await ti(1, 'extract', { operator: 'PythonOperator' });
    expect((await api.run(extract1.id)).status).toBe(200);
    expect((await api.state(extract1.id, { state: 'success', end_date: '2026-11-25T10:00:12.500Z' })).status).toBe(204);
    await ti(1, 'transform', { map_index: 0, state: 'success', operator: 'MappedOperator' });
    await ti(1, 'transform', { map_index: 1, state: 'failed', operator: 'MappedOperator' });
    await ti(1, 'group1.task1', { state: 'none' });
    await ti(1, 'group1.sub.task2', { state: 'running' });
    await ti(1, 'load', { state: 'skipped' });
    await ti(2, 'extract', { state: 'failed' });
    await ti(2, 'group1.task1', { state: 'success' });
    await ti(3, 'extract', { state: 'queued' });
    // Any execution token may read across task instances (Airflow: no ti:self scope on these routes).
    any = bearer(await executionToken(uuidv7()));
  });
  afterAll(() => t.close());

  describe('GET /execution/task-instances/count', () => {
    it.each([
      ['no filter', '', 9],
      ['task_ids', '&task_ids=extract', 3],
      ['task_ids repeated', '&task_ids=extract&task_ids=load', 4],
      ['task_ids and run_ids', '&task_ids=extract&run_ids=r1&run_ids=r2', 2],
      ['logical_dates', `&logical_dates=${encodeURIComponent('2026-01-02T00:00:00+00:00')}`, 2],
      ['states', '&states=success', 3],
      ['states=null (no state yet)', '&states=null', 1],
      ['states=null ORed with a state', '&states=null&states=failed', 3],
      ['map_index unset: every map index', '&task_ids=transform', 2],
      ['map_index=-1: unmapped only', '&task_ids=transform&map_index=-1', 0],
      ['map_index=1', '&task_ids=transform&map_index=1', 1],
      ['task_group_id', '&task_group_id=group1', 3],
      ['task_group_id and run_ids', '&task_group_id=group1&run_ids=r2', 1],
      ['a nested task group', '&task_group_id=group1.sub', 1],
      ['task_group_id and task_ids (both must hold)', '&task_group_id=group1&task_ids=group1.task1', 2],
      ['task_group_id and states', '&task_group_id=group1&states=success', 1],
    ])('%s → the bare count', async (_name, query, expected) => {
      const res = await count(query);
      expect({ status: res.status, body: res.body, type: res.headers.get('content-type') }).toEqual({
        status: 200,
        body: expected,
        type: 'application/json; charset=utf-8',
      });
      expect(res.text).toBe(String(expected));
    });

    it('counts 0 for a dag with no task instance when no group is asked for', async () => {
      const res = await get(`/execution/task-instances/count?dag_id=${uniqueId('nodag')}`);
      expect([res.status, res.body]).toEqual([200, 0]);
    });

    it('404 for a task group no task of the dag is in, and for an unknown dag with a group', async () => {
      const path = `/execution/task-instances/count?dag_id=${dag}&task_group_id=nogroup`;
      expect((await get(path)).body).toEqual(problem(404, 'not_found', `Task group nogroup not found in DAG ${dag}`, '/execution/task-instances/count'));
      const unknown = uniqueId('nodag');
      const res = await get(`/execution/task-instances/count?dag_id=${unknown}&task_group_id=group1`);
      expect(res.body).toEqual(problem(404, 'not_found', `The Dag with ID: \`${unknown}\` was not found`, '/execution/task-instances/count'));
    });

    it.each([
      ['no dag_id', '/execution/task-instances/count', 'dag_id'],
      ['an unknown state', `/execution/task-instances/count?dag_id=x&states=bogus`, 'states'],
      ['a naive logical date', `/execution/task-instances/count?dag_id=x&logical_dates=2026-01-01T00:00:00`, 'logical_dates'],
      ['a map_index below -1', `/execution/task-instances/count?dag_id=x&map_index=-2`, 'map_index'],
      ['a NUL in dag_id', `/execution/task-instances/count?dag_id=a%00b`, 'dag_id'],
      ['too many task_ids', `/execution/task-instances/count?dag_id=x${'&task_ids=t'.repeat(501)}`, 'task_ids'],
      ['an unknown parameter', `/execution/task-instances/count?dag_id=x&bogus=1`, 'bogus'],
    ])('422 for %s, naming the parameter', async (_name, path, param) => {
      const res = await get(path);
      expect(res.status).toBe(422);
      expect(res.body).toEqual(problem(422, 'validation_error', 'The request is not valid.', '/execution/task-instances/count', { errors: expect.any(Array) }));
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([param]);
      expect(res.text).not.toContain('\u0000');
    });
  });

  describe('GET /execution/task-instances/states', () => {
    it('maps run → task (task_id_{map_index} when mapped) → state, null for no state', async () => {
      const res = await states('&run_ids=r1');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        task_states: {
          r1: {
            extract: 'success',
            'group1.sub.task2': 'running',
            'group1.task1': null,
            load: 'skipped',
            transform_0: 'success',
            transform_1: 'failed',
          },
        },
      });
    });

    it('adds up task_ids and task_group_id, across runs', async () => {
      const res = await states('&task_ids=extract&task_group_id=group1');
      expect(res.body).toEqual({
        task_states: {
          r1: { extract: 'success', 'group1.sub.task2': 'running', 'group1.task1': null },
          r2: { extract: 'failed', 'group1.task1': 'success' },
          r3: { extract: 'queued' },
        },
      });
    });

    it('filters by logical date and map index', async () => {
      expect((await states(`&logical_dates=${encodeURIComponent(day(2))}`)).body).toEqual({
        task_states: { r2: { extract: 'failed', 'group1.task1': 'success' } },
      });
      expect((await states('&map_index=1')).body).toEqual({ task_states: { r1: { transform_1: 'failed' } } });
      expect((await states('&run_ids=nope')).body).toEqual({ task_states: {} });
    });

    it('404 for an unknown task group; 422 for a states parameter (count only)', async () => {
      expect((await states('&task_group_id=nogroup')).body).toEqual(
        problem(404, 'not_found', `Task group nogroup not found in DAG ${dag}`, '/execution/task-instances/states'),
      );
      expect((await states('&states=success')).status).toBe(422);
    });
  });

  describe('GET /execution/task-instances/previous/{dag_id}/{task_id}', () => {
    const previous = (task: string, query = '') => get(`/execution/task-instances/previous/${dag}/${task}${query}`);

    it('the latest task instance with a logical date strictly before the one given', async () => {
      const res = await previous('extract', `?logical_date=${encodeURIComponent(day(3))}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        task_id: 'extract',
        dag_id: dag,
        run_id: 'r2',
        logical_date: day(2),
        start_date: null,
        end_date: null,
        state: 'failed',
        try_number: 1,
        map_index: -1,
        duration: null,
      });
    });

    it('filters by state; without a date the latest run', async () => {
      const success = await previous('extract', `?logical_date=${encodeURIComponent(day(3))}&state=success`);
      expect(success.body).toEqual({
        task_id: 'extract',
        dag_id: dag,
        run_id: 'r1',
        logical_date: day(1),
        start_date: START,
        end_date: '2026-11-25T10:00:12.500Z',
        state: 'success',
        try_number: 1,
        map_index: -1,
        duration: 12.5,
      });
      expect((await previous('extract')).body).toMatchObject({ run_id: 'r3', state: 'queued' });
    });

    it('answers JSON null when there is none: nothing strictly before, another map index, an unknown task', async () => {
      for (const res of [await previous('extract', `?logical_date=${encodeURIComponent(day(1))}`), await previous('transform'), await previous('nope')]) {
        expect({ status: res.status, text: res.text, type: res.headers.get('content-type') }).toEqual({
          status: 200,
          text: 'null',
          type: 'application/json; charset=utf-8',
        });
      }
      expect((await previous('transform', '?map_index=1')).body).toMatchObject({ run_id: 'r1', state: 'failed', map_index: 1 });
    });

    it('422 for an unknown state or a naive date', async () => {
      expect((await previous('extract', '?state=bogus')).status).toBe(422);
      expect((await previous('extract', '?logical_date=2026-01-01')).status).toBe(422);
    });
  });

  describe('GET /execution/task-instances/breadcrumbs', () => {
    it('lists only the finished task instances of the run, by task id and map index, with operator and duration', async () => {
      const res = await get(`/execution/task-instances/breadcrumbs?dag_id=${dag}&run_id=r1`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        breadcrumbs: [
          { task_id: 'extract', map_index: -1, state: 'success', operator: 'PythonOperator', duration: 12.5 },
          { task_id: 'load', map_index: -1, state: 'skipped', operator: null, duration: null },
          { task_id: 'transform', map_index: 0, state: 'success', operator: 'MappedOperator', duration: null },
          { task_id: 'transform', map_index: 1, state: 'failed', operator: 'MappedOperator', duration: null },
        ],
      });
      expect((await get(`/execution/task-instances/breadcrumbs?dag_id=${dag}&run_id=r3`)).body).toEqual({ breadcrumbs: [] });
      expect((await get(`/execution/task-instances/breadcrumbs?dag_id=${dag}`)).status).toBe(422);
    });
  });

  describe('who may read across task instances', () => {
    it('any execution token; not a workload token, not without a token', async () => {
      const path = `/execution/task-instances/count?dag_id=${dag}`;
      expect((await get(path, bearer(await executionToken(extract1.id)))).status).toBe(200);
      const workload = await get(path, bearer(await workloadToken(extract1.id)));
      expect([workload.status, workload.body.reason]).toEqual([403, 'wrong_scope']);
      const none = await get(path, { authorization: undefined });
      expect([none.status, none.body.reason]).toEqual([401, 'missing_token']);
    });
  });

  describe('PATCH /execution/task-instances/{id}/rendered-map-index', () => {
    const label = (id: string, body: unknown, auth?: Record<string, string>) =>
      http(t.baseUrl, 'PATCH', `/execution/task-instances/${id}/rendered-map-index`, JSON.stringify(body), auth);
    const stored = async (id: string) =>
      withDirect(async (c) => (await c.query('select rendered_map_index from task_instance where id = $1', [id])).rows[0]?.rendered_map_index);

    it('204 and stored, whatever the state; a repeat changes nothing', async () => {
      const mapped = await api.newTi({ map_index: 3, state: 'success' });
      for (let i = 0; i < 2; i++) {
        const res = await label(mapped.id, 'order 42 🙂');
        expect([res.status, res.text]).toEqual([204, '']);
      }
      expect(await stored(mapped.id)).toBe('order 42 🙂');
    });

    it("422 with Airflow's message for an empty string; 422 for anything but a string", async () => {
      const target = await api.newTi();
      const path = `/execution/task-instances/${target.id}/rendered-map-index`;
      expect((await label(target.id, '')).body).toEqual(
        problem(422, 'validation_error', 'rendered_map_index cannot be empty', path, { errors: [{ path: '', message: 'must not be empty' }] }),
      );
      for (const body of [{ label: 'x' }, 42, null, ['x'], 'x'.repeat(251), 'tab\tinside']) {
        const res = await label(target.id, body);
        expect([JSON.stringify(body).slice(0, 20), res.status, res.body.reason]).toEqual([JSON.stringify(body).slice(0, 20), 422, 'validation_error']);
      }
      expect(await stored(target.id)).toBeNull();
    });

    it('404 for an unknown id, 410 for an archived try, 403 with another task instance’s token', async () => {
      const unknown = uuidv7();
      expect((await label(unknown, 'x')).body).toEqual(
        problem(404, 'not_found', `Task instance ${unknown} not found.`, `/execution/task-instances/${unknown}/rendered-map-index`, {
          task_instance_id: unknown,
        }),
      );
      const retried = await api.running({ max_tries: 1 });
      expect((await api.state(retried.id, { state: 'up_for_retry', end_date: '2026-11-25T10:05:00Z' })).status).toBe(204);
      expect((await label(retried.id, 'x')).status).toBe(410);
      const other = await label(extract1.id, 'x', bearer(await executionToken(retried.id)));
      expect([other.status, other.body.reason]).toEqual([403, 'wrong_task_instance']);
      expect(await stored(extract1.id)).toBeNull();
    });
  });

  describe('GET /execution/task-reschedules/{id}/start_date', () => {
    const startDate = (id: string, query = '') => http(t.baseUrl, 'GET', `/execution/task-reschedules/${id}/start_date${query}`, undefined, bearer(''));
    const asTi = async (id: string, query = '') =>
      http(t.baseUrl, 'GET', `/execution/task-reschedules/${id}/start_date${query}`, undefined, bearer(await executionToken(id)));

    it('null before the first reschedule, then the first reschedule start of the try as a JSON string', async () => {
      const sensor = await api.running();
      const before = await asTi(sensor.id, '?try_number=1');
      expect({ status: before.status, text: before.text, type: before.headers.get('content-type') }).toEqual({
        status: 200,
        text: 'null',
        type: 'application/json; charset=utf-8',
      });
      for (let i = 0; i < 2; i++) {
        expect(
          (await api.state(sensor.id, { state: 'up_for_reschedule', reschedule_date: '2026-11-25T10:10:00Z', end_date: '2026-11-25T10:05:00Z' })).status,
        ).toBe(204);
        await requeue(sensor.id);
        expect((await api.run(sensor.id, runBody({ pid: 200 + i }))).status).toBe(200);
      }
      const first = await withDirect(
        async (c) => (await c.query('select start_date from task_reschedule where ti_id = $1 order by id limit 1', [sensor.id])).rows[0].start_date as Date,
      );
      for (const query of ['', '?try_number=1']) {
        const res = await asTi(sensor.id, query);
        expect([res.status, res.body]).toEqual([200, first.toISOString()]);
      }
      // Another try than the live one has no reschedules here.
      expect((await asTi(sensor.id, '?try_number=2')).text).toBe('null');
    });

    it('null for an unknown id (as the newest Airflow); 422 for a bad id or try_number; 403 with another token', async () => {
      expect((await asTi(uuidv7())).text).toBe('null');
      expect((await asTi(uuidv7(), '?try_number=abc')).status).toBe(422);
      const res = await http(t.baseUrl, 'GET', '/execution/task-reschedules/not-a-uuid/start_date', undefined, bearer(await executionToken('not-a-uuid')));
      expect(res.status).toBe(422);
      const other = await http(t.baseUrl, 'GET', `/execution/task-reschedules/${uuidv7()}/start_date`, undefined, bearer(await executionToken(extract1.id)));
      expect([other.status, other.body.reason]).toEqual([403, 'wrong_task_instance']);
      expect((await startDate(extract1.id)).status).toBe(401);
    });
  });
});
