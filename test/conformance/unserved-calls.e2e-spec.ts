import { startTestApp, type TestApp } from '../support/test-app';
import { AIRFLOW_JWT_SECRET, startedTi } from './replay';
import { lookupOutcome, ServerResponseError, supervisorOutcome } from './sdk-client';
import { SDK_VERSIONS } from './sdk-versions';

/**
 * What an unmodified worker makes of the calls this service does not serve (issue #23): the
 * service answers an unknown execution route as FastAPI does (404 `{"detail": "Not Found"}`,
 * `application/json`), so the SDK takes its "not found" branch where it has one and otherwise
 * hands the task `API_SERVER_ERROR`. Documented in docs/airflow-compatibility.md.
 */
describe('calls the service does not serve, as the SDK reads the answer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_SECRET: AIRFLOW_JWT_SECRET } });
  });
  afterAll(() => t.close());

  const v13 = SDK_VERSIONS.find((v) => v.sdk === '1.3')!;

  it('connections.get and variables.get: CONNECTION_NOT_FOUND / VARIABLE_NOT_FOUND, as for a key that does not exist', async () => {
    const { client } = await startedTi({ baseUrl: t.baseUrl, version: v13 });
    expect(await lookupOutcome(client, 'connections/aws_default', 'CONNECTION_NOT_FOUND')).toBe('CONNECTION_NOT_FOUND');
    expect(await lookupOutcome(client, 'variables/region', 'VARIABLE_NOT_FOUND')).toBe('VARIABLE_NOT_FOUND');
  });

  it('a write with no not-found branch (variables.set): the task gets API_SERVER_ERROR 404 "Not Found"', async () => {
    const { client } = await startedTi({ baseUrl: t.baseUrl, version: v13 });
    let error: unknown;
    try {
      await client.request('PUT', 'variables/region', { content: JSON.stringify({ val: 'eu', description: null }) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServerResponseError);
    expect((error as ServerResponseError).response.headers.get('content-type')).toBe('application/json');
    expect(supervisorOutcome(error)).toEqual({ error: 'API_SERVER_ERROR', detail: { status_code: 404, message: 'Not Found', detail: null } });
  });
});
