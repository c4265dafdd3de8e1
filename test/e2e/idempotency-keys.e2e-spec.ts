import { EntityManager } from '@mikro-orm/postgresql';
import { Body, Controller, Module, Param, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IdempotencyKeyStore } from '../../src/common/idempotency-keys/idempotency-key.store';
import { IdempotencyKey } from '../../src/common/idempotency-keys/idempotency-key.decorator';
import { UnitOfWork } from '../../src/common/unit-of-work/unit-of-work.decorator';
import { parseMetrics, sampleValue } from '../support/metrics-text';
import { expectedProblem } from '../support/problem';
import { http, startTestApp, uniqueId, type HttpResult, type TestApp } from '../support/test-app';
import { connectDirect, withDirect } from '../support/test-database';
import { bearer, signToken } from '../support/tokens';

const CREATE = '/api/v1/task-instances';
const KEY = 'Idempotency-Key';
const IN_USE_DETAIL = 'A request with this Idempotency-Key is still being processed. Repeat it after Retry-After seconds to get its response.';
const REUSED_DETAIL = 'This Idempotency-Key was already used for a different request. Use a new key for a new request.';
const INVALID_DETAIL = 'The Idempotency-Key header must be 1 to 255 characters from A-Z a-z 0-9 and - _ . ~ : + / =, bare or in double quotes.';

/** A second route that opts in with key: 'required', on a scratch table: keys are per route. */
@Controller('api/test-idempotency')
class RequiredKeyController {
  constructor(private readonly em: EntityManager) {}

  @Post('items/:name')
  @UnitOfWork({ idempotent: false })
  @IdempotencyKey('required')
  async add(@Param('name') name: string, @Body() body: Record<string, unknown>): Promise<{ name: string; n: number; body: unknown }> {
    const [row] = await this.em.execute<{ n: number }[]>('insert into idem_test_item (name) values (?) returning n', [name]);
    return { name, n: row.n, body };
  }
}

@Module({ controllers: [RequiredKeyController] })
class RequiredKeyModule {}

const taskInstanceCount = (dagId: string) =>
  withDirect(async (c) => (await c.query('select count(*)::int as n from task_instance where dag_id = $1', [dagId])).rows[0].n as number);

