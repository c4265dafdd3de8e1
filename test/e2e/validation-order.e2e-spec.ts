import { randomUUID } from 'node:crypto';
import { http, startTestApp, type TestApp } from '../support/test-app';
import { executionToken } from '../support/tokens';

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

  const TEXT_REFUSAL = (name: string) => ({ detail: [{ loc: ['path', name], msg: 'must not contain control characters', type: 'value_error' }] });

  it.each([
    ['POST', '/execution/dag-runs/%01d/r', [1], 'dag_id'],
    ['POST', '/execution/dag-runs/d/%01r/clear', { x: 1 }, 'run_id'],
    ['GET', '/execution/task-instances/previous/d/%01t?map_index=x', undefined, 'task_id'],
  ])('%s %s: a text path parameter is answered before the body or the query', async (method, path, body, name) => {
    const res = await http(t.baseUrl, method, path, body, { authorization: `Bearer ${await executionToken(randomUUID())}` });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(TEXT_REFUSAL(name));
  });

  it('the control plane too: PUT /api/v1/dags/{bad} with an array body (problem details)', async () => {
    const res = await http(t.baseUrl, 'PUT', '/api/v1/dags/%01d', [1]);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(
      expect.objectContaining({
        detail: 'The path parameter dag_id is not valid.',
        errors: [{ path: 'dag_id', message: 'must not contain control characters' }],
      }),
    );
  });
});
