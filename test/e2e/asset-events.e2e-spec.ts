import { v7 as uuidv7 } from 'uuid';
import { http, startTestApp, uniqueId, type CreatedTi, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { bearer, executionToken } from '../support/tokens';
import { lifecycle } from './lifecycle.helpers';

const END = '2026-12-06T10:05:00Z';
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

/**
 * Asset events: a successful task's outlets stored as events (Airflow's `register_asset_changes_in_db`),
 * `invalid_partition_key`, idempotent emission under concurrent requests, and the reads a task makes
 * (`assets/by-*`, `asset-events/by-*`) with Airflow's filters. Errors are asserted in Airflow's wire
 * format (what the Task SDK parses).
 */
describe('asset events', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  let any: { authorization: string };

  beforeAll(async () => {
    t = await startTestApp();
    // Airflow's wire (no Accept for problem details): what an unmodified worker gets.
    api = lifecycle(t.baseUrl, {});
    any = bearer(await executionToken(uuidv7()));
  });
  afterAll(() => t.close());

  const register = async (name: string, uri: string, extra: Record<string, unknown> = {}, active = true) => {
    const res = await http(t.baseUrl, 'PUT', '/api/v1/assets', { name, uri, group: 'asset', extra, active });
    expect(res.status).toBe(200);
  };
  const get = (path: string) => http(t.baseUrl, 'GET', path, undefined, any);
  const q = (params: Record<string, string | string[]>) =>
    Object.entries(params)
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${encodeURIComponent(x)}`))
      .join('&');
  const eventRows = (where: string, params: unknown[]) =>
    withDirect(
      async (c) =>
        (
          await c.query(
            `select a.name, a.uri, e.extra, e.partition_key, e.source_task_instance_id, e.source_task_id, e.source_map_index
               from asset_event e join asset a on a.id = e.asset_id where ${where} order by e.id`,
            params,
          )
        ).rows,
    );
  const succeed = (ti: CreatedTi, body: Record<string, unknown>) => api.state(ti.id, { state: 'success', end_date: END, ...body });

  describe('PATCH …/state success', () => {
    it('stores an event per active outlet, with the extra and partition key of its outlet event, and alias events', async () => {
      const p = uniqueId('emit');
      await register(`${p}_a`, `s3://${p}/a`, { owner: 'team' });
      await register(`${p}_b`, `s3://${p}/b`);
      await register(`${p}_off`, `s3://${p}/off`, {}, false);
      const ti = await api.running({ dag_id: `${p}_dag`, task_id: 'load', map_index: 3 });

      const res = await succeed(ti, {
        task_outlets: [
          { name: `${p}_a`, uri: `s3://${p}/a`, type: 'Asset' },
          { name: `${p}_b`, type: 'AssetNameRef' },
          { name: `${p}_off`, uri: `s3://${p}/off`, type: 'Asset' },
          { name: `${p}_alias`, type: 'AssetAlias' },
        ],
        outlet_events: [
          { dest_asset_key: { name: `${p}_a`, uri: `s3://${p}/a` }, extra: { rows: 42 }, partition_key: '2026-12-06' },
          // Through a declared alias, twice with the same extra (keys in another order): one event.
          { dest_asset_key: { name: `${p}_new`, uri: `s3://${p}/new` }, source_alias_name: `${p}_alias`, extra: { k: 1, j: 2 } },
          { dest_asset_key: { name: `${p}_new`, uri: `s3://${p}/new` }, source_alias_name: `${p}_alias`, extra: { j: 2, k: 1 } },
          // Through an alias the task does not declare: ignored, as in Airflow.
          { dest_asset_key: { name: `${p}_other`, uri: `s3://${p}/other` }, source_alias_name: `${p}_undeclared`, extra: {} },
        ],
      });
      expect(res.status).toBe(204);

      const source = { source_task_instance_id: ti.id, source_task_id: 'load', source_map_index: 3 };
      expect(await eventRows('a.name like $1', [`${p}%`])).toEqual([
        { name: `${p}_a`, uri: `s3://${p}/a`, extra: { rows: 42 }, partition_key: '2026-12-06', ...source },
        { name: `${p}_b`, uri: `s3://${p}/b`, extra: {}, partition_key: null, ...source },
        { name: `${p}_new`, uri: `s3://${p}/new`, extra: { k: 1, j: 2 }, partition_key: null, ...source },
      ]);

      // A task reads them back, in Airflow's shape.
      const byAsset = await get(`/execution/asset-events/by-asset?${q({ name: `${p}_a`, uri: `s3://${p}/a` })}`);
      expect(byAsset.status).toBe(200);
      expect(byAsset.body).toEqual({
        asset_events: [
          {
            id: expect.any(Number),
            timestamp: ISO,
            extra: { rows: 42 },
            asset: { name: `${p}_a`, uri: `s3://${p}/a`, group: 'asset', extra: { owner: 'team' } },
            created_dagruns: [],
            source_task_id: 'load',
            source_dag_id: `${p}_dag`,
            source_run_id: 'run_1',
            source_map_index: 3,
            partition_key: '2026-12-06',
          },
        ],
      });
      const byAlias = await get(`/execution/asset-events/by-asset-alias?${q({ name: `${p}_alias` })}`);
      expect(byAlias.body.asset_events.map((e: any) => [e.asset, e.extra])).toEqual([
        [
          { name: `${p}_new`, uri: `s3://${p}/new`, group: 'asset', extra: {} },
          { k: 1, j: 2 },
        ],
      ]);
      // The alias resolved to the asset it created; the created asset is not active until registered.
      expect((await get(`/execution/assets/by-alias?${q({ alias_name: `${p}_alias` })}`)).body).toEqual([
        { name: `${p}_new`, uri: `s3://${p}/new`, group: 'asset', extra: {} },
      ]);
      expect((await get(`/execution/assets/by-name?${q({ name: `${p}_new` })}`)).status).toBe(404);
    });

    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['longer than 250', 'k'.repeat(251)],
      ['not a string', 7],
    ])('422 invalid_partition_key when a partition_key is %s, and nothing is written', async (_label, partitionKey) => {
      const p = uniqueId('pk');
      await register(`${p}_a`, `s3://${p}/a`);
      const ti = await api.running();
      const res = await succeed(ti, {
        task_outlets: [{ name: `${p}_a`, uri: `s3://${p}/a`, type: 'Asset' }],
        outlet_events: [
          { dest_asset_key: { name: `${p}_a`, uri: `s3://${p}/a` }, extra: {} },
          { dest_asset_key: { name: `${p}_a`, uri: `s3://${p}/a` }, extra: {}, partition_key: partitionKey },
        ],
      });
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body).toEqual({
        detail: { reason: 'invalid_partition_key', message: 'partition_key must be a non-blank string of at most 250 characters' },
      });
      expect(await eventRows('a.name = $1', [`${p}_a`])).toEqual([]);
      const state = await withDirect(async (c) => (await c.query('select state from task_instance where id = $1', [ti.id])).rows[0].state);
      expect(state).toBe('running');
    });

    it('accepts a partition key of exactly 250 characters', async () => {
      const p = uniqueId('pk250');
      await register(`${p}_a`, `s3://${p}/a`);
      const ti = await api.running();
      const key = 'é'.repeat(250);
      const res = await succeed(ti, {
        task_outlets: [{ name: `${p}_a`, uri: `s3://${p}/a`, type: 'Asset' }],
        outlet_events: [{ dest_asset_key: { name: `${p}_a`, uri: `s3://${p}/a` }, extra: {}, partition_key: key }],
      });
      expect(res.status).toBe(204);
      expect((await eventRows('a.name = $1', [`${p}_a`])).map((r: any) => r.partition_key)).toEqual([key]);
    });

    it('a repeat of the success (200, empty) emits nothing again', async () => {
      const p = uniqueId('repeat');
      await register(`${p}_a`, `s3://${p}/a`);
      const ti = await api.running();
      const body = { task_outlets: [{ name: `${p}_a`, uri: `s3://${p}/a`, type: 'Asset' }], outlet_events: [] };
      expect((await succeed(ti, body)).status).toBe(204);
      const again = await succeed(ti, body);
      expect([again.status, again.text]).toEqual([200, '']);
      expect(await eventRows('a.name = $1', [`${p}_a`])).toHaveLength(1);
    });

    it('concurrent retries of one success store each event once, never a 409', async () => {
      const p = uniqueId('retry');
      await register(`${p}_a`, `s3://${p}/a`);
      const ti = await api.running();
      const body = {
        task_outlets: [
          { name: `${p}_a`, uri: `s3://${p}/a`, type: 'Asset' },
          { name: `${p}_alias`, type: 'AssetAlias' },
        ],
        outlet_events: [{ dest_asset_key: { name: `${p}_new`, uri: `s3://${p}/new` }, source_alias_name: `${p}_alias`, extra: {} }],
      };
      const results = await Promise.all(Array.from({ length: 8 }, () => succeed(ti, body)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 204]);
      expect((await eventRows('a.name like $1', [`${p}%`])).map((r: any) => r.name)).toEqual([`${p}_a`, `${p}_new`]);
    });

    it('many tasks emitting through the same new alias and asset at once: one asset, one alias, one event each, no 409', async () => {
      const p = uniqueId('fanin');
      const tis = await Promise.all(Array.from({ length: 10 }, (_, i) => api.running({ dag_id: `${p}_dag`, task_id: `t${i}` })));
      const body = {
        task_outlets: [{ name: `${p}_alias`, type: 'AssetAlias' }],
        outlet_events: [{ dest_asset_key: { name: `${p}_new`, uri: `s3://${p}/new` }, source_alias_name: `${p}_alias`, extra: { same: true } }],
      };
      const results = await Promise.all(tis.map((ti) => succeed(ti, body)));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(204));
      const counts = await withDirect(
        async (c) =>
          (
            await c.query(
              `select (select count(*)::int from asset where name = $1) as assets,
                      (select count(*)::int from asset_alias where name = $2) as aliases,
                      (select count(*)::int from asset_alias_asset l join asset_alias al on al.id = l.alias_id where al.name = $2) as links`,
              [`${p}_new`, `${p}_alias`],
            )
          ).rows[0],
      );
      expect(counts).toEqual({ assets: 1, aliases: 1, links: 1 });
      const events = await get(`/execution/asset-events/by-asset-alias?${q({ name: `${p}_alias` })}`);
      expect(events.body.asset_events.map((e: any) => e.source_task_id).sort()).toEqual(tis.map((ti) => ti.task_id).sort());
    });
  });

  describe('GET /execution/assets/by-name | by-uri', () => {
    it('answers the active asset, and 404 with Airflow’s message otherwise', async () => {
      const p = uniqueId('get');
      await register(`${p}_a`, `s3://${p}/a`, { x: 1 });
      await register(`${p}_off`, `s3://${p}/off`, {}, false);
      const asset = { name: `${p}_a`, uri: `s3://${p}/a`, group: 'asset', extra: { x: 1 } };
      expect((await get(`/execution/assets/by-name?${q({ name: `${p}_a` })}`)).body).toEqual(asset);
      expect((await get(`/execution/assets/by-uri?${q({ uri: `s3://${p}/a` })}`)).body).toEqual(asset);
      const byName = await get(`/execution/assets/by-name?${q({ name: `${p}_off` })}`);
      expect([byName.status, byName.body]).toEqual([404, { detail: { reason: 'not_found', message: `Asset with name ${p}_off not found` } }]);
      const byUri = await get(`/execution/assets/by-uri?${q({ uri: `s3://${p}/none` })}`);
      expect([byUri.status, byUri.body]).toEqual([404, { detail: { reason: 'not_found', message: `Asset with URI s3://${p}/none not found` } }]);
      expect((await get('/execution/assets/by-name')).status).toBe(422);
      expect((await get(`/execution/assets/by-alias?${q({ alias_name: `${p}_nothing` })}`)).body).toEqual([]);
    });

    it('refuses a request without a token', async () => {
      const res = await http(t.baseUrl, 'GET', '/execution/assets/by-name?name=x', undefined, { authorization: undefined });
      expect(res.status).toBe(401);
    });
  });

  describe('GET /execution/asset-events/by-asset | by-asset-alias filters', () => {
    const p = uniqueId('flt');
    const name = `${p}_a`;
    const uri = `s3://${p}/a`;
    /** Seeded events e0…e4 at 10:00…10:04, with extras and partition keys to filter on. */
    const seeded: { id: number; minute: number }[] = [];
    const events = async (params: Record<string, string | string[]>, path = 'by-asset') => {
      const res = await get(`/execution/asset-events/${path}?${q(params)}`);
      expect(res.status).toBe(200);
      return res.body.asset_events.map((e: any) => seeded.find((s) => s.id === e.id)?.minute);
    };

    beforeAll(async () => {
      await register(name, uri);
      const specs = [
        { extra: { env: 'prod', team: 'a' }, partition_key: '2026-01-01', source_alias_names: [`${p}_alias`] },
        { extra: { env: 'dev', team: 'a' }, partition_key: '2026-01-02' },
        { extra: { env: 'prod', team: 'b' }, partition_key: 'eu-2026', source_alias_names: [`${p}_alias`] },
        { extra: { env: 'prod', team: 'a' }, partition_key: null },
        { extra: {}, partition_key: '2026-02-01' },
      ];
      for (const [minute, spec] of specs.entries()) {
        const res = await http(t.baseUrl, 'POST', '/api/v1/asset-events', { name, uri, ...spec });
        expect(res.status).toBe(201);
        seeded.push({ id: res.body.id, minute });
        await withDirect((c) => c.query(`update asset_event set "timestamp" = $2 where id = $1`, [res.body.id, `2026-12-06T10:0${minute}:00Z`]));
      }
    });

    it.each([
      ['default: ascending', {}, [0, 1, 2, 3, 4]],
      ['ascending=false', { ascending: 'false' }, [4, 3, 2, 1, 0]],
      ['after and before are inclusive', { after: '2026-12-06T10:01:00Z', before: '2026-12-06T10:03:00+00:00' }, [1, 2, 3]],
      ['limit keeps the first', { limit: '2' }, [0, 1]],
      ['limit with descending keeps the last', { limit: '2', ascending: 'false' }, [4, 3]],
      ['extra filter', { extra: 'env=prod' }, [0, 2, 3]],
      ['repeated extra filters AND together', { extra: ['env=prod', 'team=a'] }, [0, 3]],
      ['an unknown extra key matches nothing', { extra: 'nope=1' }, []],
      ['exact partition key', { partition_key: '2026-01-02' }, [1]],
      ['partition key pattern (unanchored)', { partition_key_pattern: '^2026-0[12]' }, [0, 1, 4]],
      ['pattern matching inside', { partition_key_pattern: 'eu' }, [2]],
      ['uri alone', { uri }, [0, 1, 2, 3, 4]],
    ])('%s', async (_label, params, expected) => {
      expect(await events({ name, ...(params as Record<string, string>) })).toEqual(expected);
    });

    it('by-asset-alias: the events emitted through the alias, same filters', async () => {
      expect(await events({ name: `${p}_alias` }, 'by-asset-alias')).toEqual([0, 2]);
      expect(await events({ name: `${p}_alias`, ascending: 'false', limit: '1' }, 'by-asset-alias')).toEqual([2]);
      expect(await events({ name: `${p}_alias`, extra: 'team=b' }, 'by-asset-alias')).toEqual([2]);
      expect(await events({ name: `${p}_nothing` }, 'by-asset-alias')).toEqual([]);
    });

    it.each([
      ['neither name nor uri', 'by-asset', {}, 'Missing parameter', 'name and uri cannot both be None'],
      ['empty name and uri', 'by-asset', { name: '', uri: '' }, 'Missing parameter', 'name and uri cannot both be None'],
      [
        'both partition filters',
        'by-asset-alias',
        { name: 'x', partition_key: 'a', partition_key_pattern: 'a' },
        'Mutually exclusive parameters',
        'partition_key and partition_key_pattern cannot both be provided. Use partition_key for exact match or partition_key_pattern for regex filtering.',
      ],
      [
        'an invalid regex',
        'by-asset',
        { name: 'x', partition_key_pattern: '(unclosed' },
        'Invalid regex',
        'The partition_key_pattern is not a valid regular expression.',
      ],
      [
        'an invalid regex (alias)',
        'by-asset-alias',
        { name: 'x', partition_key_pattern: '[z-a]' },
        'Invalid regex',
        'The partition_key_pattern is not a valid regular expression.',
      ],
      [
        'a pattern over 1000 characters',
        'by-asset',
        { name: 'x', partition_key_pattern: 'a'.repeat(1001) },
        'Invalid regex',
        'The partition_key_pattern is too long (max 1000 characters).',
      ],
    ])('400 for %s', async (_label, path, params, reason, message) => {
      const res = await get(`/execution/asset-events/${path}?${q(params)}`);
      expect([res.status, res.body]).toEqual([400, { detail: { reason, message } }]);
    });

    it.each([
      ['ascending not a boolean', { name, ascending: 'maybe' }],
      ['negative limit', { name, limit: '-1' }],
      ['after without a time zone', { name, after: '2026-12-06T10:00:00' }],
      ['extra without =', { name, extra: 'env' }],
      ['an unknown parameter', { name, bogus: '1' }],
    ])('422 for %s', async (_label, params) => {
      const res = await get(`/execution/asset-events/by-asset?${q(params)}`);
      expect(res.status).toBe(422);
    });
  });

  describe('POST /api/v1/asset-events', () => {
    it('404 for an asset that is not registered', async () => {
      const res = await http(t.baseUrl, 'POST', '/api/v1/asset-events', { name: uniqueId('none'), uri: 's3://none' });
      expect(res.status).toBe(404);
      expect(res.body.reason).toBe('not_found');
    });
  });
});
