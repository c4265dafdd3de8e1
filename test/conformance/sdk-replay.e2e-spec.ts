import { startTestApp, type TestApp } from '../support/test-app';
import { CALLS } from './calls';
import { casesFor, verdict } from './compatibility';
import { AIRFLOW_JWT_SECRET } from './replay';
import { EARLIER_HEADERS, SDK_VERSIONS } from './sdk-versions';

/**
 * The conformance tier: every SDK call the service serves, replayed as each Task SDK version sends
 * it (method, relative path, headers, body with its nulls), the answer checked against that
 * version's generated models and classified by the ported client code (`sdk-client.ts`).
 */
describe.each([...SDK_VERSIONS, ...EARLIER_HEADERS].map((v) => [`Task SDK ${v.release} (Airflow-API-Version ${v.apiVersion})`, v] as const))(
  '%s',
  (_name, version) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { JWT_SECRET: AIRFLOW_JWT_SECRET } });
    });
    afterAll(() => t.close());

    const rows = CALLS.flatMap((call) =>
      casesFor(call, version)
        .filter(() => verdict(call, version)?.kind === 'supported' || verdict(call, version)?.kind === 'differs')
        .map((c) => [`#${call.n} ${call.method}: ${c.name}`, c] as const),
    );
    it.each(rows)('%s', async (_title, c) => {
      await c.run({ baseUrl: t.baseUrl, version });
    });
  },
);
