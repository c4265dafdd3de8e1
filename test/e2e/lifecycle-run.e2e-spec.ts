import { startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { lifecycle, problem, requeue, runBody, START, tiRow, WORKER } from './lifecycle.helpers';

describe('PATCH /execution/task-instances/{id}/run', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  it('queued → running: 200 with the whole run context, and the row records host, unixname, pid, start and heartbeat', async () => {
    const dagId = uniqueId('run');
    const ti = await api.newTi({
      dag_id: dagId,
      run_id: 'scheduled__2026-11-24',
      max_tries: 2,
      logical_date: '2026-11-24T00:00:00Z',
      run_after: '2026-11-25T00:00:00Z',
      data_interval_start: '2026-11-24T00:00:00Z',
      data_interval_end: '2026-11-25T00:00:00Z',
      run_type: 'scheduled',
      conf: { target: 'prod', retries: [1, 2] },
    });
    const res = await api.run(ti.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      dag_run: {
        dag_id: dagId,
        run_id: 'scheduled__2026-11-24',
        logical_date: '2026-11-24T00:00:00.000Z',
        data_interval_start: '2026-11-24T00:00:00.000Z',
        data_interval_end: '2026-11-25T00:00:00.000Z',
        run_after: '2026-11-25T00:00:00.000Z',
        start_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        end_date: null,
        clear_number: 0,
        run_type: 'scheduled',
        state: 'running',
        conf: { target: 'prod', retries: [1, 2] },
        triggering_user_name: null,
        consumed_asset_events: [],
        partition_key: null,
        note: null,
        team_name: null,
      },
      task_reschedule_count: 0,
      first_task_reschedule_start_date: null,
      max_tries: 2,
      variables: [],
      connections: [],
      xcom_keys_to_clear: [],
      should_retry: true,
    });
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state: 'running', hostname: 'worker-1', unixname: 'airflow', pid: 4242, end_date: null });
    expect(row!.start_date.toISOString()).toBe(START);
    expect(row!.last_heartbeat_at).toBeInstanceOf(Date);
  });

  it('restarting → running, with should_retry true even when max_tries is 0', async () => {
    const ti = await api.newTi({ state: 'restarting', max_tries: 0 });
    const res = await api.run(ti.id);
    expect(res.status).toBe(200);
    expect(res.body.should_retry).toBe(true);
    expect((await tiRow(ti.id))!.state).toBe('running');
  });

  it('should_retry is false with max_tries 0', async () => {
    const ti = await api.newTi({ max_tries: 0 });
    const res = await api.run(ti.id);
    expect(res.status).toBe(200);
    expect(res.body.should_retry).toBe(false);
  });

  it('a repeat from the same host, unixname and pid answers 200 with the same body and changes nothing', async () => {
    const ti = await api.newTi();
    const first = await api.run(ti.id);
    const before = await tiRow(ti.id);
    const again = await api.run(ti.id, runBody({ start_date: '2026-11-25T11:00:00Z' }));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await tiRow(ti.id)).toEqual(before);
  });

  it.each([
    ['another pid', { pid: 9999 }],
    ['another host', { hostname: 'worker-2' }],
    ['another unixname', { unixname: 'root' }],
  ])('running, then a start from %s: 409 invalid_state with previous_state running, row untouched', async (_name, over) => {
    const ti = await api.newTi();
    await api.run(ti.id);
    const before = await tiRow(ti.id);
    const res = await api.run(ti.id, runBody(over));
    expect(res.status).toBe(409);
    expect(res.body).toEqual(
      problem(409, 'invalid_state', 'TI was not in a state where it could be marked as running', api.path(ti.id, 'run'), { previous_state: 'running' }),
    );
    expect(await tiRow(ti.id)).toEqual(before);
  });

  it.each(['none', 'scheduled', 'success', 'failed', 'skipped', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'deferred', 'removed'])(
    'from %s: 409 invalid_state with that previous_state',
    async (state) => {
      const ti = await api.newTi({ state });
      const res = await api.run(ti.id);
      expect(res.status).toBe(409);
      expect(res.body).toEqual(
        problem(409, 'invalid_state', 'TI was not in a state where it could be marked as running', api.path(ti.id, 'run'), { previous_state: state }),
      );
      expect((await tiRow(ti.id))!.state).toBe(state);
    },
  );

  it('unknown id: 404 not_found with the whole body', async () => {
    const id = '01939b7e-0000-7000-8000-00000000a001';
    const res = await api.run(id);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(problem(404, 'not_found', `Task instance ${id} not found.`, api.path(id, 'run'), { task_instance_id: id }));
  });

  it('resuming a deferred task keeps its start_date and returns next_method, next_kwargs and the try’s start_date', async () => {
    const ti = await api.running();
    const deferred = await api.state(ti.id, {
      state: 'deferred',
      classpath: 'tests.triggers.Wait',
      trigger_kwargs: { seconds: 5 },
      next_method: 'execute_complete',
      next_kwargs: { cursor: 7, items: ['a'] },
    });
    expect(deferred.status).toBe(204);
    await requeue(ti.id);
    const res = await api.run(ti.id, runBody({ start_date: '2026-11-25T12:00:00Z', pid: 5555 }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ next_method: 'execute_complete', next_kwargs: { cursor: 7, items: ['a'] }, start_date: START });
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state: 'running', pid: 5555 });
    expect(row!.start_date.toISOString()).toBe(START);
  });

  it('a fresh start (no deferral) has no next_method or next_kwargs in the body at all', async () => {
    const ti = await api.newTi();
    const res = await api.run(ti.id);
    expect(Object.keys(res.body)).not.toContain('next_method');
    expect(Object.keys(res.body)).not.toContain('next_kwargs');
    expect(Object.keys(res.body)).not.toContain('start_date');
  });

  it('task_reschedule_count counts the reschedules of the current try; first_task_reschedule_start_date is the first one', async () => {
    const ti = await api.running();
    let first: string | undefined;
    for (let i = 0; i < 2; i++) {
      const before = Date.now();
      const r = await api.state(ti.id, { state: 'up_for_reschedule', reschedule_date: '2026-11-25T10:10:00Z', end_date: '2026-11-25T10:05:00Z' });
      expect(r.status).toBe(204);
      await requeue(ti.id);
      const run = await api.run(ti.id, runBody({ pid: 100 + i }));
      expect(run.status).toBe(200);
      expect(run.body.task_reschedule_count).toBe(i + 1);
      first ??= run.body.first_task_reschedule_start_date;
      // The first reschedule's start (when the service recorded it), on every later start of the try.
      expect(run.body.first_task_reschedule_start_date).toBe(first);
      if (i === 0) expect(Date.parse(first!)).toBeGreaterThanOrEqual(before - 1000);
    }
    const stored = await withDirect(
      async (c) => (await c.query('select min(start_date) as s from task_reschedule where ti_id = $1', [ti.id])).rows[0].s as Date,
    );
    expect(first).toBe(stored.toISOString());
  });

  it.each([
    ['state other than running', runBody({ state: 'queued' }), 'state'],
    ['missing pid', { state: 'running', hostname: 'h', unixname: 'u', start_date: START }, 'pid'],
    ['pid not an integer', runBody({ pid: 1.5 }), 'pid'],
    ['naive start_date', runBody({ start_date: '2026-11-25T10:00:00' }), 'start_date'],
    ['an unknown field', runBody({ extra: true }), 'extra'],
  ])('422 for %s, naming the path, and nothing changes', async (_name, body, path) => {
    const ti = await api.newTi();
    const res = await api.run(ti.id, body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(problem(422, 'validation_error', 'The request is not valid.', api.path(ti.id, 'run'), { errors: expect.any(Array) }));
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await tiRow(ti.id))!.state).toBe('queued');
  });

  it('422 for a body nested too deeply, not a 500', async () => {
    const ti = await api.newTi();
    const deep = `{"state":"running","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await api.run(ti.id, deep);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: '', message: 'must not be nested deeper than 64 levels' }]);
  });

  it('422 for a path id that is not a UUID', async () => {
    const res = await api.run('not-a-uuid');
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'task_instance_id', message: 'must be a UUID' }]);
  });

  it('the dag run start_date of the context is when the run was created', async () => {
    const ti = await api.newTi();
    const stored = await withDirect(async (c) => (await c.query('select start_date from dag_run where dag_id = $1', [ti.dag_id])).rows[0].start_date as Date);
    const res = await api.run(ti.id);
    expect(res.body.dag_run.start_date).toBe(stored.toISOString());
  });

  it('keeps WORKER host in the row for later heartbeats', async () => {
    const ti = await api.running();
    expect((await tiRow(ti.id))!.hostname).toBe(WORKER.hostname);
  });
});
