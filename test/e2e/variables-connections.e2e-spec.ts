import { randomUUID } from 'node:crypto';
import { expectedProblem } from '../support/problem';
import { http, LogCapture, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { adminToken, bearer, executionToken, workloadToken } from '../support/tokens';

/** The Fernet spec's key and the token it made of "hello" (what Airflow's `Fernet(key).encrypt(b"hello")` writes). */
const SPEC_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const SPEC_TOKEN = 'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==';
const NEW_KEY = '9LyHHttZl9qepg-b0cgShB_Wj6RlMyGcGcHFcvE6cW0=';
const SET = { message: 'Variable successfully set' };

const task = async () => bearer(await executionToken(randomUUID()));
const admin = async () => bearer(await adminToken());

async function storedVariable(key: string): Promise<{ val: string | null; description: string | null; is_encrypted: boolean } | undefined> {
  return withDirect(async (c) => (await c.query('select val, description, is_encrypted from variable where key = $1', [key])).rows[0]);
}

describe('variables (/execution/variables/{key:path}) and connections (/execution/connections/{conn_id:path})', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const v = (key: string) => `/execution/variables/${key}`;

  describe('variables', () => {
    it('sets (201), reads ({key, value}), overwrites (201 again) and keeps one row; keys may contain / (raw or %2F)', async () => {
      const key = `${uniqueId('var')}/nested/path`;
      const auth = await task();
      expect(await http(t.baseUrl, 'PUT', v(key), { val: 'first', description: 'Set by a task' }, auth)).toMatchObject({ status: 201, body: SET });
      expect(await http(t.baseUrl, 'GET', v(key), undefined, auth)).toMatchObject({ status: 200, body: { key, value: 'first' } });
      expect(await http(t.baseUrl, 'PUT', v(encodeURIComponent(key)), { value: 'second' }, auth)).toMatchObject({ status: 201, body: SET });
      const read = await http(t.baseUrl, 'GET', v(encodeURIComponent(key)), undefined, auth);
      expect([read.status, read.body]).toEqual([200, { key, value: 'second' }]);
      // No key configured: stored in clear, the description kept when the overwrite gave none.
      expect(await storedVariable(key)).toEqual({ val: 'second', description: 'Set by a task', is_encrypted: false });
    });

    it('stores None as null, and `val` wins over `value` when both are sent', async () => {
      const key = uniqueId('var');
      const auth = await task();
      expect((await http(t.baseUrl, 'PUT', v(key), { val: null }, auth)).status).toBe(201);
      expect((await http(t.baseUrl, 'GET', v(key), undefined, auth)).body).toEqual({ key, value: null });
      expect((await http(t.baseUrl, 'PUT', v(key), { val: 'alias', value: 'name' }, auth)).status).toBe(201);
      expect((await http(t.baseUrl, 'GET', v(key), undefined, auth)).body).toEqual({ key, value: 'alias' });
    });

    it('requires `val` unless `value` is sent (null is a value): 422 `missing` in Airflow’s words, nothing written', async () => {
      const key = uniqueId('var');
      const auth = await task();
      const missing = await http(t.baseUrl, 'PUT', v(key), { description: 'no value' }, auth);
      expect([missing.status, missing.body]).toEqual([422, { detail: [{ loc: ['body', 'val'], msg: 'val is required', type: 'missing' }] }]);
      // With an unknown field too, both mistakes in one refusal (the DTO sees the whole body).
      const both = await http(t.baseUrl, 'PUT', v(key), { nope: 1 }, auth);
      expect([both.status, both.body]).toEqual([
        422,
        {
          detail: [
            { loc: ['body', 'nope'], msg: 'nope is not allowed', type: 'extra_forbidden' },
            { loc: ['body', 'val'], msg: 'val is required', type: 'missing' },
          ],
        },
      ]);
      expect((await http(t.baseUrl, 'GET', v(key), undefined, auth)).status).toBe(404);
      expect((await http(t.baseUrl, 'PUT', v(key), { value: null }, auth)).status).toBe(201);
      expect((await http(t.baseUrl, 'GET', v(key), undefined, auth)).body).toEqual({ key, value: null });
    });

    it('answers a missing key 404 in Airflow’s words, and as problem details when asked', async () => {
      const key = uniqueId('missing');
      const auth = await task();
      const airflow = await http(t.baseUrl, 'GET', v(key), undefined, auth);
      expect([airflow.status, airflow.body]).toEqual([404, { detail: { reason: 'not_found', message: `Variable with key '${key}' not found`, key } }]);
      const problem = await problemHttp(t.baseUrl, 'GET', v(key), undefined, auth);
      expect(problem.body).toEqual(expectedProblem(404, 'not_found', `Variable with key '${key}' not found`, v(key), { key }));
    });

    it('deletes (204), and a missing key is 204 too', async () => {
      const key = uniqueId('var');
      const auth = await task();
      await http(t.baseUrl, 'PUT', v(key), { val: 'x' }, auth);
      for (let i = 0; i < 2; i++) expect(await http(t.baseUrl, 'DELETE', v(key), undefined, auth)).toMatchObject({ status: 204, text: '' });
      expect((await http(t.baseUrl, 'GET', v(key), undefined, auth)).status).toBe(404);
      expect(await storedVariable(key)).toBeUndefined();
    });

    it.each([
      ['no value', {}, 'val'],
      ['an unknown field', { val: 'x', extra: 1 }, 'extra'],
      ['a number for the value', { val: 42 }, 'val'],
      ['U+0000 in the value', { val: 'a\u0000b' }, 'val'],
    ])('refuses %s with 422 naming the field, writing nothing', async (_name, body, field) => {
      const key = uniqueId('bad');
      const res = await problemHttp(t.baseUrl, 'PUT', v(key), body, await task());
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ reason: 'validation_error', errors: [expect.objectContaining({ path: field })] });
      expect(await storedVariable(key)).toBeUndefined();
    });

    it('refuses a key longer than 250 characters (422) and a workload or admin token (403)', async () => {
      expect((await problemHttp(t.baseUrl, 'GET', v('k'.repeat(251)), undefined, await task())).body).toMatchObject({
        status: 422,
        reason: 'validation_error',
      });
      for (const token of [await workloadToken(randomUUID()), await adminToken()]) {
        expect((await problemHttp(t.baseUrl, 'GET', v('any'), undefined, bearer(token))).body).toMatchObject({ status: 403, reason: 'wrong_scope' });
      }
      expect((await http(t.baseUrl, 'GET', v('any'), undefined, { authorization: undefined })).status).toBe(401);
    });

    it('any task token reads what another task set (Airflow’s single-team rule)', async () => {
      const key = uniqueId('shared');
      await http(t.baseUrl, 'PUT', v(key), { val: 'from task a' }, await task());
      expect((await http(t.baseUrl, 'GET', v(key), undefined, await task())).body).toEqual({ key, value: 'from task a' });
    });

    it('concurrent sets of one key all answer 201 and leave one of the values (an upsert, never a 409)', async () => {
      const key = uniqueId('race');
      const auth = await task();
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => http(t.baseUrl, 'PUT', v(key), { val: `v${i}` }, auth)));
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
      const rows = await withDirect(async (c) => (await c.query('select val from variable where key = $1', [key])).rows);
      expect(rows).toHaveLength(1);
      expect(Array.from({ length: 12 }, (_, i) => `v${i}`)).toContain(rows[0].val);
    });

    it('concurrent sets and deletes of one key all succeed (201/204)', async () => {
      const key = uniqueId('race');
      const auth = await task();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? http(t.baseUrl, 'DELETE', v(key), undefined, auth) : http(t.baseUrl, 'PUT', v(key), { val: 'x' }, auth))),
      );
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 ? 204 : 201)));
    });

    describe('keys', () => {
      let prefix: string;
      let auth: { authorization: string };
      beforeAll(async () => {
        prefix = uniqueId('keys');
        auth = await task();
        // `_` and `%` would be LIKE wildcards: `${prefix}_a` must not match the prefix `${prefix}%`.
        for (const suffix of ['/b', '/a', '_x', '%y', '/c/d']) await http(t.baseUrl, 'PUT', v(encodeURIComponent(prefix + suffix)), { val: '1' }, auth);
      });
      const keys = (query: string) => http(t.baseUrl, 'GET', `/execution/variables/keys?${query}`, undefined, auth);

      it('lists the keys with the prefix, sorted, with the total', async () => {
        const res = await keys(`prefix=${encodeURIComponent(prefix)}`);
        expect([res.status, res.body]).toEqual([
          200,
          { keys: [prefix + '%y', prefix + '/a', prefix + '/b', prefix + '/c/d', prefix + '_x'].sort(), total_entries: 5 },
        ]);
      });

      it('takes the prefix literally (_ and % are not wildcards)', async () => {
        expect((await keys(`prefix=${encodeURIComponent(prefix + '%')}`)).body).toEqual({ keys: [prefix + '%y'], total_entries: 1 });
        expect((await keys(`prefix=${encodeURIComponent(prefix + '_')}`)).body).toEqual({ keys: [prefix + '_x'], total_entries: 1 });
      });

      it('pages with limit and offset; the total counts every match', async () => {
        const all = (await keys(`prefix=${encodeURIComponent(prefix)}`)).body.keys as string[];
        expect((await keys(`prefix=${encodeURIComponent(prefix)}&limit=2&offset=1`)).body).toEqual({ keys: all.slice(1, 3), total_entries: 5 });
        expect((await keys(`prefix=${encodeURIComponent(prefix)}&offset=10`)).body).toEqual({ keys: [], total_entries: 5 });
      });

      it.each(['limit=0', 'limit=10001', 'offset=-1', 'limit=abc'])('refuses %s with 422', async (query) => {
        const res = await problemHttp(t.baseUrl, 'GET', `/execution/variables/keys?${query}`, undefined, auth);
        expect(res.body).toMatchObject({ status: 422, reason: 'validation_error', errors: [expect.objectContaining({ path: query.split('=')[0] })] });
      });
    });

    describe('control plane (/api/v1/variables)', () => {
      it('creates, shows, lists and deletes; a sensitive key’s value is masked', async () => {
        const key = uniqueId('cp');
        const secretKey = `${key}_api_key`;
        expect(await http(t.baseUrl, 'PUT', `/api/v1/variables/${key}`, { value: 'plain', description: 'seeded' }, await admin())).toMatchObject({
          status: 200,
          body: { key, value: 'plain', description: 'seeded', is_encrypted: false },
        });
        const secret = await http(t.baseUrl, 'PUT', `/api/v1/variables/${secretKey}`, { value: 'hunter2' }, await admin());
        expect(secret.body).toEqual({ key: secretKey, value: '***', description: null, is_encrypted: false });
        expect((await http(t.baseUrl, 'GET', `/api/v1/variables/${secretKey}`, undefined, await admin())).body.value).toBe('***');
        // The task that asks gets it in clear.
        expect((await http(t.baseUrl, 'GET', v(secretKey), undefined, await task())).body).toEqual({ key: secretKey, value: 'hunter2' });
        expect((await http(t.baseUrl, 'GET', `/api/v1/variables?prefix=${key}`, undefined, await admin())).body).toEqual({
          keys: [key, secretKey],
          total_entries: 2,
        });
        expect((await http(t.baseUrl, 'DELETE', `/api/v1/variables/${key}`, undefined, await admin())).status).toBe(204);
        expect((await problemHttp(t.baseUrl, 'GET', `/api/v1/variables/${key}`, undefined, await admin())).body).toEqual(
          expectedProblem(404, 'not_found', `Variable with key '${key}' not found`, `/api/v1/variables/${key}`, { key }),
        );
      });

      it('refuses an execution token (403) and a body without value (422)', async () => {
        expect((await http(t.baseUrl, 'GET', '/api/v1/variables', undefined, await task())).status).toBe(403);
        const missing = await http(t.baseUrl, 'PUT', '/api/v1/variables/x', { description: 'd' }, await admin());
        expect(missing.body).toMatchObject({ status: 422, detail: 'The request is not valid.', errors: [{ path: 'value', message: 'value is required' }] });
        expect((await http(t.baseUrl, 'PUT', `/api/v1/variables/${uniqueId('nullvar')}`, { value: null }, await admin())).status).toBe(200);
      });
    });
  });

  describe('connections', () => {
    const seed = async (connId: string, body: Record<string, unknown>) => http(t.baseUrl, 'PUT', `/api/v1/connections/${connId}`, body, await admin());

    it('answers all eight fields (schema by name, extra as a JSON string); ids may contain /', async () => {
      const connId = `${uniqueId('conn')}/replica`;
      await seed(connId, {
        conn_type: 'postgres',
        host: 'db.internal',
        schema: 'analytics',
        login: 'etl',
        password: 's3cr3t',
        port: 5432,
        extra: '{"sslmode": "require"}',
      });
      const res = await http(t.baseUrl, 'GET', `/execution/connections/${encodeURIComponent(connId)}`, undefined, await task());
      expect([res.status, res.body]).toEqual([
        200,
        {
          conn_id: connId,
          conn_type: 'postgres',
          host: 'db.internal',
          schema: 'analytics',
          login: 'etl',
          password: 's3cr3t',
          port: 5432,
          extra: '{"sslmode": "require"}',
        },
      ]);
      const minimal = uniqueId('conn');
      await seed(minimal, { conn_type: 'http' });
      expect((await http(t.baseUrl, 'GET', `/execution/connections/${minimal}`, undefined, await task())).body).toEqual({
        conn_id: minimal,
        conn_type: 'http',
        host: null,
        schema: null,
        login: null,
        password: null,
        port: null,
        extra: null,
      });
    });

    it('answers a missing id 404 in Airflow’s words; a workload token 403', async () => {
      const connId = uniqueId('nope');
      const res = await http(t.baseUrl, 'GET', `/execution/connections/${connId}`, undefined, await task());
      expect([res.status, res.body]).toEqual([404, { detail: { reason: 'not_found', message: `Connection with ID ${connId} not found`, conn_id: connId } }]);
      const workload = await problemHttp(t.baseUrl, 'GET', `/execution/connections/${connId}`, undefined, bearer(await workloadToken(randomUUID())));
      expect(workload.body).toMatchObject({ status: 403, reason: 'wrong_scope' });
    });

    it('control plane: never shows the password, masks sensitive keys of extra, replaces on PUT, deletes', async () => {
      const connId = uniqueId('cp');
      const put = await seed(connId, { conn_type: 'http', password: 'pw', extra: '{"region":"eu","api_key":"k","nested":{"token":"t"}}' });
      expect([put.status, put.body]).toEqual([
        200,
        {
          conn_id: connId,
          conn_type: 'http',
          description: null,
          host: null,
          schema: null,
          login: null,
          password: '***',
          port: null,
          extra: '{"region":"eu","api_key":"***","nested":{"token":"***"}}',
          is_encrypted: false,
          is_extra_encrypted: false,
        },
      ]);
      // Extra that is not a JSON object could hold anything: masked whole.
      await seed(connId, { conn_type: 'http', extra: 'user:pass@host' });
      expect((await http(t.baseUrl, 'GET', `/api/v1/connections/${connId}`, undefined, await admin())).body).toMatchObject({ password: null, extra: '***' });
      expect((await http(t.baseUrl, 'DELETE', `/api/v1/connections/${connId}`, undefined, await admin())).status).toBe(204);
      expect((await http(t.baseUrl, 'DELETE', `/api/v1/connections/${connId}`, undefined, await admin())).status).toBe(204);
      expect((await http(t.baseUrl, 'GET', `/api/v1/connections/${connId}`, undefined, await admin())).status).toBe(404);
    });

    it('refuses a body without conn_type or with a port out of range (422), writing nothing', async () => {
      const connId = uniqueId('bad');
      for (const body of [{ host: 'h' }, { conn_type: 'http', port: 70000 }, { conn_type: 'http', port: '5432' }]) {
        expect((await seed(connId, body)).status).toBe(422);
      }
      expect((await http(t.baseUrl, 'GET', `/api/v1/connections/${connId}`, undefined, await admin())).status).toBe(404);
    });

    it('concurrent seeds of one connection all answer 200 and leave one row', async () => {
      const connId = uniqueId('race');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => seed(connId, { conn_type: 'http', port: i })));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(await withDirect(async (c) => (await c.query('select count(*)::int as n from connection where conn_id = $1', [connId])).rows[0].n)).toBe(1);
    });
  });
});

