import { startTestApp, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { liveRow, lifecycle, problem, requeue, START, tiRow, WORKER } from './lifecycle.helpers';
import { storedXComs, xcoms } from './xcom.helpers';

/**
 * Every execution body exactly as the Task SDK sends it: `Model(...).model_dump_json()` of the
 * generated pydantic models (`task-sdk/src/airflow/sdk/api/datamodels/_generated.py`), which writes
 * every field, `null` when unset, compact, with microsecond `Z` timestamps. SDK 1.0–1.2 and 1.3
 * (Execution API 2026-06-30) differ in which fields exist; both shapes must be accepted. Each body
 * is a literal string, so what is tested is the wire text, not an object the test serialised.
 */
const END = '2026-11-25T10:05:00.123456Z';
const END_MS = '2026-11-25T10:05:00.123Z';

async function triggerOf(triggerId: number): Promise<Record<string, any>> {
  return withDirect(async (c) => (await c.query('select classpath, kwargs, queue from "trigger" where id = $1', [triggerId])).rows[0]);
}

describe('request bodies as each Task SDK version sends them', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  it('TIEnterRunningPayload and TIHeartbeatInfo (every version): /run 200, /heartbeat 204', async () => {
    const ti = await api.newTi();
    const run = await api.run(ti.id, `{"state":"running","hostname":"worker-1","unixname":"airflow","pid":4242,"start_date":"2026-11-25T10:00:00.000000Z"}`);
    expect(run.status).toBe(200);
    expect((await api.heartbeat(ti.id, '{"hostname":"worker-1","pid":4242}')).status).toBe(204);
    expect(await tiRow(ti.id)).toMatchObject({ state: 'running', ...WORKER });
  });

  it.each([
    ['failed (TITerminalStatePayload)', `{"state":"failed","end_date":"${END}","rendered_map_index":null}`, 'failed'],
    ['skipped with a label', `{"state":"skipped","end_date":"${END}","rendered_map_index":"file=a.csv"}`, 'skipped'],
    [
      'success (TISuccessStatePayload) with empty outlets',
      `{"state":"success","end_date":"${END}","task_outlets":[],"outlet_events":[],"rendered_map_index":null}`,
      'success',
    ],
    [
      'success with null outlets (the model defaults them to None)',
      `{"state":"success","end_date":"${END}","task_outlets":null,"outlet_events":null,"rendered_map_index":null}`,
      'success',
    ],
  ])('%s: 204', async (_name, body, state) => {
    const ti = await api.running();
    const res = await api.state(ti.id, body);
    expect([res.status, res.text]).toEqual([204, '']);
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state, rendered_map_index: JSON.parse(body).rendered_map_index });
    expect(row!.end_date.toISOString()).toBe(END_MS);
  });

  it('TIRetryStatePayload of SDK ≤ 1.2 (no retry fields): 204, nothing stored for them', async () => {
    const ti = await api.running({ max_tries: 2 });
    const res = await api.state(ti.id, `{"state":"up_for_retry","end_date":"${END}","rendered_map_index":null}`);
    expect(res.status).toBe(204);
    expect(await liveRow(ti)).toMatchObject({ state: 'up_for_retry', try_number: 2, retry_delay_override: null, retry_reason: null });
  });

  it('TIRetryStatePayload of SDK 1.3 with both retry fields null (what every 1.3 retry sends): 204', async () => {
    const ti = await api.running({ max_tries: 2 });
    const res = await api.state(ti.id, `{"state":"up_for_retry","end_date":"${END}","rendered_map_index":null,"retry_delay_seconds":null,"retry_reason":null}`);
    expect(res.status).toBe(204);
    expect(await liveRow(ti)).toMatchObject({ state: 'up_for_retry', try_number: 2, retry_delay_override: null, retry_reason: null });
  });

  it('retry_delay_seconds and retry_reason are stored on the live row (reason cut to 500 characters, as Airflow does) and cleared by the next /run', async () => {
    const ti = await api.running({ max_tries: 3 });
    // 499 ASCII characters, then emoji (two UTF-16 units each): the cut counts characters.
    const reason = `${'r'.repeat(499)}${'🙂'.repeat(10)}`;
    const res = await api.state(
      ti.id,
      JSON.stringify({ state: 'up_for_retry', end_date: END, rendered_map_index: null, retry_delay_seconds: 90.5, retry_reason: reason }),
    );
    expect(res.status).toBe(204);
    const live = await liveRow(ti);
    expect(live).toMatchObject({ state: 'up_for_retry', try_number: 2, retry_delay_override: 90.5, retry_reason: `${'r'.repeat(499)}🙂` });
    await requeue(live.id);
    expect((await api.run(live.id)).status).toBe(200);
    expect(await tiRow(live.id)).toMatchObject({ state: 'running', retry_delay_override: null, retry_reason: null });
  });

  it('an empty retry_reason is stored as none, as Airflow stores it', async () => {
    const ti = await api.running({ max_tries: 3 });
    const res = await api.state(ti.id, `{"state":"up_for_retry","end_date":"${END}","rendered_map_index":null,"retry_delay_seconds":0,"retry_reason":""}`);
    expect(res.status).toBe(204);
    expect(await liveRow(ti)).toMatchObject({ retry_delay_override: 0, retry_reason: null });
  });

  it('TIDeferredStatePayload of SDK 1.3 (queue, and every optional field null): 204, a trigger without queue, no timeout', async () => {
    const ti = await api.running();
    const res = await api.state(
      ti.id,
      '{"state":"deferred","classpath":"airflow.providers.standard.triggers.temporal.DateTimeTrigger","trigger_kwargs":{"moment":"2026-11-25T11:00:00Z"},"trigger_timeout":null,"queue":null,"next_method":"execute_complete","next_kwargs":null,"rendered_map_index":null}',
    );
    expect(res.status).toBe(204);
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state: 'deferred', next_method: 'execute_complete', trigger_timeout: null });
    expect(await triggerOf(row!.trigger_id)).toEqual({
      classpath: 'airflow.providers.standard.triggers.temporal.DateTimeTrigger',
      kwargs: { moment: '2026-11-25T11:00:00Z' },
      queue: null,
    });
  });

  it('TIDeferredStatePayload with a queue, a pydantic timedelta and null trigger_kwargs: the queue is kept on the trigger', async () => {
    const ti = await api.running();
    const before = Date.now();
    const res = await api.state(
      ti.id,
      '{"state":"deferred","classpath":"tests.T","trigger_kwargs":null,"trigger_timeout":"PT3600S","queue":"triggerer-eu","next_method":"resume","next_kwargs":{"a":1},"rendered_map_index":"x"}',
    );
    expect(res.status).toBe(204);
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state: 'deferred', next_method: 'resume', next_kwargs: { a: 1 }, rendered_map_index: 'x' });
    expect((row!.trigger_timeout as Date).getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(await triggerOf(row!.trigger_id)).toEqual({ classpath: 'tests.T', kwargs: {}, queue: 'triggerer-eu' });
  });

  it('TIDeferredStatePayload of SDK ≤ 1.2 (no queue field): 204', async () => {
    const ti = await api.running();
    const res = await api.state(
      ti.id,
      '{"state":"deferred","classpath":"tests.T","trigger_kwargs":{},"trigger_timeout":"P1D","next_method":"resume","next_kwargs":{},"rendered_map_index":null}',
    );
    expect(res.status).toBe(204);
    expect(await triggerOf((await tiRow(ti.id))!.trigger_id)).toEqual({ classpath: 'tests.T', kwargs: {}, queue: null });
  });

  it('TIRescheduleStatePayload and TISkippedDownstreamTasksStatePayload (a tuple is a JSON list): 204', async () => {
    const ti = await api.running();
    const sibling = await api.newTi({ dag_id: ti.dag_id, task_id: 'downstream', map_index: 1 });
    expect((await api.skip(ti.id, '{"tasks":["not_a_task",["downstream",1]]}')).status).toBe(204);
    expect((await tiRow(sibling.id))!.state).toBe('skipped');
    const res = await api.state(ti.id, `{"state":"up_for_reschedule","reschedule_date":"2026-11-25T10:10:00.000000Z","end_date":"${END}"}`);
    expect(res.status).toBe(204);
    expect((await tiRow(ti.id))!.state).toBe('up_for_reschedule');
  });

  it.each([
    [
      'a field no SDK sends on a retry',
      `{"state":"up_for_retry","end_date":"${END}","rendered_map_index":null,"retry_delay_seconds":null,"retry_reason":null,"retry_policy":null}`,
      [{ path: 'retry_policy', message: 'retry_policy is not allowed' }],
    ],
    [
      'queue on a retry (a field of another payload)',
      `{"state":"up_for_retry","end_date":"${END}","queue":null}`,
      [{ path: 'queue', message: 'queue is not allowed' }],
    ],
    [
      'a string retry_delay_seconds',
      `{"state":"up_for_retry","end_date":"${END}","retry_delay_seconds":"60"}`,
      [{ path: 'retry_delay_seconds', message: 'retry_delay_seconds must be a number conforming to the specified constraints' }],
    ],
    [
      'a negative retry_delay_seconds',
      `{"state":"up_for_retry","end_date":"${END}","retry_delay_seconds":-1}`,
      [{ path: 'retry_delay_seconds', message: 'retry_delay_seconds must not be less than 0' }],
    ],
    [
      'a number as retry_reason',
      `{"state":"up_for_retry","end_date":"${END}","retry_reason":5}`,
      [{ path: 'retry_reason', message: 'retry_reason must be a string' }],
    ],
    [
      'an empty queue',
      '{"state":"deferred","classpath":"c","next_method":"m","queue":""}',
      [{ path: 'queue', message: 'queue must be longer than or equal to 1 characters' }],
    ],
  ])('422 for %s, and nothing changes', async (_name, body, errors) => {
    const ti = await api.running();
    const before = await tiRow(ti.id);
    const res = await api.state(ti.id, body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(problem(422, 'validation_error', 'The request is not valid.', api.path(ti.id, 'state'), { errors }));
    expect(await tiRow(ti.id)).toEqual(before);
  });
});

