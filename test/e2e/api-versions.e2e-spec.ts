import { Controller, Get, Module } from '@nestjs/common';
import { VersionedResponse } from '../../src/common/api-version/versioned-response';
import { problemHttp as http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { lifecycle, problem, requeue, runBody, START, tiRow } from './lifecycle.helpers';

const HEADER = 'Airflow-API-Version';

@Controller('test-versioned')
class UndeclaredSchemaController {
  @Get()
  @VersionedResponse('NoSuchSchema')
  get(): Record<string, never> {
    return {};
  }
}

@Module({ controllers: [UndeclaredSchemaController] })
class UndeclaredSchemaModule {}

/**
 * `PATCH …/run` answered in the shape of each Task SDK line's `Airflow-API-Version` (its generated
 * `DagRun` model forbids unknown fields, so one field too many fails the whole start), Airflow's
 * answers to versions it does not know, and the header on the other routes. The expected bodies are
 * written out per SDK line from Airflow's models, not computed from the change table.
 */
describe('Airflow-API-Version on the execution API', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  const run = (id: string, version: string | undefined, body: unknown = runBody()) =>
    http(t.baseUrl, 'PATCH', api.path(id, 'run'), body, { [HEADER]: version });

  async function queuedTi() {
    const dagId = uniqueId('ver');
    const ti = await api.newTi({
      dag_id: dagId,
      run_id: 'scheduled__2026-11-24',
      max_tries: 1,
      logical_date: '2026-11-24T00:00:00Z',
      run_after: '2026-11-25T00:00:00Z',
      data_interval_start: '2026-11-24T00:00:00Z',
      data_interval_end: '2026-11-25T00:00:00Z',
      run_type: 'scheduled',
      conf: { target: 'prod' },
    });
    // A run the scheduler queued but has not started: Airflow's start_date is null then.
    await withDirect((c) => c.query(`update dag_run set state = 'queued', start_date = null where dag_id = $1`, [dagId]));
    return { ti, dagId };
  }

  /** The newest DagRun (API 2026-06-30) of `queuedTi()`; older lines drop fields from it. */
  const dagRun = (dagId: string) => ({
    dag_id: dagId,
    run_id: 'scheduled__2026-11-24',
    logical_date: '2026-11-24T00:00:00.000Z',
    data_interval_start: '2026-11-24T00:00:00.000Z',
    data_interval_end: '2026-11-25T00:00:00.000Z',
    run_after: '2026-11-25T00:00:00.000Z',
    start_date: null as string | null,
    end_date: null,
    clear_number: 0,
    run_type: 'scheduled',
    state: 'queued',
    conf: { target: 'prod' },
    triggering_user_name: null,
    consumed_asset_events: [],
    partition_key: null,
    note: null,
    team_name: null,
  });
  const context = { task_reschedule_count: 0, max_tries: 1, variables: [], connections: [], xcom_keys_to_clear: [], should_retry: true };

  it('3.3 (2026-06-30) and no header: the newest shape, and the version in the response header', async () => {
    for (const version of ['2026-06-30', undefined]) {
      const { ti, dagId } = await queuedTi();
      const res = await run(ti.id, version);
      expect(res.status).toBe(200);
      expect(res.headers.get(HEADER)).toBe('2026-06-30');
      // task-instance reads (wt-reads) add first_task_reschedule_start_date at 2026-06-30.
      expect(res.body).toEqual({ dag_run: dagRun(dagId), ...context, first_task_reschedule_start_date: null });
    }
  });

  it('3.2 (2026-04-06): no team_name; start_date may be null', async () => {
    const { ti, dagId } = await queuedTi();
    const res = await run(ti.id, '2026-04-06');
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBe('2026-04-06');
    const { team_name: _t, ...expected } = dagRun(dagId);
    expect(res.body).toEqual({ dag_run: expected, ...context });
  });

  it('3.1 (2025-11-05): no partition_key, note, team_name; start_date never null (run_after); upstream_map_indexes null', async () => {
    const { ti, dagId } = await queuedTi();
    const res = await run(ti.id, '2025-11-05');
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBe('2025-11-05');
    const { team_name: _t, partition_key: _p, note: _n, ...expected } = dagRun(dagId);
    expect(res.body).toEqual({ dag_run: { ...expected, start_date: '2026-11-25T00:00:00.000Z' }, ...context, upstream_map_indexes: null });
  });

  it('3.1.0 (2025-09-23): also no triggering_user_name', async () => {
    const { ti, dagId } = await queuedTi();
    const res = await run(ti.id, '2025-09-23');
    const { team_name: _t, partition_key: _p, note: _n, triggering_user_name: _u, ...expected } = dagRun(dagId);
    expect(res.body).toEqual({ dag_run: { ...expected, start_date: '2026-11-25T00:00:00.000Z' }, ...context, upstream_map_indexes: null });
  });

  it.each(['2025-05-20', '2025-04-28', '2025-04-11'])('3.0 (%s): also no dag_run.state', async (version) => {
    const { ti, dagId } = await queuedTi();
    const res = await run(ti.id, version);
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBe(version);
    const { team_name: _t, partition_key: _p, note: _n, triggering_user_name: _u, state: _s, ...expected } = dagRun(dagId);
    expect(res.body).toEqual({ dag_run: { ...expected, start_date: '2026-11-25T00:00:00.000Z' }, ...context, upstream_map_indexes: null });
  });

  it('a started run keeps its own start_date for every version', async () => {
    const ti = await api.newTi({ run_after: '2026-11-25T00:00:00Z' });
    const res = await run(ti.id, '2025-05-20');
    expect(res.status).toBe(200);
    expect(res.body.dag_run.start_date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(res.body.dag_run.start_date).not.toBe('2026-11-25T00:00:00.000Z');
  });

  describe('resuming a deferred try', () => {
    async function deferredTi() {
      const ti = await api.running();
      const deferred = await api.state(ti.id, {
        state: 'deferred',
        classpath: 'tests.triggers.Wait',
        next_method: 'execute_complete',
        next_kwargs: { cursor: 7, items: ['a', { b: null }] },
      });
      expect(deferred.status).toBe(204);
      await requeue(ti.id);
      return ti;
    }

    it('3.2+: the try’s start_date and next_kwargs as stored', async () => {
      const ti = await deferredTi();
      const res = await run(ti.id, '2026-04-06', runBody({ pid: 5555 }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ next_method: 'execute_complete', next_kwargs: { cursor: 7, items: ['a', { b: null }] }, start_date: START });
    });

    it('3.1 and older: no start_date, next_kwargs in BaseSerialization', async () => {
      const ti = await deferredTi();
      const res = await run(ti.id, '2025-11-05', runBody({ pid: 5555 }));
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('start_date');
      expect(res.body.next_kwargs).toEqual({ __type: 'dict', __var: { cursor: 7, items: ['a', { __type: 'dict', __var: { b: null } }] } });
    });
  });

  describe('versions Airflow does not know (Cadwyn)', () => {
    it.each([
      ['between 3.1 and 3.2: the older (3.1) shape', '2026-01-15', '2025-11-05'],
      ['after the newest (Airflow main): the newest shape', '2026-11-13', '2026-06-30'],
    ])('%s, echoed as the version answered', async (_name, asked, answered) => {
      const { ti } = await queuedTi();
      const res = await run(ti.id, asked);
      expect(res.status).toBe(200);
      expect(res.headers.get(HEADER)).toBe(answered);
      const keys = Object.keys(res.body.dag_run);
      expect(keys.includes('partition_key')).toBe(answered === '2026-06-30');
    });

    it.each([
      ['before the first version', '2024-12-31', '2024-12-31'],
      ['malformed, sorting before the first version', '1.0', null],
      ['empty', '', null],
    ])('%s: 404 (no route serves it), and the task instance is not started', async (_name, asked, echoed) => {
      const { ti } = await queuedTi();
      const res = await run(ti.id, asked);
      expect(res.status).toBe(404);
      expect(res.headers.get(HEADER)).toBe(echoed);
      expect(res.body).toEqual(
        problem(404, 'not_found', 'No route serves an Airflow-API-Version before 2025-04-11, the oldest version of this service.', api.path(ti.id, 'run'), {
          oldest_version: '2025-04-11',
        }),
      );
      expect((await tiRow(ti.id))!.state).toBe('queued');
    });

    it.each([
      ['banana', '2026-06-30'],
      ['2026-02-30', '2025-11-05'],
      ['2026-06-30T00:00:00Z', '2026-06-30'],
      ['2025-04-11x', '2025-04-11'],
    ])('malformed %s: 422 naming the header, never echoing it (the version picked by string order is), and nothing changes', async (asked, picked) => {
      const { ti } = await queuedTi();
      const res = await run(ti.id, asked);
      expect(res.status).toBe(422);
      expect(res.headers.get(HEADER)).toBe(picked);
      expect(res.body).toEqual(
        problem(422, 'validation_error', 'The Airflow-API-Version header is not a valid date.', api.path(ti.id, 'run'), {
          errors: [{ path: 'header Airflow-API-Version', message: 'Airflow-API-Version must be a date (YYYY-MM-DD)' }],
        }),
      );
      expect(res.text).not.toContain(asked);
      expect((await tiRow(ti.id))!.state).toBe('queued');
    });

    it("malformed, in Airflow's format: one issue at the header's name, under body as the service always said", async () => {
      const { ti } = await queuedTi();
      const res = await http(t.baseUrl, 'PATCH', api.path(ti.id, 'run'), runBody(), { [HEADER]: '2025-13-01', accept: 'application/json' });
      expect([res.status, res.headers.get(HEADER), res.body]).toEqual([
        422,
        '2025-11-05',
        { detail: [{ loc: ['body', 'header Airflow-API-Version'], msg: 'Airflow-API-Version must be a date (YYYY-MM-DD)', type: 'value_error' }] },
      ]);
    });

    it('the version is refused before authentication, as Cadwyn routes before any dependency runs', async () => {
      const { ti } = await queuedTi();
      const res = await http(t.baseUrl, 'PATCH', api.path(ti.id, 'run'), runBody(), { [HEADER]: '2020-01-01', authorization: undefined });
      expect(res.status).toBe(404);
    });
  });

  describe('other routes', () => {
    it('every execution route resolves and echoes the version; a body without a versioned schema is unchanged', async () => {
      const ti = await api.running();
      const rtif = await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), { cmd: 'echo 1' }, { [HEADER]: '2025-05-20' });
      expect(rtif.status).toBe(201);
      expect(rtif.headers.get(HEADER)).toBe('2025-05-20');
      expect(rtif.body).toEqual({ message: 'Rendered task instance fields successfully set' });
      const old = await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), { cmd: 'echo 1' }, { [HEADER]: '2019-01-01' });
      expect(old.status).toBe(404);
    });

    it('a path Express routes to an execution handler in another spelling resolves the version too', async () => {
      const { ti } = await queuedTi();
      for (const path of [`/EXECUTION/task-instances/${ti.id}/run`, `/execution//task-instances/${ti.id}/run`]) {
        const res = await http(t.baseUrl, 'PATCH', path, runBody(), { [HEADER]: '2025-05-20', authorization: 'Bearer x' });
        expect([path, res.headers.get(HEADER)]).toEqual([path, '2025-05-20']);
      }
    });

    it('the control plane (/api/v1) ignores the header', async () => {
      const res = await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: uniqueId('ver'), task_id: 't' }, { [HEADER]: 'banana' });
      expect(res.status).toBe(201);
      expect(res.headers.get(HEADER)).toBeNull();
    });

    it('the OpenAPI document shows the newest TIRunContext and documents the header on every execution route, and only there', async () => {
      const doc = (await http(t.baseUrl, 'GET', '/openapi.json')).body;
      const props = doc.components.schemas.TIRunContext.properties;
      expect(props).not.toHaveProperty('upstream_map_indexes');
      expect(props).toHaveProperty('start_date');
      expect(Object.keys(doc.components.schemas.DagRun.properties)).toEqual(expect.arrayContaining(['partition_key', 'note', 'team_name']));
      const params = doc.paths['/execution/task-instances/{task_instance_id}/run'].patch.parameters;
      expect(params).toContainEqual(expect.objectContaining({ name: HEADER, in: 'header', required: false }));
      for (const [path, item] of Object.entries<Record<string, { parameters?: { name: string }[] }>>(doc.paths)) {
        for (const op of Object.values(item)) {
          expect([path, (op.parameters ?? []).some((p) => p.name === HEADER)]).toEqual([path, path.startsWith('/execution/')]);
        }
      }
    });
  });
});

describe('@VersionedResponse', () => {
  it('refuses, when applied, a name that is not a schema name', () => {
    expect(() => VersionedResponse('Dag Run')).toThrow('"Dag Run" is not a schema name');
  });

  it('refuses to start when a route names a schema no module declares, naming the route', async () => {
    await expect(startTestApp({ imports: [UndeclaredSchemaModule] })).rejects.toThrow(
      "@VersionedResponse('NoSuchSchema') on UndeclaredSchemaController.get: no module declares that schema",
    );
  });
});
