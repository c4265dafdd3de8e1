import { startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { lifecycle, problem, setState, tiRow, WORKER } from './lifecycle.helpers';

const END = '2026-11-25T10:05:00Z';

describe('PUT /execution/task-instances/{id}/heartbeat', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  it('running on this host and pid: 204 and last_heartbeat_at moves forward, nothing else changes', async () => {
    const ti = await api.running();
    await withDirect((c) => c.query(`update task_instance set last_heartbeat_at = '2000-01-01T00:00:00Z' where id = $1`, [ti.id]));
    const before = await tiRow(ti.id);
    const res = await api.heartbeat(ti.id);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const after = await tiRow(ti.id);
    expect(after!.last_heartbeat_at.getTime()).toBeGreaterThan(before!.last_heartbeat_at.getTime());
    const { last_heartbeat_at: _a, updated_at: _b, ...rest } = after!;
    const { last_heartbeat_at: _c, updated_at: _d, ...restBefore } = before!;
    expect(rest).toEqual(restBefore);
  });

  it.each([
    ['another host', { hostname: 'worker-2', pid: WORKER.pid }],
    ['another pid', { hostname: WORKER.hostname, pid: 1 }],
  ])('from %s: 409 running_elsewhere with current_hostname and current_pid', async (_name, body) => {
    const ti = await api.running();
    const res = await api.heartbeat(ti.id, body);
    expect(res.status).toBe(409);
    expect(res.body).toEqual(
      problem(409, 'running_elsewhere', 'TI is already running elsewhere', api.path(ti.id, 'heartbeat'), { current_hostname: 'worker-1', current_pid: 4242 }),
    );
  });

  it.each(['success', 'failed', 'up_for_reschedule'])('after the task ended (%s): 409 not_running with current_state', async (state) => {
    const ti = await api.running();
    const body = state === 'up_for_reschedule' ? { state, end_date: END, reschedule_date: END } : { state, end_date: END };
    expect((await api.state(ti.id, body)).status).toBe(204);
    const res = await api.heartbeat(ti.id);
    expect(res.status).toBe(409);
    expect(res.body).toEqual(
      problem(409, 'not_running', 'TI is no longer in the running state and task should terminate', api.path(ti.id, 'heartbeat'), { current_state: state }),
    );
  });

  it('running_elsewhere is checked before not_running (Airflow order)', async () => {
    const ti = await api.running();
    await api.state(ti.id, { state: 'success', end_date: END });
    const res = await api.heartbeat(ti.id, { hostname: 'worker-9', pid: 9 });
    expect(res.status).toBe(409);
    expect(res.body.reason).toBe('running_elsewhere');
  });

  it('a task instance never started (no host): 409 running_elsewhere with nulls', async () => {
    const ti = await api.newTi();
    const res = await api.heartbeat(ti.id);
    expect(res.status).toBe(409);
    expect(res.body).toEqual(
      problem(409, 'running_elsewhere', 'TI is already running elsewhere', api.path(ti.id, 'heartbeat'), { current_hostname: null, current_pid: null }),
    );
  });

  it('put back in the queue by a scheduler while the worker still runs: 409 not_running with current_state queued (#48719)', async () => {
    const ti = await api.running();
    await setState(ti.id, 'queued');
    const res = await api.heartbeat(ti.id);
    expect(res.status).toBe(409);
    expect(res.body.current_state).toBe('queued');
  });

  it('unknown id: 404', async () => {
    const id = '01939b7e-0000-7000-8000-00000000c001';
    const res = await api.heartbeat(id);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(problem(404, 'not_found', `Task instance ${id} not found.`, api.path(id, 'heartbeat'), { task_instance_id: id }));
  });

  it.each([
    ['missing pid', { hostname: 'h' }, 'pid'],
    ['a string pid', { hostname: 'h', pid: '42' }, 'pid'],
    ['an unknown field', { hostname: 'h', pid: 1, state: 'running' }, 'state'],
  ])('422 for %s', async (_name, body, path) => {
    const ti = await api.running();
    const res = await api.heartbeat(ti.id, body);
    expect(res.status).toBe(422);
    expect(new Set(res.body.errors.map((e: { path: string }) => e.path))).toEqual(new Set([path]));
  });
});