describe('awaiting_input (human-in-the-loop, TIAwaitingInputStatePayload of SDK 1.3)', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  it('running → awaiting_input: 204; next_method, next_kwargs and the answer deadline (trigger_timeout) stored, no trigger', async () => {
    const ti = await api.running({ map_index: 2 });
    const before = Date.now();
    const res = await api.state(
      ti.id,
      '{"state":"awaiting_input","timeout":"PT3600S","next_method":"execute_complete","next_kwargs":{"options":["yes","no"]},"rendered_map_index":"approve"}',
    );
    const after = Date.now();
    expect([res.status, res.text]).toEqual([204, '']);
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({
      state: 'awaiting_input',
      next_method: 'execute_complete',
      next_kwargs: { options: ['yes', 'no'] },
      trigger_id: null,
      rendered_map_index: 'approve',
      end_date: null,
    });
    const deadline = (row!.trigger_timeout as Date).getTime();
    expect(deadline).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(deadline).toBeLessThanOrEqual(after + 3_600_000);
  });

  it('with every optional field null: 204, no deadline, no kwargs', async () => {
    const ti = await api.running();
    const res = await api.state(
      ti.id,
      '{"state":"awaiting_input","timeout":null,"next_method":"execute_complete","next_kwargs":null,"rendered_map_index":null}',
    );
    expect(res.status).toBe(204);
    expect(await tiRow(ti.id)).toMatchObject({ state: 'awaiting_input', next_method: 'execute_complete', next_kwargs: null, trigger_timeout: null });
  });

  it('the same state again: 200 with an empty body; a heartbeat is told the task is no longer running; /run is refused until a scheduler requeues it', async () => {
    const ti = await api.running();
    const body = '{"state":"awaiting_input","timeout":null,"next_method":"execute_complete","next_kwargs":{"k":1},"rendered_map_index":null}';
    expect((await api.state(ti.id, body)).status).toBe(204);
    const parked = await tiRow(ti.id);
    const again = await api.state(ti.id, body);
    expect([again.status, again.text]).toEqual([200, '']);
    expect(await tiRow(ti.id)).toEqual(parked);

    const beat = await api.heartbeat(ti.id);
    expect(beat.status).toBe(409);
    expect(beat.body).toEqual(
      problem(409, 'not_running', 'TI is no longer in the running state and task should terminate', api.path(ti.id, 'heartbeat'), {
        current_state: 'awaiting_input',
      }),
    );
    const run = await api.run(ti.id);
    expect(run.status).toBe(409);
    expect(run.body).toEqual(
      problem(409, 'invalid_state', 'TI was not in a state where it could be marked as running', api.path(ti.id, 'run'), { previous_state: 'awaiting_input' }),
    );
    expect(await tiRow(ti.id)).toEqual(parked);
  });

  it('resumes as Airflow does (answered → scheduled → queued → /run): the run context carries next_method/next_kwargs, the try keeps its start', async () => {
    const ti = await api.running();
    expect(
      (await api.state(ti.id, '{"state":"awaiting_input","timeout":"PT60S","next_method":"execute_complete","next_kwargs":{"chosen":["yes"]}}')).status,
    ).toBe(204);
    await requeue(ti.id);
    const res = await api.run(ti.id, { state: 'running', ...WORKER, pid: 5151, start_date: '2026-11-25T12:00:00Z' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ next_method: 'execute_complete', next_kwargs: { chosen: ['yes'] }, xcom_keys_to_clear: [] });
    const row = await tiRow(ti.id);
    expect(row).toMatchObject({ state: 'running', pid: 5151 });
    expect(row!.start_date.toISOString()).toBe(START);
  });

  it('from another state than running: 409 invalid_state', async () => {
    const ti = await api.newTi({ state: 'queued' });
    const res = await api.state(ti.id, '{"state":"awaiting_input","next_method":"m"}');
    expect(res.status).toBe(409);
    expect(res.body).toEqual(
      problem(409, 'invalid_state', 'TI was not in the running state so it cannot be updated', api.path(ti.id, 'state'), { previous_state: 'queued' }),
    );
  });

  it.each([
    ['no next_method', '{"state":"awaiting_input","timeout":null}', [{ path: 'next_method', message: 'next_method is required' }]],
    [
      'a string next_kwargs (only deferral kwargs may arrive encrypted)',
      '{"state":"awaiting_input","next_method":"m","next_kwargs":"gAAAA"}',
      [{ path: 'next_kwargs', message: 'next_kwargs must be an object' }],
    ],
    [
      'a timeout that is not an ISO-8601 duration',
      '{"state":"awaiting_input","next_method":"m","timeout":3600}',
      [{ path: 'timeout', message: 'timeout must be an ISO-8601 duration such as P1D or PT30M, at most 100 years' }],
    ],
    [
      'a field of the deferral payload',
      '{"state":"awaiting_input","next_method":"m","classpath":"c"}',
      [{ path: 'classpath', message: 'classpath is not allowed' }],
    ],
  ])('422 for %s, and nothing changes', async (_name, body, errors) => {
    const ti = await api.running();
    const before = await tiRow(ti.id);
    const res = await api.state(ti.id, body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(problem(422, 'validation_error', 'The request is not valid.', api.path(ti.id, 'state'), { errors }));
    expect(await tiRow(ti.id)).toEqual(before);
  });
});

