import { v7 as uuidv7 } from 'uuid';
import { createTaskInstance, http, problemHttp, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { bearer, executionToken } from '../support/tokens';
import { problem } from './lifecycle.helpers';

/**
 * The asset module: the control plane registers assets (an upsert on name and uri), and a task
 * checks its declared inlets and outlets (given when it was created) against the active ones.
 */
describe('assets and validate-inlets-and-outlets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const register = (body: unknown) => http(t.baseUrl, 'PUT', '/api/v1/assets', body);
  const validate = (id: string) => problemHttp(t.baseUrl, 'GET', `/execution/task-instances/${id}/validate-inlets-and-outlets`);
  const rows = (name: string) =>
    withDirect(async (c) => (await c.query('select name, uri, "group", extra, active from asset where name = $1 order by uri', [name])).rows);

  it('registers an asset, and a repeat (or a change) updates the same row', async () => {
    const name = uniqueId('orders');
    const first = await register({ name, uri: 's3://warehouse/orders', extra: { team: 'sales' } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ name, uri: 's3://warehouse/orders', group: '', extra: { team: 'sales' }, active: true });
    const again = await register({ name, uri: 's3://warehouse/orders', group: 'asset', active: false });
    expect(again.body).toEqual({ name, uri: 's3://warehouse/orders', group: 'asset', extra: {}, active: false });
    expect(await rows(name)).toEqual([{ name, uri: 's3://warehouse/orders', group: 'asset', extra: {}, active: false }]);
    // The exact number as sent is kept in jsonb (not rounded to a double).
    await register(`{"name": ${JSON.stringify(name)}, "uri": "s3://warehouse/orders", "extra": {"big": 12345678901234567890}}`);
    const text = await withDirect(async (c) => (await c.query('select extra::text as e from asset where name = $1', [name])).rows[0].e as string);
    expect(text).toBe('{"big": 12345678901234567890}');
  });

  it('registers one row when many schedulers register the same asset at once', async () => {
    const name = uniqueId('race');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => register({ name, uri: 'db://x', extra: { i } })));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    const stored = await rows(name);
    expect(stored).toHaveLength(1);
    expect(results.map((r) => r.body.extra.i)).toContain(stored[0].extra.i);
  });

  it.each([
    ['no uri', { name: 'a' }, 'uri'],
    ['an empty name', { name: '', uri: 'x' }, 'name'],
    ['a name over 1000 UTF-8 bytes', { name: 'é'.repeat(501), uri: 'x' }, 'name'],
    ['a control character', { name: 'a\tb', uri: 'x' }, 'name'],
    ['extra not an object', { name: 'a', uri: 'x', extra: [1] }, 'extra'],
    ['an unknown field', { name: 'a', uri: 'x', scope: 'y' }, 'scope'],
  ])('422 for %s, naming the field, storing nothing', async (_name, body, path) => {
    const res = await register(body);
    expect(res.body).toEqual(problem(422, 'validation_error', 'The request is not valid.', '/api/v1/assets', { errors: [expect.objectContaining({ path })] }));
  });

  it('reports the declared inlets and outlets that are not active assets, in declaration order', async () => {
    const n = uniqueId('a');
    await register({ name: `${n}_active`, uri: 's3://active' });
    // Same name, another uri: a different asset, so the declared one is not active.
    await register({ name: `${n}_moved`, uri: 's3://elsewhere' });
    await register({ name: `${n}_off`, uri: 's3://off', active: false });
    const ti = await createTaskInstance(t.baseUrl, {
      dag_id: uniqueId('assets'),
      run_id: 'r',
      task_id: 't',
      inlets: [
        { name: `${n}_active`, uri: 's3://active' },
        { name: `${n}_moved`, uri: 's3://moved' },
      ],
      outlets: [
        { name: `${n}_off`, uri: 's3://off' },
        { name: `${n}_unknown`, uri: 's3://unknown' },
        { name: `${n}_moved`, uri: 's3://moved' },
      ],
    });
    const res = await validate(ti.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      inactive_assets: [
        { name: `${n}_moved`, uri: 's3://moved', type: 'Asset' },
        { name: `${n}_off`, uri: 's3://off', type: 'Asset' },
        { name: `${n}_unknown`, uri: 's3://unknown', type: 'Asset' },
      ],
    });
    // Registered and active now: none left.
    for (const [suffix, uri] of [
      ['moved', 's3://moved'],
      ['off', 's3://off'],
      ['unknown', 's3://unknown'],
    ]) {
      expect((await register({ name: `${n}_${suffix}`, uri })).status).toBe(200);
    }
    expect((await validate(ti.id)).body).toEqual({ inactive_assets: [] });
  });

  it('answers an empty list for a task that declares nothing, also in a run without a logical date', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('assets'), run_id: 'r', task_id: 't', logical_date: null });
    expect((await validate(ti.id)).body).toEqual({ inactive_assets: [] });
  });

  it('404 for an unknown task instance; 403 with another task instance’s token; 422 for bad declarations', async () => {
    const unknown = uuidv7();
    expect((await validate(unknown)).body).toEqual(
      problem(404, 'not_found', `Task instance ${unknown} not found.`, `/execution/task-instances/${unknown}/validate-inlets-and-outlets`, {
        task_instance_id: unknown,
      }),
    );
    const other = await problemHttp(
      t.baseUrl,
      'GET',
      `/execution/task-instances/${unknown}/validate-inlets-and-outlets`,
      undefined,
      bearer(await executionToken(uuidv7())),
    );
    expect([other.status, other.body.reason]).toEqual([403, 'wrong_task_instance']);
    const bad = await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: uniqueId('assets'), task_id: 't', inlets: [{ name: 'a' }] });
    expect(bad.body).toEqual(
      problem(422, 'validation_error', 'The request is not valid.', '/api/v1/task-instances', {
        errors: [{ path: 'inlets.0.uri', message: 'inlets.0.uri is required' }],
      }),
    );
  });
});
