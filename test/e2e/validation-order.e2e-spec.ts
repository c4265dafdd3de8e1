import { http, startTestApp, type TestApp } from '../support/test-app';

/**
 * A request wrong in both its path and its body is answered about the path, on every route that
 * names a task instance by id (FastAPI reads the path first too). The path DTO is validated
 * before anything else of the request (`StrictValidationPipe.validatePath`); before it was, the
 * answer depended on which of a handler's pipes happened to settle first.
 */
describe('a bad path and a bad body: the path is answered', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const UUID_REFUSAL = { detail: [{ loc: ['path', 'task_instance_id'], msg: 'must be a UUID', type: 'uuid_parsing' }] };

  it.each([
    ['PUT', 'rtif'],
    ['PATCH', 'rendered-map-index'],
    ['PATCH', 'run'],
    ['PATCH', 'state'],
    ['PUT', 'heartbeat'],
    ['PATCH', 'skip-downstream'],
  ])('%s /execution/task-instances/{bad}/%s with an array body', async (method, suffix) => {
    const res = await http(t.baseUrl, method, `/execution/task-instances/not-a-uuid/${suffix}`, [1]);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(UUID_REFUSAL);
  });

  it('the control plane too (problem details)', async () => {
    const res = await http(t.baseUrl, 'POST', '/api/v1/task-instances/not-a-uuid/token', [1]);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(
      expect.objectContaining({ detail: 'The path parameter is not a valid UUID.', errors: [{ path: 'task_instance_id', message: 'must be a UUID' }] }),
    );
  });
});
