import { http, startTestApp, uniqueId, type TestApp } from '../support/test-app';

describe('control plane: /api/v1/task-instances', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('creates with defaults and reads it back', async () => {
    const dagId = uniqueId('cp');
    const res = await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: dagId, run_id: 'r', task_id: 't' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      dag_id: dagId,
      run_id: 'r',
      task_id: 't',
      map_index: -1,
      try_number: 1,
      max_tries: 0,
      state: 'queued',
      hostname: null,
      unixname: null,
      pid: null,
      start_date: null,
      end_date: null,
      last_heartbeat_at: null,
      updated_at: expect.any(String),
    });
    const got = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it('honours map_index, state and max_tries', async () => {
    const res = await http(t.baseUrl, 'POST', '/api/v1/task-instances', {
      dag_id: uniqueId('cp'),
      run_id: 'r',
      task_id: 't',
      map_index: 3,
      state: 'scheduled',
      max_tries: 2,
      logical_date: '2026-01-01T00:00:00Z',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ map_index: 3, state: 'scheduled', max_tries: 2 });
  });

  it('rejects unknown fields and bad values with every failing path listed', async () => {
    const res = await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: '', run_id: 'r', task_id: 't', map_index: -2, state: 'bogus', extra: 1 });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('validation_error');
    const paths = new Set(res.body.errors.map((e: { path: string }) => e.path));
    expect(paths).toEqual(new Set(['dag_id', 'map_index', 'state', 'extra']));
  });

  it.each([
    [
      'a misspelt field',
      { dag_id: 'd', taskid: 't' },
      [
        { path: 'taskid', message: 'taskid is not allowed' },
        { path: 'task_id', message: 'task_id is required' },
      ],
    ],
    ['a number sent as a string', { dag_id: 'd', task_id: 't', map_index: '0' }, [{ path: 'map_index', message: 'map_index must be an integer number' }]],
    ['a number out of range', { dag_id: 'd', task_id: 't', map_index: -2 }, [{ path: 'map_index', message: 'map_index must not be less than -1' }]],
    ['an empty id', { dag_id: '', task_id: 't' }, [{ path: 'dag_id', message: 'dag_id must be longer than or equal to 1 characters' }]],
    [
      'a date that is not one',
      { dag_id: 'd', task_id: 't', logical_date: {} },
      [{ path: 'logical_date', message: 'logical_date must be a valid ISO 8601 date string' }],
    ],
  ])('answers %s with one clear message per mistake', async (_case, body, errors) => {
    const res = await http(t.baseUrl, 'POST', '/api/v1/task-instances', body);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(errors);
  });

  it('without a run_id, creates a new dag run named <run_type>__<run_after> each time', async () => {
    const dag_id = uniqueId('cp');
    const first = await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id, task_id: 't', run_after: '2026-11-25T10:00:00Z', run_type: 'scheduled' });
    expect(first.status).toBe(201);
    expect(first.body.run_id).toBe('scheduled__2026-11-25T10:00:00.000+00:00');
    const second = await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id, task_id: 't' });
    const third = await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id, task_id: 't' });
    expect([second.status, third.status]).toEqual([201, 201]);
    expect(second.body.run_id).toMatch(/^manual__\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    expect(third.body.run_id).not.toBe(second.body.run_id);
  });

  it('GET of an unknown id is 404 not_found', async () => {
    const id = '01939b7e-0000-7000-8000-000000000001';
    const res = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${id}`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 404, reason: 'not_found', task_instance_id: id });
  });

  it('rendered-fields 404 tells an unknown task instance from one with no fields yet', async () => {
    const unknown = await http(t.baseUrl, 'GET', '/api/v1/task-instances/01939b7e-0000-7000-8000-000000000002/rendered-fields');
    expect(unknown.status).toBe(404);
    expect(unknown.body.reason).toBe('not_found');

    const created = await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: uniqueId('cp'), run_id: 'r', task_id: 't' });
    const empty = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${created.body.id}/rendered-fields`);
    expect(empty.status).toBe(404);
    expect(empty.body).toMatchObject({ status: 404, reason: 'rendered_fields_not_found', task_instance_id: created.body.id });
  });

  it('answers unknown routes with a problem, not an HTML page', async () => {
    const res = await http(t.baseUrl, 'GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, reason: 'not_found' });
  });
});
