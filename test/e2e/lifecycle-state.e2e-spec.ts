import { startTestApp, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { GONE_DETAIL, liveRow, lifecycle, problem, START, tiRow } from './lifecycle.helpers';

const END = '2026-11-25T10:05:00.000Z';
const STATES_MESSAGE = 'state must be one of: success, failed, skipped, removed, upstream_failed, up_for_retry, up_for_reschedule, deferred, awaiting_input';

describe('PATCH /execution/task-instances/{id}/state', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  it.each(['success', 'failed', 'skipped', 'removed', 'upstream_failed'])('running → %s: 204, end_date, duration, next_* cleared', async (state) => {
    const ti = await api.running();
    const res = await api.state(ti.id, { state, end_date: END });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state, duration: 300, next_method: null, next_kwargs: null, rendered_map_index: null });
    expect(row!.end_date.toISOString()).toBe(END);
  });

  it('stores rendered_map_index, and accepts (without storing) the task_outlets and outlet_events Airflow workers send', async () => {
    const ti = await api.running({ map_index: 3 });
    const res = await api.state(ti.id, {
      state: 'success',
      end_date: END,
      rendered_map_index: 'file=a.csv',
      task_outlets: [{ name: 'a', uri: 's3://a', type: 'Asset' }],
      outlet_events: [{ dest_asset_key: { name: 'a', uri: 's3://a' }, extra: {} }],
    });
    expect(res.status).toBe(204);
    expect(await tiRow(ti.id)).toMatchObject({ state: 'success', rendered_map_index: 'file=a.csv' });
  });

  it.each([
    ['success', { state: 'success', end_date: END }],
    ['failed', { state: 'failed', end_date: END }],
    ['up_for_reschedule', { state: 'up_for_reschedule', reschedule_date: END, end_date: END }],
    ['deferred', { state: 'deferred', classpath: 'tests.T', next_method: 'resume' }],
  ])('the same state again (%s): 200 with an empty body, nothing changes, no second row', async (_name, body: Record<string, unknown>) => {
    const ti = await api.running();
    expect((await api.state(ti.id, body)).status).toBe(204);
    const before = await tiRow(ti.id);
    const counts = () =>
      withDirect(async (c) => ({
        reschedules: (await c.query('select count(*)::int n from task_reschedule where ti_id = $1', [ti.id])).rows[0].n,
        triggers: (await c.query(`select count(*)::int n from "trigger" where id = $1`, [before!.trigger_id ?? -1])).rows[0].n,
      }));
    const countsBefore = await counts();
    // A different payload for the same state: still a no-op.
    const changed = body.state === 'deferred' ? { next_method: 'other' } : { end_date: '2026-11-25T11:00:00Z' };
    const again = await api.state(ti.id, { ...body, ...changed });
    expect(again.status).toBe(200);
    expect(again.text).toBe('');
    expect(await tiRow(ti.id)).toEqual(before);
    expect(await counts()).toEqual(countsBefore);
  });

  it.each([
    ['queued', 'success'],
    ['success', 'failed'],
    ['failed', 'success'],
    ['deferred', 'success'],
    ['up_for_reschedule', 'up_for_retry'],
    ['none', 'skipped'],
  ])('from %s to %s: 409 invalid_state with previous_state, row untouched', async (from, to) => {
    const ti = await api.newTi({ state: from });
    const before = await tiRow(ti.id);
    const res = await api.state(ti.id, { state: to, end_date: END });
    expect(res.status).toBe(409);
    expect(res.body).toEqual(
      problem(409, 'invalid_state', 'TI was not in the running state so it cannot be updated', api.path(ti.id, 'state'), { previous_state: from }),
    );
    expect(await tiRow(ti.id)).toEqual(before);
  });

  it('up_for_retry: 204, the try is archived under its id, the live row gets a new id and the next try number', async () => {
    const ti = await api.running({ max_tries: 3 });
    const res = await api.state(ti.id, { state: 'up_for_retry', end_date: END, rendered_map_index: 'label' });
    expect(res.status).toBe(204);
    expect(await tiRow(ti.id)).toBeUndefined();
    const live = await liveRow(ti);
    expect(live.id).not.toBe(ti.id);
    expect(live).toMatchObject({ state: 'up_for_retry', try_number: 2, max_tries: 3, rendered_map_index: 'label', duration: 300 });
    const history = await withDirect(async (c) => (await c.query('select * from task_instance_history where dag_id = $1', [ti.dag_id])).rows);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      task_instance_id: ti.id,
      task_id: ti.task_id,
      run_id: ti.run_id,
      map_index: -1,
      try_number: 1,
      max_tries: 3,
      state: 'up_for_retry',
      hostname: 'worker-1',
      unixname: 'airflow',
      pid: 4242,
      duration: 300,
      rendered_map_index: 'label',
    });
    expect(history[0].start_date.toISOString()).toBe(START);
    expect(history[0].end_date.toISOString()).toBe(END);
  });

  it('up_for_retry drops the reschedules of the archived try', async () => {
    const ti = await api.running();
    await api.state(ti.id, { state: 'up_for_reschedule', reschedule_date: END, end_date: END });
    await withDirect((c) => c.query(`update task_instance set state = 'running' where id = $1`, [ti.id]));
    expect((await api.state(ti.id, { state: 'up_for_retry', end_date: END })).status).toBe(204);
    const n = await withDirect(async (c) => (await c.query('select count(*)::int n from task_reschedule where ti_id = $1', [ti.id])).rows[0].n);
    expect(n).toBe(0);
  });

  it('up_for_retry twice: the second finds the try archived, 410', async () => {
    const ti = await api.running();
    expect((await api.state(ti.id, { state: 'up_for_retry', end_date: END })).status).toBe(204);
    const again = await api.state(ti.id, { state: 'up_for_retry', end_date: END });
    expect(again.status).toBe(410);
    expect(again.body).toEqual(problem(410, 'not_found', GONE_DETAIL, api.path(ti.id, 'state'), { task_instance_id: ti.id }));
  });

  it('up_for_reschedule: 204 and a task_reschedule row', async () => {
    const ti = await api.running();
    const res = await api.state(ti.id, { state: 'up_for_reschedule', reschedule_date: '2026-11-25T10:10:00Z', end_date: END });
    expect(res.status).toBe(204);
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state: 'up_for_reschedule', duration: 300, next_method: null });
    const reschedules = await withDirect(async (c) => (await c.query('select * from task_reschedule where ti_id = $1', [ti.id])).rows);
    expect(reschedules).toHaveLength(1);
    expect(reschedules[0].reschedule_date.toISOString()).toBe('2026-11-25T10:10:00.000Z');
    expect(reschedules[0].end_date.toISOString()).toBe(END);
  });

  it('deferred: 204, a trigger row, trigger_id, next_method, next_kwargs and trigger_timeout = now + the duration', async () => {
    const ti = await api.running();
    const before = Date.now();
    const res = await api.state(ti.id, {
      state: 'deferred',
      classpath: 'airflow.providers.standard.triggers.temporal.DateTimeTrigger',
      trigger_kwargs: { moment: '2026-11-25T11:00:00Z' },
      trigger_timeout: 'P1DT2H',
      next_method: 'execute_complete',
      next_kwargs: { a: [1, 2] },
    });
    const after = Date.now();
    expect(res.status).toBe(204);
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state: 'deferred', next_method: 'execute_complete', next_kwargs: { a: [1, 2] }, end_date: null });
    const timeout = (row!.trigger_timeout as Date).getTime();
    const span = (24 + 2) * 3_600_000;
    expect(timeout).toBeGreaterThanOrEqual(before + span);
    expect(timeout).toBeLessThanOrEqual(after + span);
    const trigger = await withDirect(async (c) => (await c.query('select * from "trigger" where id = $1', [row!.trigger_id])).rows[0]);
    expect(trigger).toMatchObject({ classpath: 'airflow.providers.standard.triggers.temporal.DateTimeTrigger', kwargs: { moment: '2026-11-25T11:00:00Z' } });
  });

  it('deferred with encrypted (string) kwargs and no timeout', async () => {
    const ti = await api.running();
    const res = await api.state(ti.id, {
      state: 'deferred',
      classpath: 'tests.T',
      trigger_kwargs: 'gAAAAB-encrypted',
      next_method: 'resume',
      next_kwargs: 'gAAAAB-next',
    });
    expect(res.status).toBe(204);
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ next_kwargs: 'gAAAAB-next', trigger_timeout: null });
    const kwargs = await withDirect(async (c) => (await c.query('select kwargs from "trigger" where id = $1', [row!.trigger_id])).rows[0].kwargs);
    expect(kwargs).toBe('gAAAAB-encrypted');
  });

  it.each([
    ['state running', { state: 'running', end_date: END }, [{ path: 'state', message: STATES_MESSAGE }]],
    ['state queued', { state: 'queued' }, [{ path: 'state', message: STATES_MESSAGE }]],
    ['no state', { end_date: END }, [{ path: 'state', message: STATES_MESSAGE }]],
    ['an unknown field', { state: 'success', end_date: END, extra: 1 }, [{ path: 'extra', message: 'extra is not allowed' }]],
    ['a field of another payload', { state: 'failed', end_date: END, next_method: 'x' }, [{ path: 'next_method', message: 'next_method is not allowed' }]],
    ['a missing end_date', { state: 'success' }, [{ path: 'end_date', message: 'end_date is required' }]],
    [
      'an end_date without a time zone',
      { state: 'success', end_date: '2026-11-25T10:05:00' },
      [{ path: 'end_date', message: 'end_date must be an ISO-8601 date-time with a time zone (e.g. 2026-11-25T10:00:00Z)' }],
    ],
    [
      'a bad trigger_timeout',
      { state: 'deferred', classpath: 'c', next_method: 'm', trigger_timeout: '1 day' },
      [{ path: 'trigger_timeout', message: 'trigger_timeout must be an ISO-8601 duration such as P1D or PT30M, at most 100 years' }],
    ],
    [
      'a list for trigger_kwargs',
      { state: 'deferred', classpath: 'c', next_method: 'm', trigger_kwargs: [1] },
      [{ path: 'trigger_kwargs', message: 'trigger_kwargs must be a JSON object or a string' }],
    ],
  ])('422 for %s, with the failing paths, nothing changes', async (_name, body, errors) => {
    const ti = await api.running();
    const before = await tiRow(ti.id);
    const res = await api.state(ti.id, body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(problem(422, 'validation_error', 'The request is not valid.', api.path(ti.id, 'state'), { errors }));
    expect(await tiRow(ti.id)).toEqual(before);
  });

  it('unknown id: 404', async () => {
    const id = '01939b7e-0000-7000-8000-00000000b001';
    const res = await api.state(id, { state: 'success', end_date: END });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(problem(404, 'not_found', `Task instance ${id} not found.`, api.path(id, 'state'), { task_instance_id: id }));
  });
});
