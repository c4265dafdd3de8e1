import { v7 as uuidv7 } from 'uuid';
import { createTaskInstance, http, startTestApp, uniqueId, type CreatedTi, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { bearer, executionToken } from '../support/tokens';
import { lifecycle, liveRow, runBody } from './lifecycle.helpers';

/**
 * Airflow's dag-run and dag routes of the execution API, and the control plane's dag registration,
 * against real PostgreSQL. Errors are asserted in Airflow's wire format (`{"detail": {reason, message}}`),
 * which is what the Task SDK reads.
 */
describe('dag runs and dags', () => {
  let t: TestApp;
  let caller: CreatedTi;
  let auth: { authorization: string };
  const VERSION = 'Airflow-API-Version';

  const as = (headers: Record<string, string> = {}) => ({ ...auth, ...headers });
  const putDag = (dagId: string, body: Record<string, unknown> = {}) => http(t.baseUrl, 'PUT', `/api/v1/dags/${dagId}`, body);
  const trigger = (dagId: string, runId: string, body: unknown = {}, headers: Record<string, string> = {}) =>
    http(t.baseUrl, 'POST', `/execution/dag-runs/${dagId}/${runId}`, body, as(headers));
  const get = (path: string, headers: Record<string, string> = {}) => http(t.baseUrl, 'GET', path, undefined, as(headers));
  const airflowError = (reason: string, message: string) => ({ detail: { reason, message } });
  const registeredDag = async (prefix: string, body: Record<string, unknown> = {}) => {
    const dagId = uniqueId(prefix);
    expect((await putDag(dagId, body)).status).toBe(200);
    return dagId;
  };

  beforeAll(async () => {
    t = await startTestApp();
    // The calling task's run was triggered by alice: runs it triggers inherit her name (Airflow's rule).
    caller = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('caller'), run_id: 'r', task_id: 'trigger' });
    await withDirect((c) => c.query(`update dag_run set triggering_user_name = 'alice' where dag_id = $1`, [caller.dag_id]));
    auth = bearer(await executionToken(caller.id));
  });
  afterAll(() => t.close());

  describe('dags', () => {
    it('PUT /api/v1/dags registers a dag (a repeat replaces it), GET /execution/dags answers DagResponse', async () => {
      const dagId = uniqueId('dag');
      const body = {
        owners: 'airflow,ops',
        tags: ['etl', 'daily'],
        bundle_name: 'dags-folder',
        relative_fileloc: 'etl.py',
        next_dagrun: '2026-12-07T00:00:00Z',
      };
      const first = await putDag(dagId, { ...body, is_paused: true });
      expect(first.status).toBe(200);
      const second = await putDag(dagId, body);
      expect(second.body).toEqual({
        dag_id: dagId,
        is_paused: false,
        bundle_name: 'dags-folder',
        bundle_version: null,
        relative_fileloc: 'etl.py',
        owners: 'airflow,ops',
        tags: ['etl', 'daily'],
        next_dagrun: '2026-12-07T00:00:00.000Z',
        has_import_errors: false,
      });
      const read = await get(`/execution/dags/${dagId}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({
        dag_id: dagId,
        is_paused: false,
        bundle_name: 'dags-folder',
        bundle_version: null,
        relative_fileloc: 'etl.py',
        owners: 'airflow,ops',
        tags: ['etl', 'daily'],
        next_dagrun: '2026-12-07T00:00:00.000Z',
      });
    });

    it('concurrent PUTs of one dag all succeed (an upsert, never a 409)', async () => {
      const dagId = uniqueId('dag');
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => putDag(dagId, { tags: [`t${i}`] })));
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      const rows = await withDirect(async (c) => (await c.query('select count(*)::int as n from dag where dag_id = $1', [dagId])).rows[0].n);
      expect(rows).toBe(1);
    });

    it('a dag known only by its runs answers the defaults; an unknown dag is 404 as Airflow words it', async () => {
      expect((await get(`/execution/dags/${caller.dag_id}`)).body).toEqual({
        dag_id: caller.dag_id,
        is_paused: false,
        bundle_name: null,
        bundle_version: null,
        relative_fileloc: null,
        owners: null,
        tags: [],
        next_dagrun: null,
      });
      const missing = await get('/execution/dags/no_such_dag');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(airflowError('not_found', "Dag with dag_id: 'no_such_dag' not found"));
    });

    it('refuses a bad registration with a 422 naming the field, writing nothing', async () => {
      const dagId = uniqueId('dag');
      const res = await putDag(dagId, { tags: ['ok', 'bad\u0000tag'] });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ path: 'tags[1]', message: 'must not contain U+0000 (NUL)' }]);
      expect((await http(t.baseUrl, 'GET', `/api/v1/dags/${dagId}`)).status).toBe(404);
    });
  });

  describe('POST /execution/dag-runs/{dag_id}/{run_id} (trigger)', () => {
    it('stores the run: queued, operator_triggered, exact conf, the caller run’s triggering user', async () => {
      const dagId = await registeredDag('trg');
      const body =
        '{"logical_date": "2026-12-06T14:00:00Z", "run_after": "2026-12-06T14:05:00Z", "conf": {"big": 12345678901234567890, "price": 1.50, "nested": [0.1000000000000000055511151231257827]}, "partition_key": "p1", "note": "from load"}';
      const res = await trigger(dagId, 'run_1', body);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const detail = await get(`/execution/dag-runs/${dagId}/run_1`);
      expect(detail.status).toBe(200);
      // jsonb orders keys by length, then bytewise; values and fraction digits are kept.
      expect(detail.text).toContain('"conf":{"big":12345678901234567890,"price":1.50,"nested":[0.1000000000000000055511151231257827]}');
      expect({ ...detail.body, conf: undefined }).toEqual({
        dag_id: dagId,
        run_id: 'run_1',
        logical_date: '2026-12-06T14:00:00.000Z',
        data_interval_start: null,
        data_interval_end: null,
        run_after: '2026-12-06T14:05:00.000Z',
        start_date: null,
        end_date: null,
        clear_number: 0,
        run_type: 'operator_triggered',
        state: 'queued',
        conf: undefined,
        triggering_user_name: 'alice',
        consumed_asset_events: [],
        partition_key: 'p1',
        note: 'from load',
        team_name: null,
      });
      // The control plane sees the same run, conf exact.
      const admin = await http(t.baseUrl, 'GET', `/api/v1/dag-runs/${dagId}/run_1`);
      expect(admin.text).toContain('"big":12345678901234567890');
    });

    it('a second trigger of the run id is 409 already_exists with Airflow’s message; the run is unchanged', async () => {
      const dagId = await registeredDag('trg');
      expect((await trigger(dagId, 'dup', { conf: { n: 1 } })).status).toBe(204);
      const again = await trigger(dagId, 'dup', { conf: { n: 2 } });
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toBe('application/json');
      expect(again.body).toEqual(airflowError('already_exists', `A run already exists for Dag '${dagId}' with run_id 'dup'`));
      expect((await get(`/execution/dag-runs/${dagId}/dup`)).body.conf).toEqual({ n: 1 });
    });

    it('concurrent triggers of one run id: exactly one 204, every other one 409 already_exists', async () => {
      const dagId = await registeredDag('trg');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => trigger(dagId, 'race', { conf: { i } })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([204, ...Array(9).fill(409)]);
      for (const r of results.filter((x) => x.status === 409)) {
        expect(r.body).toEqual(airflowError('already_exists', `A run already exists for Dag '${dagId}' with run_id 'race'`));
      }
      expect(await get(`/execution/dag-runs/count?dag_id=${dagId}`).then((r) => r.body)).toBe(1);
    });

    it('with an Idempotency-Key, a retry after a timeout gets the stored 204, not a 409', async () => {
      const dagId = await registeredDag('trg');
      const key = { 'Idempotency-Key': uuidv7() };
      const first = await trigger(dagId, 'keyed', { conf: {} }, key);
      const retry = await trigger(dagId, 'keyed', { conf: {} }, key);
      expect([first.status, retry.status]).toEqual([204, 204]);
      // Without the key, the same request is the real conflict.
      expect((await trigger(dagId, 'keyed', { conf: {} })).status).toBe(409);
    });

    it('an empty body (every field left at its default, as the SDK sends with exclude_defaults) triggers a run without logical date', async () => {
      const dagId = await registeredDag('trg');
      expect((await trigger(dagId, 'bare', {})).status).toBe(204);
      const run = (await get(`/execution/dag-runs/${dagId}/bare`)).body;
      expect([run.logical_date, run.conf, run.partition_key, run.note, run.state]).toEqual([null, {}, null, null, 'queued']);
    });

    it('unknown dag → 404, import errors → 400, as Airflow words them; nothing written', async () => {
      const missing = await trigger('no_such_dag', 'r', {});
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(airflowError('not_found', "Dag with dag_id: 'no_such_dag' not found"));
      const broken = await registeredDag('trg', { has_import_errors: true });
      const refused = await trigger(broken, 'r', {});
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual(airflowError('import_errors', `Dag with dag_id '${broken}' has import errors and cannot be triggered`));
      expect(await get(`/execution/dag-runs/count?dag_id=${broken}`).then((r) => r.body)).toBe(0);
    });

    it('a dag known only by its runs can be triggered', async () => {
      expect((await trigger(caller.dag_id, uniqueId('by_runs'), {})).status).toBe(204);
    });

    it.each([
      ['an unknown field', { conf: {}, bundle_version: 'x' }, 'bundle_version'],
      ['a naive logical_date', { logical_date: '2026-12-06T14:00:00' }, 'logical_date'],
      ['a conf that is not an object', { conf: [1] }, 'conf'],
    ])('refuses %s with a 422 and writes nothing', async (_name, body, field) => {
      const dagId = await registeredDag('trg');
      const res = await trigger(dagId, 'bad', body);
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['body', field]);
      expect(await get(`/execution/dag-runs/count?dag_id=${dagId}`).then((r) => r.body)).toBe(0);
    });

    it('needs a token', async () => {
      const res = await http(t.baseUrl, 'POST', '/execution/dag-runs/d/r', {}, { authorization: undefined });
      expect(res.status).toBe(401);
    });
  });

  describe('reads', () => {
    let dagId: string;
    beforeAll(async () => {
      dagId = await registeredDag('reads');
      for (const [runId, day] of [
        ['r1', 1],
        ['r2', 2],
        ['r3', 3],
      ] as const) {
        expect((await trigger(dagId, runId, { logical_date: `2026-01-0${day}T00:00:00Z` })).status).toBe(204);
      }
      await withDirect((c) => c.query(`update dag_run set state = 'success' where dag_id = $1 and run_id = 'r1'`, [dagId]));
      await withDirect((c) => c.query(`update dag_run set state = 'failed' where dag_id = $1 and run_id = 'r2'`, [dagId]));
    });

    it('GET …/{run_id}/state answers {"state": …}; 404 as Airflow words it', async () => {
      expect((await get(`/execution/dag-runs/${dagId}/r1/state`)).body).toEqual({ state: 'success' });
      const missing = await get(`/execution/dag-runs/${dagId}/nope/state`);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(airflowError('not_found', `Dag run with dag_id '${dagId}' and run_id 'nope' was not found`));
    });

    it.each([
      ['no filter', '', 3],
      ['states', '&states=success&states=failed', 2],
      ['run_ids', '&run_ids=r1&run_ids=r3&run_ids=zz', 2],
      ['logical_dates', `&logical_dates=${encodeURIComponent('2026-01-02T00:00:00+00:00')}`, 1],
      ['every filter', '&states=failed&run_ids=r2&logical_dates=2026-01-02T00:00:00Z', 1],
    ])('GET /execution/dag-runs/count: %s', async (_name, query, expected) => {
      const res = await get(`/execution/dag-runs/count?dag_id=${dagId}${query}`);
      expect(res.status).toBe(200);
      expect(res.text).toBe(String(expected));
    });

    it('GET /execution/dag-runs/count refuses an unknown state with 422', async () => {
      expect((await get(`/execution/dag-runs/count?dag_id=${dagId}&states=bogus`)).status).toBe(422);
    });

    it('GET /execution/dag-runs/previous: the latest before the date, by state; null when none', async () => {
      const before = (date: string, extra = '') => get(`/execution/dag-runs/previous?dag_id=${dagId}&logical_date=${encodeURIComponent(date)}${extra}`);
      expect((await before('2026-01-03T00:00:00Z')).body.run_id).toBe('r2');
      expect((await before('2026-01-03T00:00:00Z', '&state=success')).body.run_id).toBe('r1');
      const none = await before('2026-01-01T00:00:00Z');
      expect(none.status).toBe(200);
      expect(none.text).toBe('null');
      expect(none.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await get(`/execution/dag-runs/previous?dag_id=no_such_dag&logical_date=2026-01-03T00:00:00Z`)).text).toBe('null');
      const bad = await before('2026-01-03T00:00:00Z', '&state=bogus');
      expect(bad.status).toBe(422);
      expect(bad.body.detail[0].loc).toEqual(['query', 'state']);
    });

    it('GET /execution/dag-runs/{dag_id}/previous: the older route before API 2026-04-06, the run named previous after', async () => {
      const old = await get(`/execution/dag-runs/${dagId}/previous?logical_date=2026-01-03T00:00:00Z`, { [VERSION]: '2025-08-10' });
      expect(old.status).toBe(200);
      expect(old.body.run_id).toBe('r2');
      // 2025-08-10 has DagRun.state but not the later fields.
      expect(Object.keys(old.body).sort()).toEqual(
        [
          'clear_number',
          'conf',
          'consumed_asset_events',
          'dag_id',
          'data_interval_end',
          'data_interval_start',
          'end_date',
          'logical_date',
          'run_after',
          'run_id',
          'run_type',
          'start_date',
          'state',
        ].sort(),
      );
      const oldBad = await get(`/execution/dag-runs/${dagId}/previous?logical_date=2026-01-03T00:00:00Z&state=bogus`, { [VERSION]: '2025-08-10' });
      expect(oldBad.status).toBe(422);
      const newer = await get(`/execution/dag-runs/${dagId}/previous?logical_date=2026-01-03T00:00:00Z`);
      expect(newer.status).toBe(404);
      expect(newer.body).toEqual(airflowError('not_found', `Dag run with dag_id '${dagId}' and run_id 'previous' was not found`));
    });

    it('GET …/{run_id} answers DagRun in the caller’s version: 2025-04-28 has no state, user, partition, note, team; start_date stands in', async () => {
      const res = await get(`/execution/dag-runs/${dagId}/r3`, { [VERSION]: '2025-04-28' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        dag_id: dagId,
        run_id: 'r3',
        logical_date: '2026-01-03T00:00:00.000Z',
        data_interval_start: null,
        data_interval_end: null,
        run_after: res.body.run_after,
        start_date: res.body.run_after,
        end_date: null,
        clear_number: 0,
        // Task SDK < 1.3 has no `operator_triggered` run type (AddOperatorTriggeredRunType).
        run_type: 'manual',
        conf: {},
        consumed_asset_events: [],
      });
    });
  });

  describe('POST /execution/dag-runs/{dag_id}/{run_id}/clear', () => {
    const api = () => lifecycle(t.baseUrl);
    const clear = (dagId: string, runId: string, body?: unknown) => http(t.baseUrl, 'POST', `/execution/dag-runs/${dagId}/${runId}/clear`, body, as());
    const history = (ti: CreatedTi) =>
      withDirect(
        async (c) =>
          (await c.query('select state, try_number from task_instance_history where dag_id = $1 and task_id = $2 order by try_number', [ti.dag_id, ti.task_id]))
            .rows,
      );

    /** A run of a fresh dag with a succeeded, a failed and a running task instance. */
    async function runWithTasks() {
      const dag_id = uniqueId('clr');
      const make = (task_id: string) => createTaskInstance(t.baseUrl, { dag_id, run_id: 'r', task_id });
      const [ok, bad, busy] = [await make('ok'), await make('bad'), await make('busy')];
      for (const ti of [ok, bad, busy]) expect((await api().run(ti.id)).status).toBe(200);
      expect((await api().state(ok.id, { state: 'success', end_date: '2026-11-25T10:01:00Z' })).status).toBe(204);
      expect((await api().state(bad.id, { state: 'failed', end_date: '2026-11-25T10:01:00Z' })).status).toBe(204);
      await withDirect((c) => c.query(`update dag_run set state = 'failed', end_date = now() where dag_id = $1`, [dag_id]));
      return { dag_id, ok, bad, busy };
    }
    const runRow = (dagId: string) =>
      withDirect(async (c) => (await c.query('select state, clear_number, start_date, end_date from dag_run where dag_id = $1', [dagId])).rows[0]);

    it('only_failed: the failed task instance gets a new try (old one archived), the others stay; the run is queued again', async () => {
      const { dag_id, ok, bad, busy } = await runWithTasks();
      const res = await clear(dag_id, 'r', { only_failed: true });
      expect(res.status).toBe(204);
      expect(await runRow(dag_id)).toEqual({ state: 'queued', clear_number: 1, start_date: null, end_date: null });
      const badNow = await liveRow(bad);
      expect([badNow.state, badNow.try_number, badNow.id === bad.id]).toEqual(['none', 2, false]);
      expect(await history(bad)).toEqual([{ state: 'failed', try_number: 1 }]);
      expect((await liveRow(ok)).state).toBe('success');
      expect((await liveRow(busy)).state).toBe('running');
      // The old try's id is gone: a late call from it is told so (410).
      expect((await api().heartbeat(bad.id)).status).toBe(410);
    });

    it('without a body (older SDKs): every task instance; a running one becomes restarting', async () => {
      const { dag_id, ok, bad, busy } = await runWithTasks();
      const res = await clear(dag_id, 'r');
      expect(res.status).toBe(204);
      expect([(await liveRow(ok)).state, (await liveRow(bad)).state, (await liveRow(busy)).state]).toEqual(['none', 'none', 'restarting']);
      expect((await liveRow(busy)).id).toBe(busy.id);
      // The running try learns it must stop.
      expect((await api().heartbeat(busy.id)).status).toBe(409);
      expect(await runRow(dag_id)).toMatchObject({ state: 'queued', clear_number: 1 });
      // A restarting task instance may start again.
      expect((await api().run(busy.id, runBody())).status).toBe(200);
    });

    it('concurrent clears of one run are serialised: each one counted, every task instance archived once per clear', async () => {
      const { dag_id, bad } = await runWithTasks();
      const results = await Promise.all([clear(dag_id, 'r', { only_failed: true }), clear(dag_id, 'r', { only_failed: true })]);
      expect(results.map((r) => r.status)).toEqual([204, 204]);
      // The second clear found the task instance no longer failed: one archive, two clears.
      expect(await history(bad)).toEqual([{ state: 'failed', try_number: 1 }]);
      expect((await runRow(dag_id)).clear_number).toBe(2);
    });

    it('unknown run → 404, unknown dag → 404, as Airflow words them', async () => {
      const { dag_id } = await runWithTasks();
      const noRun = await clear(dag_id, 'nope', {});
      expect(noRun.status).toBe(404);
      expect(noRun.body).toEqual(airflowError('not_found', "Dag run with run_id: 'nope' not found"));
      const noDag = await clear('no_such_dag', 'r', {});
      expect(noDag.body).toEqual(airflowError('not_found', "Dag with dag_id: 'no_such_dag' not found"));
    });

    it('refuses an unknown field with 422', async () => {
      const { dag_id } = await runWithTasks();
      expect((await clear(dag_id, 'r', { only_failed: true, extra: 1 })).status).toBe(422);
      expect((await runRow(dag_id)).clear_number).toBe(0);
    });
  });

  describe('PATCH …/run: dag_run.conf keeps big numbers in every version', () => {
    it.each(['2026-06-30', '2025-04-28'])('API %s', async (version) => {
      const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('conf'), run_id: 'r', task_id: 't', conf: JSON.parse('{}') });
      await withDirect((c) => c.query(`update dag_run set conf = '{"big": 12345678901234567890, "f": 1.50}'::jsonb where dag_id = $1`, [ti.dag_id]));
      const res = await http(t.baseUrl, 'PATCH', `/execution/task-instances/${ti.id}/run`, runBody(), { [VERSION]: version });
      expect(res.status).toBe(200);
      expect(res.text).toContain('"conf":{"f":1.50,"big":12345678901234567890}');
    });
  });
});