describe('XCom POST as the Task SDK sends it, and the read scope', () => {
  let t: TestApp;
  let x: ReturnType<typeof xcoms>;
  beforeAll(async () => {
    t = await startTestApp();
    x = xcoms(t.baseUrl);
  });
  afterAll(() => t.close());

  it.each([['?dag_result=true'], ['?dag_result=True&map_index=0'], ['?dag_result=false']])(
    'XComOperations.set(..., dag_result=...) sends %s: 201, the value stored as sent (dag_result itself is not stored, as in Airflow)',
    async (query) => {
      const ti = await x.newTi({ map_index: query.includes('map_index=0') ? 0 : -1 });
      const res = await x.setText(ti, 'return_value', '{"rows":42}', query);
      expect([res.status, res.body]).toEqual([201, { message: 'XCom successfully set' }]);
      expect(await storedXComs(ti, 'return_value')).toEqual([{ map_index: query.includes('map_index=0') ? 0 : -1, value: '{"rows": 42}' }]);
    },
  );

  it('422 for a dag_result that is no boolean, naming the parameter; nothing written', async () => {
    const ti = await x.newTi();
    const res = await x.setText(ti, 'return_value', '1', '?dag_result=maybe');
    expect(res.status).toBe(422);
    expect(res.body).toEqual(
      problem(422, 'validation_error', 'The request is not valid.', x.path(ti, 'return_value'), {
        errors: [{ path: 'dag_result', message: 'dag_result must be a boolean value' }],
      }),
    );
    expect(await storedXComs(ti, 'return_value')).toEqual([]);
  });
});

