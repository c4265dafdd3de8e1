import { TaskInstanceFrom } from '../../src/common/auth/task-instance-source';
import { TaskInstanceKeyResolver } from '../../src/task-instances/task-instance-key.resolver';
import { KeyedRoutesModule, UnprovidedResolverModule } from '../support/keyed-routes.module';
import { expectedProblem } from '../support/problem';
import { createTaskInstance, http, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { bearer, executionToken, workloadToken } from '../support/tokens';

describe('auth by route: @TaskInstanceFrom (a test-only module, real resolver, real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [KeyedRoutesModule] });
  });
  afterAll(() => t.close());

  const keyed = (dagId: string, runId: string, taskId: string, query = '') => `/execution/test-keyed/${dagId}/${runId}/${taskId}/return_value${query}`;
  const get = (path: string, token?: string) =>
    problemHttp(t.baseUrl, 'GET', path, undefined, token === undefined ? { authorization: undefined } : bearer(token));

  describe('by key (dag_id, run_id, task_id from the path, map_index from the query)', () => {
    it("accepts the named task instance's own token (unmapped: map_index defaults to -1)", async () => {
      const dagId = uniqueId('keyed');
      const ti = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'extract' });
      const res = await get(keyed(dagId, 'run_1', 'extract'), await executionToken(ti.id));
      expect([res.status, res.body]).toEqual([200, { token_sub: ti.id, key: 'return_value' }]);
    });

    it('tells map indexes apart: each mapped task instance with its own token only', async () => {
      const dagId = uniqueId('keyed');
      const unmapped = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'map' });
      const second = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'map', map_index: 2 });
      expect((await get(keyed(dagId, 'run_1', 'map', '?map_index=2'), await executionToken(second.id))).status).toBe(200);
      expect((await get(keyed(dagId, 'run_1', 'map'), await executionToken(unmapped.id))).status).toBe(200);
      const res = await get(keyed(dagId, 'run_1', 'map', '?map_index=2'), await executionToken(unmapped.id));
      // The problem's instance is the path without the query string.
      expect([res.status, res.body]).toEqual([
        403,
        expectedProblem(403, 'wrong_task_instance', 'The token was issued for another task instance.', keyed(dagId, 'run_1', 'map')),
      ]);
    });

    it("answers 403 wrong_task_instance for another task instance's token", async () => {
      const dagId = uniqueId('keyed');
      await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'extract' });
      const other = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'load' });
      const path = keyed(dagId, 'run_1', 'extract');
      const res = await get(path, await executionToken(other.id));
      expect([res.status, res.body]).toEqual([403, expectedProblem(403, 'wrong_task_instance', 'The token was issued for another task instance.', path)]);
    });

    it('answers 403 wrong_task_instance when the key names no task instance (no token can be for it)', async () => {
      const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('keyed'), run_id: 'run_1', task_id: 'extract' });
      for (const path of [keyed(uniqueId('nodag'), 'run_1', 'extract'), keyed('x'.repeat(251), 'run_1', 'extract')]) {
        const res = await get(path, await executionToken(ti.id));
        expect([res.status, res.body.reason]).toEqual([403, 'wrong_task_instance']);
      }
    });

    it('checks the token before resolving: 401 without one, 403 wrong_scope for a workload token', async () => {
      const dagId = uniqueId('keyed');
      const ti = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'extract' });
      const path = keyed(dagId, 'run_1', 'extract', '?map_index=oops');
      expect([(await get(path)).status, (await get(path)).body.reason]).toEqual([401, 'missing_token']);
      const res = await get(keyed(dagId, 'run_1', 'extract'), await workloadToken(ti.id));
      expect([res.status, res.body.reason]).toEqual([403, 'wrong_scope']);
    });

    it.each([
      ['a map_index that is not an integer', '/execution/test-keyed/d/r/t/k?map_index=1.5', 'map_index', 'map_index must be an integer from -1 to 2147483647'],
      ['a map_index below -1', '/execution/test-keyed/d/r/t/k?map_index=-2', 'map_index', 'map_index must be an integer from -1 to 2147483647'],
      ['a map_index given twice', '/execution/test-keyed/d/r/t/k?map_index=1&map_index=2', 'map_index', 'map_index must be an integer from -1 to 2147483647'],
      ['a NUL in dag_id (never reaches SQL)', '/execution/test-keyed/d%00x/r/t/k', 'dag_id', 'dag_id must not contain control characters'],
      ['a newline in task_id', '/execution/test-keyed/d/r/t%0A/k', 'task_id', 'task_id must not contain control characters'],
    ])('answers 422 for %s, naming the part without echoing it', async (_name, path, part, message) => {
      const res = await get(path, await executionToken('01a22059-0000-7000-8000-000000000000'));
      expect(res.status).toBe(422);
      expect(res.body).toEqual(
        expectedProblem(422, 'validation_error', 'The task instance key is not valid.', path.split('?')[0], { errors: [{ path: part, message }] }),
      );
    });
  });

  describe('a malformed key: every bad part in one refusal, path and query located apart', () => {
    const anyToken = () => executionToken('01a22059-0000-7000-8000-000000000000');
    const path = '/execution/test-keyed/d%00/r%01/t%0A/k?map_index=x';
    const issues = [
      ['path', 'dag_id', 'dag_id must not contain control characters'],
      ['path', 'run_id', 'run_id must not contain control characters'],
      ['path', 'task_id', 'task_id must not contain control characters'],
      ['query', 'map_index', 'map_index must be an integer from -1 to 2147483647'],
    ];

    it("problem details: all four issues, in key order, under the key's detail", async () => {
      const res = await get(path, await anyToken());
      expect([res.status, res.body]).toEqual([
        422,
        expectedProblem(422, 'validation_error', 'The task instance key is not valid.', path.split('?')[0], {
          errors: issues.map(([, part, message]) => ({ path: part, message })),
        }),
      ]);
    });

    it("Airflow's format: each issue's loc names where it sits (path or query)", async () => {
      const res = await http(t.baseUrl, 'GET', path, undefined, bearer(await anyToken()));
      expect([res.status, res.body]).toEqual([422, { detail: issues.map(([loc, part, msg]) => ({ loc: [loc, part], msg, type: 'value_error' })) }]);
    });

    it('a map_index in the path is read from there, and refused located in the path', async () => {
      const dagId = uniqueId('keyed');
      const ti = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'map', map_index: 4 });
      const ok = await get(`/execution/test-keyed/mapped/${dagId}/run_1/map/4`, await executionToken(ti.id));
      expect([ok.status, ok.body]).toEqual([200, { token_sub: ti.id }]);
      const other = await get(`/execution/test-keyed/mapped/${dagId}/run_1/map/5`, await executionToken(ti.id));
      expect([other.status, other.body.reason]).toEqual([403, 'wrong_task_instance']);
      // The path's map_index wins over the query's, which is not read at all then.
      const bad = await http(
        t.baseUrl,
        'GET',
        `/execution/test-keyed/mapped/${dagId}/run_1/%00/-2?map_index=4`,
        undefined,
        bearer(await executionToken(ti.id)),
      );
      expect([bad.status, bad.body]).toEqual([
        422,
        {
          detail: [
            { loc: ['path', 'task_id'], msg: 'task_id must not contain control characters', type: 'value_error' },
            { loc: ['path', 'map_index'], msg: 'map_index must be an integer from -1 to 2147483647', type: 'value_error' },
          ],
        },
      ]);
    });

    it.each(['2147483648', '-0x1', '%2B1', '1e3', ''])('map_index=%j is refused, one message for every mistake', async (value) => {
      const res = await get(`/execution/test-keyed/d/r/t/k?map_index=${value}`, await anyToken());
      expect([res.status, res.body.detail, res.body.errors]).toEqual([
        422,
        'The task instance key is not valid.',
        [{ path: 'map_index', message: 'map_index must be an integer from -1 to 2147483647' }],
      ]);
    });

    it('an id longer than any column is no client error: it names no task instance (403)', async () => {
      const res = await get(`/execution/test-keyed/${'d'.repeat(10_000)}/r/t/k?map_index=2147483647`, await anyToken());
      expect([res.status, res.body.reason]).toEqual([403, 'wrong_task_instance']);
    });
  });

  it('accepts a path parameter of any declared name', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('keyed'), run_id: 'run_1', task_id: 'extract' });
    const res = await get(`/execution/test-keyed/by-param/${ti.id}/info`, await executionToken(ti.id));
    expect([res.status, res.body]).toEqual([200, { ti: ti.id }]);
    const other = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('keyed'), run_id: 'run_1', task_id: 'extract' });
    expect((await get(`/execution/test-keyed/by-param/${ti.id}/info`, await executionToken(other.id))).body.reason).toBe('wrong_task_instance');
  });

  it('refuses every token on an execution route that declares nothing, even one with a task_instance_id parameter', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('keyed'), run_id: 'run_1', task_id: 'extract' });
    const path = `/execution/test-keyed/undeclared/${ti.id}`;
    const res = await get(path, await executionToken(ti.id));
    expect([res.status, res.body]).toEqual([
      403,
      expectedProblem(403, 'wrong_task_instance', 'This route names no task instance, so it accepts no task-instance token.', path),
    ]);
  });

  it('refuses to start when a declared resolver is provided by no module, naming it', async () => {
    await expect(startTestApp({ imports: [UnprovidedResolverModule] })).rejects.toThrow(
      '@TaskInstanceFrom() on UnprovidedResolverController: no module provides the resolver UnprovidedResolver',
    );
  });
});

describe('@TaskInstanceFrom()', () => {
  it('refuses, when applied, a declaration that is not exactly one well-formed source', () => {
    expect(() => TaskInstanceFrom({} as never)).toThrow('needs exactly one of { param } or { resolver }');
    expect(() => TaskInstanceFrom({ param: 'id', resolver: TaskInstanceKeyResolver } as never)).toThrow('needs exactly one of');
    expect(() => TaskInstanceFrom({ param: 'task-instance' })).toThrow('task-instance is not a path parameter name');
    expect(() => TaskInstanceFrom({ resolver: class {} as never })).toThrow('resolver must be a class with a resolve(req) method');
    expect(() => TaskInstanceFrom({ param: 'task_instance_id' })).not.toThrow();
    expect(() => TaskInstanceFrom({ resolver: TaskInstanceKeyResolver })).not.toThrow();
  });
});
