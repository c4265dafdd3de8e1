import { Controller, Get, Module, Param } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, exportJWK, importSPKI, jwtVerify } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublicRoute } from '../../src/common/auth/auth.decorators';
import { createTaskInstance, type HttpResult, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { storedFields, withDirect } from '../support/test-database';
import { runBody } from './lifecycle.helpers';
import { adminToken, bearer, executionToken, nowSeconds, signToken, TEST_JWT_SECRET, workloadToken } from '../support/tokens';
import { expectedProblem } from '../support/problem';

/** Routes under a protected prefix that do not fit the task-instance rule. */
@Controller('execution')
class OddExecutionRoutesController {
  @Get('dag-runs/:dag_id')
  dagRun(@Param('dag_id') dagId: string): { dag_id: string } {
    return { dag_id: dagId };
  }

  @Get('health')
  @PublicRoute()
  health(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [OddExecutionRoutesController] })
class OddExecutionRoutesModule {}

const REALM = 'Bearer realm="task-execution-api"';
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const invalid = (check: string, detail: string, instance: string) => expectedProblem(401, 'invalid_token', detail, instance, { check });

/** An invalid-token answer: the whole body, the RFC 6750 challenge, and no trace of the token. */
function expectInvalid(res: HttpResult, token: string, check: string, detail: string, instance: string): void {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(invalid(check, detail, instance));
  expect(res.headers.get('www-authenticate')).toBe(`${REALM}, error="invalid_token", error_description="${detail}"`);
  if (token.length > 0) expect(res.text).not.toContain(token);
  expect(res.headers.get('refreshed-api-token')).toBeNull();
}

describe('authentication (HS256, the default test key)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [OddExecutionRoutesModule] });
  });
  afterAll(() => t.close());

  const newTi = () => createTaskInstance(t.baseUrl, { dag_id: uniqueId('auth'), run_id: 'run_1', task_id: 'task' });
  const rtifPath = (id: string) => `/execution/task-instances/${id}/rtif`;
  const putRtif = (id: string, token: string | undefined, body: unknown = { a: 1 }) =>
    problemHttp(t.baseUrl, 'PUT', rtifPath(id), body, token === undefined ? { authorization: undefined } : bearer(token));

  describe('execution routes', () => {
    it('accepts the task instance own execution token', async () => {
      const ti = await newTi();
      const res = await putRtif(ti.id, await executionToken(ti.id));
      expect(res.status).toBe(201);
      expect(res.headers.get('refreshed-api-token')).toBeNull();
      expect(await storedFields(ti.id)).toEqual([{ a: 1 }]);
    });

    it('answers 401 missing_token with a bare Bearer challenge when no token is sent, and stores nothing', async () => {
      const ti = await newTi();
      const res = await putRtif(ti.id, undefined);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(expectedProblem(401, 'missing_token', 'This route requires a bearer token (Authorization: Bearer <JWT>).', rtifPath(ti.id)));
      expect(res.headers.get('www-authenticate')).toBe(REALM);
      expect(await storedFields(ti.id)).toEqual([]);
    });

    it('treats another scheme (Basic) as no bearer token', async () => {
      const ti = await newTi();
      const res = await problemHttp(t.baseUrl, 'PUT', rtifPath(ti.id), { a: 1 }, { authorization: 'Basic dXNlcjpwYXNz' });
      expect(res.status).toBe(401);
      expect(res.body.reason).toBe('missing_token');
    });

    it('accepts the scheme case-insensitively (RFC 7235)', async () => {
      const ti = await newTi();
      const res = await problemHttp(t.baseUrl, 'PUT', rtifPath(ti.id), { a: 1 }, { authorization: `bearer ${await executionToken(ti.id)}` });
      expect(res.status).toBe(201);
    });

    it.each([
      ['not a JWT', 'not-a-jwt'],
      ['two parts', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0'],
      ['undecodable header', 'bm90IGpzb24.eyJzdWIiOiJ4In0.c2ln'],
      ['longer than 8 KiB', `${'a'.repeat(9000)}.b.c`],
    ])('answers 401 invalid_token (malformed) for %s', async (_name, token) => {
      const ti = await newTi();
      expectInvalid(await putRtif(ti.id, token), token, 'malformed', 'The bearer token is not a well-formed signed JWT.', rtifPath(ti.id));
      expect(await storedFields(ti.id)).toEqual([]);
    });

    it('answers 401 malformed for "Bearer" without a token', async () => {
      const ti = await newTi();
      const res = await problemHttp(t.baseUrl, 'PUT', rtifPath(ti.id), { a: 1 }, { authorization: 'Bearer ' });
      expectInvalid(res, '', 'malformed', 'The Authorization header is not of the form Bearer <token>.', rtifPath(ti.id));
    });

    it('answers 401 signature for a token signed with another secret', async () => {
      const ti = await newTi();
      const token = await executionToken(ti.id, { key: new TextEncoder().encode('another-secret-of-at-least-32-characters!!') });
      expectInvalid(await putRtif(ti.id, token), token, 'signature', 'The token signature is not valid.', rtifPath(ti.id));
      expect(await storedFields(ti.id)).toEqual([]);
    });

    it('answers 401 signature for a token whose payload was altered after signing', async () => {
      const ti = await newTi();
      const other = await newTi();
      const [header, , signature] = (await executionToken(other.id)).split('.');
      const forged = `${header}.${b64url({ sub: ti.id, scope: 'execution', exp: nowSeconds() + 600 })}.${signature}`;
      expectInvalid(await putRtif(ti.id, forged), forged, 'signature', 'The token signature is not valid.', rtifPath(ti.id));
    });

    it('answers 401 expired for an expired token, beyond the leeway', async () => {
      const ti = await newTi();
      const token = await executionToken(ti.id, { claims: { iat: nowSeconds() - 7200, nbf: nowSeconds() - 7200, exp: nowSeconds() - 3600 } });
      expectInvalid(await putRtif(ti.id, token), token, 'expired', 'The token has expired.', rtifPath(ti.id));
    });

    it('answers 401 not_before for a token that is not valid yet', async () => {
      const ti = await newTi();
      const token = await executionToken(ti.id, { claims: { nbf: nowSeconds() + 3600 } });
      expectInvalid(await putRtif(ti.id, token), token, 'not_before', 'The token is not valid yet (nbf is in the future).', rtifPath(ti.id));
    });

    it('answers 401 algorithm for alg "none" (unsigned), whatever its claims', async () => {
      const ti = await newTi();
      for (const header of [{ alg: 'none', typ: 'JWT' }, { alg: 'None' }, { alg: 'NONE' }]) {
        const token = `${b64url(header)}.${b64url({ sub: ti.id, scope: 'execution', exp: nowSeconds() + 600 })}.`;
        expectInvalid(
          await putRtif(ti.id, token),
          token,
          'algorithm',
          'The token is signed with an algorithm this service does not accept for its key.',
          rtifPath(ti.id),
        );
      }
      expect(await storedFields(ti.id)).toEqual([]);
    });

    it('accepts HS512 with the right secret (what Airflow signs a shared jwt_secret with)', async () => {
      const ti = await newTi();
      expect((await putRtif(ti.id, await executionToken(ti.id, { header: { alg: 'HS512' } }))).status).toBe(201);
    });

    it('answers 401 kid for a kid no configured key has', async () => {
      const ti = await newTi();
      const token = await executionToken(ti.id, { header: { kid: 'unknown-key' } });
      expectInvalid(await putRtif(ti.id, token), token, 'kid', 'The key id (kid) of the token, or its absence, selects no configured key.', rtifPath(ti.id));
    });

    it.each([
      ['no sub', { sub: undefined }],
      ['no exp', { exp: undefined }],
      ['a numeric sub', { sub: 12345 }],
      ['an unknown scope', { scope: 'root' }],
    ])('answers 401 claims for a token with %s', async (_name, claims) => {
      const ti = await newTi();
      const token = await executionToken(ti.id, { claims: claims as Record<string, unknown> });
      expectInvalid(
        await putRtif(ti.id, token),
        token,
        'claims',
        'The token lacks a required claim (sub, exp) or has a claim of the wrong type.',
        rtifPath(ti.id),
      );
    });

    it('treats a token without scope as an execution token (Airflow default)', async () => {
      const ti = await newTi();
      const res = await putRtif(ti.id, await signToken(ti.id, undefined));
      expect(res.status).toBe(201);
    });

    it("answers 403 wrong_task_instance for another task instance's valid token, and stores nothing", async () => {
      const ti = await newTi();
      const other = await newTi();
      const token = await executionToken(other.id);
      const res = await putRtif(ti.id, token);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(expectedProblem(403, 'wrong_task_instance', 'The token was issued for another task instance.', rtifPath(ti.id)));
      expect(res.text).not.toContain(token);
      expect(await storedFields(ti.id)).toEqual([]);
      expect(await storedFields(other.id)).toEqual([]);
    });

    it('compares the task instance id case-insensitively (a UUID)', async () => {
      const ti = await newTi();
      const res = await putRtif(ti.id.toUpperCase(), await executionToken(ti.id));
      expect(res.status).toBe(201);
    });

    it('answers 403 wrong_scope with an insufficient_scope challenge for a workload token on RTIF', async () => {
      const ti = await newTi();
      const res = await putRtif(ti.id, await workloadToken(ti.id));
      expect(res.status).toBe(403);
      const detail = 'A workload token is not accepted here; this route accepts: execution.';
      expect(res.body).toEqual(expectedProblem(403, 'wrong_scope', detail, rtifPath(ti.id), { token_scope: 'workload', accepted_scopes: 'execution' }));
      expect(res.headers.get('www-authenticate')).toBe(`${REALM}, error="insufficient_scope", error_description="${detail}", scope="execution"`);
      expect(await storedFields(ti.id)).toEqual([]);
    });

    it('answers 403 wrong_scope for an admin token on an execution route', async () => {
      const ti = await newTi();
      const res = await putRtif(ti.id, await adminToken());
      expect(res.status).toBe(403);
      expect(res.body).toEqual(
        expectedProblem(403, 'wrong_scope', 'A admin token is not accepted here; this route accepts: execution.', rtifPath(ti.id), {
          token_scope: 'admin',
          accepted_scopes: 'execution',
        }),
      );
    });

    it('fails closed on an execution route that names no task instance, whatever the token', async () => {
      const ti = await newTi();
      for (const token of [await executionToken(ti.id), await executionToken('example_dag')]) {
        const res = await problemHttp(t.baseUrl, 'GET', '/execution/dag-runs/example_dag', undefined, bearer(token));
        expect(res.status).toBe(403);
        expect(res.body).toEqual(
          expectedProblem(
            403,
            'wrong_task_instance',
            'This route names no task instance, so it accepts no task-instance token.',
            '/execution/dag-runs/example_dag',
          ),
        );
      }
    });

    it('lets @PublicRoute() open a route under /execution/', async () => {
      const res = await problemHttp(t.baseUrl, 'GET', '/execution/health', undefined, { authorization: undefined });
      expect([res.status, res.body]).toEqual([200, { status: 'ok' }]);
    });

    it('decides by the route, not the request path: /EXECUTION/… (Express matches case-insensitively) needs a token too', async () => {
      const ti = await newTi();
      const res = await problemHttp(t.baseUrl, 'PUT', `/EXECUTION/Task-Instances/${ti.id}/RTIF`, { a: 1 }, { authorization: undefined });
      expect(res.status).toBe(401);
      expect(res.body.reason).toBe('missing_token');
      expect(await storedFields(ti.id)).toEqual([]);
    });
  });

  describe('the workload token exchange (PATCH …/run)', () => {
    const runPath = (id: string) => `/execution/task-instances/${id}/run`;
    /** A task instance /run refuses (409 invalid_state): it is already finished. */
    const finishedTi = () => createTaskInstance(t.baseUrl, { dag_id: uniqueId('auth'), run_id: 'run_1', task_id: 'task', state: 'success' });

    it('accepts a workload token on /run and answers with a fresh execution token that RTIF then accepts', async () => {
      const ti = await newTi();
      const workload = await workloadToken(ti.id);
      const run = await problemHttp(t.baseUrl, 'PATCH', runPath(ti.id), runBody(), bearer(workload));
      expect(run.status).toBe(200);
      expect(run.body.dag_run).toMatchObject({ dag_id: ti.dag_id, run_id: ti.run_id });
      const fresh = run.headers.get('refreshed-api-token');
      expect(fresh).toEqual(expect.any(String));
      const { payload } = await jwtVerify(fresh!, new TextEncoder().encode(TEST_JWT_SECRET), { algorithms: ['HS256'] });
      expect(payload).toEqual({
        sub: ti.id,
        scope: 'execution',
        aud: 'urn:airflow.apache.org:task',
        iat: expect.any(Number),
        nbf: expect.any(Number),
        exp: payload.iat! + 600,
        jti: expect.any(String),
      });

      expect((await putRtif(ti.id, workload)).status).toBe(403);
      const rtif = await putRtif(ti.id, fresh!);
      expect(rtif.status).toBe(201);
      expect(await storedFields(ti.id)).toEqual([{ a: 1 }]);
    });

    it('gives no execution token when the run fails (409 invalid_state)', async () => {
      const ti = await finishedTi();
      const run = await problemHttp(t.baseUrl, 'PATCH', runPath(ti.id), runBody(), bearer(await workloadToken(ti.id)));
      expect([run.status, run.body.reason]).toEqual([409, 'invalid_state']);
      expect(run.headers.get('refreshed-api-token')).toBeNull();
    });

    it("refuses another task instance's workload token on /run (403 wrong_task_instance, no token)", async () => {
      const ti = await newTi();
      const other = await newTi();
      const run = await problemHttp(t.baseUrl, 'PATCH', runPath(ti.id), runBody(), bearer(await workloadToken(other.id)));
      expect(run.status).toBe(403);
      expect(run.body.reason).toBe('wrong_task_instance');
      expect(run.headers.get('refreshed-api-token')).toBeNull();
    });

    it('accepts an execution token on /run too, without handing out another', async () => {
      const ti = await newTi();
      const run = await problemHttp(t.baseUrl, 'PATCH', runPath(ti.id), runBody(), bearer(await executionToken(ti.id)));
      expect(run.status).toBe(200);
      expect(run.headers.get('refreshed-api-token')).toBeNull();
    });
  });

  describe('refresh near expiry', () => {
    it('re-signs an execution token with less than 20 % of its lifetime left, keeping extra claims', async () => {
      const ti = await newTi();
      const now = nowSeconds();
      // 1000 s lifetime, 100 s left: 100 ≤ max(200, 30).
      const old = await executionToken(ti.id, { claims: { iat: now - 900, nbf: now - 900, exp: now + 100, try_number: 2 } });
      const res = await putRtif(ti.id, old);
      expect(res.status).toBe(201);
      const fresh = res.headers.get('refreshed-api-token')!;
      expect(fresh).toEqual(expect.any(String));
      const claims = decodeJwt(fresh);
      expect(claims).toEqual({
        sub: ti.id,
        scope: 'execution',
        aud: 'urn:airflow.apache.org:task',
        try_number: 2,
        iat: expect.any(Number),
        nbf: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
      });
      expect(claims.exp! - claims.iat!).toBe(600);
      expect(claims.exp!).toBeGreaterThan(now + 100);
      expect((await putRtif(ti.id, fresh, { b: 2 })).status).toBe(201);
    });

    it('uses the 30 s floor for short-lived tokens', async () => {
      const ti = await newTi();
      const now = nowSeconds();
      // 100 s lifetime, 25 s left: 20 % is 20 s, the floor of 30 s applies.
      const res = await putRtif(ti.id, await executionToken(ti.id, { claims: { iat: now - 75, exp: now + 25 } }));
      expect(res.headers.get('refreshed-api-token')).toEqual(expect.any(String));
    });

    it('does not refresh a token with most of its lifetime left', async () => {
      const ti = await newTi();
      const now = nowSeconds();
      const res = await putRtif(ti.id, await executionToken(ti.id, { claims: { iat: now - 100, exp: now + 500 } }));
      expect(res.status).toBe(201);
      expect(res.headers.get('refreshed-api-token')).toBeNull();
    });

    it('refreshes on error responses too (the client swaps on any response)', async () => {
      const id = randomUUID();
      const now = nowSeconds();
      const res = await putRtif(id, await executionToken(id, { claims: { iat: now - 590, exp: now + 10 } }));
      expect(res.status).toBe(404);
      expect(res.headers.get('refreshed-api-token')).toEqual(expect.any(String));
    });

    it('never refreshes a workload token near expiry (it is exchanged at /run instead)', async () => {
      const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('auth'), run_id: 'run_1', task_id: 'task', state: 'success' });
      const now = nowSeconds();
      const res = await problemHttp(
        t.baseUrl,
        'PATCH',
        `/execution/task-instances/${ti.id}/run`,
        runBody(),
        bearer(await workloadToken(ti.id, { claims: { iat: now - 590, exp: now + 10 } })),
      );
      expect(res.status).toBe(409);
      expect(res.headers.get('refreshed-api-token')).toBeNull();
    });
  });

  describe('control plane (/api/v1)', () => {
    // This file's own prefix: other files create `cp_…` dag runs in the same database.
    const dagPrefix = uniqueId('authcp');
    const routes = (id: string): [string, string, unknown][] => [
      ['POST', '/api/v1/task-instances', { dag_id: uniqueId(dagPrefix), run_id: 'r', task_id: 't' }],
      ['GET', `/api/v1/task-instances/${id}`, undefined],
      ['GET', `/api/v1/task-instances/${id}/rendered-fields`, undefined],
      ['POST', `/api/v1/task-instances/${id}/token`, {}],
    ];

    it('answers 401 missing_token on every control-plane route without a token', async () => {
      const ti = await newTi();
      for (const [method, path, body] of routes(ti.id)) {
        const res = await problemHttp(t.baseUrl, method, path, body, { authorization: undefined });
        expect([method, path, res.status]).toEqual([method, path, 401]);
        expect(res.body).toEqual(expectedProblem(401, 'missing_token', 'This route requires a bearer token (Authorization: Bearer <JWT>).', path));
        expect(res.headers.get('www-authenticate')).toBe(REALM);
      }
    });

    it('answers 403 admin_scope_required for execution and workload tokens, and creates nothing', async () => {
      const ti = await newTi();
      for (const token of [await executionToken(ti.id), await workloadToken(ti.id)]) {
        const scope = decodeJwt(token).scope as string;
        for (const [method, path, body] of routes(ti.id)) {
          const res = await problemHttp(t.baseUrl, method, path, body, bearer(token));
          expect([method, path, res.status]).toEqual([method, path, 403]);
          const detail = `Control-plane routes require a token with the admin scope; this one has scope ${scope}.`;
          expect(res.body).toEqual(expectedProblem(403, 'admin_scope_required', detail, path, { token_scope: scope }));
          expect(res.headers.get('www-authenticate')).toBe(`${REALM}, error="insufficient_scope", error_description="${detail}", scope="admin"`);
        }
      }
      const created = await withDirect(
        async (c) => (await c.query('select count(*)::int as n from task_instance where starts_with(dag_id, $1)', [dagPrefix])).rows[0].n,
      );
      expect(created).toBe(0);
    });

    it('answers 401 on the control plane for a bad admin token (expired)', async () => {
      const token = await adminToken({ claims: { iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 } });
      expectInvalid(
        await problemHttp(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: 'x', run_id: 'r', task_id: 't' }, bearer(token)),
        token,
        'expired',
        'The token has expired.',
        '/api/v1/task-instances',
      );
    });

    it('serves every control-plane route to an admin token', async () => {
      const ti = await newTi();
      const admin = bearer(await adminToken());
      const statuses = [];
      for (const [method, path, body] of routes(ti.id)) statuses.push((await problemHttp(t.baseUrl, method, path, body, admin)).status);
      expect(statuses).toEqual([201, 200, 404, 201]);
    });

    it('keeps the OpenAPI document and Swagger UI public', async () => {
      expect((await problemHttp(t.baseUrl, 'GET', '/openapi.json', undefined, { authorization: undefined })).status).toBe(200);
      expect((await problemHttp(t.baseUrl, 'GET', '/docs', undefined, { authorization: undefined })).status).toBe(200);
    });
  });

  describe('POST /api/v1/task-instances/{id}/token', () => {
    it('issues a workload token (default) signed by the service, then the whole flow works: create → token → run → RTIF → read', async () => {
      const ti = await newTi();
      const res = await problemHttp(t.baseUrl, 'POST', `/api/v1/task-instances/${ti.id}/token`);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        scope: 'workload',
        expires_in: 86400,
        expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        task_instance_id: ti.id,
      });
      const { payload, protectedHeader } = await jwtVerify(res.body.access_token, new TextEncoder().encode(TEST_JWT_SECRET));
      expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(payload).toEqual({
        sub: ti.id,
        scope: 'workload',
        aud: 'urn:airflow.apache.org:task',
        iat: expect.any(Number),
        nbf: expect.any(Number),
        exp: payload.iat! + 86400,
        jti: expect.any(String),
      });
      expect(new Date(res.body.expires_at).getTime()).toBe(payload.exp! * 1000);

      const run = await problemHttp(t.baseUrl, 'PATCH', `/execution/task-instances/${ti.id}/run`, runBody(), bearer(res.body.access_token));
      expect(run.status).toBe(200);
      const execution = run.headers.get('refreshed-api-token')!;
      expect((await putRtif(ti.id, execution, { cmd: 'echo hi' })).status).toBe(201);
      const read = await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/rendered-fields`);
      expect(read.body.rendered_fields).toEqual({ cmd: 'echo hi' });
    });

    it('issues an execution token on request', async () => {
      const ti = await newTi();
      const res = await problemHttp(t.baseUrl, 'POST', `/api/v1/task-instances/${ti.id}/token`, { scope: 'execution' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ scope: 'execution', expires_in: 600 });
      expect((await putRtif(ti.id, res.body.access_token)).status).toBe(201);
    });

    it('answers 404 for an unknown task instance and 422 for a bad scope or an unknown field', async () => {
      const id = randomUUID();
      const unknown = await problemHttp(t.baseUrl, 'POST', `/api/v1/task-instances/${id}/token`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.reason).toBe('not_found');
      const ti = await newTi();
      const bad = await problemHttp(t.baseUrl, 'POST', `/api/v1/task-instances/${ti.id}/token`, { scope: 'admin' });
      expect(bad.status).toBe(422);
      expect(bad.body.errors).toEqual([{ path: 'scope', message: 'scope must be one of the following values: workload, execution' }]);
      const extra = await problemHttp(t.baseUrl, 'POST', `/api/v1/task-instances/${ti.id}/token`, { ttl: 99999999 });
      expect(extra.status).toBe(422);
      expect(extra.body.errors).toEqual([{ path: 'ttl', message: 'ttl is not allowed' }]);
    });
  });
});

describe('audience and issuer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_AUDIENCE: 'urn:task-execution-api', JWT_ISSUER: 'https://scheduler.example' } });
  });
  afterAll(() => t.close());

  const path = (id: string) => `/execution/task-instances/${id}/rtif`;
  const good = { aud: 'urn:task-execution-api', iss: 'https://scheduler.example' };

  it('accepts the configured aud and iss, and writes them into issued tokens', async () => {
    const admin = bearer(await adminToken({ claims: good }));
    const ti = (await problemHttp(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: uniqueId('aud'), run_id: 'r', task_id: 't' }, admin)).body;
    expect((await problemHttp(t.baseUrl, 'PUT', path(ti.id), { a: 1 }, bearer(await executionToken(ti.id, { claims: good })))).status).toBe(201);
    const issued = await problemHttp(t.baseUrl, 'POST', `/api/v1/task-instances/${ti.id}/token`, {}, admin);
    expect(decodeJwt(issued.body.access_token)).toMatchObject({ aud: 'urn:task-execution-api', iss: 'https://scheduler.example' });
  });

  it.each([
    ['a wrong audience', { ...good, aud: 'urn:another-service' }, 'audience', 'The token audience (aud) is not this service.'],
    ['no audience', { ...good, aud: undefined }, 'audience', 'The token audience (aud) is not this service.'],
    ['a wrong issuer', { ...good, iss: 'https://evil.example' }, 'issuer', 'The token issuer (iss) is not the configured one.'],
  ])('answers 401 for %s', async (_name, claims, check, detail) => {
    const id = randomUUID();
    const token = await executionToken(id, { claims });
    expectInvalid(await problemHttp(t.baseUrl, 'PUT', path(id), { a: 1 }, bearer(token)), token, check, detail, path(id));
  });
});

describe('key rotation with two HS256 keys (JWKS, selected by kid)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tea-jwks-'));
  const oldKey = 'old-secret-old-secret-old-secret-0000';
  const newKey = 'new-secret-new-secret-new-secret-1111';
  const oct = (kid: string, secret: string) => ({ kty: 'oct', kid, alg: 'HS256', k: Buffer.from(secret).toString('base64url') });
  const both = join(dir, 'both.json');
  const onlyNew = join(dir, 'only-new.json');
  writeFileSync(both, JSON.stringify({ keys: [oct('2026-10', oldKey), oct('2026-11', newKey)] }));
  writeFileSync(onlyNew, JSON.stringify({ keys: [oct('2026-11', newKey)] }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const enc = (s: string) => new TextEncoder().encode(s);
  const signedBy = (id: string, kid: string, secret: string, claims = {}) => executionToken(id, { header: { kid }, key: enc(secret), claims });
  const rtif = (t: TestApp, id: string, token: string) => problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${id}/rtif`, { a: 1 }, bearer(token));

  it('during rotation accepts tokens of both keys and signs new ones with the new kid; afterwards refuses the old kid', async () => {
    const during = await startTestApp({ env: { JWT_SECRET: '', JWT_JWKS_FILE: both, JWT_SIGNING_KID: '2026-11' } });
    let ti;
    try {
      // The suite's default admin token has no kid: with every key named, it is refused.
      const kidless = await problemHttp(during.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: uniqueId('rot'), run_id: 'r', task_id: 't' });
      expect([kidless.status, kidless.body.check]).toEqual([401, 'kid']);
      const admin = bearer(await signToken('ops', 'admin', { header: { kid: '2026-10' }, key: enc(oldKey) }));
      const created = await problemHttp(during.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: uniqueId('rot'), run_id: 'r', task_id: 't' }, admin);
      expect(created.status).toBe(201);
      ti = created.body;
      expect((await rtif(during, ti.id, await signedBy(ti.id, '2026-10', oldKey))).status).toBe(201);
      expect((await rtif(during, ti.id, await signedBy(ti.id, '2026-11', newKey))).status).toBe(201);
      // A token naming the new kid but signed with the old key fails the signature check.
      const crossed = await signedBy(ti.id, '2026-11', oldKey);
      expectInvalid(await rtif(during, ti.id, crossed), crossed, 'signature', 'The token signature is not valid.', `/execution/task-instances/${ti.id}/rtif`);
      const nokid = await executionToken(ti.id, { key: enc(newKey) });
      expectInvalid(
        await rtif(during, ti.id, nokid),
        nokid,
        'kid',
        'The key id (kid) of the token, or its absence, selects no configured key.',
        `/execution/task-instances/${ti.id}/rtif`,
      );

      const issued = await problemHttp(during.baseUrl, 'POST', `/api/v1/task-instances/${ti.id}/token`, {}, admin);
      expect(decodeProtectedHeader(issued.body.access_token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: '2026-11' });
      await jwtVerify(issued.body.access_token, enc(newKey));
      // An old-key token near expiry is re-signed with the new key: rotation needs no client change.
      const now = nowSeconds();
      const refreshed = (await rtif(during, ti.id, await signedBy(ti.id, '2026-10', oldKey, { iat: now - 590, exp: now + 10 }))).headers.get(
        'refreshed-api-token',
      )!;
      expect(decodeProtectedHeader(refreshed).kid).toBe('2026-11');
    } finally {
      await during.close();
    }

    const after = await startTestApp({ env: { JWT_SECRET: '', JWT_JWKS_FILE: onlyNew, JWT_SIGNING_KID: '2026-11' } });
    try {
      const old = await signedBy(ti.id, '2026-10', oldKey);
      expectInvalid(
        await rtif(after, ti.id, old),
        old,
        'kid',
        'The key id (kid) of the token, or its absence, selects no configured key.',
        `/execution/task-instances/${ti.id}/rtif`,
      );
      expect((await rtif(after, ti.id, await signedBy(ti.id, '2026-11', newKey))).status).toBe(201);
    } finally {
      await after.close();
    }
  });
});

