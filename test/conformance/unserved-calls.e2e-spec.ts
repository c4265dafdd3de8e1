import { startTestApp, type TestApp } from '../support/test-app';
import { AIRFLOW_JWT_SECRET, startedTi } from './replay';
import { ServerResponseError, supervisorOutcome } from './sdk-client';
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

  it('a write with no not-found branch (task_state_store.set): the task gets API_SERVER_ERROR 404 "Not Found"', async () => {
    const { client, ti } = await startedTi({ baseUrl: t.baseUrl, version: v13 });
    let error: unknown;
    try {
      await client.request('PUT', `store/ti/${ti.id}/cursor`, { content: JSON.stringify({ value: 'eu' }) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServerResponseError);
    expect((error as ServerResponseError).response.headers.get('content-type')).toBe('application/json');
    expect(supervisorOutcome(error)).toEqual({ error: 'API_SERVER_ERROR', detail: { status_code: 404, message: 'Not Found', detail: null } });
  });
});
