import { buildVersionBundle, EXECUTION_API_VERSIONS } from '../../src/api-versions';
import { isIsoDate, VersionBundle } from '../../src/common/api-version/version-bundle';
import { defineVersionChanges, field } from '../../src/common/api-version/version-changes';
import { downgradeUpstreamMapIndexes, toBaseSerialization } from '../../src/task-instances/lifecycle/run-context.versions';

const bundle = buildVersionBundle();

/** A TIRunContext in the newest shape, as `PATCH …/run` builds it (resuming, so every optional field is there). */
function newest(over: { dag_run?: Record<string, unknown>; [k: string]: unknown } = {}) {
  const { dag_run, ...rest } = over;
  return {
    dag_run: {
      dag_id: 'd',
      run_id: 'r',
      logical_date: null,
      data_interval_start: null,
      data_interval_end: null,
      run_after: '2026-11-25T00:00:00.000Z',
      start_date: null,
      end_date: null,
      clear_number: 0,
      run_type: 'manual',
      state: 'queued',
      conf: null,
      triggering_user_name: null,
      consumed_asset_events: [],
      partition_key: null,
      note: null,
      team_name: null,
      ...dag_run,
    },
    task_reschedule_count: 0,
    first_task_reschedule_start_date: null,
    max_tries: 1,
    variables: [],
    connections: [],
    next_method: 'execute_complete',
    next_kwargs: { event: 'done', n: [1, { a: true }] },
    start_date: '2026-11-25T10:00:00.000Z',
    xcom_keys_to_clear: [],
    should_retry: true,
    ...rest,
  };
}

describe('Execution API versions: resolving Airflow-API-Version as Cadwyn does', () => {
  it('lists Airflow’s versions oldest first, up to the one Task SDK 1.3 sends', () => {
    expect(bundle.versions).toEqual(EXECUTION_API_VERSIONS);
    expect(bundle.versions[0]).toBe('2025-04-11');
    expect(bundle.newest).toBe('2026-06-30');
  });

  it.each([
    ['no header: the newest', undefined, { kind: 'served', version: '2026-06-30' }],
    ['a known version: itself', '2025-05-20', { kind: 'served', version: '2025-05-20' }],
    ['the first version', '2025-04-11', { kind: 'served', version: '2025-04-11' }],
    ['a date between two versions: the older one', '2025-12-01', { kind: 'served', version: '2025-11-05' }],
    ['the day before a version: the one before it', '2026-04-05', { kind: 'served', version: '2025-11-05' }],
    ['a date after the newest (Airflow main’s 2026-11-13): the newest', '2026-11-13', { kind: 'served', version: '2026-06-30' }],
    ['a date before the first: no route (404)', '2025-04-10', { kind: 'before_first', requested: '2025-04-10' }],
    ['an empty header: no route (404)', '', { kind: 'before_first', requested: '' }],
    ['malformed, sorting before the first: no route (404)', '01/02/2026', { kind: 'before_first', requested: '01/02/2026' }],
    ['malformed, sorting after the first: 422, answered as the version it sorts after', 'banana', { kind: 'malformed', version: '2026-06-30' }],
    ['an impossible date: 422', '2026-02-30', { kind: 'malformed', version: '2025-11-05' }],
    ['a datetime: 422 (only YYYY-MM-DD)', '2025-05-20T00:00:00Z', { kind: 'malformed', version: '2025-05-20' }],
  ])('%s', (_name, raw, expected) => {
    expect(bundle.resolve(raw)).toEqual(expected);
  });

  it('isIsoDate takes calendar dates only', () => {
    expect(['2024-02-29', '2026-06-30'].map(isIsoDate)).toEqual([true, true]);
    expect(['2025-02-29', '2026-13-01', '2026-6-30', ' 2026-06-30', '20260630'].map(isIsoDate)).toEqual([false, false, false, false, false]);
  });
});

