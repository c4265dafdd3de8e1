import { http, startTestApp, type CreatedTi, type TestApp } from '../support/test-app';
import { ACCEPT_PROBLEM, expectedProblem } from '../support/problem';
import { withDirect } from '../support/test-database';
import { bearer, executionToken } from '../support/tokens';
import { lifecycle, tiRow } from './lifecycle.helpers';

const NOT_FOUND_MESSAGE = 'HITLDetail not found. This happens most likely due to clearing task instance before receiving response.';
const alreadyExists = (id: string) => `Human-in-the-loop detail for Task Instance with id ${id} already exists.`;

const question = (id: string, over: Record<string, unknown> = {}) => ({
  ti_id: id,
  options: ['Approve', 'Reject'],
  subject: 'Publish?',
  body: 'Revenue is up.',
  defaults: ['Reject'],
  multiple: false,
  params: { threshold: 1.5, comment: { value: '', description: null, schema: { type: 'string' } } },
  assigned_users: [{ id: 'jane', name: 'Jane Doe' }],
  ...over,
});
const EMPTY_RESPONSE = { response_received: false, responded_by_user: null, responded_at: null, chosen_options: null, params_input: {} };
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

describe('HITL: /execution/hitlDetails/{ti_id} and the control-plane answer', () => {
  let t: TestApp;
  let lc: ReturnType<typeof lifecycle>;

  beforeAll(async () => {
    t = await startTestApp();
    lc = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  /** An execution call as the task makes it (its own token; `headers` e.g. the API version or ACCEPT_PROBLEM). */
  async function exec(method: string, id: string, body?: unknown, headers: Record<string, string> = {}) {
    return http(t.baseUrl, method, `/execution/hitlDetails/${id}`, body, { ...bearer(await executionToken(id)), ...headers });
  }
  const answer = (id: string, body: unknown) => http(t.baseUrl, 'PATCH', `/api/v1/task-instances/${id}/hitl-detail`, body);
  const detailRows = (id: string) =>
    withDirect(async (c) => (await c.query('select count(*)::int as n from hitl_detail where ti_id = $1', [id])).rows[0].n as number);

  async function asked(): Promise<CreatedTi> {
    const ti = await lc.running();
    const res = await exec('POST', ti.id, question(ti.id));
    expect(res.status).toBe(201);
    return ti;
  }

  it('POST creates the question: 201 with the stored question (numbers exactly as sent); GET: no answer yet', async () => {
    const ti = await lc.running();
    // Sent as text: a JavaScript 1.50 would be serialised as 1.5.
    const res = await exec('POST', ti.id, JSON.stringify(question(ti.id)).replace('"threshold":1.5', '"threshold":1.50'));
    expect(res.status).toBe(201);
    expect(res.text).toContain('"threshold":1.50');
    expect(res.body).toEqual({ ...question(ti.id), params: { threshold: 1.5, comment: { value: '', description: null, schema: { type: 'string' } } } });
    const got = await exec('GET', ti.id);
    expect([got.status, got.body]).toEqual([200, EMPTY_RESPONSE]);
  });

  it('POST again without an answer: 201 with the question as first stored (the new payload is not applied)', async () => {
    const ti = await asked();
    const res = await exec('POST', ti.id, question(ti.id, { subject: 'Another question', options: ['X'] }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ subject: 'Publish?', options: ['Approve', 'Reject'] });
  });

  it('PATCH records the task’s own answer once: 200 the answer, then 409 in Airflow’s plain-string form and as a typed problem', async () => {
    const ti = await asked();
    const res = await exec('PATCH', ti.id, `{"ti_id":"${ti.id}","chosen_options":["Reject"],"params_input":{"comment":"timed out","n":1.0}}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      response_received: true,
      responded_by_user: null,
      responded_at: ISO,
      chosen_options: ['Reject'],
      params_input: { comment: 'timed out', n: 1 },
    });
    expect(res.text).toContain('"n":1.0');

    const again = await exec('PATCH', ti.id, { ti_id: ti.id, chosen_options: ['Approve'] });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/json');
    expect(again.body).toEqual({ detail: alreadyExists(ti.id) });
    const typed = await exec('PATCH', ti.id, { ti_id: ti.id, chosen_options: ['Approve'] }, ACCEPT_PROBLEM);
    expect(typed.body).toEqual(
      expectedProblem(409, 'already_responded', alreadyExists(ti.id), `/execution/hitlDetails/${ti.id}`, {
        task_instance_id: ti.id,
        responded_at: res.body.responded_at,
      }),
    );
    expect((await exec('GET', ti.id)).body).toEqual(res.body);
  });

  it('POST after an answer (the task was cleared or retried) wipes the answer and keeps the question', async () => {
    const ti = await asked();
    expect((await exec('PATCH', ti.id, { ti_id: ti.id, chosen_options: ['Approve'] })).status).toBe(200);
    const res = await exec('POST', ti.id, question(ti.id, { subject: 'ignored' }));
    expect(res.status).toBe(201);
    expect(res.body.subject).toBe('Publish?');
    expect((await exec('GET', ti.id)).body).toEqual(EMPTY_RESPONSE);
    expect((await exec('PATCH', ti.id, { ti_id: ti.id, chosen_options: ['Reject'] })).status).toBe(200);
  });

  it('GET and PATCH without a question: 404 with Airflow’s reason and message', async () => {
    const ti = await lc.running();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { ti_id: ti.id, chosen_options: ['Approve'] }],
    ] as const) {
      const res = await exec(method, ti.id, body);
      expect([res.status, res.body]).toEqual([404, { detail: { reason: 'not_found', message: NOT_FOUND_MESSAGE, task_instance_id: ti.id } }]);
    }
    expect(await detailRows(ti.id)).toBe(0);
  });

  it('bad bodies: 422 and nothing written; another task instance’s token: 403', async () => {
    const ti = await lc.running();
    for (const body of [
      question(ti.id, { options: [] }),
      question(ti.id, { options: 'Approve' }),
      question(ti.id, { assigned_users: [{ id: 'x' }] }),
      question(ti.id, { ti_id: 'not-a-uuid' }),
      question(ti.id, { extra: 1 }),
      question(ti.id, { subject: undefined }),
    ]) {
      const res = await exec('POST', ti.id, body, ACCEPT_PROBLEM);
      expect([res.status, res.body.reason]).toEqual([422, 'validation_error']);
    }
    expect(await detailRows(ti.id)).toBe(0);
    const other = await lc.running();
    const res = await http(t.baseUrl, 'POST', `/execution/hitlDetails/${ti.id}`, question(ti.id), bearer(await executionToken(other.id)));
    expect(res.status).toBe(403);
    expect(await detailRows(ti.id)).toBe(0);
  });

  it('API versions before 2025-09-23 read user_id and response_at (RenameHITLResponseFields)', async () => {
    const ti = await asked();
    const answered = await answer(ti.id, { chosen_options: ['Approve'] });
    expect(answered.status).toBe(200);
    const old = await exec('GET', ti.id, undefined, { 'airflow-api-version': '2025-08-10' });
    expect(old.body).toEqual({
      response_received: true,
      user_id: 'test-admin',
      response_at: answered.body.responded_at,
      chosen_options: ['Approve'],
      params_input: {},
    });
    for (const version of ['2025-09-23', '2025-11-05', '2026-06-30']) {
      const res = await exec('GET', ti.id, undefined, { 'airflow-api-version': version });
      expect(res.body).toEqual({
        response_received: true,
        responded_by_user: { id: 'test-admin', name: 'test-admin' },
        responded_at: answered.body.responded_at,
        chosen_options: ['Approve'],
        params_input: {},
      });
    }
  });

  describe('the control-plane answer', () => {
    it('records who and when; a task parked in awaiting_input goes to scheduled, next_method kept for the resume', async () => {
      const ti = await asked();
      expect((await lc.state(ti.id, { state: 'awaiting_input', timeout: 'PT3600S', next_method: 'execute_complete', next_kwargs: {} })).status).toBe(204);
      expect((await tiRow(ti.id))!.state).toBe('awaiting_input');
      const res = await answer(ti.id, { chosen_options: ['Approve'], params_input: { comment: 'ok' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...question(ti.id),
        params: { threshold: 1.5, comment: { value: '', description: null, schema: { type: 'string' } } },
        created_at: ISO,
        response_received: true,
        responded_by_user: { id: 'test-admin', name: 'test-admin' },
        responded_at: ISO,
        chosen_options: ['Approve'],
        params_input: { comment: 'ok' },
        task_instance_state: 'scheduled',
      });
      expect(await tiRow(ti.id)).toMatchObject({ state: 'scheduled', next_method: 'execute_complete' });
      expect((await http(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/hitl-detail`)).body).toEqual(res.body);
    });

    it('options the question does not offer, or two where one is allowed: 422 invalid_chosen_options, nothing recorded', async () => {
      const ti = await asked();
      for (const chosen of [['Maybe'], ['Approve', 'Reject']]) {
        const res = await answer(ti.id, { chosen_options: chosen });
        expect([res.status, res.body.reason]).toEqual([422, 'invalid_chosen_options']);
      }
      expect((await exec('GET', ti.id)).body).toEqual(EMPTY_RESPONSE);
    });

    it('20 concurrent answers: exactly one 200, nineteen 409 already_responded, and the stored answer is the winner’s', async () => {
      const ti = await asked();
      const options = ['Approve', 'Reject'];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => answer(ti.id, { chosen_options: [options[i % 2]], params_input: { attempt: i } })),
      );
      const won = results.filter((r) => r.status === 200);
      const lost = results.filter((r) => r.status === 409);
      expect([won.length, lost.length]).toEqual([1, 19]);
      for (const r of lost) {
        expect(r.body).toEqual(
          expectedProblem(409, 'already_responded', alreadyExists(ti.id), `/api/v1/task-instances/${ti.id}/hitl-detail`, {
            task_instance_id: ti.id,
            responded_at: won[0].body.responded_at,
          }),
        );
      }
      const stored = await exec('GET', ti.id);
      expect(stored.body).toMatchObject({ chosen_options: won[0].body.chosen_options, params_input: won[0].body.params_input });
    });

    it('an answer and the task’s own PATCH racing: one wins, the other gets 409', async () => {
      const ti = await asked();
      const [person, task] = await Promise.all([
        answer(ti.id, { chosen_options: ['Approve'] }),
        exec('PATCH', ti.id, { ti_id: ti.id, chosen_options: ['Reject'] }),
      ]);
      expect([person.status, task.status].sort()).toEqual([200, 409]);
    });
  });

  it('10 concurrent POSTs of the question: all 201, one row', async () => {
    const ti = await lc.running();
    const results = await Promise.all(Array.from({ length: 10 }, () => exec('POST', ti.id, question(ti.id))));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(await detailRows(ti.id)).toBe(1);
  });

  describe('PATCH …/state awaiting_input', () => {
    it('already answered (Airflow’s shortcut): 204 and straight to scheduled, next_method kept', async () => {
      const ti = await asked();
      expect((await answer(ti.id, { chosen_options: ['Approve'] })).status).toBe(200);
      expect((await tiRow(ti.id))!.state).toBe('running');
      expect((await lc.state(ti.id, { state: 'awaiting_input', next_method: 'execute_complete' })).status).toBe(204);
      expect(await tiRow(ti.id)).toMatchObject({ state: 'scheduled', next_method: 'execute_complete' });
    });

    it('parking and answering at the same moment never leaves an answered task parked (12 races)', async () => {
      const tis = await Promise.all(Array.from({ length: 12 }, () => asked()));
      await Promise.all(
        tis.flatMap((ti) => [lc.state(ti.id, { state: 'awaiting_input', next_method: 'execute_complete' }), answer(ti.id, { chosen_options: ['Approve'] })]),
      );
      for (const ti of tis) expect((await tiRow(ti.id))!.state).toBe('scheduled');
    });
  });

  it('a retried try keeps the question under its new id; the next try’s POST wipes the old answer', async () => {
    const ti = await asked();
    expect((await answer(ti.id, { chosen_options: ['Approve'] })).status).toBe(200);
    expect((await lc.state(ti.id, { state: 'up_for_retry', end_date: '2026-11-25T10:05:00Z' })).status).toBe(204);
    const [{ id: newId }] = await withDirect(async (c) => (await c.query('select id from task_instance where dag_id = $1', [ti.dag_id])).rows);
    expect(newId).not.toBe(ti.id);
    expect(await detailRows(ti.id)).toBe(0);
    const res = await exec('POST', newId, question(newId));
    expect(res.status).toBe(201);
    expect((await exec('GET', newId)).body).toEqual(EMPTY_RESPONSE);
  });
});