describe('asymmetric keys (RS256 signing key + an ES256 key from a JWKS) and HS/RS confusion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tea-keys-'));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privateFile = join(dir, 'signing.pem');
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(privateFile, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  let t: TestApp;
  let id: string;

  beforeAll(async () => {
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }] }));
    t = await startTestApp({ env: { JWT_SECRET: '', JWT_PRIVATE_KEY_FILE: privateFile, JWT_SIGNING_KID: 'rs-2', JWT_JWKS_FILE: jwksFile } });
    const created = await problemHttp(
      t.baseUrl,
      'POST',
      '/api/v1/task-instances',
      { dag_id: uniqueId('rsa'), run_id: 'r', task_id: 't' },
      bearer(await signToken('ops', 'admin', { header: { alg: 'RS256', kid: 'rs-2' }, key: rsa.privateKey })),
    );
    expect(created.status).toBe(201);
    id = created.body.id;
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rtif = (token: string) => problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${id}/rtif`, { a: 1 }, bearer(token));
  const ALG = 'The token is signed with an algorithm this service does not accept for its key.';

  it('accepts RS256 tokens of the signing key and ES256 tokens of the JWKS key', async () => {
    expect((await rtif(await executionToken(id, { header: { alg: 'RS256', kid: 'rs-2' }, key: rsa.privateKey }))).status).toBe(201);
    expect((await rtif(await executionToken(id, { header: { alg: 'ES256', kid: 'ec-1' }, key: ec.privateKey }))).status).toBe(201);
  });

  it('signs issued tokens with RS256 and kid rs-2, verifiable with the public key', async () => {
    const admin = bearer(await signToken('ops', 'admin', { header: { alg: 'ES256', kid: 'ec-1' }, key: ec.privateKey }));
    const issued = await problemHttp(t.baseUrl, 'POST', `/api/v1/task-instances/${id}/token`, {}, admin);
    expect(issued.status).toBe(201);
    const { protectedHeader } = await jwtVerify(issued.body.access_token, await importSPKI(rsaPublicPem, 'RS256'));
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'rs-2' });
  });

  it('refuses HS256 signed with the RSA public key as the secret (the classic confusion), with or without kid', async () => {
    const secret = new TextEncoder().encode(rsaPublicPem);
    for (const header of [{ alg: 'HS256', kid: 'rs-2' }, { alg: 'HS256' }]) {
      const token = await executionToken(id, { header, key: secret });
      expectInvalid(await rtif(token), token, 'algorithm', ALG, `/execution/task-instances/${id}/rtif`);
    }
  });

  it('refuses a token whose alg is configured but not the one bound to its kid (ES256 header on the RSA kid)', async () => {
    const token = await executionToken(id, { header: { alg: 'ES256', kid: 'rs-2' }, key: ec.privateKey });
    expectInvalid(await rtif(token), token, 'algorithm', ALG, `/execution/task-instances/${id}/rtif`);
  });

  it('refuses a token signed by an unknown RSA key under the known kid', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await executionToken(id, { header: { alg: 'RS256', kid: 'rs-2' }, key: stranger.privateKey });
    expectInvalid(await rtif(token), token, 'signature', 'The token signature is not valid.', `/execution/task-instances/${id}/rtif`);
  });
});
