import { createTaskInstance, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { storedFields } from '../support/test-database';

const OK = { message: 'Rendered task instance fields successfully set' };

describe('PUT /execution/task-instances/{id}/rtif', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RTIF_MAX_BODY_BYTES: '4096', RTIF_EXTRA_SENSITIVE_FIELDS: 'conn_uri' } });
  });
  afterAll(() => t.close());

  const newTi = () => createTaskInstance(t.baseUrl, { dag_id: uniqueId('dag'), run_id: 'run_1', task_id: 'task' });
  const put = (id: string, body: unknown, headers?: Record<string, string>) =>
    problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${id}/rtif`, body, headers);

  const shapes: [string, Record<string, unknown>][] = [
    ['flat strings', { bash_command: 'echo 1', cwd: '/tmp' }],
    ['nested object', { op_kwargs: { a: { b: { c: 'deep' } }, n: 1 } }],
    ['list of strings', { files: ['a.csv', 'b.csv', 'c.csv'] }],
    ['mixed list', { args: ['x', 1, 2.5, true, false, null, { k: 'v' }] }],
    ['nested dicts in lists', { steps: [{ name: 's1', params: { p: [1, { q: 'r' }] } }, { name: 's2' }] }],
  ];
  it.each(shapes)('stores %s equal to the body', async (_name, body) => {
    const ti = await newTi();
    const res = await put(ti.id, body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual(OK);
    expect(await storedFields(ti.id)).toEqual([body]);
    const read = await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/rendered-fields`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      dag_id: ti.dag_id,
      run_id: ti.run_id,
      task_id: ti.task_id,
      map_index: -1,
      rendered_fields: body,
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('answers 201 on overwrite, and a write with fewer keys replaces the whole object', async () => {
    const ti = await newTi();
    expect((await put(ti.id, { a: 1, b: 2, c: 3 })).status).toBe(201);
    const second = await put(ti.id, { a: 'only' });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(OK);
    expect(await storedFields(ti.id)).toEqual([{ a: 'only' }]);
  });

  it('redacts sensitive keys at any depth, case-insensitively, including configured extra words', async () => {
    const ti = await newTi();
    const body = {
      password: 'p',
      env: { DB_PASSWORD: 'x', Api_Key: 'y', plain: 'kept', list: [{ AWS_SECRET_ACCESS_KEY: 's', ok: 1 }] },
      headers: { Authorization: 'Bearer abc' },
      my_conn_uri: 'postgres://u:p@h/db',
      token_map: { a: 'whole value masked' },
      keyfile_dict: { private_key: 'k' },
    };
    expect((await put(ti.id, body)).status).toBe(201);
    expect(await storedFields(ti.id)).toEqual([
      {
        password: '***',
        env: { DB_PASSWORD: '***', Api_Key: '***', plain: 'kept', list: [{ AWS_SECRET_ACCESS_KEY: '***', ok: 1 }] },
        headers: { Authorization: '***' },
        my_conn_uri: '***',
        token_map: '***',
        keyfile_dict: '***',
      },
    ]);
  });

  it('answers 404 not_found for an unknown task instance, with the whole problem body', async () => {
    const id = '01939b7e-0000-7000-8000-000000000000';
    const res = await put(id, { a: 1 }, { 'correlation-id': 'test-corr-404' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: 'urn:task-execution-api:problem:not_found',
      title: 'Not Found',
      status: 404,
      detail: `Task instance ${id} not found.`,
      instance: `/execution/task-instances/${id}/rtif`,
      reason: 'not_found',
      correlation_id: 'test-corr-404',
      task_instance_id: id,
    });
  });

  it.each([
    ['an array', '[1,2]', 'must be a JSON object, got an array'],
    ['a string', '"text"', 'must be a JSON object, got a string'],
    ['a number', '42', 'must be a JSON object, got a number'],
    ['null', 'null', 'must be a JSON object, got null'],
  ])('answers 422 for %s body and stores nothing', async (_name, raw, message) => {
    const ti = await newTi();
    const res = await put(ti.id, raw);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      type: 'urn:task-execution-api:problem:validation_error',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The request body must be a JSON object.',
      instance: `/execution/task-instances/${ti.id}/rtif`,
      reason: 'validation_error',
      correlation_id: expect.any(String),
      errors: [{ path: '', message }],
    });
    expect(await storedFields(ti.id)).toEqual([]);
  });

  it('answers 422 for malformed JSON without echoing it', async () => {
    const ti = await newTi();
    const res = await put(ti.id, '{"secret_value": "hunter2", oops');
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('invalid_json');
    expect(res.text).not.toContain('hunter2');
  });

  it('answers 422 for a path id that is not a UUID', async () => {
    for (const bad of ['nope', '123', '01939b7e-0000-7000-8000-00000000000', "x' or 1=1 --"]) {
      const res = await put(encodeURIComponent(bad), { a: 1 });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ path: 'task_instance_id', message: 'must be a UUID' }]);
    }
  });

  it('answers 413 for a body over the limit and stores nothing', async () => {
    const ti = await newTi();
    const res = await put(ti.id, { big: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ status: 413, reason: 'payload_too_large', limit_bytes: 4096 });
    expect(await storedFields(ti.id)).toEqual([]);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const ti = await newTi();
    const res = await put(ti.id, 'a=1', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.reason).toBe('unsupported_media_type');
  });

  it('answers 422 for a body nested deeper than the limit', async () => {
    const ti = await newTi();
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const res = await put(ti.id, { deep });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('validation_error');
    expect(await storedFields(ti.id)).toEqual([]);
  });

  it('answers 422 value_rejected (not 500) for a value PostgreSQL refuses, and leaks no SQL', async () => {
    const ti = await newTi();
    // jsonb cannot hold U+0000 (SQLSTATE 22P05).
    const res = await put(ti.id, '{"field": "nul \\u0000 inside"}');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ reason: 'value_rejected', sqlstate: '22P05' });
    expect(res.text.toLowerCase()).not.toMatch(/insert|rendered_task_instance_fields|nul /);
    expect(await storedFields(ti.id)).toEqual([]);
  });
});