describe('XCOM_READ_SCOPE=same_dag: reads limited to the reader’s own dag', () => {
  let t: TestApp;
  let x: ReturnType<typeof xcoms>;
  beforeAll(async () => {
    t = await startTestApp({ env: { XCOM_READ_SCOPE: 'same_dag' } });
    x = xcoms(t.baseUrl);
  });
  afterAll(() => t.close());

  it('lets a task instance of the same dag read and refuses another dag on every read route (403 wrong_dag)', async () => {
    const ti = await x.newTi();
    await x.set(ti, 'k', 'v');
    const sibling = await x.newTi({ dag_id: ti.dag_id, run_id: 'other_run', task_id: 'sibling' });
    expect((await x.get(ti, 'k', '', sibling)).body).toEqual({ key: 'k', value: 'v' });
    const stranger = await x.newTi();
    const expected = problem(
      403,
      'wrong_dag',
      'The token was issued for a task instance of another dag; a task reads the XComs of its own dag only.',
      x.path(ti, 'k'),
      {
        token_dag_id: stranger.dag_id,
      },
    );
    for (const res of [await x.get(ti, 'k', '', stranger), await x.head(ti, 'k', '', stranger)]) expect(res.status).toBe(403);
    expect((await x.get(ti, 'k', '', stranger)).body).toEqual(expected);
    expect((await x.slice(ti, 'k', '', stranger)).body).toEqual({ ...expected, instance: x.path(ti, 'k', '/slice') });
    expect((await x.item(ti, 'k', 0, stranger)).body).toEqual({ ...expected, instance: x.path(ti, 'k', '/item/0') });
  });
});