/** Polls (bounded) until `probe` holds; the bound only guards against a hung test. */
async function waitUntil(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Idempotency-Key on POST /api/v1/task-instances (real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    await withDirect((c) => c.query('create table if not exists idem_test_item (name text not null, n serial constraint idem_test_item_pkey primary key)'));
    // Lock waits long enough for the in-flight test to hold a request in the database on purpose.
    t = await startTestApp({ imports: [RequiredKeyModule], env: { DB_POOL_MAX: '20', DB_LOCK_TIMEOUT_MS: '30000', IDEMPOTENCY_KEY_TTL_SECONDS: '3600' } });
  });
  afterAll(() => t.close());

  const create = (body: unknown, key?: string, headers: Record<string, string> = {}) =>
    http(t.baseUrl, 'POST', CREATE, body, key === undefined ? headers : { [KEY]: key, ...headers });

  it('executes once: a repeat gets the same status, headers and bytes, marked as a replay', async () => {
    const dagId = uniqueId('idem');
    const key = randomUUID();
    const first = await create({ dag_id: dagId, run_id: 'run', task_id: 'extract', map_index: 2 }, key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(first.headers.get('location')).toBe(`/api/v1/task-instances/${first.body.id}`);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    // The same request, with the body's keys in another order and other whitespace: the same request.
    const again = await create(`{ "map_index": 2, "task_id": "extract",\n "run_id": "run", "dag_id": "${dagId}" }`, `"${key}"`);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(again.headers.get('content-length')).toBe(String(Buffer.byteLength(first.text)));
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(await taskInstanceCount(dagId)).toBe(1);
  });

  it('the same key with another request is 422 idempotency_key_reused, and executes nothing', async () => {
    const dagId = uniqueId('idem_reuse');
    const key = randomUUID();
    expect((await create({ dag_id: dagId, run_id: 'run', task_id: 'a' }, key)).status).toBe(201);
    const other = await create({ dag_id: dagId, run_id: 'run', task_id: 'b' }, key);
    expect(other.status).toBe(422);
    expect(other.body).toEqual(expectedProblem(422, 'idempotency_key_reused', REUSED_DETAIL, CREATE));
    expect(await taskInstanceCount(dagId)).toBe(1);
  });

  it('stores a 4xx verdict of the operation (409 already_exists) and replays it even after the cause is gone', async () => {
    const dagId = uniqueId('idem_409');
    const body = { dag_id: dagId, run_id: 'run', task_id: 'a' };
    const existing = await create(body);
    expect(existing.status).toBe(201);
    const key = randomUUID();
    const refused = await create(body, key);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual(
      expectedProblem(409, 'already_exists', 'The request conflicts with an existing resource (already_exists).', CREATE, {
        constraint: 'task_instance_composite_key',
      }),
    );
    expect(refused.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    await withDirect((c) => c.query('delete from task_instance where id = $1', [existing.body.id]));
    const replayed = await create(body, key);
    expect(replayed.status).toBe(409);
    expect(replayed.text).toBe(refused.text);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await taskInstanceCount(dagId)).toBe(0);
  });

  it('does not store a validation refusal: the corrected request with the same key executes', async () => {
    const dagId = uniqueId('idem_422');
    const key = randomUUID();
    const invalid = await create({ dag_id: dagId, run_id: 'run', task_id: 'a', map_index: -5 }, key);
    expect(invalid.status).toBe(422);
    expect(invalid.body.reason).toBe('validation_error');
    const fixed = await create({ dag_id: dagId, run_id: 'run', task_id: 'a' }, key);
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    expect(await taskInstanceCount(dagId)).toBe(1);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space inside', 'two words'],
    ['non-ASCII', 'clé-été'],
    ['two keys (repeated header, joined by Node.js)', 'a, b'],
    ['an unbalanced quote', '"abc'],
    ['an escape inside quotes', '"a\\"b"'],
    ['SQL', "k'; drop table task_instance; --"],
  ])('refuses a malformed key (%s) with 400 idempotency_key_invalid, before executing anything', async (_, key) => {
    const dagId = uniqueId('idem_bad');
    const res = await create({ dag_id: dagId, run_id: 'run', task_id: 'a' }, key);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(expectedProblem(400, 'idempotency_key_invalid', INVALID_DETAIL, CREATE));
    expect(res.text).not.toContain(key === '' ? '\u0000' : key);
    expect(await taskInstanceCount(dagId)).toBe(0);
  });

  it('scopes keys to the caller: another caller with the same key executes its own request', async () => {
    const key = randomUUID();
    const dagId = uniqueId('idem_scope');
    const alice = bearer(await signToken('alice', 'admin'));
    const bob = bearer(await signToken('bob', 'admin'));
    const a = await create({ dag_id: dagId, run_id: 'run', task_id: 'a' }, key, alice);
    expect(a.status).toBe(201);
    // Bob's request with Alice's key is neither a replay of hers nor a mismatch: it is his own.
    const b = await create({ dag_id: dagId, run_id: 'run', task_id: 'b' }, key, bob);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    // Bob sending Alice's very request with her key executes it (and it conflicts), no replay.
    const key2 = randomUUID();
    expect((await create({ dag_id: dagId, run_id: 'run', task_id: 'c' }, key2, alice)).status).toBe(201);
    const copy = await create({ dag_id: dagId, run_id: 'run', task_id: 'c' }, key2, bob);
    expect(copy.status).toBe(409);
    expect(copy.body.reason).toBe('already_exists');
    expect(copy.headers.get('idempotent-replayed')).toBeNull();
    expect(await taskInstanceCount(dagId)).toBe(3);
    // Nothing of a token is stored, only the scope and subject.
    const stored = await withDirect(
      async (c) => (await c.query('select caller, key, headers::text, body from idempotency_key where key in ($1, $2)', [key, key2])).rows,
    );
    expect(stored.map((r) => r.caller).sort()).toEqual(['admin:alice', 'admin:alice', 'admin:bob', 'admin:bob']);
    for (const row of stored) expect(JSON.stringify(row)).not.toMatch(/eyJ|Bearer/);
  });

  it("scopes keys to the route, and a route with key: 'required' refuses a request without one", async () => {
    const key = randomUUID();
    const name = uniqueId('item');
    const missing = await http(t.baseUrl, 'POST', `/api/test-idempotency/items/${name}`, { x: 1 });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(
      expectedProblem(
        400,
        'idempotency_key_missing',
        'This operation requires an Idempotency-Key header (a unique value per operation, e.g. a UUID).',
        `/api/test-idempotency/items/${name}`,
      ),
    );
    const first = await http(t.baseUrl, 'POST', `/api/test-idempotency/items/${name}`, { x: 1 }, { [KEY]: key });
    expect(first.status).toBe(201);
    const replay = await http(t.baseUrl, 'POST', `/api/test-idempotency/items/${name}`, { x: 1 }, { [KEY]: key });
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    // Another path value is another request: 422.
    const otherPath = await http(t.baseUrl, 'POST', `/api/test-idempotency/items/${name}_2`, { x: 1 }, { [KEY]: key });
    expect(otherPath.status).toBe(422);
    // The same key on the creation route is unrelated to this route's use of it.
    const dagId = uniqueId('idem_route');
    expect((await create({ dag_id: dagId, run_id: 'run', task_id: 'a' }, key)).status).toBe(201);
    const rows = await withDirect(async (c) => (await c.query('select count(*)::int as n from idem_test_item where name = $1', [name])).rows[0].n);
    expect(rows).toBe(1);
  });

  it('answers 409 idempotency_key_in_use at once while the first request holds its locks, then replays it', async () => {
    const dagId = uniqueId('idem_inflight');
    const body = { dag_id: dagId, run_id: 'run', task_id: 'a' };
    const key = randomUUID();
    // The test inserts the dag run without committing: the first request's own insert of it waits.
    const holder = await connectDirect();
    try {
      await holder.query('begin');
      await holder.query(`insert into dag_run (dag_id, run_id, run_after, state, run_type, conf) values ($1, 'run', now(), 'running', 'manual', '{}')`, [
        dagId,
      ]);
      let firstSettled = false;
      const first = create(body, key).then((r) => {
        firstSettled = true;
        return r;
      });
      // Polled from another connection: inside the holder's transaction pg_stat_activity is a snapshot.
      await waitUntil(
        () =>
          withDirect(
            async (c) =>
              (
                await c.query(
                  `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%insert into "dag_run"%' and datname = current_database()`,
                )
              ).rows[0].n === 1,
          ),
        'the first request to wait on the dag run',
      );
      const second = await create(body, key);
      expect(firstSettled).toBe(false);
      expect(second.status).toBe(409);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(second.body).toEqual(expectedProblem(409, 'idempotency_key_in_use', IN_USE_DETAIL, CREATE));
      await holder.query('commit');
      const original = await first;
      expect(original.status).toBe(201);
      const third = await create(body, key);
      expect(third.text).toBe(original.text);
      expect(third.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await holder.end();
    }
    expect(await taskInstanceCount(dagId)).toBe(1);
  });

  it('20 concurrent requests with one key: one execution; every answer the original, a replay of it, or 409 in use', async () => {
    const dagId = uniqueId('idem_burst');
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => create({ dag_id: dagId, run_id: 'run', task_id: 'a' }, key)));
    const originals = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    expect(originals).toHaveLength(1);
    const [original] = originals;
    const kinds = results.map((r: HttpResult) => {
      if (r === original) return 'original';
      if (r.status === 201 && r.headers.get('idempotent-replayed') === 'true' && r.text === original.text) return 'replay';
      if (r.status === 409 && r.body?.reason === 'idempotency_key_in_use' && r.headers.get('retry-after') === '1') return 'in_use';
      return `unexpected ${r.status} ${r.text}`;
    });
    expect(kinds.filter((k) => !['original', 'replay', 'in_use'].includes(k))).toEqual([]);
    expect(await taskInstanceCount(dagId)).toBe(1);
    const stored = await withDirect(async (c) => (await c.query('select count(*)::int as n from idempotency_key where key = $1', [key])).rows[0].n);
    expect(stored).toBe(1);
  });

  it('expires keys after IDEMPOTENCY_KEY_TTL_SECONDS: an expired key executes again and stores the new outcome', async () => {
    const dagId = uniqueId('idem_expiry');
    const body = { dag_id: dagId, run_id: 'run', task_id: 'a' };
    const key = randomUUID();
    expect((await create(body, key)).status).toBe(201);
    const ttl = await withDirect(
      async (c) => (await c.query('select extract(epoch from expires_at - created_at)::int as s from idempotency_key where key = $1', [key])).rows[0].s,
    );
    expect(ttl).toBe(3600);
    await withDirect((c) => c.query(`update idempotency_key set expires_at = now() - interval '1 second' where key = $1`, [key]));
    // Executed again (no replay of the 201): the task instance exists, so this time it is a 409.
    const again = await create(body, key);
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    // That new outcome replaced the expired one and is what the key replays now.
    const replay = await create(body, key);
    expect(replay.text).toBe(again.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('purges expired keys in batches without waiting for a row a request holds', async () => {
    const route = `POST /test/${uniqueId('purge')}`;
    const ids = Array.from({ length: 4 }, () => randomUUID());
    await withDirect(async (c) => {
      for (const [i, id] of ids.entries()) {
        await c.query(
          `insert into idempotency_key (id, route, caller, key, fingerprint, status, headers, body, created_at, expires_at)
           values ($1, $2, 'admin:test', $1, 'f', 201, '{}', '{}', now() - interval '2 days', now() + ($3 || ' hours')::interval)`,
          [id, route, i === 3 ? '1' : '-1'],
        );
      }
    });
    // A transaction holding one expired row, as a request replacing that key would.
    const holder = await connectDirect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from idempotency_key where id = $1 for update', [ids[0]]);
      const deleted = await t.app.get(IdempotencyKeyStore).purgeExpired();
      expect(deleted).toBeGreaterThanOrEqual(2);
      const left = await withDirect(async (c) => (await c.query('select id from idempotency_key where route = $1 order by id', [route])).rows.map((r) => r.id));
      expect(left).toEqual([ids[0], ids[3]].sort());
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
  });

  it('counts replays, reused keys and in-use refusals by route', async () => {
    const samples = parseMetrics((await http(t.baseUrl, 'GET', '/metrics')).text);
    const labels = { method: 'POST', route: CREATE };
    // From the tests above, in this app: at least these many of each. Four replays are certain (one
    // request each, after the first had finished); the 20 concurrent requests may all find the key
    // in use on a loaded machine, so they are not counted on (the full suite once saw exactly 4).
    expect(sampleValue(samples, 'idempotency_replays_total', labels)).toBeGreaterThanOrEqual(4);
    expect(sampleValue(samples, 'idempotency_key_reused_total', labels)).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'idempotency_key_in_use_total', labels)).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'idempotency_key_reused_total', { method: 'POST', route: '/api/test-idempotency/items/:name' })).toBe(1);
  });
});

describe('the purge runs on its own every IDEMPOTENCY_PURGE_INTERVAL_SECONDS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { IDEMPOTENCY_PURGE_INTERVAL_SECONDS: '1' } });
  });
  afterAll(() => t.close());

  it('deletes an expired key and keeps a live one', async () => {
    const route = `POST /test/${uniqueId('purger')}`;
    const [expired, live] = [randomUUID(), randomUUID()];
    await withDirect((c) =>
      c.query(
        `insert into idempotency_key (id, route, caller, key, fingerprint, status, headers, body, created_at, expires_at)
         values ($1, $3, 'admin:test', $1, 'f', 201, '{}', '{}', now(), now() - interval '1 minute'),
                ($2, $3, 'admin:test', $2, 'f', 201, '{}', '{}', now(), now() + interval '1 hour')`,
        [expired, live, route],
      ),
    );
    const ids = () => withDirect(async (c) => (await c.query('select id from idempotency_key where route = $1', [route])).rows.map((r) => r.id));
    await waitUntil(async () => (await ids()).length === 1, 'the purge');
    expect(await ids()).toEqual([live]);
  });
});