describe('Execution API versions: the TIRunContext / DagRun change table', () => {
  it('the newest version answers the body unchanged (the same object: no copy, no cost)', () => {
    const body = newest();
    expect(bundle.migrate('TIRunContext', body, '2026-06-30')).toBe(body);
  });

  it('2026-04-06 (Task SDK 1.2): no team_name, no first_task_reschedule_start_date; the rest as newest', () => {
    const { first_task_reschedule_start_date: _f, ...rest } = newest();
    const { team_name: _t, ...dagRun } = newest().dag_run;
    expect(bundle.migrate('TIRunContext', newest(), '2026-04-06')).toEqual({ ...rest, dag_run: dagRun });
  });

  it('2025-11-05 (Task SDK 1.1): also no partition_key, note, start_date; start_date from run_after; upstream_map_indexes null; next_kwargs in BaseSerialization', () => {
    expect(bundle.migrate('TIRunContext', newest(), '2025-11-05')).toEqual({
      dag_run: {
        dag_id: 'd',
        run_id: 'r',
        logical_date: null,
        data_interval_start: null,
        data_interval_end: null,
        run_after: '2026-11-25T00:00:00.000Z',
        start_date: '2026-11-25T00:00:00.000Z',
        end_date: null,
        clear_number: 0,
        run_type: 'manual',
        state: 'queued',
        conf: null,
        triggering_user_name: null,
        consumed_asset_events: [],
      },
      task_reschedule_count: 0,
      max_tries: 1,
      variables: [],
      connections: [],
      upstream_map_indexes: null,
      next_method: 'execute_complete',
      next_kwargs: { __type: 'dict', __var: { event: 'done', n: [1, { __type: 'dict', __var: { a: true } }] } },
      xcom_keys_to_clear: [],
      should_retry: true,
    });
  });

  it('2025-10-27: no triggering_user_name; 2025-09-23 and 2025-08-10: conf {} instead of null; 2025-05-20: no state', () => {
    const at = (v: string) => (bundle.migrate('TIRunContext', newest(), v) as { dag_run: Record<string, unknown> }).dag_run;
    expect(at('2025-10-27')).not.toHaveProperty('triggering_user_name');
    expect(at('2025-10-27').conf).toBeNull();
    expect(at('2025-09-23').conf).toEqual({});
    expect(at('2025-08-10')).toMatchObject({ conf: {}, state: 'queued' });
    expect(at('2025-05-20')).not.toHaveProperty('state');
  });

  it('3.0 (2025-04-11 … 2025-05-20): exactly the 3.0 Task SDK DagRun fields', () => {
    for (const v of ['2025-04-11', '2025-04-28', '2025-05-20']) {
      const body = bundle.migrate('TIRunContext', newest(), v) as { dag_run: Record<string, unknown> } & Record<string, unknown>;
      expect(Object.keys(body.dag_run).sort()).toEqual(
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
        ].sort(),
      );
      expect(body.upstream_map_indexes).toBeNull();
    }
  });

  it('does not touch the body it was given (the handler’s object may be reused)', () => {
    const body = newest();
    const before = structuredClone(body);
    bundle.migrate('TIRunContext', body, '2025-04-11');
    expect(body).toEqual(before);
  });

  it('a set start_date and conf stay as they are for older callers', () => {
    const body = newest({ dag_run: { start_date: '2026-11-25T09:00:00.000Z', conf: { a: 1 } } });
    expect((bundle.migrate('TIRunContext', body, '2025-04-11') as { dag_run: unknown }).dag_run).toMatchObject({
      start_date: '2026-11-25T09:00:00.000Z',
      conf: { a: 1 },
    });
  });

  it('next_kwargs: already BaseSerialization, an encrypted string, serde leaves and null stay as they are', () => {
    expect(toBaseSerialization({ __type: 'dict', __var: { a: 1 } })).toEqual({ __type: 'dict', __var: { a: 1 } });
    expect(toBaseSerialization('gAAAAB-encrypted')).toBe('gAAAAB-encrypted');
    expect(toBaseSerialization(null)).toBeNull();
    const moment = { __classname__: 'datetime.datetime', __version__: 2, __data__: { timestamp: 1.7e9 } };
    expect(toBaseSerialization({ moment })).toEqual({ __type: 'dict', __var: { moment } });
  });

  it('upstream_map_indexes before 2025-05-20: one int per task (a list gives its first, anything else 0)', () => {
    expect(downgradeUpstreamMapIndexes({ a: 1, b: [3, 4], c: [], d: null, e: ['x'] })).toEqual({ a: 1, b: 3, c: 0, d: 0, e: 0 });
    expect(downgradeUpstreamMapIndexes(null)).toBeNull();
    const body = newest({ upstream_map_indexes: { a: [2, 5] } });
    expect(bundle.migrate('TIRunContext', body, '2025-05-20')).toMatchObject({ upstream_map_indexes: { a: [2, 5] } });
    expect(bundle.migrate('TIRunContext', body, '2025-04-28')).toMatchObject({ upstream_map_indexes: { a: 2 } });
  });

  it('a DagRun change applies wherever DagRun is nested, including lists of it', () => {
    const nested = new VersionBundle(
      ['2025-01-01', '2025-02-01'],
      [
        defineVersionChanges('t', { Page: { items: 'Run' }, Run: {} }, [
          { version: '2025-02-01', name: 'AddColour', description: 'colour', instructions: [field('Run', 'colour').didntExist] },
        ]),
      ],
    );
    expect(nested.migrate('Page', { items: [{ id: 1, colour: 'red' }, { id: 2 }] }, '2025-01-01')).toEqual({ items: [{ id: 1 }, { id: 2 }] });
    expect(nested.migrate('Run', [{ id: 1, colour: 'red' }], '2025-01-01')).toEqual([{ id: 1 }]);
  });

  it('lists the changes of each version as declared', () => {
    expect(bundle.changesIn('2026-06-30').map((c) => c.name)).toEqual([
      'AddTeamNameField',
      'AddFirstTaskRescheduleStartDateField',
      'AddOperatorTriggeredRunType',
    ]);
    expect(bundle.changesIn('2025-09-23').map((c) => c.name)).toEqual(['RenameHITLResponseFields']);
    expect(bundle.changesIn('2025-04-28')).toEqual([]);
  });

  it('gives HITLDetailResponse its pre-2025-09-23 names (user_id: the responder id; response_at), and leaves newer versions alone', () => {
    const newest = {
      response_received: true,
      responded_by_user: { id: 'jane', name: 'Jane Doe' },
      responded_at: '2026-12-06T15:00:00.000Z',
      chosen_options: ['Approve'],
      params_input: {},
    };
    expect(bundle.migrate('HITLDetailResponse', newest, '2025-08-10')).toEqual({
      response_received: true,
      user_id: 'jane',
      response_at: '2026-12-06T15:00:00.000Z',
      chosen_options: ['Approve'],
      params_input: {},
    });
    expect(bundle.migrate('HITLDetailResponse', { ...newest, responded_by_user: null, responded_at: null }, '2025-08-10')).toMatchObject({
      user_id: null,
      response_at: null,
    });
    expect(bundle.migrate('HITLDetailResponse', newest, '2025-09-23')).toEqual(newest);
  });

  it('answers run type operator_triggered as manual before 2026-06-30, other run types unchanged', () => {
    expect(bundle.migrate('DagRun', { run_type: 'operator_triggered' }, '2026-06-30')).toEqual({ run_type: 'operator_triggered' });
    expect((bundle.migrate('DagRun', { run_type: 'operator_triggered' }, '2026-04-06') as { run_type: string }).run_type).toBe('manual');
    expect((bundle.migrate('DagRun', { run_type: 'scheduled' }, '2026-04-06') as { run_type: string }).run_type).toBe('scheduled');
  });

  it('keeps exact numbers (JSON.rawJSON leaves) when it migrates a body: structuredClone would throw on them', () => {
    const conf = { big: JSON.rawJSON('12345678901234567890') };
    const migrated = bundle.migrate('DagRun', { run_type: 'manual', conf }, '2025-04-28');
    expect(JSON.stringify(migrated)).toBe('{"run_type":"manual","conf":{"big":12345678901234567890}}');
  });
});