describe('PATCH /execution/task-instances/{id}/skip-downstream', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  async function states(dagId: string, runId: string): Promise<Record<string, string>> {
    return withDirect(async (c) => {
      const r = await c.query('select task_id, map_index, state from task_instance where dag_id = $1 and run_id = $2', [dagId, runId]);
      return Object.fromEntries(r.rows.map((row) => [`${row.task_id}[${row.map_index}]`, row.state]));
    });
  }

  it('skips the listed tasks of the same dag run unless running, success or failed; bare ids mean map index -1', async () => {
    const dagId = uniqueId('skip');
    const make = (task_id: string, state: string, map_index = -1, run_id = 'run_1') => api.newTi({ dag_id: dagId, run_id, task_id, state, map_index });
    const branch = await api.running({ dag_id: dagId, task_id: 'branch' });
    await make('none_task', 'none');
    await make('scheduled_task', 'scheduled');
    await make('queued_task', 'queued');
    await make('running_task', 'running');
    await make('success_task', 'success');
    await make('failed_task', 'failed');
    await make('up_for_retry_task', 'up_for_retry');
    await make('mapped', 'scheduled', 0);
    await make('mapped', 'scheduled', 1);
    await make('unlisted', 'scheduled');
    await make('none_task', 'none', -1, 'other_run');

    const res = await api.skip(branch.id, {
      tasks: ['none_task', 'scheduled_task', 'queued_task', 'running_task', 'success_task', 'failed_task', 'up_for_retry_task', ['mapped', 1], 'not_a_task'],
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await states(dagId, 'run_1')).toEqual({
      'branch[-1]': 'running',
      'none_task[-1]': 'skipped',
      'scheduled_task[-1]': 'skipped',
      'queued_task[-1]': 'skipped',
      'running_task[-1]': 'running',
      'success_task[-1]': 'success',
      'failed_task[-1]': 'failed',
      'up_for_retry_task[-1]': 'skipped',
      'mapped[0]': 'scheduled',
      'mapped[1]': 'skipped',
      'unlisted[-1]': 'scheduled',
    });
    expect(await states(dagId, 'other_run')).toEqual({ 'none_task[-1]': 'none' });
    const dates = await withDirect(
      async (c) =>
        (await c.query(`select start_date, end_date from task_instance where dag_id = $1 and run_id = 'run_1' and task_id = 'queued_task'`, [dagId])).rows[0],
    );
    expect(dates.start_date).toBeInstanceOf(Date);
    expect(dates.end_date).toEqual(dates.start_date);
  });

  it('an empty list: 204, nothing changes; a repeat: 204 again and the skipped task keeps its dates', async () => {
    const dagId = uniqueId('skip');
    const ti = await api.running({ dag_id: dagId });
    const other = await api.newTi({ dag_id: dagId, task_id: 'x', state: 'scheduled' });
    expect((await api.skip(ti.id, { tasks: [] })).status).toBe(204);
    expect((await tiRow(other.id))!.state).toBe('scheduled');
    expect((await api.skip(ti.id, { tasks: ['x'] })).status).toBe(204);
    const first = await tiRow(other.id);
    expect(first!.state).toBe('skipped');
    expect((await api.skip(ti.id, { tasks: ['x'] })).status).toBe(204);
    expect(await tiRow(other.id)).toEqual(first);
  });

  it('unknown id: 404', async () => {
    const id = '01939b7e-0000-7000-8000-00000000d001';
    const res = await api.skip(id, { tasks: ['a'] });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(problem(404, 'not_found', `Task instance ${id} not found.`, api.path(id, 'skip-downstream'), { task_instance_id: id }));
  });

  it.each([
    ['no tasks', {}],
    ['tasks not a list', { tasks: 'a' }],
    ['a triple', { tasks: [['a', 1, 2]] }],
    ['a map index below -1', { tasks: [['a', -2]] }],
    ['an empty task id', { tasks: [''] }],
    ['a number', { tasks: [1] }],
  ])('422 for %s', async (_name, body) => {
    const ti = await api.running();
    const res = await api.skip(ti.id, body);
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('validation_error');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('tasks');
  });
});

describe('GET /execution/task-instances/{id}/previous-successful-dagrun', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  const NULLS = { data_interval_start: null, data_interval_end: null, start_date: null, end_date: null };

  async function finishRun(dagId: string, runId: string, state: string, day: string): Promise<void> {
    await withDirect((c) =>
      c.query(
        `update dag_run set state = $3, data_interval_start = $4::timestamptz - interval '1 day', data_interval_end = $4::timestamptz,
                start_date = $4::timestamptz + interval '1 hour', end_date = $4::timestamptz + interval '2 hours'
          where dag_id = $1 and run_id = $2`,
        [dagId, runId, state, day],
      ),
    );
  }

  it("the latest successful run before this run's logical date", async () => {
    const dagId = uniqueId('prev');
    const at = (run_id: string, day: string) => api.newTi({ dag_id: dagId, run_id, task_id: 't', logical_date: day });
    await at('r1', '2026-11-01T00:00:00Z');
    await at('r2', '2026-11-02T00:00:00Z');
    await at('r3', '2026-11-03T00:00:00Z');
    const current = await at('r4', '2026-11-04T00:00:00Z');
    await at('r5', '2026-11-05T00:00:00Z');
    await finishRun(dagId, 'r1', 'success', '2026-11-01T00:00:00Z');
    await finishRun(dagId, 'r2', 'success', '2026-11-02T00:00:00Z');
    await finishRun(dagId, 'r3', 'failed', '2026-11-03T00:00:00Z');
    await finishRun(dagId, 'r5', 'success', '2026-11-05T00:00:00Z');
    const res = await api.previous(current.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data_interval_start: '2026-11-01T00:00:00.000Z',
      data_interval_end: '2026-11-02T00:00:00.000Z',
      start_date: '2026-11-02T01:00:00.000Z',
      end_date: '2026-11-02T02:00:00.000Z',
    });
  });

  it('all null when there is no earlier successful run', async () => {
    const dagId = uniqueId('prev');
    await api.newTi({ dag_id: dagId, run_id: 'r1', task_id: 't', logical_date: '2026-11-01T00:00:00Z' });
    const current = await api.newTi({ dag_id: dagId, run_id: 'r2', task_id: 't', logical_date: '2026-11-02T00:00:00Z' });
    const res = await api.previous(current.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(NULLS);
  });

  it('all null when this run has no logical date', async () => {
    const dagId = uniqueId('prev');
    await api.newTi({ dag_id: dagId, run_id: 'r1', task_id: 't', logical_date: '2026-11-01T00:00:00Z' });
    await finishRun(dagId, 'r1', 'success', '2026-11-01T00:00:00Z');
    const current = await api.newTi({ dag_id: dagId, run_id: 'r2', task_id: 't' });
    const res = await api.previous(current.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(NULLS);
  });

  it('unknown id: 404', async () => {
    const id = '01939b7e-0000-7000-8000-00000000e001';
    const res = await api.previous(id);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(problem(404, 'not_found', `Task instance ${id} not found.`, api.path(id, 'previous-successful-dagrun'), { task_instance_id: id }));
  });
});