describe('encryption at rest (FERNET_KEY)', () => {
  let t: TestApp;
  const logs = new LogCapture();
  beforeAll(async () => {
    // Rotation as Airflow does it: the new key first (encrypts), the old one after it (still decrypts).
    // Debug logs: every line the service can write about these requests, none may hold a value.
    t = await startTestApp({ env: { FERNET_KEY: `${NEW_KEY},${SPEC_KEY}`, LOG_LEVEL: 'debug' }, logDestination: logs });
  });
  afterAll(() => t.close());

  it('stores a variable as a Fernet token of the first key, and reads it back in clear', async () => {
    const key = uniqueId('enc');
    await http(t.baseUrl, 'PUT', `/execution/variables/${key}`, { val: 'top secret' }, await task());
    const stored = await storedVariable(key);
    expect(stored).toMatchObject({ is_encrypted: true });
    expect(stored!.val).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/);
    expect(stored!.val).not.toContain('top secret');
    expect((await http(t.baseUrl, 'GET', `/execution/variables/${key}`, undefined, await task())).body).toEqual({ key, value: 'top secret' });
  });

  it('reads a value Airflow encrypted with the older key (the Fernet spec’s token)', async () => {
    const key = uniqueId('airflow');
    await withDirect((c) => c.query('insert into variable (key, val, is_encrypted) values ($1, $2, true)', [key, SPEC_TOKEN]));
    expect((await http(t.baseUrl, 'GET', `/execution/variables/${key}`, undefined, await task())).body).toEqual({ key, value: 'hello' });
  });

  it('encrypts a connection’s password and extra, and decrypts them for the task', async () => {
    const connId = uniqueId('enc');
    const put = await http(t.baseUrl, 'PUT', `/api/v1/connections/${connId}`, { conn_type: 'postgres', password: 'pw', extra: '{"a": 1}' }, await admin());
    expect(put.body).toMatchObject({ password: '***', extra: '{"a":1}', is_encrypted: true, is_extra_encrypted: true });
    const row = await withDirect(async (c) => (await c.query('select password, extra from connection where conn_id = $1', [connId])).rows[0]);
    expect([row.password, row.extra]).toEqual([expect.stringMatching(/^gAAAAA/), expect.stringMatching(/^gAAAAA/)]);
    expect((await http(t.baseUrl, 'GET', `/execution/connections/${connId}`, undefined, await task())).body).toMatchObject({
      password: 'pw',
      extra: '{"a": 1}',
    });
  });

  it('answers 500 without leaking anything when a value was encrypted under a key no longer configured', async () => {
    const key = uniqueId('lost');
    await withDirect((c) => c.query('insert into variable (key, val, is_encrypted) values ($1, $2, true)', [key, SPEC_TOKEN.replace('gAAAAAAd', 'gAAAAAAe')]));
    const res = await problemHttp(t.baseUrl, 'GET', `/execution/variables/${key}`, undefined, await task());
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('gAAAA');
  });

  it('writes no value, password, extra or key material to any log line, errors included', async () => {
    const secrets = ['variable-secret-5f1c', 'password-secret-9a2b', 'extra-secret-77de'];
    const key = uniqueId('logged');
    await http(t.baseUrl, 'PUT', `/execution/variables/${key}`, { val: secrets[0] }, await task());
    await http(t.baseUrl, 'GET', `/execution/variables/${key}`, undefined, await task());
    await http(t.baseUrl, 'PUT', `/execution/variables/${key}`, { val: secrets[0], nope: secrets[0] }, await task());
    const connId = uniqueId('logged');
    await http(t.baseUrl, 'PUT', `/api/v1/connections/${connId}`, { conn_type: 'http', password: secrets[1], extra: `{"k": "${secrets[2]}"}` }, await admin());
    await http(t.baseUrl, 'GET', `/execution/connections/${connId}`, undefined, await task());
    await http(t.baseUrl, 'PUT', `/api/v1/connections/${connId}`, { conn_type: 'http', password: secrets[1], port: 'x' }, await admin());
    expect(logs.raw.some((line) => line.includes(key))).toBe(true);
    expect(logs.raw.filter((line) => [...secrets, NEW_KEY, SPEC_KEY].some((s) => line.includes(s)))).toEqual([]);
  });
});