describe('Execution API versions: a bad declaration fails at start-up', () => {
  const change = (version: string, schema = 'S') => ({ version, name: 'C', description: 'd', instructions: [field(schema, 'f').didntExist] });
  it.each([
    ['an empty list', [], [], /the list is empty/],
    ['versions out of order', ['2025-02-01', '2025-01-01'], [], /not after/],
    ['a version that is not a date', ['2025-01-01', 'v2'], [], /not a YYYY-MM-DD date/],
    [
      'a change in an unknown version',
      ['2025-01-01', '2025-02-01'],
      [defineVersionChanges('m', { S: {} }, [change('2025-03-01')])],
      /unknown version 2025-03-01/,
    ],
    ['a change in the first version', ['2025-01-01', '2025-02-01'], [defineVersionChanges('m', { S: {} }, [change('2025-01-01')])], /first version/],
    ['a change to an undeclared schema', ['2025-01-01', '2025-02-01'], [defineVersionChanges('m', { S: {} }, [change('2025-02-01', 'T')])], /does not declare/],
    ['a nested schema nobody declares', ['2025-01-01'], [defineVersionChanges('m', { S: { x: 'T' } }, [])], /undeclared schema T/],
    ['a schema declared twice', ['2025-01-01'], [defineVersionChanges('m', { S: {} }, []), defineVersionChanges('n', { S: {} }, [])], /declared twice/],
  ])('%s', (_name, versions, modules, message) => {
    expect(() => new VersionBundle(versions, modules)).toThrow(message);
  });
});
